// The files the media preparation tests feed in: real photos and videos of every kind people
// upload (and a few hostile ones), generated with sharp and ffmpeg into a temporary folder once
// per test run, so nothing binary is committed. Also a tiny HTTP server for prepared files,
// because the simulator downloads image_url / video_url as Instagram does.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, open, readFile, stat, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { expect } from 'chai';
import sharp from 'sharp';
import { MediaRejected } from '../../src/features/content/media/rules.js';
import { loadCatalog } from '../../src/i18n/index.js';
import { flatten } from './catalog.js';

const run = promisify(execFile);

export const IMAGE_NAMES = [
  'alpha.png', 'photo.webp', 'photo.avif', 'cmyk.jpg', 'exif6.jpg', 'panorama-3x1.jpg', 'strip-1x3.jpg', 'tiny-200.jpg',
  'huge-50mp.jpg', 'bomb.png', 'p3.png', 'animated.gif', 'truncated.jpg', 'page.html.jpg', 'drawing.svg.jpg',
  'script.sh.jpg', 'document.pdf.jpg', 'archive.zip.jpg', 'empty.jpg', 'noise-tall.jpg',
] as const;
export const VIDEO_NAMES = [
  'hevc-4k60.mp4', 'silent.mp4', 'short-2s.mp4', 'long-20min.mp4', 'truncated.mp4', 'vp9.webm', 'mp3-sound.mp4',
  'rotated.mov', 'fps120.mp4', 'fps15.mkv', 'sound-only.mp4',
] as const;
export type CorpusName = (typeof IMAGE_NAMES)[number] | (typeof VIDEO_NAMES)[number];

export interface Corpus {
  dir: string;
  path(name: CorpusName): string;
  /** Seconds each file took to make, for keeping an eye on the test's running time. */
  timings: Map<CorpusName, number>;
}

const svg = (width: number, height: number, body: string) => Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">${body}</svg>`);

/** Left half red, right half blue (or top/bottom for `vertical`): which side survives a crop is easy to see. */
const halves = (width: number, height: number, vertical = false) =>
  svg(width, height, vertical ? `<rect width="100%" height="50%" fill="#ff0000"/><rect y="50%" width="100%" height="50%" fill="#0000ff"/>` : `<rect width="50%" height="100%" fill="#ff0000"/><rect x="50%" width="50%" height="100%" fill="#0000ff"/>`);

