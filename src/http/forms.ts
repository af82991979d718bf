// Turning untrusted form bodies into typed values. Unknown fields are dropped by zod;
// a repeated or missing field reads as empty, so a form never crashes on odd input.
import { z } from 'zod';

export const text = (max = 1000) =>
  z.preprocess((value) => (typeof value === 'string' ? value : ''), z.string().transform((s) => s.slice(0, max)));

export const trimmed = (max = 1000) => text(max * 2).transform((s) => s.trim().slice(0, max));

/** Passwords are taken exactly as typed: no trimming, no normalisation beyond NFC at hashing. */
export const secret = () => text(4096);

export function parseForm<T extends z.ZodType>(schema: T, body: unknown): z.infer<T> {
  return schema.parse(typeof body === 'object' && body !== null ? body : {});
}
