// JSON logs to stdout and data/logs/qanat-YYYY-MM-DD.log, with secrets redacted.
import fs from 'node:fs';
import path from 'node:path';
import { Writable } from 'node:stream';
import pino, { type DestinationStream, type Logger } from 'pino';

export type { Logger };

/** Every place a secret can hide in what we log. Paths are pino redaction paths. */
export const REDACT_PATHS = [
  'password',
  'newPassword',
  'currentPassword',
  'token',
  'accessToken',
  'access_token',
  'refreshToken',
  'appSecret',
  'app_secret',
  'client_secret',
  'secret',
  'signed_request',
  'signedRequest',
  'code',
  'sid',
  'cookie',
  'authorization',
  '*.password',
  '*.token',
  '*.accessToken',
  '*.access_token',
  '*.appSecret',
  '*.app_secret',
  '*.client_secret',
  '*.secret',
  '*.signed_request',
  '*.signedRequest',
  '*.sid',
  '*.cookie',
  '*.authorization',
  'req.headers.cookie',
  'req.headers.authorization',
  'req.headers["x-csrf-token"]',
  'res.headers["set-cookie"]',
  'err.config.headers.Authorization',
];

/** Removes secrets that arrive inside URLs (query parameters Meta or a person might send). */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return url;
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const name = pair.split('=')[0] ?? '';
      return /token|secret|code|signed_request|password|sig|key/i.test(decodeURIComponentSafe(name)) ? `${name}=[Redacted]` : pair;
    });
  return `${url.slice(0, q)}?${query.join('&')}`;
}

function decodeURIComponentSafe(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

const SECRET_IN_TEXT = /\b(access_token|refresh_token|client_secret|app_secret|signed_request|token|code|password)=[^&\s"']+/gi;
const BEARER = /\b(Bearer|OAuth)\s+[\w.~+/-]+=*/g;

/** Scrubs credentials that slipped into free text (an error message quoting a URL, a stack). */
export function scrubText(text: string): string {
  return text.replace(SECRET_IN_TEXT, '$1=[Redacted]').replace(BEARER, '$1 [Redacted]');
}

/** Parts of HTTP client errors that carry credentials (request config, headers, bodies). */
const CREDENTIAL_CARRIERS = new Set(['config', 'request', 'response', 'headers', 'options', 'params', 'body', 'data']);

/**
 * Errors are logged as type, message, stack and plain facts (codes, statuses); whatever a
 * client attached about its request is dropped, and free text is scrubbed.
 */
export function serializeError(error: unknown): unknown {
  if (typeof error !== 'object' || error === null) return typeof error === 'string' ? scrubText(error) : error;
  const base = (error instanceof Error ? pino.stdSerializers.err(error) : error) as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(base)) {
    if (CREDENTIAL_CARRIERS.has(key)) {
      const url = (value as { url?: unknown } | null)?.url;
      if (key === 'config' && typeof url === 'string') out['url'] = redactUrl(url);
      out[key] = '[Redacted]';
      continue;
    }
    if (typeof value === 'string') out[key] = key === 'url' ? redactUrl(value) : scrubText(value);
    else if (key === 'cause' || key === 'err') out[key] = serializeError(value);
    else if (typeof value !== 'object' || value === null) out[key] = value;
  }
  return out;
}

/** Appends to one file per UTC day; the rotate-logs job removes the old ones. */
export class DailyFileStream extends Writable {
  private day = '';
  private fd: number | undefined;

  constructor(private readonly dir: string) {
    super();
    fs.mkdirSync(dir, { recursive: true });
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, done: (error?: Error | null) => void): void {
    try {
      const today = new Date().toISOString().slice(0, 10);
      if (today !== this.day || this.fd === undefined) {
        if (this.fd !== undefined) fs.closeSync(this.fd);
        this.fd = fs.openSync(path.join(this.dir, `qanat-${today}.log`), 'a', 0o600);
        this.day = today;
      }
      fs.writeSync(this.fd, chunk);
      done();
    } catch (error) {
      done(error as Error);
    }
  }

  override _final(done: (error?: Error | null) => void): void {
    if (this.fd !== undefined) fs.closeSync(this.fd);
    this.fd = undefined;
    done();
  }
}

export interface LoggerOptions {
  level: string;
  /** Folder for daily files; omit to log to stdout only. */
  dir?: string;
  /** Replace all outputs (tests capture logs here). */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const base = {
    level: options.level,
    redact: { paths: REDACT_PATHS, censor: '[Redacted]' },
    serializers: { err: serializeError, error: serializeError },
    base: { app: 'qanat' },
    timestamp: pino.stdTimeFunctions.isoTime,
  };
  if (options.destination) return pino(base, options.destination);
  const streams: pino.StreamEntry[] = [{ stream: process.stdout }];
  if (options.dir) streams.push({ stream: new DailyFileStream(options.dir) });
  return pino(base, pino.multistream(streams));
}