const scene = (width: number, height: number, hue: number) =>
  svg(width, height, `<rect width="100%" height="100%" fill="hsl(${hue},55%,55%)"/><circle cx="50%" cy="50%" r="25%" fill="hsl(${(hue + 180) % 360},60%,40%)"/>`);

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(zlib.crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** A valid 30000×30000 black PNG in about 110 KB: decoded it would need 2.7 GB. */
function pixelBomb(side = 30_000): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(side, 0);
  header.writeUInt32BE(side, 4);
  header[8] = 1; // 1 bit per pixel, greyscale: the smallest file for the most pixels
  const rows = Buffer.alloc((1 + Math.ceil(side / 8)) * side);
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return Buffer.concat([signature, pngChunk('IHDR', header), pngChunk('IDAT', zlib.deflateSync(rows)), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A one-entry ZIP archive (stored, not compressed). */
function zipArchive(): Buffer {
  const name = Buffer.from('notes.txt');
  const data = Buffer.from('hello');
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4);
  local.writeUInt32LE(zlib.crc32(data), 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(name.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(zlib.crc32(data), 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(name.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + name.length, 12);
  end.writeUInt32LE(local.length + name.length + data.length, 16);
  return Buffer.concat([local, name, data, central, name, end]);
}

type Maker = (file: string, dir: string) => Promise<unknown>;

const IMAGES: Record<(typeof IMAGE_NAMES)[number], Maker> = {
  'alpha.png': (f) => sharp(svg(900, 900, '<circle cx="450" cy="450" r="300" fill="#2a7"/>')).png().toFile(f),
  'photo.webp': (f) => sharp(scene(1200, 900, 30)).webp({ quality: 80 }).toFile(f),
  // AVIF is the HEIF container with AV1 inside; sharp's own libvips cannot write HEIC (HEVC).
  'photo.avif': (f) => sharp(scene(1000, 1000, 200)).avif({ quality: 50, effort: 0 }).toFile(f),
  'cmyk.jpg': (f) => sharp(scene(1000, 1250, 90)).toColourspace('cmyk').jpeg().toFile(f),
  // Stored landscape (red left, blue right) with "rotate 90° clockwise to view": a portrait photo, red on top.
  'exif6.jpg': (f) => sharp(halves(1250, 1000)).jpeg().withMetadata({ orientation: 6 }).toFile(f),
  'panorama-3x1.jpg': (f) => sharp(halves(3000, 1000)).jpeg().toFile(f),
  'strip-1x3.jpg': (f) => sharp(halves(600, 1800, true)).jpeg().toFile(f),
  'tiny-200.jpg': (f) => sharp(scene(200, 200, 300)).jpeg().toFile(f),
  'huge-50mp.jpg': (f) => sharp({ create: { width: 8688, height: 5792, channels: 3, background: '#4a7fb5' } }).jpeg({ quality: 70 }).toFile(f),
  'bomb.png': (f) => writeFile(f, pixelBomb()),
  // Display P3 pixels with their profile: only right after conversion do they read as sRGB (200,100,51).
  'p3.png': (f) => sharp({ create: { width: 800, height: 1000, channels: 3, background: { r: 200, g: 100, b: 50 } } }).withIccProfile('p3').png().toFile(f),
  'animated.gif': async (f) => {
    const frame = (colour: string) => sharp({ create: { width: 400, height: 400, channels: 3, background: colour } }).png().toBuffer();
    await sharp([await frame('#ff0000'), await frame('#0000ff')], { join: { animated: true } }).gif().toFile(f);
  },
  'truncated.jpg': async (f) => {
    const noisy = await sharp({ create: { width: 1200, height: 900, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg().toBuffer();
    await writeFile(f, noisy.subarray(0, Math.floor(noisy.length * 0.6)));
  },
  'page.html.jpg': (f) => writeFile(f, '<!doctype html><html><body><script>alert(document.cookie)</script></body></html>'),
  'drawing.svg.jpg': (f) => writeFile(f, svg(800, 800, '<script>alert(1)</script><rect width="100%" height="100%" fill="red"/>')),
  'script.sh.jpg': (f) => writeFile(f, '#!/bin/sh\nrm -rf /tmp/qanat\n'),
  'document.pdf.jpg': (f) => writeFile(f, '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n'),
  'archive.zip.jpg': (f) => writeFile(f, zipArchive()),
  'empty.jpg': (f) => writeFile(f, ''),
  // Pure noise does not compress: at full quality this tall story picture is far over 8 MB.
  'noise-tall.jpg': (f) => sharp({ create: { width: 1440, height: 10_000, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 60 } } }).jpeg({ quality: 95 }).toFile(f),
};

const ffmpeg = (args: string[]) => run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], { maxBuffer: 1024 * 1024 });
const tone = (seconds: number) => ['-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${seconds}`];
const pattern = (size: string, fps: number, seconds: number) => ['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${fps}:duration=${seconds}`];
const h264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

const VIDEOS: Record<(typeof VIDEO_NAMES)[number], Maker> = {
  // 4K portrait at 60 fps in HEVC, as phones shoot reels. x265 is slow at 4K, so half a second is
  // encoded and repeated seven times without re-encoding (every piece starts with a key frame).
  'hevc-4k60.mp4': async (f, dir) => {
    const piece = path.join(dir, 'hevc-piece.mp4');
    await ffmpeg([...pattern('2160x3840', 60, 0.5), '-c:v', 'libx265', '-preset', 'ultrafast', '-x265-params', 'log-level=error', '-pix_fmt', 'yuv420p', '-tag:v', 'hvc1', piece]);
    await ffmpeg(['-stream_loop', '6', '-i', piece, ...tone(3.5), '-map', '0:v', '-map', '1:a', '-c:v', 'copy', '-c:a', 'aac', '-shortest', '-metadata', 'location=+43.2389+076.8897/', f]);
  },
  // Index (moov) at the end, as ffmpeg writes by default: preparing must move it to the front.
  'silent.mp4': (f) => ffmpeg([...pattern('720x1280', 30, 4), ...h264, f]),
  'short-2s.mp4': (f) => ffmpeg([...pattern('320x568', 25, 2), ...tone(2), ...h264, '-c:a', 'aac', '-shortest', f]),
  'long-20min.mp4': (f) => ffmpeg(['-f', 'lavfi', '-i', 'color=c=0x3366aa:size=64x112:rate=10:duration=1200', ...h264, f]),
  'truncated.mp4': async (f, dir) => {
    const whole = path.join(dir, 'whole.mp4');
    await ffmpeg([...pattern('320x568', 25, 4), ...h264, whole]);
    const bytes = await readFile(whole);
    await writeFile(f, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
  },
  'vp9.webm': (f) => ffmpeg([...pattern('480x854', 30, 4), ...tone(4), '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '400k', '-pix_fmt', 'yuv420p', '-c:a', 'libopus', '-shortest', f]),
  'mp3-sound.mp4': (f) => ffmpeg([...pattern('320x568', 30, 4), ...tone(4), ...h264, '-c:a', 'libmp3lame', '-shortest', f]),
  // Stored 640×360 with a display matrix turning it upright, as phones record portrait video.
  'rotated.mov': async (f, dir) => {
    const flat = path.join(dir, 'flat.mov');
    await ffmpeg([...pattern('640x360', 30, 4), ...tone(4), ...h264, '-c:a', 'aac', '-shortest', flat]);
    await ffmpeg(['-i', flat, '-c', 'copy', '-metadata:s:v:0', 'rotate=90', f]);
  },
  'fps120.mp4': (f) => ffmpeg([...pattern('320x568', 120, 3.5), ...tone(3.5), ...h264, '-c:a', 'aac', '-shortest', f]),
  'fps15.mkv': (f) => ffmpeg([...pattern('320x568', 15, 4), ...tone(4), ...h264, '-c:a', 'aac', '-shortest', '-f', 'matroska', f]),
  'sound-only.mp4': (f) => ffmpeg([...tone(4), '-c:a', 'aac', '-f', 'mp4', f]),
};

async function timed(name: CorpusName, make: Maker, dir: string, timings: Map<CorpusName, number>): Promise<void> {
  const started = performance.now();
  await make(path.join(dir, name), dir);
  timings.set(name, Math.round(performance.now() - started) / 1000);
}

async function generate(): Promise<Corpus> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qanat-media-corpus-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const timings = new Map<CorpusName, number>();
  // Photos (sharp's threads) alongside videos one at a time (ffmpeg's threads): two cores stay busy.
  const photos = Promise.all(IMAGE_NAMES.map((name) => timed(name, IMAGES[name], dir, timings)));
  const videos = (async () => {
    for (const name of VIDEO_NAMES) await timed(name, VIDEOS[name], dir, timings);
  })();
  await Promise.all([photos, videos]);
  return { dir, path: (name) => path.join(dir, name), timings };
}

let generated: Promise<Corpus> | undefined;
/** Generated on first use and shared by every media test file in the run. */
export function mediaCorpus(): Promise<Corpus> {
  generated ??= generate();
  return generated;
}

export interface FileServer {
  url(name: string): string;
  close(): Promise<void>;
}

/** Serves the files of one folder on 127.0.0.1 (the content type always says JPEG or MP4, as a CDN might). */
export async function serveFolder(dir: string): Promise<FileServer> {
  const server = http.createServer((req, res) => {
    const name = path.basename(decodeURIComponent((req.url ?? '/').slice(1)));
    readFile(path.join(dir, name)).then(
      (body) => res.writeHead(200, { 'content-type': name.endsWith('.mp4') ? 'video/mp4' : 'image/jpeg' }).end(body),
      () => res.writeHead(404).end('not found'),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (name) => `${base}/${encodeURIComponent(name)}`,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The MP4 top-level boxes in file order ('ftyp', 'moov', 'mdat'…): faststart means moov before mdat. */
export async function topLevelBoxes(file: string): Promise<string[]> {
  const handle = await open(file, 'r');
  try {
    const { size } = await stat(file);
    const boxes: string[] = [];
    const header = Buffer.alloc(16);
    for (let at = 0; at + 8 <= size; ) {
      await handle.read(header, 0, 16, at);
      let length = header.readUInt32BE(0);
      if (length === 1) length = Number(header.readBigUInt64BE(8));
      else if (length === 0) length = size - at;
      boxes.push(header.toString('latin1', 4, 8));
      if (length < 8) break;
      at += length;
    }
    return boxes;
  } finally {
    await handle.close();
  }
}

export interface FfprobeJson {
  format: { format_name: string; duration: string; tags?: Record<string, string> };
  streams: Array<{ codec_type: string; codec_name: string; profile?: string; pix_fmt?: string; width?: number; height?: number; avg_frame_rate?: string; sample_rate?: string; channels?: number; tags?: Record<string, string> }>;
}

/** ffprobe's own view of a file, independent of the code under test. */
export async function ffprobe(file: string): Promise<FfprobeJson> {
  const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
  return JSON.parse(stdout) as FfprobeJson;
}

const english = flatten(loadCatalog('en'));

/** An i18n key's English text; fails the test when the catalog does not have it. */
export function englishText(key: string): string {
  const text = english.get(key);
  expect(text, `${key} is missing from media.en.json`).to.be.a('string');
  return text as string;
}

/**
 * Awaits a call that must be refused with this reason: a MediaRejected whose key is in the
 * catalog and whose params fill every {{placeholder}} of the English text.
 */
export async function expectRejected(call: Promise<unknown>, reasonKey: string): Promise<MediaRejected> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof MediaRejected)) throw new Error(`expected MediaRejected(${reasonKey}), got ${outcome === undefined ? 'success' : String(outcome)}`);
  expect(outcome.reasonKey).to.equal(reasonKey);
  const placeholders = [...englishText(reasonKey).matchAll(/{{\s*(\w+)\s*}}/g)].map((m) => m[1] as string);
  expect(Object.keys(outcome.params).sort(), reasonKey).to.deep.equal([...new Set(placeholders)].sort());
  return outcome;
}
