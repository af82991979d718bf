// One place where Qanat talks HTTP to Instagram: timeouts, the token in the Authorization
// header (never in a URL that could be logged), big ids kept as strings, errors classified.
import type { Logger } from '../log.js';
import { redactUrl } from '../log.js';
import { GraphError, type GraphErrorBody } from './graph-error.js';
import { parseUsage, type Usage } from './usage.js';

export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface HttpSettings {
  timeoutMs: number;
  fetch?: FetchLike;
  log?: Logger;
  /** Called with the usage headers of every answer, so callers can slow down before 100%. */
  onUsage?: (usage: Usage) => void;
  /** Shared by every call of one client: set when Instagram says how long to stay away. */
  backoff?: Backoff;
}

/**
 * Honours estimated_time_to_regain_access: while Instagram has asked us to wait, calls fail
 * at once as throttled instead of spending more of the allowance.
 */
export class Backoff {
  private until = 0;
  constructor(private readonly now: () => number = Date.now) {}
  wait(ms: number): void {
    this.until = Math.max(this.until, this.now() + ms);
  }
  remainingMs(): number {
    return Math.max(0, this.until - this.now());
  }
}

export type Params = Record<string, string | number | boolean | undefined>;

export interface GraphRequest {
  method: 'GET' | 'POST' | 'DELETE';
  url: string;
  token?: string;
  query?: Params;
  /** Sent as application/x-www-form-urlencoded. */
  form?: Params;
}

/** JSON numbers of 16+ digits (Instagram ids exceed 2^53) are read as strings, exactly as sent. */
export function parseJsonKeepingIds(text: string): unknown {
  // Strings are matched first and kept as they are, so digits inside text (a comment saying
  // "order 1234567890123456") are never touched; only bare numbers become strings.
  return JSON.parse(text.replace(/"(?:[^"\\]|\\.)*"|(-?\d{16,})(?=\s*[,}\]])/g, (match, big: string | undefined) => (big ? `"${big}"` : match)));
}

function withQuery(url: string, query: Params | undefined): string {
  if (!query) return url;
  const u = new URL(url);
  for (const [key, value] of Object.entries(query)) if (value !== undefined) u.searchParams.set(key, String(value));
  return u.toString();
}

function formBody(form: Params): URLSearchParams {
  const body = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) if (value !== undefined) body.set(key, String(value));
  return body;
}

interface LegacyOAuthError {
  error_type?: string;
  code?: number;
  error_message?: string;
}

function toGraphError(status: number, body: unknown, usage: Usage): GraphError {
  const retryAfterMs = usage.regainAccessMinutes !== undefined ? usage.regainAccessMinutes * 60_000 : undefined;
  if (typeof body === 'object' && body !== null) {
    const envelope = (body as { error?: unknown }).error;
    if (typeof envelope === 'object' && envelope !== null) return GraphError.fromBody(status, envelope as GraphErrorBody, retryAfterMs);
    const legacy = body as LegacyOAuthError;
    if (legacy.error_message) {
      return new GraphError(legacy.error_message, status, undefined, undefined, { type: legacy.error_type }, undefined, status >= 500 ? 'transient' : 'permanent');
    }
  }
  return new GraphError(`Instagram answered HTTP ${status}`, status, undefined, undefined, {}, retryAfterMs);
}

export async function graphRequest<T>(settings: HttpSettings, request: GraphRequest): Promise<T> {
  const url = withQuery(request.url, request.query);
  const waitMs = settings.backoff?.remainingMs() ?? 0;
  if (waitMs > 0) {
    throw new GraphError(`Instagram asked Qanat to wait; ${Math.ceil(waitMs / 60_000)} min left`, 0, undefined, undefined, {}, waitMs, 'throttled');
  }
  const headers: Record<string, string> = { accept: 'application/json' };
  if (request.token) headers['authorization'] = `Bearer ${request.token}`;
  const init: RequestInit = { method: request.method, headers, signal: AbortSignal.timeout(settings.timeoutMs), redirect: 'error' };
  if (request.form) init.body = formBody(request.form);
  const started = Date.now();
  const doFetch = settings.fetch ?? ((input: string, options: RequestInit) => fetch(input, options));
  let response: Response;
  let text: string;
  try {
    response = await doFetch(url, init);
    text = await response.text();
  } catch (error) {
    const name = (error as Error).name;
    const reason = name === 'TimeoutError' || name === 'AbortError' ? `no answer within ${settings.timeoutMs} ms` : (error as Error).message;
    settings.log?.warn({ method: request.method, url: redactUrl(url), reason }, 'instagram request failed');
    throw GraphError.transport(`Instagram did not answer: ${reason}`);
  }
  const usage = parseUsage(response.headers);
  settings.onUsage?.(usage);
  if (usage.regainAccessMinutes !== undefined) settings.backoff?.wait(usage.regainAccessMinutes * 60_000);
  let body: unknown;
  try {
    body = text ? parseJsonKeepingIds(text) : {};
  } catch {
    body = undefined;
  }
  settings.log?.debug({ method: request.method, url: redactUrl(url), status: response.status, ms: Date.now() - started }, 'instagram request');
  const hasError = typeof body === 'object' && body !== null && ('error' in body || 'error_message' in body);
  if (!response.ok || hasError || body === undefined) {
    const error = body === undefined && response.ok ? GraphError.transport('Instagram sent an answer that is not JSON') : toGraphError(response.status, body, usage);
    settings.log?.warn({ method: request.method, url: redactUrl(url), status: response.status, graphCode: error.code, graphSubcode: error.subcode, class: error.errorClass, err: error }, 'instagram refused');
    throw error;
  }
  return body as T;
}
