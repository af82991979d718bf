// Whether a probed video can be used for a reel, story or carousel (§2.7): refused outright for
// what no conversion can fix (length, shape, no picture), otherwise the list of things
// transcodeVideo will change, each an i18n key the person is shown.
import { MediaRejected, VIDEO_LIMITS, VIDEO_OUTPUT, VIDEO_RATIO, type VideoUse } from './rules.js';
import type { VideoProbe } from './video-probe.js';

export interface VideoCheck {
  rejection?: MediaRejected;
  /** i18n keys under media.transcode.*; empty when a lossless repackaging is enough. */
  transcodeReasons: string[];
}

/** No real upload lasts a day: a longer (or negative, or missing) length is a broken header. */
const ABSURD_MS = 24 * 3_600_000;
/** Instagram's ceiling on the video bit rate. */
const MAX_BIT_RATE = 25_000_000;
/** 23.976 and 59.94 fps are within 23–60. */
const FPS_SLACK = 0.01;

/** Reasons that only a new encoding of the picture fixes; the others are met by copying it. */
const VIDEO_REASONS = new Set([
  'media.transcode.codec',
  'media.transcode.pixelFormat',
  'media.transcode.interlaced',
  'media.transcode.pixelShape',
  'media.transcode.tooWide',
  'media.transcode.frameRate',
  'media.transcode.bitRate',
  'media.transcode.fileSize',
]);

export const needsVideoEncode = (reasons: string[]): boolean => reasons.some((r) => VIDEO_REASONS.has(r));
export const needsAudioEncode = (reasons: string[]): boolean => reasons.includes('media.transcode.audio');

/** "1 min 5 s" as numbers for the message; rounded up, so a 60.4 s video is not "60 s, at most 60 s". */
function minutesAndSeconds(ms: number): { minutes: number; seconds: number } {
  const total = Math.ceil(ms / 1000);
  return { minutes: Math.floor(total / 60), seconds: total % 60 };
}

function tooLong(probe: VideoProbe, use: VideoUse): MediaRejected {
  const { minutes, seconds } = minutesAndSeconds(probe.durationMs);
  const maxMs = VIDEO_LIMITS[use].maxMs;
  if (use === 'reel') return new MediaRejected('media.reason.reelTooLong', { minutes, seconds, maxMinutes: maxMs / 60_000 });
  if (use === 'story') return new MediaRejected('media.reason.storyTooLong', { minutes, seconds, maxSeconds: maxMs / 1000 });
  return new MediaRejected('media.reason.carouselVideoTooLong', { minutes, seconds, maxSeconds: maxMs / 1000 });
}

function rejectionFor(probe: VideoProbe, use: VideoUse): MediaRejected | undefined {
  const limits = VIDEO_LIMITS[use];
  if (!probe.videoCodec) return new MediaRejected('media.reason.noVideoStream');
  const ms = probe.durationMs;
  if (!Number.isFinite(ms) || ms <= 0 || ms > ABSURD_MS) return new MediaRejected('media.reason.durationUnknown');
  // Rounded down, so a 2.96 s video is not "3 s, needs at least 3 s".
  if (ms < limits.minMs) return new MediaRejected('media.reason.videoTooShort', { seconds: Math.floor(ms / 100) / 10, minSeconds: limits.minMs / 1000 });
  if (ms > limits.maxMs) return tooLong(probe, use);
  const ratio = probe.width / probe.height;
  const range = VIDEO_RATIO[use];
  if (!(ratio >= range.min && ratio <= range.max)) return new MediaRejected('media.reason.videoShape', { width: probe.width, height: probe.height });
  return undefined;
}

function transcodeReasons(probe: VideoProbe, use: VideoUse): string[] {
  const reasons: string[] = [];
  if (!probe.formats.includes('mp4') && !probe.formats.includes('mov')) reasons.push('media.transcode.container');
  if (probe.videoCodec !== 'h264') reasons.push('media.transcode.codec');
  else if (probe.pixFmt !== 'yuv420p') reasons.push('media.transcode.pixelFormat');
  if (probe.interlaced) reasons.push('media.transcode.interlaced');
  if (probe.sampleAspect !== undefined && probe.sampleAspect !== 1) reasons.push('media.transcode.pixelShape');
  if (Math.max(probe.width, probe.height) > VIDEO_OUTPUT.maxSide) reasons.push('media.transcode.tooWide');
  if (!(probe.fps >= VIDEO_OUTPUT.minFps - FPS_SLACK && probe.fps <= VIDEO_OUTPUT.maxFps + FPS_SLACK)) reasons.push('media.transcode.frameRate');
  if (probe.bitRate > MAX_BIT_RATE) reasons.push('media.transcode.bitRate');
  if (probe.bytes > VIDEO_LIMITS[use].maxBytes) reasons.push('media.transcode.fileSize');
  const audioOk = probe.audioCodec === 'aac' && (probe.audioSampleRate ?? 0) <= VIDEO_OUTPUT.audioSampleRate && (probe.audioChannels ?? 0) <= VIDEO_OUTPUT.audioChannels;
  if (probe.hasAudio && !audioOk) reasons.push('media.transcode.audio');
  return reasons;
}

export function checkVideo(probe: VideoProbe, use: VideoUse): VideoCheck {
  const rejection = rejectionFor(probe, use);
  return rejection ? { rejection, transcodeReasons: [] } : { transcodeReasons: transcodeReasons(probe, use) };
}
