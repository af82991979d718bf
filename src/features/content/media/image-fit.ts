// The geometry of a prepared photo: which shape it gets, which part of the source is kept (crop)
// or where the source sits on a larger canvas (pad), and the output size. Pure arithmetic, so the
// composer can preview exactly what prepareImage will produce.
import { FEED_RATIO, IMAGE_WIDTH, STORY_RATIO, type ImageUse } from './rules.js';

export type FitMode = 'keep' | 'crop' | 'pad';

export interface Fit {
  mode: FitMode;
  /** The point to keep in view when cropping, 0..1 from the left / top; 0.5 is the centre. */
  focusX: number;
  focusY: number;
  /** 'blur' (the photo itself, blurred, behind it) or a solid '#rrggbb' colour. */
  background: 'blur' | string;
}

export const DEFAULT_FIT: Fit = { mode: 'crop', focusX: 0.5, focusY: 0.5, background: 'blur' };

interface Size {
  width: number;
  height: number;
}

/** Carousel items are cropped by Instagram to the first item's shape; within 1% nobody sees it. */
const SAME_SHAPE_TOLERANCE = 0.01;
/** The shapes a story keeps as they are (the contract's story-video range); beyond them it is cropped. */
export const STORY_KEEP_RATIO = { min: 0.1, max: 10 };
/** Float noise: 1080/1350 computed two ways must compare equal. */
const EPSILON = 1e-9;

const clamp = (value: number, min: number, max: number): number => Math.min(max, Math.max(min, value));
const inFeedRange = (ratio: number): boolean => ratio >= FEED_RATIO.min - EPSILON && ratio <= FEED_RATIO.max + EPSILON;
const sameShape = (a: number, b: number): boolean => Math.abs(a / b - 1) <= SAME_SHAPE_TOLERANCE;

/** The aspect ratio (w/h) the prepared image will have. */
export function outputRatio(info: Size, use: ImageUse, fit: Fit, fixedRatio?: number): number {
  const source = info.width / info.height;
  if (fixedRatio !== undefined) {
    // Already within 1%: keep the photo whole, nudged into the feed range if it sits on an edge.
    return fit.mode === 'keep' && sameShape(source, fixedRatio) ? clamp(source, FEED_RATIO.min, FEED_RATIO.max) : fixedRatio;
  }
  // A story kept as it is may have any sane shape; a 1:100 sliver would be a 144 000 px tall file.
  if (use === 'story') return fit.mode === 'keep' ? clamp(source, STORY_KEEP_RATIO.min, STORY_KEEP_RATIO.max) : STORY_RATIO;
  return clamp(source, FEED_RATIO.min, FEED_RATIO.max);
}

/** True when the person must choose crop or pad: Instagram would refuse the photo as it is. */
export function needsFit(info: Size, use: ImageUse, fixedRatio?: number): boolean {
  const source = info.width / info.height;
  if (fixedRatio !== undefined) return !sameShape(source, fixedRatio);
  return use === 'feed' && !inFeedRange(source);
}

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

export interface FitPlan {
  /** What is actually done: 'keep' when the source already has the output's shape. */
  mode: FitMode;
  /** The part of the (orientation-corrected) source that is used: all of it unless cropping. */
  crop: Box;
  /** The output size. */
  width: number;
  height: number;
  /** Where the scaled source lands in the output; the whole output unless padding. */
  content: Box;
  /** The source had to be enlarged to reach Instagram's minimum width. */
  upscaled: boolean;
  /** 'keep' was asked for but the shape is not allowed, so the photo was cropped. */
  keptShapeCropped: boolean;
}

/** An output height for this width and ratio that stays inside the feed range after rounding. */
function heightFor(width: number, ratio: number, feed: boolean): number {
  let height = Math.max(1, Math.round(width / ratio));
  if (feed && width / height > FEED_RATIO.max + EPSILON) height += 1;
  if (feed && width / height < FEED_RATIO.min - EPSILON && height > 1) height -= 1;
  return height;
}

/** A box of the given size centred on the focal point, then pushed back inside the image. */
function cropBox(source: Size, width: number, height: number, fit: Fit): Box {
  const fx = clamp(Number.isFinite(fit.focusX) ? fit.focusX : 0.5, 0, 1);
  const fy = clamp(Number.isFinite(fit.focusY) ? fit.focusY : 0.5, 0, 1);
  return {
    left: clamp(Math.round(fx * source.width - width / 2), 0, source.width - width),
    top: clamp(Math.round(fy * source.height - height / 2), 0, source.height - height),
    width,
    height,
  };
}

export function planFit(source: Size, use: ImageUse, fit: Fit, fixedRatio?: number): FitPlan {
  const ratio = outputRatio(source, use, fit, fixedRatio);
  const sourceRatio = source.width / source.height;
  const feed = use === 'feed' || fixedRatio !== undefined;
  const whole: Box = { left: 0, top: 0, width: source.width, height: source.height };
  const reshape = Math.abs(sourceRatio / ratio - 1) > 0.001;
  const mode: FitMode = !reshape ? 'keep' : fit.mode === 'pad' ? 'pad' : 'crop';

  // The output frame measured in source pixels, before scaling to the allowed width.
  let frame: Size = source;
  let crop = whole;
  if (mode === 'crop') {
    const wide = sourceRatio > ratio;
    const width = wide ? clamp(Math.round(source.height * ratio), 1, source.width) : source.width;
    const height = wide ? source.height : clamp(Math.round(source.width / ratio), 1, source.height);
    crop = cropBox(source, width, height, fit);
    frame = crop;
  } else if (mode === 'pad') {
    frame = sourceRatio > ratio ? { width: source.width, height: source.width / ratio } : { width: source.height * ratio, height: source.height };
  }

  const width = clamp(Math.round(frame.width), IMAGE_WIDTH.min, IMAGE_WIDTH.max);
  // The frame's own ratio, not the target's: a 338×600 crop stays 338×600 rather than stretching by a pixel.
  const height = heightFor(width, frame.width / frame.height, feed);
  const scale = width / frame.width;
  let content: Box = { left: 0, top: 0, width, height };
  if (mode === 'pad') {
    const w = clamp(Math.round(source.width * scale), 1, width);
    const h = clamp(Math.round(source.height * scale), 1, height);
    content = { left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h };
  }
  return { mode, crop, width, height, content, upscaled: scale > 1 + EPSILON, keptShapeCropped: fit.mode === 'keep' && mode === 'crop' };
}
