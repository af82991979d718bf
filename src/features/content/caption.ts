// Instagram's caption limits (contract §2.8), counted the way the composer's live counters count
// them, so the browser and the server agree: characters are Unicode code points.

export const CAPTION_LIMITS = { characters: 2200, hashtags: 30, mentions: 20 } as const;
export const ALT_TEXT_MAX = 1000;
export const MAX_COLLABORATORS = 3;

const HASHTAG = /(?:^|[^\p{L}\p{N}_&])#([\p{L}\p{N}_]+)/gu;
const MENTION = /(?:^|[^\p{L}\p{N}_.])@([A-Za-z0-9._]{1,30})/gu;
/** Instagram usernames: letters, digits, dot and underscore, at most 30. */
export const USERNAME = /^[A-Za-z0-9._]{1,30}$/;

export interface CaptionCounts {
  characters: number;
  hashtags: number;
  mentions: number;
}

export function countCaption(caption: string): CaptionCounts {
  return {
    characters: [...caption].length,
    hashtags: [...caption.matchAll(HASHTAG)].length,
    mentions: [...caption.matchAll(MENTION)].length,
  };
}

/** The first limit the caption breaks, as an i18n key with its figures; undefined when it fits. */
export function captionProblem(caption: string): { key: string; params: Record<string, number> } | undefined {
  const counts = countCaption(caption);
  if (counts.characters > CAPTION_LIMITS.characters) return { key: 'content.error.captionLength', params: { count: counts.characters, max: CAPTION_LIMITS.characters } };
  if (counts.hashtags > CAPTION_LIMITS.hashtags) return { key: 'content.error.hashtags', params: { count: counts.hashtags, max: CAPTION_LIMITS.hashtags } };
  if (counts.mentions > CAPTION_LIMITS.mentions) return { key: 'content.error.mentions', params: { count: counts.mentions, max: CAPTION_LIMITS.mentions } };
  return undefined;
}

/** "@a, b c" → ['a', 'b', 'c']; duplicates dropped, case kept as typed. */
export function parseCollaborators(input: string): string[] {
  const names = input
    .split(/[\s,;]+/)
    .map((s) => s.replace(/^@/, '').trim())
    .filter(Boolean);
  return [...new Map(names.map((n) => [n.toLowerCase(), n])).values()];
}
