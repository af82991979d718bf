// §2.8 caption limits: 2,200 characters, 20 @mentions, 30 hashtags.
import type { SimContext } from './context.js';
import { SimError } from './errors.js';
import { mediaErrors } from './media-errors.js';

export const CAPTION_MAX_CHARS = 2200;
export const CAPTION_MAX_MENTIONS = 20;
export const CAPTION_MAX_HASHTAGS = 30;

// An @ or # starts a tag only at the start or after something that is not part of a word,
// so e-mail addresses and "C#" do not count.
const MENTION = /(?<![\p{L}\p{N}_.@])@([A-Za-z0-9._]{1,30})/gu;
const HASHTAG = /(?<![\p{L}\p{N}_&#])#([\p{L}\p{N}_]+)/gu;

/** Characters as a person counts them (code points), not UTF-16 units: an emoji is one. */
export const captionLength = (caption: string): number => [...caption].length;

/** Distinct accounts: mentioning the same account twice tags it once. */
export function mentionCount(caption: string): number {
  return new Set([...caption.matchAll(MENTION)].map((m) => (m[1] ?? '').toLowerCase().replace(/\.+$/, ''))).size;
}

/** Every occurrence counts: whether repeats count is unconfirmed, so we take the stricter reading. */
export function hashtagCount(caption: string): number {
  return [...caption.matchAll(HASHTAG)].length;
}

export function checkCaption(ctx: SimContext, caption: string | undefined): void {
  if (caption === undefined) return;
  if (captionLength(caption) > CAPTION_MAX_CHARS) throw mediaErrors.captionTooLong();
  if (mentionCount(caption) > CAPTION_MAX_MENTIONS) throw mediaErrors.tooManyMentions();
  if (hashtagCount(caption) > CAPTION_MAX_HASHTAGS) {
    const { code, subcode, message } = ctx.options.hashtagLimit;
    throw new SimError(code, message, { subcode, isTransient: false });
  }
}
