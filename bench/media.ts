// Media preparation benchmark (issue 11): how long the app takes to prepare a 12 MP JPEG, a 24 MP
// PNG and a 30 s 1080p video, each against the bare library doing the same job on the same input
// in the same run (sharp resize → JPEG; one ffmpeg transcode), and this process's peak memory.
//
//   node --import tsx bench/media.ts [--quick]
//
// The app path calls the very functions MediaService.prepareOne / prepareVideo call, with the
// options the service passes for a feed photo and a reel. The inputs are made deterministically
// (seeded pixels, ffmpeg's test pattern) in a temporary folder by a child process — this file run
// with --make-inputs — so making 24 MP of pixels does not count towards peakRssMb.
// Progress goes to stderr; the last line of stdout is {"ok":true,"result":…} or {"ok":false,"error":…}.
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { loadConfig } from '../src/config.js';
import { prepareImage, type Fit } from '../src/features/content/media/image.js';
import { VIDEO_OUTPUT, type ImageUse, type VideoUse } from '../src/features/content/media/rules.js';
import { checkVideo, extractFrame, maxVideoBitRate, outputFps, outputSize, probeVideo, transcodeVideo, type VideoProbe } from '../src/features/content/media/video.js';
import { ffmpegArgs } from '../src/features/content/media/video-transcode.js';
import { random } from './random.js';

export interface MediaFileInfo {
  /** e.g. 'JPEG', 'PNG', 'HEVC/AAC in MOV', 'H.264/AAC in MP4'. */
  format: string;
  bytes: number;
  width: number;
  height: number;
  durationMs?: number;
}

export type MediaItemName = '12 MP JPEG' | '24 MP PNG' | '30 s 1080p video' | '5 s 1080p video';

export interface MediaBenchItem {
  name: MediaItemName;
  input: MediaFileInfo;
  /** What the app produced (for the video: the prepared MP4; its poster frame is in notes). */
  output: MediaFileInfo;
  /** What the bare library produced from the same input: should match output in size and kind. */
  bareOutput: MediaFileInfo;
  /** Median wall time of one preparation, milliseconds. */
  appMs: number;
  bareMs: number;
  /** appMs / bareMs. */
  ratio: number;
  runs: number;
  /** Every run, in the order they ran (app and bare alternate). */
  appRunsMs: number[];
  bareRunsMs: number[];
  /**
   * Median CPU time of one preparation (this process's threads plus its finished ffmpeg/ffprobe
   * children, from /proc/self/stat), milliseconds: steadier than wall time on a busy machine.
   */
  appCpuMs: number;
  bareCpuMs: number;
  cpuRatio: number;
  /** What was done, in words: settings, why the video was transcoded, what the app did beyond the bare call. */
  notes: string[];
}

export interface MediaBenchResult {
  quick: boolean;
  items: MediaBenchItem[];
  /** This process's peak resident memory (sharp runs in it; ffmpeg/ffprobe are children and not counted). */
  peakRssMb: number;
}

const run = promisify(execFile);
const HERE = fileURLToPath(import.meta.url);
const log = (line: string): void => void process.stderr.write(`[media] ${line}\n`);
const round1 = (n: number): number => Math.round(n * 10) / 10;
const mb = (bytes: number): string => `${round1(bytes / 1048576)} MB`;

const INPUTS = { jpeg: 'photo-12mp.jpg', png: 'photo-24mp.png', video: 'phone-1080p.mov' } as const;
const JPEG_SIZE = { width: 4000, height: 3000 };
const PNG_SIZE = { width: 6000, height: 4000 };
const VIDEO_SECONDS = { full: 30, quick: 5 };

// ---------------------------------------------------------------------------------------------
// Inputs (child process)

/** The bench's seeded generator as 32-bit integers, so every run benchmarks the same bytes. */
function prng(seed: number): () => number {
  const next = random(seed);
  return () => next() * 4_294_967_296;
}

