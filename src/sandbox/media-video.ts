// §2.7 video rules. The file is downloaded to a temporary folder and read with ffprobe, run
// with an argument array (execFile, no shell), so nothing in a URL can reach a command line.
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { fetchToFile, MediaFetchError } from './media-fetch.js';
import type { ContainerKind } from './state.js';

const run = promisify(execFile);
const MB = 1024 * 1024;

interface VideoLimits {
  maxBytes: number;
  minSeconds: number;
  maxSeconds: number;
  minRatio: number;
  maxRatio: number;
}

/** Reels from the 2026 table; stories likewise; carousel videos from the older feed-video reference (3–60 s, 100 MB). */
export const VIDEO_LIMITS: Record<'REELS' | 'STORY_VIDEO' | 'CAROUSEL_ITEM_VIDEO', VideoLimits> = {
  REELS: { maxBytes: 300 * MB, minSeconds: 3, maxSeconds: 15 * 60, minRatio: 0.01, maxRatio: 10 },
  STORY_VIDEO: { maxBytes: 100 * MB, minSeconds: 3, maxSeconds: 60, minRatio: 0.1, maxRatio: 10 },
  CAROUSEL_ITEM_VIDEO: { maxBytes: 100 * MB, minSeconds: 3, maxSeconds: 60, minRatio: 0.01, maxRatio: 10 },
};

const VIDEO_CODECS = new Set(['h264', 'hevc']);

/** The subcodes a video container's ERROR status carries (§2.4, §6.3). */
export const VIDEO_SUBCODE = {
  /** Not MOV/MP4, wrong codec, out-of-range duration, size or ratio: "unsupported video format". */
  format: 2207026,
  fetch: 2207052,
  fetchTimeout: 2207003,
  thumbOffset: 2207057,
  /** Anything unexpected while processing. */
  unknown: 2207053,
} as const;

export type VideoOutcome = { ok: true; durationMs: number; thumbnail?: Buffer } | { ok: false; subcode: number };

interface Probe {
  format?: { format_name?: string; duration?: string };
  streams?: Array<{ codec_type?: string; codec_name?: string; width?: number; height?: number; duration?: string }>;
}

async function probe(file: string): Promise<Probe | undefined> {
  try {
    const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file], { timeout: 20_000, maxBuffer: 4 * MB });
    return JSON.parse(stdout) as Probe;
  } catch (error) {
    // No ffprobe at all is our problem, not the video's: let it surface as an unknown failure.
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw error;
    return undefined;
  }
}

const secondsOf = (info: Probe): number => Number(info.format?.duration ?? info.streams?.find((s) => s.codec_type === 'video')?.duration);

/** Whether the probed file breaks a rule; MOV and MP4 share ffprobe's "mov,mp4,…" demuxer. */
function breaksRules(info: Probe, limits: VideoLimits): boolean {
  const formats = (info.format?.format_name ?? '').split(',');
  if (!formats.includes('mov') && !formats.includes('mp4')) return true;
  const streams = info.streams ?? [];
  const video = streams.find((s) => s.codec_type === 'video');
  if (!video || !VIDEO_CODECS.has(video.codec_name ?? '')) return true;
  // A silent video is fine; any sound must be AAC.
  if (streams.some((s) => s.codec_type === 'audio' && s.codec_name !== 'aac')) return true;
  const seconds = secondsOf(info);
  if (!Number.isFinite(seconds) || seconds < limits.minSeconds || seconds > limits.maxSeconds) return true;
  const ratio = (video.width ?? 0) / (video.height || 1);
  return ratio < limits.minRatio || ratio > limits.maxRatio;
}

/** A frame for thumbnail_url; optional, so a failure here leaves the CDN's generated picture. */
async function frameAt(file: string, seconds: number): Promise<Buffer | undefined> {
  const args = ['-v', 'error', '-ss', seconds.toFixed(3), '-i', file, '-frames:v', '1', '-vf', 'scale=540:-2', '-f', 'image2pipe', '-c:v', 'mjpeg', '-'];
  try {
    const { stdout } = await run('ffmpeg', args, { timeout: 20_000, maxBuffer: 8 * MB, encoding: 'buffer' });
    return stdout.length > 0 ? stdout : undefined;
  } catch {
    return undefined;
  }
}

export async function checkVideo(url: string, kind: ContainerKind, options: { timeoutMs: number; thumbOffsetMs?: number }): Promise<VideoOutcome> {
  const limits = VIDEO_LIMITS[kind as keyof typeof VIDEO_LIMITS] ?? VIDEO_LIMITS.REELS;
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qanat-sim-video-'));
  try {
    const file = path.join(dir, 'upload');
    try {
      await fetchToFile(url, file, { maxBytes: limits.maxBytes, timeoutMs: options.timeoutMs });
    } catch (error) {
      if (!(error instanceof MediaFetchError)) throw error;
      if (error.reason === 'too-large') return { ok: false, subcode: VIDEO_SUBCODE.format };
      return { ok: false, subcode: error.reason === 'timeout' ? VIDEO_SUBCODE.fetchTimeout : VIDEO_SUBCODE.fetch };
    }
    const info = await probe(file);
    if (!info || breaksRules(info, limits)) return { ok: false, subcode: VIDEO_SUBCODE.format };
    const durationMs = Math.round(secondsOf(info) * 1000);
    const offsetMs = options.thumbOffsetMs ?? 0;
    if (offsetMs > durationMs) return { ok: false, subcode: VIDEO_SUBCODE.thumbOffset };
    const thumbnail = await frameAt(file, offsetMs / 1000);
    return thumbnail ? { ok: true, durationMs, thumbnail } : { ok: true, durationMs };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
