// Media the publishing tests upload: JPEGs made with sharp and short videos made with ffmpeg,
// generated once per run (nothing binary is committed) and served from a local HTTP server,
// because the simulator downloads image_url / video_url over HTTP as Instagram does.
// The other publishing tests import the helpers below; the tests here check the fixtures are
// what those tests assume they are.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { GraphError } from '../../src/instagram/graph-error.js';
import type { SimHarness } from './simulator.js';

const run = promisify(execFile);

export type FixtureName =
  | 'feed.jpg'
  | 'square.jpg'
  | 'wide-3x1.jpg'
  | 'story.jpg'
  | 'picture.png'
  | 'reel.mp4'
  | 'short.mp4'
  | 'mpeg4.mp4'
  | 'reel.mkv';

async function jpeg(width: number, height: number, hue: number): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="100%" height="100%" fill="hsl(${hue},60%,50%)"/></svg>`;
  return sharp(Buffer.from(svg)).jpeg({ quality: 60 }).toBuffer();
}

/** A few seconds of test pattern and a tone: small, fast to encode, and a real H.264/AAC file. */
async function video(dir: string, name: string, options: { seconds: number; codec: string; format?: string }): Promise<Buffer> {
  const file = path.join(dir, name);
  const args = ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=320x568:rate=25:duration=${options.seconds}`, '-f', 'lavfi', '-i', `sine=frequency=440:duration=${options.seconds}`];
  const codec = options.codec === 'libx264' ? ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'] : ['-c:v', options.codec];
  await run('ffmpeg', [...args, ...codec, '-c:a', 'aac', '-shortest', ...(options.format ? ['-f', options.format] : []), file]);
  return readFile(file);
}

async function generate(): Promise<Map<FixtureName, Buffer>> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qanat-publishing-fixtures-'));
  try {
    const [feed, square, wide, story, png, reel, short, mpeg4, mkv] = await Promise.all([
      jpeg(1080, 1350, 20),
      jpeg(1080, 1080, 140),
      jpeg(1200, 400, 260),
      jpeg(1080, 1920, 320),
      sharp(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="1080" height="1080"><rect width="100%" height="100%" fill="#3a6"/></svg>')).png().toBuffer(),
      video(dir, 'reel.mp4', { seconds: 4, codec: 'libx264' }),
      video(dir, 'short.mp4', { seconds: 2, codec: 'libx264' }),
      video(dir, 'mpeg4.mp4', { seconds: 4, codec: 'mpeg4' }),
      video(dir, 'reel.mkv', { seconds: 4, codec: 'libx264', format: 'matroska' }),
    ]);
    return new Map<FixtureName, Buffer>([
      ['feed.jpg', feed],
      ['square.jpg', square],
      ['wide-3x1.jpg', wide],
      ['story.jpg', story],
      ['picture.png', png],
      ['reel.mp4', reel],
      ['short.mp4', short],
      ['mpeg4.mp4', mpeg4],
      ['reel.mkv', mkv],
    ]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

let generated: Promise<Map<FixtureName, Buffer>> | undefined;
/** Generated once per test run, shared by every publishing test file. */
export function fixtures(): Promise<Map<FixtureName, Buffer>> {
  generated ??= generate();
  return generated;
}

export interface MediaServer {
  /** URL of a fixture, or of one of the special names: missing.jpg (404), slow.jpg (never answers), huge.jpg (9 MiB). */
  url(name: FixtureName | 'missing.jpg' | 'slow.jpg' | 'huge.jpg'): string;
  /** How many times each path was downloaded. */
  hits: Map<string, number>;
  close(): Promise<void>;
}

/** A stand-in for the public web server Qanat puts media on, on 127.0.0.1 and a random port. */
export async function startMediaServer(): Promise<MediaServer> {
  const files = await fixtures();
  const hits = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const name = (req.url ?? '/').slice(1);
    hits.set(name, (hits.get(name) ?? 0) + 1);
    if (name === 'slow.jpg') return; // holds the connection open: the simulator must give up
    if (name === 'huge.jpg') {
      // JPEG magic bytes and 9 MiB: the size rule must fire before anything decodes it.
      const body = Buffer.alloc(9 * 1024 * 1024);
      body.set([0xff, 0xd8, 0xff, 0xe0]);
      res.writeHead(200, { 'content-type': 'image/jpeg' }).end(body);
      return;
    }
    const file = files.get(name as FixtureName);
    if (!file) {
      res.writeHead(404).end('not found');
      return;
    }
    // The content type always says JPEG: the simulator must look at the bytes, not at this.
    res.writeHead(200, { 'content-type': name.endsWith('.jpg') || name.endsWith('.png') ? 'image/jpeg' : 'video/mp4' }).end(file);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: (name) => `${base}/${name}`,
    hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** The GraphError a call failed with (and a failed test if it succeeded or failed otherwise). */
export async function failure(call: Promise<unknown>): Promise<GraphError> {
  const outcome = await call.then(
    () => undefined,
    (error: unknown) => error,
  );
  if (!(outcome instanceof GraphError)) throw new Error(`expected a GraphError, got ${outcome === undefined ? 'success' : String(outcome)}`);
  return outcome;
}

export interface RawAnswer {
  status: number;
  body: Record<string, unknown>;
}

/** A Graph call the client has no method for (odd parameters, JSON bodies), with a Bearer token. */
export async function graphCall(h: SimHarness, token: string, method: 'GET' | 'POST', pathAndQuery: string, body?: URLSearchParams | Record<string, unknown>): Promise<RawAnswer> {
  const headers: Record<string, string> = { authorization: `Bearer ${token}` };
  let payload: string | URLSearchParams | undefined;
  if (body instanceof URLSearchParams) payload = body;
  else if (body) {
    headers['content-type'] = 'application/json';
    payload = JSON.stringify(body);
  }
  const response = await fetch(`${h.base}/graph/v25.0/${pathAndQuery.replace(/^\//, '')}`, { method, headers, ...(payload ? { body: payload } : {}) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

/** The `error` object of a Graph error answer. */
export function graphErrorOf(answer: RawAnswer): { code?: number; error_subcode?: number; message?: string; type?: string } {
  return (answer.body['error'] ?? {}) as { code?: number; error_subcode?: number; message?: string; type?: string };
}

interface Probe {
  format: { format_name: string; duration: string };
  streams: Array<{ codec_type: string; codec_name: string; width?: number; height?: number }>;
}

/** ffprobe's view of a fixture, for the test that checks the fixtures themselves. */
export async function probe(bytes: Buffer, name: string): Promise<Probe> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qanat-fixture-probe-'));
  try {
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    const { stdout } = await run('ffprobe', ['-v', 'error', '-print_format', 'json', '-show_format', '-show_streams', file]);
    return JSON.parse(stdout) as Probe;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