/**
 * Photo-like RGB pixels: soft colour gradients (a coarse random field enlarged smoothly), a few
 * hundred hard-edged shapes, and fine per-pixel grain like a camera sensor's. JPEG and PNG have
 * real work to do on it, unlike a flat colour.
 */
async function photoPixels(width: number, height: number, seed: number): Promise<Buffer> {
  const next = prng(seed);
  const unit = () => next() / 4294967296;
  const cw = Math.ceil(width / 250);
  const ch = Math.ceil(height / 250);
  const coarse = Buffer.alloc(cw * ch * 3);
  for (let i = 0; i < coarse.length; i++) coarse[i] = 30 + Math.floor(unit() * 196);
  const colour = () => `rgb(${Math.floor(unit() * 256)},${Math.floor(unit() * 256)},${Math.floor(unit() * 256)})`;
  const shapes: string[] = [];
  for (let i = 0; i < 300; i++) {
    const x = Math.round(unit() * width);
    const y = Math.round(unit() * height);
    const size = Math.round((0.01 + unit() * 0.08) * width);
    const opacity = (0.3 + unit() * 0.6).toFixed(2);
    const kind = i % 3;
    if (kind === 0) shapes.push(`<circle cx="${x}" cy="${y}" r="${size}" fill="${colour()}" fill-opacity="${opacity}"/>`);
    else if (kind === 1) shapes.push(`<rect x="${x}" y="${y}" width="${size * 2}" height="${size}" fill="${colour()}" fill-opacity="${opacity}"/>`);
    else shapes.push(`<line x1="${x}" y1="${y}" x2="${Math.round(unit() * width)}" y2="${Math.round(unit() * height)}" stroke="${colour()}" stroke-width="${1 + Math.round(unit() * 12)}"/>`);
  }
  const svg = Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${shapes.join('')}</svg>`);
  const data = await sharp(coarse, { raw: { width: cw, height: ch, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .composite([{ input: svg }])
    .removeAlpha()
    .raw()
    .toBuffer();
  // Grain: uniform in [-5, +5], one 4-bit draw per byte (eight per PRNG call).
  for (let i = 0; i < data.length; i += 8) {
    let r = next();
    for (let k = 0; k < 8 && i + k < data.length; k++, r >>>= 4) {
      const v = (data[i + k] as number) + (r & 15) * (10 / 15) - 5;
      data[i + k] = v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
    }
  }
  return data;
}

/**
 * A phone-style reel source: 1080p30 HEVC with AAC in MOV, as iPhones record by default (an H.264
 * MP4 would merely be repackaged; HEVC must be transcoded). x265 is slow even at ultrafast, so one
 * second is encoded and repeated without re-encoding (it starts with a key frame), which makes the
 * same bytes to decode as 30 s encoded in one go would, in a few seconds.
 */
async function makeVideo(file: string, seconds: number, dir: string): Promise<void> {
  const piece = path.join(dir, 'piece.mov');
  const quiet = ['-hide_banner', '-nostdin', '-v', 'error', '-y'];
  await run('ffmpeg', [
    ...quiet, '-f', 'lavfi', '-i', 'testsrc2=size=1920x1080:rate=30', '-t', '1',
    '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p', '-tag:v', 'hvc1', '-f', 'mov', piece,
  ], { maxBuffer: 1024 * 1024 });
  await run('ffmpeg', [
    ...quiet, '-stream_loop', String(seconds - 1), '-i', piece, '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000',
    '-t', String(seconds), '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-b:a', '192k', '-ac', '2',
    '-movflags', '+faststart', '-f', 'mov', file,
  ], { maxBuffer: 1024 * 1024 });
  rmSync(piece, { force: true });
}

async function makeInputs(dir: string, quick: boolean): Promise<void> {
  const started = performance.now();
  const video = makeVideo(path.join(dir, INPUTS.video), quick ? VIDEO_SECONDS.quick : VIDEO_SECONDS.full, dir);
  const jpeg = photoPixels(JPEG_SIZE.width, JPEG_SIZE.height, 12).then((pixels) =>
    sharp(pixels, { raw: { ...JPEG_SIZE, channels: 3 } }).jpeg({ quality: 92 }).toFile(path.join(dir, INPUTS.jpeg)),
  );
  // Adaptive filtering, as image editors write PNGs: a third smaller than without, and as quick to decode.
  const png = photoPixels(PNG_SIZE.width, PNG_SIZE.height, 24).then((pixels) =>
    sharp(pixels, { raw: { ...PNG_SIZE, channels: 3 }, limitInputPixels: false }).png({ compressionLevel: 6, adaptiveFiltering: true }).toFile(path.join(dir, INPUTS.png)),
  );
  await Promise.all([video, jpeg, png]);
  log(`inputs made in ${Math.round(performance.now() - started)} ms`);
}

// ---------------------------------------------------------------------------------------------
// Measuring

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/** Linux's clock tick (getconf CLK_TCK), the unit of the children's times in /proc/self/stat. */
const TICK_MS = 10;

/** CPU time so far of this process (every thread, so sharp's too) and of its children that have exited (ffmpeg, ffprobe). */
function cpuMs(): number {
  const own = process.cpuUsage();
  let children = 0;
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    // After "pid (comm) ": state is field 3, so cutime (16) and cstime (17) are the 14th and 15th.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    children = (Number(fields[13]) + Number(fields[14])) * TICK_MS;
  } catch {
    // Not Linux: the children's share is missing, and the CPU figures say so by being too small.
  }
  return (own.user + own.system) / 1000 + children;
}

interface Samples {
  appRunsMs: number[];
  bareRunsMs: number[];
  appCpuMs: number[];
  bareCpuMs: number[];
}

/** Runs app and bare `runs` times each, alternating (A B, B A, A B, …) so both share the machine's noise. */
async function alternate(runs: number, label: string, app: () => Promise<void>, bare: () => Promise<void>): Promise<Samples> {
  const samples: Samples = { appRunsMs: [], bareRunsMs: [], appCpuMs: [], bareCpuMs: [] };
  for (let i = 0; i < runs; i++) {
    const order = i % 2 === 0 ? (['app', 'bare'] as const) : (['bare', 'app'] as const);
    for (const which of order) {
      const cpu = cpuMs();
      const started = performance.now();
      await (which === 'app' ? app : bare)();
      const ms = performance.now() - started;
      const cpuUsed = cpuMs() - cpu;
      samples[which === 'app' ? 'appRunsMs' : 'bareRunsMs'].push(ms);
      samples[which === 'app' ? 'appCpuMs' : 'bareCpuMs'].push(cpuUsed);
      log(`${label}: ${which} run ${i + 1}/${runs} ${Math.round(ms)} ms (CPU ${Math.round(cpuUsed)} ms)`);
    }
  }
  return samples;
}

async function imageInfo(file: string, format: string): Promise<MediaFileInfo> {
  const meta = await sharp(file, { limitInputPixels: false }).metadata();
  return { format, bytes: statSync(file).size, width: meta.width, height: meta.height };
}

function videoInfo(probe: VideoProbe, format: string): MediaFileInfo {
  return { format, bytes: probe.bytes, width: probe.width, height: probe.height, durationMs: probe.durationMs };
}

const ratioOf = (app: number[], bare: number[]): number => Math.round((median(app) / median(bare)) * 1000) / 1000;

function item(name: MediaItemName, input: MediaFileInfo, output: MediaFileInfo, bareOutput: MediaFileInfo, samples: Samples, notes: string[]): MediaBenchItem {
  return {
    name,
    input,
    output,
    bareOutput,
    appMs: Math.round(median(samples.appRunsMs)),
    bareMs: Math.round(median(samples.bareRunsMs)),
    ratio: ratioOf(samples.appRunsMs, samples.bareRunsMs),
    runs: samples.appRunsMs.length,
    appRunsMs: samples.appRunsMs.map(Math.round),
    bareRunsMs: samples.bareRunsMs.map(Math.round),
    appCpuMs: Math.round(median(samples.appCpuMs)),
    bareCpuMs: Math.round(median(samples.bareCpuMs)),
    cpuRatio: ratioOf(samples.appCpuMs, samples.bareCpuMs),
    notes,
  };
}

const rssLine = (): string => `RSS now ${Math.round(process.memoryUsage.rss() / 1048576)} MB, peak ${Math.round(process.resourceUsage().maxRSS / 1024)} MB`;

/** As MediaService.prepareOne does for a feed photo: the row's defaults (crop, centred, blur), no carousel ratio. */
const FEED_PHOTO: { use: ImageUse; fit: Fit } = { use: 'feed', fit: { mode: 'crop', focusX: 0.5, focusY: 0.5, background: 'blur' } };
/** prepareImage's first (and, under 8 MB, only) JPEG quality and its encoder settings. */
const APP_JPEG = { quality: 90, progressive: false, chromaSubsampling: '4:2:0', mozjpeg: false } as const;

async function benchImage(name: MediaItemName, input: string, format: string, dir: string, runs: number, pixelLimit: number): Promise<MediaBenchItem> {
  const appOut = path.join(dir, 'app-photo.jpg');
  const bareOut = path.join(dir, 'bare-photo.jpg');
  const inputInfo = await imageInfo(input, format);
  // One untimed app run tells the bare path its target width (and warms the file cache).
  const { width: outputWidth, warnings } = await prepareImage(input, appOut, { ...FEED_PHOTO, pixelLimit });
  if (warnings.includes('media.warning.compressed')) throw new Error(`${name}: the app stepped the JPEG quality down, so quality ${APP_JPEG.quality} is not like for like`);
  const measured = await alternate(
    runs,
    name,
    async () => {
      await prepareImage(input, appOut, { ...FEED_PHOTO, pixelLimit });
    },
    async () => {
      await sharp(input).resize(outputWidth).jpeg(APP_JPEG).toFile(bareOut);
    },
  );
  const output = await imageInfo(appOut, 'JPEG');
  const bareOutput = await imageInfo(bareOut, 'JPEG');
  rmSync(appOut, { force: true });
  rmSync(bareOut, { force: true });
  return item(name, inputInfo, output, bareOutput, measured, [
    `app: prepareImage(use feed, crop at 0.5/0.5, blur, pixel limit ${Math.round(pixelLimit / 1e6)} MP) as MediaService does for a feed photo${warnings.length ? `; warnings ${warnings.join(', ')}` : ''}`,
    `bare: sharp(input).resize(${outputWidth}).jpeg({ quality: ${APP_JPEG.quality}, progressive: false, chromaSubsampling: '4:2:0', mozjpeg: false }).toFile()`,
  ]);
}

const REEL: VideoUse = 'reel';
/** A reel's default cover offset (posts.thumb_offset_ms defaults to 0). */
const THUMB_OFFSET_MS = 0;

/** The ffmpeg command a person would type for the same output: the app's encoding arguments, no progress pipe. */
function bareVideoArgs(source: string, dest: string, probe: VideoProbe, use: VideoUse): string[] {
  const size = outputSize(probe);
  const fps = outputFps(probe.fps);
  const gop = Math.round(2 * (fps ?? (probe.fps || VIDEO_OUTPUT.lowFpsTarget)));
  const maxRate = maxVideoBitRate(probe, use);
  const channels = Math.min(probe.audioChannels ?? VIDEO_OUTPUT.audioChannels, VIDEO_OUTPUT.audioChannels);
  return [
    '-hide_banner', '-nostdin', '-v', 'error', '-y',
    '-i', `file:${path.resolve(source)}`,
    '-map', '0:V:0', '-map', '0:a:0?',
    '-map_metadata', '-1', '-map_chapters', '-1', '-sn', '-dn',
    '-vf', [...(probe.interlaced ? ['yadif'] : []), `scale=${size.width}:${size.height}`, 'setsar=1', ...(fps ? [`fps=${fps}`] : []), 'format=yuv420p'].join(','),
    '-c:v', 'libx264', '-preset', 'veryfast', '-profile:v', 'high', '-pix_fmt', 'yuv420p',
    '-crf', '21', '-maxrate', String(maxRate), '-bufsize', String(2 * maxRate),
    '-g', String(gop), '-flags', '+cgop',
    '-c:a', 'aac', '-b:a', String(VIDEO_OUTPUT.audioBitRate), '-ar', String(VIDEO_OUTPUT.audioSampleRate), '-ac', String(channels),
    '-movflags', '+faststart', '-use_editlist', '0', '-max_muxing_queue_size', '1024',
    '-f', 'mp4', `file:${path.resolve(dest)}`,
  ];
}

function ffmpeg(args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('ffmpeg', args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`ffmpeg exited ${code}: ${stderr}`))));
  });
}

async function benchVideo(name: MediaItemName, input: string, dir: string, runs: number): Promise<MediaBenchItem> {
  const appOut = path.join(dir, 'app-reel.mp4');
  const appPoster = path.join(dir, 'app-poster.jpg');
  const bareOut = path.join(dir, 'bare-reel.mp4');
  const sourceProbe = await probeVideo(input);
  const verdict = checkVideo(sourceProbe, REEL);
  if (verdict.rejection) throw new Error(`${name}: the app refuses the test video (${verdict.rejection.reasonKey})`);
  if (!verdict.transcodeReasons.some((r) => r !== 'media.transcode.container' && r !== 'media.transcode.audio')) {
    throw new Error(`${name}: the app would only repackage this video (${verdict.transcodeReasons.join(', ') || 'no reasons'}), not transcode it`);
  }
  const bareArgs = bareVideoArgs(input, bareOut, sourceProbe, REEL);
  // The bare command must be the app's own ffmpeg call minus its progress pipe, or the ratio means nothing.
  const appArgs = ffmpegArgs(input, bareOut, sourceProbe, REEL, verdict.transcodeReasons).filter((a, i, all) => !['-progress', '-nostats'].includes(a) && all[i - 1] !== '-progress');
  if (appArgs.join('\u0000') !== bareArgs.join('\u0000')) throw new Error(`${name}: the bare ffmpeg arguments no longer match the app's: app ${appArgs.join(' ')} / bare ${bareArgs.join(' ')}`);

  let posterSize = { width: 0, height: 0 };
  let progressWrites = 0;
  const measured = await alternate(
    runs,
    name,
    // MediaService.prepareVideo for a reel: probe → check → transcode (with the service's 1 s progress throttle) → poster frame.
    async () => {
      const probe = await probeVideo(input);
      const check = checkVideo(probe, REEL);
      if (check.rejection) throw check.rejection;
      const controller = new AbortController();
      let lastWrite = 0;
      await transcodeVideo(input, appOut, probe, REEL, () => {
        const now = Date.now();
        if (now - lastWrite < 1000) return;
        lastWrite = now;
        progressWrites++;
      }, controller.signal);
      statSync(appOut);
      posterSize = await extractFrame(appOut, appPoster, THUMB_OFFSET_MS);
    },
    () => ffmpeg(bareArgs),
  );
  const output = videoInfo(await probeVideo(appOut), 'H.264/AAC in MP4');
  const bareOutput = videoInfo(await probeVideo(bareOut), 'H.264/AAC in MP4');
  const posterBytes = statSync(appPoster).size;
  for (const file of [appOut, appPoster, bareOut]) rmSync(file, { force: true });
  return item(name, videoInfo(sourceProbe, `HEVC/AAC in MOV, ${round1(sourceProbe.fps)} fps, ${round1(sourceProbe.bitRate / 1e6)} Mbit/s`), output, bareOutput, measured, [
    `input: ffmpeg testsrc2 + 440 Hz sine as HEVC (libx265 ultrafast, 1 s encoded and looped) with AAC in MOV, as iPhones record; an H.264 MP4 would only be repackaged, HEVC must be transcoded (app reasons: ${verdict.transcodeReasons.join(', ')})`,
    `app: probeVideo → checkVideo → transcodeVideo (ffmpeg with -progress pipe, then ffprobe of the result) → extractFrame at ${THUMB_OFFSET_MS} ms (ffprobe, ffmpeg PNG frame, sharp JPEG ${posterSize.width}×${posterSize.height}, ${posterBytes} bytes); ${Math.round(progressWrites / runs)} progress callbacks a run`,
    `bare: ffmpeg ${bareArgs.slice(5).join(' ').replaceAll(dir + path.sep, '')}`,
  ]);
}

