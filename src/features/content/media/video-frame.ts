// A still from a video: the poster the composer shows, and a reel cover (§2.7: JPEG, sRGB).
import sharp, { type OutputInfo } from 'sharp';
import { writeAtomically } from './files.js';
import { IMAGE_WIDTH, MediaRejected } from './rules.js';
import { fileArg, isMissingTool, runTool } from './tools.js';
import { probeVideo } from './video-probe.js';

const FRAME_TIMEOUT_MS = 30_000;
/** Seeking to the very last millisecond can land past the last frame. */
const END_MARGIN_MS = 100;

/** One frame at `ms` as PNG bytes (empty when there is no frame there). */
async function grab(video: string, ms: number, width: number): Promise<Buffer> {
  const scale = width > IMAGE_WIDTH.max ? ['-vf', `scale=${IMAGE_WIDTH.max}:-2`] : [];
  const args = ['-hide_banner', '-nostdin', '-v', 'error', '-ss', (ms / 1000).toFixed(3), '-i', fileArg(video), '-map', '0:V:0', '-frames:v', '1', ...scale, '-f', 'image2pipe', '-c:v', 'png', 'pipe:1'];
  return runTool('ffmpeg', args, { timeoutMs: FRAME_TIMEOUT_MS, maxOutputBytes: 64 * 1024 * 1024 });
}

/** A JPEG poster frame (sRGB, at most 1440 wide); atMs is clamped inside the video. */
export async function extractFrame(video: string, dest: string, atMs: number): Promise<{ width: number; height: number }> {
  const probe = await probeVideo(video);
  if (!probe.videoCodec) throw new MediaRejected('media.reason.noVideoStream');
  const lastMs = Number.isFinite(probe.durationMs) ? Math.max(0, probe.durationMs - END_MARGIN_MS) : 0;
  const at = Math.min(Math.max(0, Number.isFinite(atMs) ? atMs : 0), lastMs);
  let jpeg: { data: Buffer; info: OutputInfo };
  try {
    let png = await grab(video, at, probe.width);
    if (png.length === 0 && at > 0) png = await grab(video, 0, probe.width);
    if (png.length === 0) throw new Error('ffmpeg produced no frame');
    jpeg = await sharp(png)
      .resize({ width: IMAGE_WIDTH.max, withoutEnlargement: true })
      .toColourspace('srgb')
      .jpeg({ quality: 90, progressive: false, chromaSubsampling: '4:2:0' })
      .toBuffer({ resolveWithObject: true });
  } catch (error) {
    if (isMissingTool(error)) throw error;
    throw new MediaRejected('media.reason.corruptVideo', {}, { cause: error });
  }
  await writeAtomically(dest, jpeg.data);
  return { width: jpeg.info.width, height: jpeg.info.height };
}
