import type { Clock } from '../clock.js';

/** The simulator's time: a base clock plus an offset the control API can advance. */
export class SimClock implements Clock {
  private offsetMs = 0;
  constructor(private readonly base: Clock) {}
  now(): number {
    return this.base.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

/** ISO 8601 with a +0000 offset, as Graph writes timestamps (§0). */
export function graphTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, '+0000');
}

export const HOUR = 3_600_000;
export const DAY = 24 * HOUR;
