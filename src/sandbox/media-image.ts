// §2.7 image rules, checked on the downloaded bytes as Instagram checks them: JPEG by its magic
// bytes (never by the URL's extension or Content-Type), 8 MiB, and the feed aspect ratio.
import sharp from 'sharp';
import { mediaErrors } from './media-errors.js';
import { fetchToBuffer, MediaFetchError } from './media-fetch.js';

export const IMAGE_MAX_BYTES = 8 * 1024 * 1024;
/** 4:5 (portrait) to 1.91:1 (landscape); widths outside 320–1440 are scaled, not refused. */
export const FEED_RATIO = { min: 4 / 5, max: 1.91 };

export interface CheckedImage {
  bytes: Buffer;
  width: number;
  height: number;
}

const isJpeg = (b: Buffer): boolean => b.length > 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** MPO (multi-picture, stereo cameras) is a JPEG with an APP2 "MPF" segment; Instagram refuses it. */
function isMpo(b: Buffer): boolean {
  let at = 2;
  while (at + 4 <= b.length && b[at] === 0xff) {
    const marker = b[at + 1];
    if (marker === 0xda || marker === 0xd9) return false; // image data starts: no more headers
    const length = b.readUInt16BE(at + 2);
    if (marker === 0xe2 && b.toString('latin1', at + 4, at + 8) === 'MPF\0') return true;
    at += 2 + length;
  }
  return false;
}

export function mediaFetchError(error: unknown): Error {
  if (!(error instanceof MediaFetchError)) return error as Error;
  if (error.reason === 'too-large') return mediaErrors.imageTooLarge();
  return error.reason === 'timeout' ? mediaErrors.fetchTimedOut() : mediaErrors.fetchFailed();
}

/** Downloads and checks an image; throws the Graph error for the first rule it breaks. */
export async function checkImage(url: string, options: { feedRatio: boolean; timeoutMs: number }): Promise<CheckedImage> {
  let bytes: Buffer;
  try {
    bytes = await fetchToBuffer(url, { maxBytes: IMAGE_MAX_BYTES, timeoutMs: options.timeoutMs });
  } catch (error) {
    throw mediaFetchError(error);
  }
  if (!isJpeg(bytes) || isMpo(bytes)) throw mediaErrors.imageFormat();
  let width: number;
  let height: number;
  try {
    // autoOrient: a portrait photo stored sideways with an EXIF rotation is a portrait photo.
    ({ width, height } = (await sharp(bytes).metadata()).autoOrient);
  } catch {
    throw mediaErrors.imageFormat();
  }
  if (options.feedRatio) {
    const ratio = width / height;
    if (ratio < FEED_RATIO.min - 1e-9 || ratio > FEED_RATIO.max + 1e-9) throw mediaErrors.aspectRatio();
  }
  return { bytes, width, height };
}
