import crypto from 'node:crypto';
import { and, eq, lt, ne } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { sessions } from '../../db/schema.js';

export type SessionRow = typeof sessions.$inferSelect;

/** Session ids are stored hashed: a stolen database file yields no usable cookie. */
export function hashSid(sid: string): string {
  return crypto.createHash('sha256').update(sid).digest('base64url');
}

export class SessionsRepo {
  constructor(private readonly db: Db) {}

  find(sidHash: string): SessionRow | undefined {
    return this.db.select().from(sessions).where(eq(sessions.sidHash, sidHash)).get();
  }

  upsert(row: SessionRow): void {
    this.db
      .insert(sessions)
      .values(row)
      .onConflictDoUpdate({ target: sessions.sidHash, set: { userId: row.userId, data: row.data, expiresAt: row.expiresAt } })
      .run();
  }

  /** Updates a session that still exists; returns false when it was deleted meanwhile (logout, password change). */
  updateExisting(row: Pick<SessionRow, 'sidHash' | 'userId' | 'data' | 'expiresAt'>): boolean {
    return this.db.update(sessions).set({ userId: row.userId, data: row.data, expiresAt: row.expiresAt }).where(eq(sessions.sidHash, row.sidHash)).run().changes > 0;
  }

  /** Only a changed expiry is written: a page view that changes nothing is no write (and no fsync). */
  touch(sidHash: string, expiresAt: number): void {
    this.db.update(sessions).set({ expiresAt }).where(and(eq(sessions.sidHash, sidHash), ne(sessions.expiresAt, expiresAt))).run();
  }

  remove(sidHash: string): void {
    this.db.delete(sessions).where(eq(sessions.sidHash, sidHash)).run();
  }

  /** Ends every session of a user, except (optionally) the one making the change. */
  removeForUser(userId: number, exceptSidHash: string | null = null): number {
    const where = exceptSidHash ? and(eq(sessions.userId, userId), ne(sessions.sidHash, exceptSidHash)) : eq(sessions.userId, userId);
    return this.db.delete(sessions).where(where).run().changes;
  }

  removeExpired(now: number): number {
    return this.db.delete(sessions).where(lt(sessions.expiresAt, now)).run().changes;
  }

  countForUser(userId: number): number {
    return this.db.select({ sidHash: sessions.sidHash }).from(sessions).where(eq(sessions.userId, userId)).all().length;
  }
}
