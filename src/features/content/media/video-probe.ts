// What is inside a video file, as ffprobe reads it. A file ffprobe cannot read (damaged,
// truncated, not a video at all) is refused here; whether a readable video suits Instagram is
// decided by checkVideo.
import { stat } from 'node:fs/promises';
import { z } from 'zod';
import { MediaRejected } from './rules.js';
import { fileArg, isMissingTool, runTool } from './tools.js';

export interface VideoProbe {
  /** ffprobe's demuxer names: "mov,mp4,m4a,3gp,3g2,mj2" for MP4 and MOV, "matroska,webm", "avi"… */
  formats: string[];
  /** '' when there is no video stream. */
  videoCodec: string;
  pixFmt: string;
  /** As displayed: rotation and non-square pixels applied. */
  width: number;
  height: number;
  fps: number;
  /** NaN when the file does not say. */
  durationMs: number;
  /** Bits per second of the video stream (of the whole file if the stream does not say); 0 if unknown. */
  bitRate: number;
  hasAudio: boolean;
  audioCodec?: string;
  audioSampleRate?: number;
  audioChannels?: number;
  bytes: number;
  /** Stored sideways (phones do this) and turned by a display matrix: 90, 180 or 270. */
  rotation?: number;
  /** Pixel width / pixel height when pixels are not square (old camcorders, some exports). */
  sampleAspect?: number;
  interlaced?: boolean;
}

const PROBE_TIMEOUT_MS = 30_000;

const stream = z.object({
  codec_type: z.string().optional(),
  codec_name: z.string().optional(),
  pix_fmt: z.string().optional(),
  width: z.number().optional(),
  height: z.number().optional(),
  sample_aspect_ratio: z.string().optional(),
  field_order: z.string().optional(),
  avg_frame_rate: z.string().optional(),
  r_frame_rate: z.string().optional(),
  duration: z.string().optional(),
  bit_rate: z.string().optional(),
  sample_rate: z.string().optional(),
  channels: z.number().optional(),
  disposition: z.object({ attached_pic: z.number().optional() }).optional(),
  tags: z.record(z.string(), z.string()).optional(),
  side_data_list: z.array(z.object({ rotation: z.number().optional() })).optional(),
});

const probeOutput = z.object({
  streams: z.array(stream).default([]),
  format: z.object({ format_name: z.string().optional(), duration: z.string().optional(), bit_rate: z.string().optional() }).optional(),
});

type Stream = z.infer<typeof stream>;

/** "30000/1001" → 29.97; "0/0" or nonsense → 0. */
function rate(value: string | undefined): number {
  const [num, den] = (value ?? '').split('/').map(Number);
  return num && den && Number.isFinite(num / den) ? num / den : 0;
}

const numberOr = (value: string | undefined, fallback: number): number => {
  const n = Number(value);
  return value !== undefined && value !== '' && Number.isFinite(n) ? n : fallback;
};

function rotationOf(s: Stream): number {
  const degrees = s.side_data_list?.find((d) => d.rotation !== undefined)?.rotation ?? numberOr(s.tags?.['rotate'], 0);
  return (((Math.round(degrees / 90) * 90) % 360) + 360) % 360;
}

async function runProbe(file: string): Promise<z.infer<typeof probeOutput>> {
  let stdout: Buffer;
  try {
    const args = ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', fileArg(file)];
    stdout = await runTool('ffprobe', args, { timeoutMs: PROBE_TIMEOUT_MS, maxOutputBytes: 4 * 1024 * 1024 });
  } catch (error) {
    if (isMissingTool(error)) throw error;
    throw new MediaRejected('media.reason.corruptVideo', {}, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(stdout.toString('utf8') || '{}');
  } catch (error) {
    throw new MediaRejected('media.reason.corruptVideo', {}, { cause: error });
  }
  const parsed = probeOutput.safeParse(json);
  if (!parsed.success) throw new MediaRejected('media.reason.corruptVideo', {}, { cause: parsed.error });
  return parsed.data;
}

export async function probeVideo(file: string): Promise<VideoProbe> {
  const { size } = await stat(file); // a missing file is our problem: let ENOENT through
  const info = await runProbe(file);
  // Cover art inside an MP4 or MKV is a "video" stream of one picture: not the video.
  const video = info.streams.find((s) => s.codec_type === 'video' && !s.disposition?.attached_pic);
  const audio = info.streams.find((s) => s.codec_type === 'audio');
  if (video && (!video.width || !video.height)) throw new MediaRejected('media.reason.corruptVideo');
  // A picture in a codec this ffmpeg has no decoder for: there is a video, it just cannot be converted.
  if (video && !video.codec_name) throw new MediaRejected('media.reason.transcodeFailed');

  const rotation = video ? rotationOf(video) : 0;
  const sar = rate(video?.sample_aspect_ratio?.replace(':', '/'));
  const sampleAspect = sar > 0 && Math.abs(sar - 1) > 0.01 ? sar : 1;
  const storedWidth = Math.round((video?.width ?? 0) * sampleAspect);
  const storedHeight = video?.height ?? 0;
  const sideways = rotation === 90 || rotation === 270;
  const seconds = numberOr(info.format?.duration, numberOr(video?.duration, NaN));

  const probe: VideoProbe = {
    formats: (info.format?.format_name ?? '').split(',').filter(Boolean),
    videoCodec: video?.codec_name ?? '',
    pixFmt: video?.pix_fmt ?? '',
    width: sideways ? storedHeight : storedWidth,
    height: sideways ? storedWidth : storedHeight,
    fps: rate(video?.avg_frame_rate) || rate(video?.r_frame_rate),
    durationMs: Math.round(seconds * 1000),
    bitRate: numberOr(video?.bit_rate, numberOr(info.format?.bit_rate, 0)),
    hasAudio: audio !== undefined,
    bytes: size,
  };
  if (audio?.codec_name) probe.audioCodec = audio.codec_name;
  if (audio?.sample_rate) probe.audioSampleRate = numberOr(audio.sample_rate, 0);
  if (audio?.channels) probe.audioChannels = audio.channels;
  if (rotation) probe.rotation = rotation;
  if (sampleAspect !== 1) probe.sampleAspect = sampleAspect;
  if (video?.field_order && !['progressive', 'unknown'].includes(video.field_order)) probe.interlaced = true;
  return probe;
}