async function main(quick: boolean): Promise<MediaBenchResult> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'qanat-bench-media-'));
  try {
    const seconds = quick ? VIDEO_SECONDS.quick : VIDEO_SECONDS.full;
    log(`making inputs in ${dir} (${JPEG_SIZE.width}×${JPEG_SIZE.height} JPEG, ${PNG_SIZE.width}×${PNG_SIZE.height} PNG, ${seconds} s 1080p video)`);
    // A child makes them, so their pixel buffers do not show in this process's peak memory.
    await new Promise<void>((resolve, reject) => {
      const child = spawn(process.execPath, [...process.execArgv, HERE, '--make-inputs', dir, ...(quick ? ['--quick'] : [])], { stdio: ['ignore', 'ignore', 'inherit'] });
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`making the inputs failed (exit ${code}; the reason is on stderr)`))));
    });
    for (const file of Object.values(INPUTS)) log(`  ${file}: ${mb(statSync(path.join(dir, file)).size)}`);

    // The app's default limit (IMAGE_MAX_MEGAPIXELS=60); read through loadConfig so a change there shows here.
    const pixelLimit = loadConfig({}).media.maxInputPixels;
    const runs = quick ? 1 : 3;
    // Warm up sharp/libvips on a small picture so the first timed run does not pay for loading them.
    const warm = path.join(dir, 'warm.jpg');
    await sharp({ create: { width: 640, height: 480, channels: 3, background: '#808080' } }).jpeg().toFile(warm);
    await prepareImage(warm, path.join(dir, 'warm-out.jpg'), { ...FEED_PHOTO, pixelLimit });
    await sharp(warm).resize(400).jpeg(APP_JPEG).toFile(path.join(dir, 'warm-bare.jpg'));

    const items: MediaBenchItem[] = [];
    log(`ready: ${rssLine()}`);
    items.push(await benchImage('12 MP JPEG', path.join(dir, INPUTS.jpeg), 'JPEG', dir, runs, pixelLimit));
    log(`after the JPEG: ${rssLine()}`);
    items.push(await benchImage('24 MP PNG', path.join(dir, INPUTS.png), 'PNG', dir, runs, pixelLimit));
    log(`after the PNG: ${rssLine()}`);
    items.push(await benchVideo(quick ? '5 s 1080p video' : '30 s 1080p video', path.join(dir, INPUTS.video), dir, runs));
    log(`after the video: ${rssLine()}`);
    for (const it of items) log(`${it.name}: app ${it.appMs} ms, bare ${it.bareMs} ms, ratio ${it.ratio} (CPU ${it.appCpuMs} / ${it.bareCpuMs} ms, ${it.cpuRatio})`);
    return { quick, items, peakRssMb: round1(process.resourceUsage().maxRSS / 1024) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const makeAt = argv.indexOf('--make-inputs');
if (makeAt >= 0) {
  const dir = argv[makeAt + 1];
  if (!dir) throw new Error('--make-inputs needs a folder');
  try {
    await makeInputs(dir, quick);
  } catch (error) {
    log(`making the inputs failed: ${error instanceof Error ? error.message : String(error)}`);
    process.exitCode = 1;
  }
} else {
  try {
    const result = await main(quick);
    process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`failed: ${error instanceof Error && error.stack ? error.stack : message}`);
    process.stdout.write(`${JSON.stringify({ ok: false, error: message })}\n`);
    process.exitCode = 1;
  }
}
