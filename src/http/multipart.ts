// Multipart forms with files: streamed to disk under random names, never buffered whole, never
// named after what the browser sent. Limits are per kind (image or video), known from the first
// bytes, so an oversized file is refused (413) as soon as it crosses its limit.
//
// CSRF: the global check cannot read a multipart body, so it defers to this reader (see csrf.ts):
// the form's `_csrf` field comes first, and no byte of a file is written before it was checked.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { statfs } from 'node:fs/promises';
import path from 'node:path';
import busboy from 'busboy';
import type { Request } from 'express';
import { fileTypeFromBuffer } from 'file-type';
import { constantTimeEqual } from '../db/crypto.js';
import { AppError } from '../errors.js';
import { CsrfRejected } from './csrf.js';

export class PayloadTooLarge extends AppError {
  constructor(maxBytes: number) {
    super(413, 'error.tooLarge.limit', { mb: Math.round(maxBytes / (1024 * 1024)) });
  }
}

export class DiskFull extends AppError {
  constructor() {
    super(507, 'error.diskFull.text');
  }
}

export interface UploadLimits {
  maxImageBytes: number;
  maxVideoBytes: number;
  minFreeBytes: number;
  maxFiles: number;
}

export interface UploadedFile {
  field: string;
  path: string;
  bytes: number;
  /** What the browser called the file, for messages only: never part of a path. */
  name: string;
}

/** "C:\\fakepath\\../a\u0000.jpg" → "a.jpg": the last segment, no control characters, 120 characters at most. */
export function displayName(raw: string): string {
  const last = raw.split(/[\\/]/).pop() ?? '';
  // eslint-disable-next-line no-control-regex -- removing control characters is the point
  return last.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, 120) || 'file';
}

export interface MultipartBody {
  fields: Record<string, string>;
  files: UploadedFile[];
}

/** The first bytes decide the limit: images are held to the image limit, anything else to the video one. */
const SNIFF_BYTES = 4100;

async function freeBytes(dir: string): Promise<number> {
  const stats = await statfs(dir);
  return Number(stats.bavail) * Number(stats.bsize);
}

