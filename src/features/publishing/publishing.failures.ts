// What to do when a call to Instagram fails: retry later (with backoff and jitter), give up with a
// reason the owner can read, hold the post, or pause the account until it is reconnected.
import { GraphError } from '../../instagram/graph-error.js';

export type Decision =
  | { kind: 'retry'; delayMs: number; reasonKey: string; params: Record<string, string | number> }
  | { kind: 'fail'; reasonKey: string; params: Record<string, string | number> }
  | { kind: 'quota'; delayMs: number }
  | { kind: 'reconnect'; reason: string }
  | { kind: 'notReady' }
  /** The container is gone or expired: make a new one. */
  | { kind: 'newContainer' };

/** Transient failures are retried this many times before the post fails (or needs attention). */
export const MAX_ATTEMPTS = 8;
const BASE_MS = 5_000;
const CAP_MS = 15 * 60_000;

/** 5 s, 10 s, 20 s … capped at 15 min, each ±50 % so many posts do not retry in step. */
export function backoff(attempt: number, random: () => number = Math.random): number {
  const plain = Math.min(CAP_MS, BASE_MS * 2 ** Math.max(0, attempt));
  return Math.round(plain * (0.5 + random()));
}

/** Fetch or processing failures that may simply work a second time (§6.3: "fix URL, then retry"). */
export const REFETCH_SUBCODES = new Set([2207052, 2207003, 2207001, 2207032, 2207053]);
export const REFETCH_TRIES = 3;

/** Container subcodes after which a fresh container is the documented fix (§6.3). */
const NEW_CONTAINER_SUBCODES = new Set([2207008, 2207020, 2207006]);

export function decide(error: unknown, attempt: number): Decision {
  if (!(error instanceof GraphError)) {
    // Not an answer from Instagram (a bug or a local failure): retry a few times, then report.
    const message = error instanceof Error ? error.message : String(error);
    return attempt < MAX_ATTEMPTS ? { kind: 'retry', delayMs: backoff(attempt), reasonKey: 'publishing.reason.unexpected', params: {} } : { kind: 'fail', reasonKey: 'publishing.reason.unexpected', params: { message: message.slice(0, 200) } };
  }
  const explained = error.explanationKeys();
  if (error.subcode !== undefined && NEW_CONTAINER_SUBCODES.has(error.subcode)) return { kind: 'newContainer' };
  // Instagram could not fetch the file this time (our server restarting, a network blip): try again a few times.
  if (error.subcode !== undefined && REFETCH_SUBCODES.has(error.subcode) && attempt < REFETCH_TRIES) {
    return { kind: 'retry', delayMs: backoff(attempt + 2), reasonKey: explained.text, params: explained.params };
  }
  switch (error.errorClass) {
    case 'reconnect':
      return { kind: 'reconnect', reason: `${error.errorClass}:${error.code ?? ''}/${error.subcode ?? ''}` };
    case 'notReady':
      return { kind: 'notReady' };
    case 'quota':
      return { kind: 'quota', delayMs: 30 * 60_000 };
    case 'throttled':
    case 'transient': {
      if (attempt >= MAX_ATTEMPTS) return { kind: 'fail', reasonKey: explained.text, params: explained.params };
      const wait = Math.max(backoff(attempt), error.retryAfterMs ?? 0);
      return { kind: 'retry', delayMs: wait, reasonKey: explained.text, params: explained.params };
    }
    default:
      return { kind: 'fail', reasonKey: explained.text, params: explained.params };
  }
}

/** "Error: Media upload has failed with error code 2207026" → 2207026 (§2.4). */
export function subcodeOfStatus(status: string | undefined): number | undefined {
  const match = /\b(22\d{5})\b/.exec(status ?? '');
  return match ? Number(match[1]) : undefined;
}
