// Turning an accepted video into the file Instagram gets: repackaged as-is when nothing needs
// changing (no quality lost), otherwise encoded to H.264/AAC within §2.7's limits. Always MP4
// with the index (moov) at the front and no edit lists, with every metadata tag removed
// (phones record the place a video was shot).
import { rename, stat } from 'node:fs/promises';
import { removeTemp, tempPathFor } from './files.js';
import { MediaRejected, VIDEO_LIMITS, VIDEO_OUTPUT, megabytes, type VideoUse } from './rules.js';
import { checkVideo, needsAudioEncode, needsVideoEncode } from './video-check.js';
import { probeVideo, type VideoProbe } from './video-probe.js';
import { fileArg, isMissingTool, runTool } from './tools.js';

/** Room for the MP4 index and the audio's own bit rate when sharing out the byte limit. */
const SIZE_HEADROOM = 0.92;
/** The output may lose a fraction of a frame at either end, never whole seconds. */
const DURATION_SLACK_MS = 1_500;

/** A stuck ffmpeg must not hold a job forever: 10 minutes plus four times the video's length. */
const BASE_TIMEOUT_MS = 10 * 60_000;

const even = (n: number): number => Math.max(2, 2 * Math.floor(n / 2));

/** The displayed size scaled so the longest side is at most 1920, both sides even (4:2:0 needs it). */
export function outputSize(probe: Pick<VideoProbe, 'width' | 'height'>): { width: number; height: number } {
  const scale = Math.min(1, VIDEO_OUTPUT.maxSide / Math.max(probe.width, probe.height));
  return { width: even(probe.width * scale), height: even(probe.height * scale) };
}

/** Above 60 fps → 60; below 23 (or unknown) → 30; otherwise unchanged (undefined). */
export function outputFps(fps: number): number | undefined {
  if (fps > VIDEO_OUTPUT.maxFps + 0.01) return VIDEO_OUTPUT.maxFps;
  if (!(fps >= VIDEO_OUTPUT.minFps - 0.01)) return VIDEO_OUTPUT.lowFpsTarget;
  return undefined;
}

/** The video bit rate cap: 10 Mbps, or less when the use's byte limit demands it for this length. */
export function maxVideoBitRate(probe: VideoProbe, use: VideoUse): number {
  const seconds = Math.max(1, probe.durationMs / 1000);
  const budget = (VIDEO_LIMITS[use].maxBytes * 8 * SIZE_HEADROOM) / seconds - (probe.hasAudio ? VIDEO_OUTPUT.audioBitRate : 0);
  return Math.max(100_000, Math.floor(Math.min(VIDEO_OUTPUT.maxVideoBitRate, budget)));
}

function videoArgs(probe: VideoProbe, use: VideoUse): string[] {
  const size = outputSize(probe);
  const fps = outputFps(probe.fps);
  // ffmpeg has already turned sideways phone video upright (autorotate) before these filters run.
  const filters = [...(probe.interlaced ? ['yadif'] : []), `scale=${size.width}:${size.height}`, 'setsar=1', ...(fps ? [`fps=${fps}`] : []), 'format=yuv420p'];
  const gop = Math.round(2 * (fps ?? (probe.fps || VIDEO_OUTPUT.lowFpsTarget)));
  const maxRate = maxVideoBitRate(probe, use);
  return [
    '-vf', filters.join(','),
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    // Constant quality, capped: simple scenes stay small, busy ones never pass the cap.
    '-crf', '21', '-maxrate', String(maxRate), '-bufsize', String(2 * maxRate),
    // A key frame every 2 s, each GOP closed (§2.7).
    '-g', String(gop), '-flags', '+cgop',
  ];
}

function audioArgs(probe: VideoProbe): string[] {
  const channels = Math.min(probe.audioChannels ?? VIDEO_OUTPUT.audioChannels, VIDEO_OUTPUT.audioChannels);
  return ['-c:a', 'aac', '-b:a', String(VIDEO_OUTPUT.audioBitRate), '-ar', String(VIDEO_OUTPUT.audioSampleRate), '-ac', String(channels)];
}

export function ffmpegArgs(source: string, temp: string, probe: VideoProbe, use: VideoUse, reasons: string[]): string[] {
  // AVI keeps no proper timestamps for H.264 with B-frames: copying it into MP4 breaks, so encode.
  const encodeVideo = needsVideoEncode(reasons) || probe.formats.includes('avi');
  const encodeAudio = probe.hasAudio && (encodeVideo || needsAudioEncode(reasons));
  return [
    '-hide_banner', '-nostdin', '-v', 'error', '-y',
    '-i', fileArg(source),
    // V (capital): the first real video stream, never cover art; audio only if there is some.
    '-map', '0:V:0', '-map', '0:a:0?',
    '-map_metadata', '-1', '-map_chapters', '-1', '-sn', '-dn',
    ...(encodeVideo ? videoArgs(probe, use) : ['-c:v', 'copy']),
    ...(!probe.hasAudio ? ['-an'] : encodeAudio ? audioArgs(probe) : ['-c:a', 'copy']),
    '-movflags', '+faststart', '-use_editlist', '0', '-max_muxing_queue_size', '1024',
    '-progress', 'pipe:1', '-nostats',
    '-f', 'mp4', fileArg(temp),
  ];
}

const failed = (cause: unknown): MediaRejected => new MediaRejected('media.reason.transcodeFailed', {}, { cause });

/** What we wrote must be what we meant: the right size, H.264, and as long as the source. */
async function verify(temp: string, source: VideoProbe, use: VideoUse): Promise<void> {
  const { size } = await stat(temp);
  const maxBytes = VIDEO_LIMITS[use].maxBytes;
  if (size > maxBytes) throw new MediaRejected('media.reason.videoTooLarge', { mb: megabytes(maxBytes) });
  const result = await probeVideo(temp).catch((error: unknown) => {
    throw failed(error);
  });
  if (result.videoCodec !== 'h264') throw failed(new Error(`output video is ${result.videoCodec || 'missing'}`));
  // A source whose index promises more than its data holds (cut off in transfer) comes out short:
  // ffmpeg copes with the damage and exits 0, so this is where it shows.
  const slack = Math.max(DURATION_SLACK_MS, source.durationMs * 0.05);
  if (!(Math.abs(result.durationMs - source.durationMs) <= slack)) {
    throw new MediaRejected('media.reason.corruptVideo', {}, { cause: new Error(`output lasts ${result.durationMs} ms; the source claims ${source.durationMs} ms`) });
  }
}

export async function transcodeVideo(source: string, dest: string, probe: VideoProbe, use: VideoUse, onProgress: (fraction: number) => void, signal?: AbortSignal): Promise<void> {
  const check = checkVideo(probe, use);
  if (check.rejection) throw check.rejection;
  const temp = tempPathFor(dest);
  const totalUs = probe.durationMs * 1000;
  const onLine = (line: string) => {
    const [key, value] = line.split('=');
    if (key === 'out_time_us' && Number(value) >= 0) onProgress(Math.min(1, Number(value) / totalUs));
    else if (key === 'progress' && value === 'end') onProgress(1);
  };
  try {
    const timeoutMs = BASE_TIMEOUT_MS + 4 * probe.durationMs;
    await runTool('ffmpeg', ffmpegArgs(source, temp, probe, use, check.transcodeReasons), { onLine, timeoutMs, ...(signal ? { signal } : {}) });
    await verify(temp, probe, use);
    await rename(temp, dest);
  } catch (error) {
    await removeTemp(temp);
    if (isMissingTool(error) || error instanceof MediaRejected) throw error;
    throw failed(error);
  }
}
