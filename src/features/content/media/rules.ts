// What Instagram accepts (instagram-api.md §2.2, §2.7), in one place. The simulator checks the
// same numbers (src/sandbox/media-image.ts, media-video.ts); prepared files must pass both.

/** Carousel images use 'feed' (with a fixed ratio for every item after the first). */
export type ImageUse = 'feed' | 'story';
export type VideoUse = 'reel' | 'story' | 'carousel';

/** 4:5 (portrait) to 1.91:1 (landscape). */
export const FEED_RATIO = { min: 4 / 5, max: 1.91 };
/** The recommended story shape; any shape is accepted. */
export const STORY_RATIO = 9 / 16;
/** Instagram scales widths outside this range itself; we do it first so what is shown is what is posted. */
export const IMAGE_WIDTH = { min: 320, max: 1440 };
export const IMAGE_MAX_BYTES = 8 * 1024 * 1024;

const MB = 1024 * 1024;

export const VIDEO_LIMITS: Record<VideoUse, { minMs: number; maxMs: number; maxBytes: number }> = {
  reel: { minMs: 3_000, maxMs: 15 * 60_000, maxBytes: 300 * MB },
  story: { minMs: 3_000, maxMs: 60_000, maxBytes: 100 * MB },
  carousel: { minMs: 3_000, maxMs: 60_000, maxBytes: 100 * MB },
};

/** Width / height of the displayed picture (§2.7: reels 0.01:1–10:1, stories 0.1:1–10:1). */
export const VIDEO_RATIO: Record<VideoUse, { min: number; max: number }> = {
  reel: { min: 0.01, max: 10 },
  story: { min: 0.1, max: 10 },
  carousel: { min: 0.01, max: 10 },
};

/** What we produce: H.264 within Instagram's limits, whatever came in. */
export const VIDEO_OUTPUT = {
  maxSide: 1920,
  minFps: 23,
  maxFps: 60,
  /** Frame rate for sources below minFps. */
  lowFpsTarget: 30,
  /** Instagram's ceiling is 25 Mbps; we stay well under it. */
  maxVideoBitRate: 10_000_000,
  audioBitRate: 128_000,
  audioSampleRate: 48_000,
  audioChannels: 2,
} as const;

/** Why a file cannot be used; reasonKey is an i18n key under media.*, params fill its placeholders. */
export class MediaRejected extends Error {
  constructor(
    readonly reasonKey: string,
    readonly params: Record<string, string | number> = {},
    options?: { cause?: unknown },
  ) {
    super(reasonKey, options);
    this.name = 'MediaRejected';
  }
}

/** Megabytes and megapixels as people read them: one decimal place, no trailing ".0". */
export const oneDecimal = (value: number): number => Math.round(value * 10) / 10;
export const megabytes = (bytes: number): number => oneDecimal(bytes / MB);
export const megapixels = (pixels: number): number => oneDecimal(pixels / 1_000_000);
