import { and, asc, count, eq, lte, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { accounts, followerDays, profileSnapshots } from '../../db/schema.js';
import { returnedRow } from '../../db/returning.js';

export type AccountRow = typeof accounts.$inferSelect;
export type NewAccountRow = typeof accounts.$inferInsert;

export class AccountsRepo {
  constructor(private readonly db: Db) {}

  list(): AccountRow[] {
    return this.db.select().from(accounts).orderBy(asc(accounts.username)).all();
  }

  findById(id: number): AccountRow | undefined {
    return this.db.select().from(accounts).where(eq(accounts.id, id)).get();
  }

  findByIgUserId(igUserId: string): AccountRow | undefined {
    return this.db.select().from(accounts).where(eq(accounts.igUserId, igUserId)).get();
  }

  insert(row: NewAccountRow): AccountRow {
    return returnedRow(this.db.insert(accounts).values(row).returning().all());
  }

  remove(id: number): void {
    this.db.delete(accounts).where(eq(accounts.id, id)).run();
  }

  /** Tokens at least `minAgeMs` old that expire before `expiringBefore` (the refresh job's work list). */
  dueForRefresh(refreshedBefore: number, expiringBefore: number): AccountRow[] {
    return this.db
      .select()
      .from(accounts)
      .where(and(eq(accounts.status, 'ok'), lte(accounts.tokenRefreshedAt, refreshedBefore), lte(accounts.tokenExpiresAt, expiringBefore)))
      .all();
  }

  insertSnapshot(row: typeof profileSnapshots.$inferInsert): void {
    this.db.insert(profileSnapshots).values(row).run();
  }

  /** One row per account per day: a later sync the same day overwrites the count. */
  upsertFollowerDay(accountId: number, day: string, followers: number): void {
    this.db
      .insert(followerDays)
      .values({ accountId, day, followers })
      .onConflictDoUpdate({ target: [followerDays.accountId, followerDays.day], set: { followers } })
      .run();
  }

  countSnapshots(accountId: number): number {
    return this.db.select({ n: count() }).from(profileSnapshots).where(eq(profileSnapshots.accountId, accountId)).get()?.n ?? 0;
  }

  countFollowerDays(accountId: number): number {
    return this.db.select({ n: count() }).from(followerDays).where(eq(followerDays.accountId, accountId)).get()?.n ?? 0;
  }

  latestSnapshotAt(accountId: number): number | undefined {
    return this.db.select({ at: sql<number>`max(${profileSnapshots.takenAt})` }).from(profileSnapshots).where(eq(profileSnapshots.accountId, accountId)).get()?.at ?? undefined;
  }

  /** Reconnect: a new token and fresh profile fields; the id (and so all the account's data) stays. */
  update(id: number, fields: Partial<NewAccountRow>): AccountRow {
    return this.db.update(accounts).set(fields).where(eq(accounts.id, id)).returning().all()[0] as AccountRow;
  }
}
