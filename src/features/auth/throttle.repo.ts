import { eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { loginThrottle } from '../../db/schema.js';

export type ThrottleRow = typeof loginThrottle.$inferSelect;

export class ThrottleRepo {
  constructor(private readonly db: Db) {}

  find(key: string): ThrottleRow | undefined {
    return this.db.select().from(loginThrottle).where(eq(loginThrottle.key, key)).get();
  }

  save(row: ThrottleRow): void {
    this.db
      .insert(loginThrottle)
      .values(row)
      .onConflictDoUpdate({
        target: loginThrottle.key,
        set: { failures: row.failures, windowStartedAt: row.windowStartedAt, lockedUntil: row.lockedUntil },
      })
      .run();
  }

  remove(key: string): void {
    this.db.delete(loginThrottle).where(eq(loginThrottle.key, key)).run();
  }
}
