// POST parameters as Graph reads them (§0): query string, form body or JSON body, all alike.
// Complex values arrive JSON-encoded in a string; a JSON body may also carry them as real JSON,
// so everything is brought down to strings here and parsed again by the rule that needs it.
import type { Request } from 'express';
import { errors } from './errors.js';

export type Params = Record<string, string>;

function asText(value: unknown, json: boolean): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  // A key repeated in a query or form arrives as an array of strings: the last one wins. In a
  // JSON body an array is a value in its own right (user_tags, children…).
  if (!json && Array.isArray(value) && value.every((v) => typeof v === 'string')) return value.at(-1);
  return JSON.stringify(value);
}

/** Query first, then the body on top; the token is never a parameter. */
export function paramsOf(req: Request): Params {
  const out: Params = {};
  const body: unknown = req.body;
  const fromBody = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
  const sources: Array<[Record<string, unknown>, boolean]> = [
    [req.query as Record<string, unknown>, false],
    [fromBody, Boolean(req.is('application/json'))],
  ];
  for (const [source, json] of sources) {
    for (const [key, value] of Object.entries(source)) {
      const text = asText(value, json);
      if (text !== undefined && key !== 'access_token') out[key] = text;
    }
  }
  return out;
}

/** Graph booleans: true/false, also 1/0. */
export function booleanParam(params: Params, name: string): boolean | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  const value = raw.trim().toLowerCase();
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw errors.invalidParameter(`${name} must be a boolean`);
}

export function jsonParam(params: Params, name: string): unknown {
  const raw = params[name];
  if (raw === undefined) return undefined;
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    throw errors.invalidParameter(`${name} must be JSON-encoded`);
  }
}

/** A list of ids: "a,b,c" as documented, or a JSON array of strings. */
export function idListParam(params: Params, name: string): string[] | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  if (raw.trim().startsWith('[')) {
    const parsed = jsonParam(params, name);
    if (!Array.isArray(parsed) || !parsed.every((v) => typeof v === 'string' || typeof v === 'number')) throw errors.invalidParameter(`${name} must be a list of ids`);
    return parsed.map(String);
  }
  return raw.split(',').map((s) => s.trim()).filter(Boolean);
}