export function isMultipart(req: Request): boolean {
  return (req.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data');
}

/**
 * Reads a form. urlencoded bodies (already parsed) come back as fields with no files; multipart
 * bodies are streamed into `incomingDir`. On any failure every partial file is deleted.
 */
export async function readForm(req: Request, incomingDir: string, limits: UploadLimits): Promise<MultipartBody> {
  if (!isMultipart(req)) {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const fields: Record<string, string> = {};
    for (const [key, value] of Object.entries(body)) if (typeof value === 'string') fields[key] = value;
    return { fields, files: [] };
  }
  const declared = Number(req.get('content-length') ?? 0);
  const ceiling = limits.maxVideoBytes * limits.maxFiles + 1024 * 1024;
  if (declared > ceiling) throw new PayloadTooLarge(limits.maxVideoBytes);
  fs.mkdirSync(incomingDir, { recursive: true });
  return stream(req, incomingDir, limits, declared);
}

function stream(req: Request, incomingDir: string, limits: UploadLimits, declared: number): Promise<MultipartBody> {
  const expected = req.session.csrfToken;
  const headerToken = req.get('x-csrf-token');
  let csrfChecked = typeof headerToken === 'string' && Boolean(expected) && constantTimeEqual(headerToken, expected as string);
  const fields: Record<string, string> = {};
  const files: UploadedFile[] = [];
  const writing: Array<Promise<void>> = [];
  const open = new Set<fs.WriteStream>();
  let failed: Error | undefined;

  return new Promise<MultipartBody>((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { fileSize: limits.maxVideoBytes, files: limits.maxFiles, fields: 300, fieldSize: 64 * 1024, parts: 400 } });
    } catch {
      reject(new AppError(400, 'error.badRequest.text'));
      return;
    }

    const fail = (error: Error) => {
      if (failed) return;
      failed = error;
      req.unpipe(parser);
      for (const out of open) out.destroy();
      for (const file of files) fs.rmSync(file.path, { force: true });
      // Stop parsing: the rest of the body is not wanted (Node discards it after the answer).
      req.pause();
      reject(error);
    };

    parser.on('field', (name, value) => {
      if (failed) return;
      if (name === '_csrf') csrfChecked = Boolean(expected) && constantTimeEqual(value, expected as string);
      else fields[name] = value;
    });

    parser.on('file', (field, file, info) => {
      // A body that ends inside a file part (a cut-off upload, no closing boundary) errors the
      // file stream; unhandled, that error would take the whole process down.
      file.on('error', () => fail(new AppError(400, 'error.badRequest.text')));
      if (failed) return void file.resume();
      if (!csrfChecked) return fail(new CsrfRejected());
      // An empty file input still sends a part with no name and no bytes.
      if (!info.filename) return void file.resume();
      // A form without files saves even on a full disk; a file is refused before its first byte is written.
      const filename = info.filename;
      file.pause();
      const spaceChecked = freeBytes(incomingDir).then((free) => {
        if (free - Math.max(declared, 0) < limits.minFreeBytes) throw new DiskFull();
      });
      writing.push(
        spaceChecked.then(
          () => (failed ? void file.resume() : receive(field, file, filename)),
          (error: Error) => {
            fail(error);
            file.resume();
          },
        ),
      );
    });

    /** Streams one file to disk; resolves when it is written (or given up). */
    const receive = (field: string, file: NodeJS.ReadableStream, filename: string): Promise<void> => {
      const target = path.join(incomingDir, crypto.randomBytes(16).toString('hex'));
      const out = fs.createWriteStream(target, { flags: 'wx' });
      open.add(out);
      const entry: UploadedFile = { field, path: target, bytes: 0, name: displayName(filename) };
      files.push(entry);
      let limit = limits.maxVideoBytes;
      let head: Buffer | undefined = Buffer.alloc(0);
      let sniffing: Promise<void> | undefined;

      file.on('data', (chunk: Buffer) => {
        entry.bytes += chunk.length;
        if (head) {
          head = Buffer.concat([head, chunk]);
          if (head.length >= SNIFF_BYTES && !sniffing) {
            const sample = head;
            head = undefined;
            sniffing = fileTypeFromBuffer(sample).then((type) => {
              if (type?.mime.startsWith('image/')) limit = limits.maxImageBytes;
              if (entry.bytes > limit) fail(new PayloadTooLarge(limit));
            }, () => undefined);
          }
        }
        if (entry.bytes > limit) fail(new PayloadTooLarge(limit));
      });
      file.on('limit', () => fail(new PayloadTooLarge(limit)));
      file.pipe(out);
      file.resume();
      return new Promise<void>((done) => {
        out.on('close', () => {
          open.delete(out);
          done();
        });
        out.on('error', (error: NodeJS.ErrnoException) => {
          fail(error.code === 'ENOSPC' ? new DiskFull() : error);
          done();
        });
      }).then(async () => {
        await sniffing;
        // Small files end before enough bytes arrived to sniff: check them now.
        if (head && head.length > 0) {
          const type = await fileTypeFromBuffer(head).catch(() => undefined);
          if (type?.mime.startsWith('image/') && entry.bytes > limits.maxImageBytes) fail(new PayloadTooLarge(limits.maxImageBytes));
        }
      });
    };

    parser.on('filesLimit', () => fail(new AppError(400, 'error.tooManyFiles.text', { max: limits.maxFiles })));
    parser.on('error', () => fail(new AppError(400, 'error.badRequest.text')));
    parser.on('close', () => {
      void Promise.all(writing).then(() => {
        if (failed) return;
        if (!csrfChecked) return fail(new CsrfRejected());
        // A chosen file with no bytes is kept: the media checks refuse it by name, with a reason.
        resolve({ fields, files });
      });
    });
    req.on('aborted', () => fail(new AppError(400, 'error.badRequest.text')));
    req.pipe(parser);
  });
}

/** Deletes what a request left behind (files not taken over by a service). */
export function discard(files: UploadedFile[]): void {
  for (const file of files) fs.rmSync(file.path, { force: true });
}
