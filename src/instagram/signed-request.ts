// §8.1: Meta's signed_request (deletion and deauthorize callbacks): <b64url(signature)>.<b64url(payload)>,
// signed with HMAC-SHA256 over the payload segment as sent. Checked in constant time, algorithm too.
import crypto from 'node:crypto';
import { z } from 'zod';

const payloadSchema = z.object({
  algorithm: z.string(),
  user_id: z.union([z.string().min(1), z.number()]).transform(String),
  issued_at: z.number().optional(),
  expires: z.number().optional(),
});

export type SignedRequest = z.infer<typeof payloadSchema>;

export type SignedRequestResult = { ok: true; payload: SignedRequest } | { ok: false; reason: 'malformed' | 'signature' | 'algorithm' };

const B64URL = /^[A-Za-z0-9_-]+={0,2}$/;

function decode(segment: string): Buffer | undefined {
  if (!B64URL.test(segment)) return undefined;
  return Buffer.from(segment.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
}

export function verifySignedRequest(value: unknown, secret: string): SignedRequestResult {
  if (typeof value !== 'string' || value.length > 8192) return { ok: false, reason: 'malformed' };
  const dot = value.indexOf('.');
  if (dot <= 0 || dot === value.length - 1) return { ok: false, reason: 'malformed' };
  const signatureSegment = value.slice(0, dot);
  const payloadSegment = value.slice(dot + 1);
  const signature = decode(signatureSegment);
  const payloadBytes = decode(payloadSegment);
  if (!signature || !payloadBytes) return { ok: false, reason: 'malformed' };
  const expected = crypto.createHmac('sha256', secret).update(payloadSegment, 'ascii').digest();
  if (signature.length !== expected.length || !crypto.timingSafeEqual(signature, expected)) return { ok: false, reason: 'signature' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(payloadBytes.toString('utf8'));
  } catch {
    return { ok: false, reason: 'malformed' };
  }
  const payload = payloadSchema.safeParse(parsed);
  if (!payload.success) return { ok: false, reason: 'malformed' };
  if (payload.data.algorithm !== 'HMAC-SHA256') return { ok: false, reason: 'algorithm' };
  return { ok: true, payload: payload.data };
}

/** Builds one (the simulator and tests play Meta with it). */
export function signRequest(payload: Record<string, unknown>, secret: string): string {
  const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
  const signature = crypto.createHmac('sha256', secret).update(body, 'ascii').digest('base64url');
  return `${signature}.${body}`;
}
