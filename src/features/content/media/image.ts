// Photos as Instagram wants them (§2.7): a baseline sRGB JPEG of 320–1440 px width in an allowed
// shape, under 8 MB, with no metadata (no GPS, no camera serial, no ICC profile) — whatever came in.
import sharp, { type Sharp, type SharpOptions } from 'sharp';
import { writeAtomically } from './files.js';
import { planFit, type Box, type Fit, type FitPlan } from './image-fit.js';
import { DECODE_TIMEOUT, decodeFailure, inputOptions, readHeader } from './image-inspect.js';
import { IMAGE_MAX_BYTES, MediaRejected, megabytes, type ImageUse } from './rules.js';

export { inspectImage, type ImageInfo } from './image-inspect.js';
export { DEFAULT_FIT, needsFit, outputRatio, planFit, type Fit, type FitMode, type FitPlan } from './image-fit.js';

export interface PrepareImageOptions {
  use: ImageUse;
  fit: Fit;
  /** The first carousel item's ratio, for every item after it. */
  fixedRatio?: number;
  pixelLimit: number;
}

export interface PreparedImage {
  width: number;
  height: number;
  bytes: number;
  /** i18n keys such as 'media.warning.upscaled'. */
  warnings: string[];
}

interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

/** Highest first: Instagram re-compresses anyway, so we start near-lossless and step down only for size. */
const QUALITIES = [90, 80, 70, 60, 50, 40];
const WHITE = '#ffffff';
const HEX_COLOUR = /^#[0-9a-f]{6}$/i;

const rawInput = (p: Pixels): SharpOptions => ({ raw: { width: p.width, height: p.height, channels: p.channels } });

async function pixelsOf(pipeline: Sharp): Promise<Pixels> {
  const { data, info } = await pipeline.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  // Grey and grey+alpha pictures arrive here already as sRGB (toColourspace), so 1 or 2 is a bug.
  if (info.channels !== 3 && info.channels !== 4) throw new Error(`expected RGB or RGBA pixels, got ${info.channels} channels`);
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** The used part of the source, upright, in sRGB, at its final size (alpha kept for now). */
function scaledSource(source: string, plan: FitPlan, size: Box, pixelLimit: number, alpha: boolean): Promise<Pixels> {
  let pipeline = sharp(source, inputOptions(pixelLimit)).autoOrient();
  if (plan.mode === 'crop') pipeline = pipeline.extract(plan.crop);
  pipeline = pipeline.resize(size.width, size.height, { fit: 'fill' }).toColourspace('srgb').timeout(DECODE_TIMEOUT);
  return pixelsOf(alpha ? pipeline.ensureAlpha() : pipeline.removeAlpha());
}

/** Whether any pixel is at least partly see-through (an alpha channel alone proves nothing). */
function hasTransparency(p: Pixels): boolean {
  if (p.channels !== 4) return false;
  for (let i = 3; i < p.data.length; i += 4) if ((p.data[i] as number) < 255) return true;
  return false;
}

async function flattened(p: Pixels): Promise<Pixels> {
  return p.channels === 3 ? p : pixelsOf(sharp(p.data, rawInput(p)).flatten({ background: WHITE }));
}

/** The canvas behind a padded photo: a solid colour, or the photo itself blurred and darkened. */
async function background(content: Pixels, plan: FitPlan, fill: string): Promise<Sharp> {
  if (fill !== 'blur') return sharp({ create: { width: plan.width, height: plan.height, channels: 3, background: fill } });
  // Blurring a small copy and enlarging it looks the same as a huge blur and costs far less.
  const small = { width: Math.max(1, Math.round(plan.width / 8)), height: Math.max(1, Math.round(plan.height / 8)) };
  const sigma = Math.max(2, Math.max(small.width, small.height) / 20);
  const blurred = await pixelsOf(sharp(content.data, rawInput(content)).resize(small.width, small.height, { fit: 'cover' }).blur(sigma).linear(0.8, 0));
  return sharp(blurred.data, rawInput(blurred)).resize(plan.width, plan.height, { fit: 'fill' });
}

async function render(source: string, plan: FitPlan, fit: Fit, pixelLimit: number, alpha: boolean): Promise<{ pixels: Pixels; transparent: boolean }> {
  const scaled = await scaledSource(source, plan, plan.content, pixelLimit, alpha);
  const transparent = hasTransparency(scaled);
  const content = await flattened(scaled);
  if (plan.mode !== 'pad') return { pixels: content, transparent };
  const canvas = await background(content, plan, fit.background);
  const composed = canvas.composite([{ input: content.data, raw: { width: content.width, height: content.height, channels: content.channels }, left: plan.content.left, top: plan.content.top }]);
  return { pixels: await pixelsOf(composed), transparent };
}

/** Baseline JPEG at the highest quality that fits in 8 MB. */
async function encode(p: Pixels): Promise<{ jpeg: Buffer; quality: number }> {
  for (const quality of QUALITIES) {
    const jpeg = await sharp(p.data, rawInput(p)).jpeg({ quality, progressive: false, chromaSubsampling: '4:2:0', mozjpeg: false }).toBuffer();
    if (jpeg.length <= IMAGE_MAX_BYTES) return { jpeg, quality };
  }
  throw new MediaRejected('media.reason.imageTooLarge', { maxMegabytes: megabytes(IMAGE_MAX_BYTES) });
}

export async function prepareImage(source: string, dest: string, options: PrepareImageOptions): Promise<PreparedImage> {
  if (options.fit.background !== 'blur' && !HEX_COLOUR.test(options.fit.background)) throw new TypeError(`fit.background must be 'blur' or #rrggbb, not ${options.fit.background}`);
  const header = await readHeader(source, options.pixelLimit);
  const plan = planFit(header, options.use, options.fit, options.fixedRatio);
  let rendered: { pixels: Pixels; transparent: boolean };
  try {
    rendered = await render(source, plan, options.fit, options.pixelLimit, header.hasAlpha);
  } catch (error) {
    throw decodeFailure(error, header, options.pixelLimit);
  }
  const { jpeg, quality } = await encode(rendered.pixels);
  await writeAtomically(dest, jpeg);

  const warnings: string[] = [];
  if (plan.upscaled) warnings.push('media.warning.upscaled');
  if (plan.keptShapeCropped) warnings.push('media.warning.croppedToFit');
  if (header.space === 'cmyk') warnings.push('media.warning.cmykConverted');
  if (rendered.transparent) warnings.push('media.warning.transparencyFilled');
  if ((header.pages ?? 1) > 1) warnings.push('media.warning.firstFrameOnly');
  if (quality < (QUALITIES[0] as number)) warnings.push('media.warning.compressed');
  return { width: plan.width, height: plan.height, bytes: jpeg.length, warnings };
}
