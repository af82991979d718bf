// Publishing options that SimulatorOptions (context.ts) does not declare yet. createSimulator
// copies every input key into ctx.options, so they can be passed today through a variable typed
// `Partial<SimulatorInput> & PublishingOptions`; once context.ts declares them this file goes.
import type { SimContext } from './context.js';

export interface PublishingOptions {
  /**
   * §2.5: what media_publish answers for a container that is already PUBLISHED is unconfirmed.
   * 'error' (default) answers 24/2207008 like a used-up container; 'same-id' answers the media id
   * of the first publish again. The stricter default makes a client check status_code before it
   * retries a publish (as Postiz does) instead of relying on an idempotency Instagram never promised.
   */
  alreadyPublished?: 'error' | 'same-id';
  /** How long Meta's fetcher waits for image_url / video_url before giving up (−2/2207003). */
  mediaFetchTimeoutMs?: number;
}

export const MEDIA_FETCH_TIMEOUT_MS = 15_000;

function extras(ctx: SimContext): PublishingOptions {
  return ctx.options as PublishingOptions;
}

export const alreadyPublishedMode = (ctx: SimContext): 'error' | 'same-id' => (extras(ctx).alreadyPublished === 'same-id' ? 'same-id' : 'error');
export const mediaFetchTimeoutMs = (ctx: SimContext): number => extras(ctx).mediaFetchTimeoutMs ?? MEDIA_FETCH_TIMEOUT_MS;
