// Reading a photo safely: the header first (size and format, nothing decoded), so a small file
// that claims a gigantic picture is refused before any memory is spent on it (security.md #21);
// then a real decode, because a truncated or damaged file often has a perfectly good header.
import { stat } from 'node:fs/promises';
import sharp, { type Metadata, type SharpOptions } from 'sharp';
import { MediaRejected, megapixels } from './rules.js';

// Every picture here is new: libvips' operation cache would only hold memory.
sharp.cache(false);

export interface ImageInfo {
  /** After EXIF orientation: a portrait photo stored sideways is reported as portrait. */
  width: number;
  height: number;
  format: string;
  space: string;
  hasAlpha: boolean;
  /** Frames in an animated GIF/WebP/PNG; only the first is used. */
  pages?: number;
}

/**
 * Formats sharp reports for what detectKind lets through. Anything else (svg, pdf, magick, raw
 * camera formats…) is refused even if libvips could render it: SVG can carry script.
 */
const DECODABLE = new Set(['jpeg', 'png', 'webp', 'heif', 'gif', 'tiff']);

/** Options for every decode: the pixel limit as a backstop, and truncated data is an error. */
export function inputOptions(pixelLimit: number): SharpOptions {
  return { limitInputPixels: pixelLimit, failOn: 'truncated', sequentialRead: true };
}

/** A picture that takes longer than this to decode is treated as damaged (or hostile). */
export const DECODE_TIMEOUT = { seconds: 60 };

const tooManyPixels = (pixels: number, pixelLimit: number) => new MediaRejected('media.reason.tooManyPixels', { megapixels: megapixels(pixels), maxMegapixels: megapixels(pixelLimit) });

export interface Header extends ImageInfo {
  /** How the pixels are compressed inside a HEIF container ('hevc' for iPhone photos, 'av1' for AVIF). */
  compression?: string;
}

/** Size and format from the header only; refuses unknown formats and too many pixels. */
export async function readHeader(file: string, pixelLimit: number): Promise<Header> {
  await stat(file); // a missing file is our problem, not the picture's: let ENOENT through
  let meta: Metadata;
  try {
    // The limit is checked below with the numbers in hand, so the message can say them;
    // reading the header decodes no pixels.
    meta = await sharp(file, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw new MediaRejected('media.reason.corruptImage', {}, { cause: error });
  }
  if (!DECODABLE.has(meta.format)) throw new MediaRejected('media.reason.unsupportedType');
  const { width, height } = meta;
  if (!width || !height) throw new MediaRejected('media.reason.corruptImage');
  if (width * height > pixelLimit) throw tooManyPixels(width * height, pixelLimit);
  const header: Header = {
    width: meta.autoOrient.width,
    height: meta.autoOrient.height,
    format: meta.format,
    space: meta.space ?? 'srgb',
    hasAlpha: meta.hasAlpha,
    pages: meta.pages ?? 1,
  };
  if (meta.compression) header.compression = meta.compression;
  return header;
}

/** Turns a sharp failure while decoding into the reason a person is shown. */
export function decodeFailure(error: unknown, header: Header, pixelLimit: number): MediaRejected {
  if (error instanceof MediaRejected) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (message.includes('pixel limit')) return tooManyPixels(header.width * header.height, pixelLimit);
  // iPhone photos (HEIC) need an HEVC decoder, which sharp's own libvips build leaves out.
  if (header.format === 'heif' && header.compression === 'hevc') return new MediaRejected('media.reason.heicUnsupported', {}, { cause: error });
  return new MediaRejected('media.reason.corruptImage', {}, { cause: error });
}

/** Header checks plus a real decode (to a thumbnail, so it is quick) that catches truncated files. */
export async function inspectImage(file: string, pixelLimit: number): Promise<ImageInfo> {
  const header = await readHeader(file, pixelLimit);
  try {
    await sharp(file, inputOptions(pixelLimit)).resize(64, 64, { fit: 'inside' }).timeout(DECODE_TIMEOUT).raw().toBuffer();
  } catch (error) {
    throw decodeFailure(error, header, pixelLimit);
  }
  const { compression: _compression, ...info } = header;
  return info;
}
