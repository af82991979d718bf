// Counts failed attempts per key in SQLite so locks survive a restart. A key is locked once
// it reaches its limit within one lock period; the lock lasts one lock period.
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import { usernameKey } from '../users/users.repo.js';
import { ThrottleRepo } from './throttle.repo.js';

export interface ThrottleCheck {
  locked: boolean;
  retryAfterSeconds: number;
}

export class ThrottleService {
  private readonly repo: ThrottleRepo;

  constructor(db: Db, private readonly clock: Clock, private readonly lockMs: number) {
    this.repo = new ThrottleRepo(db);
  }

  static ipKey(ip: string): string {
    return `ip:${ip}`;
  }

  static usernameKey(username: string): string {
    return `user:${usernameKey(username)}`;
  }

  check(keys: string[]): ThrottleCheck {
    const now = this.clock.now();
    let until = 0;
    for (const key of keys) {
      const row = this.repo.find(key);
      if (row?.lockedUntil && row.lockedUntil > now) until = Math.max(until, row.lockedUntil);
    }
    return { locked: until > 0, retryAfterSeconds: until > 0 ? Math.ceil((until - now) / 1000) : 0 };
  }

  /** Records one failure; returns true when this failure locked the key. */
  fail(key: string, limit: number): boolean {
    const now = this.clock.now();
    const row = this.repo.find(key);
    const fresh = !row || now - row.windowStartedAt > this.lockMs || (row.lockedUntil !== null && row.lockedUntil <= now);
    const failures = fresh ? 1 : row.failures + 1;
    const lockNow = failures >= limit;
    this.repo.save({
      key,
      failures: lockNow ? 0 : failures,
      windowStartedAt: fresh ? now : row.windowStartedAt,
      lockedUntil: lockNow ? now + this.lockMs : (row?.lockedUntil ?? null),
    });
    return lockNow;
  }

  clear(key: string): void {
    this.repo.remove(key);
  }
}
