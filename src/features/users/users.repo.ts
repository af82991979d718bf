import { asc, count, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { POLICY_VERSION } from '../privacy/policy.js';
import { users, type Language, type Role } from '../../db/schema.js';
import { returnedRow } from '../../db/returning.js';

export type UserRow = typeof users.$inferSelect;
export type NewUserRow = Omit<typeof users.$inferInsert, 'usernameKey'>;

/** SQLite's lower() folds ASCII only, so names are folded here, in Unicode. */
export function usernameKey(username: string): string {
  return username.normalize('NFC').toLowerCase();
}

export class UsersRepo {
  constructor(private readonly db: Db) {}

  count(): number {
    return this.db.select({ n: count() }).from(users).get()?.n ?? 0;
  }

  countByRole(role: Role): number {
    return this.db.select({ n: count() }).from(users).where(eq(users.role, role)).get()?.n ?? 0;
  }

  findById(id: number): UserRow | undefined {
    return this.db.select().from(users).where(eq(users.id, id)).get();
  }

  /** Usernames are matched without regard to case, so "Aigerim" and "aigerim" are one person. */
  findByUsername(username: string): UserRow | undefined {
    return this.db.select().from(users).where(eq(users.usernameKey, usernameKey(username))).get();
  }

  list(): UserRow[] {
    return this.db.select().from(users).orderBy(asc(users.username)).all();
  }

  /** New people start on the current privacy policy (linked from sign-in); the notice is for changes. */
  insert(row: NewUserRow): UserRow {
    row = { policySeen: POLICY_VERSION, ...row };
    return returnedRow(
      this.db
        .insert(users)
        .values({ ...row, usernameKey: usernameKey(row.username) })
        .returning()
        .all(),
    );
  }

  updatePassword(id: number, passwordHash: string, changedAt: number): void {
    this.db.update(users).set({ passwordHash, passwordChangedAt: changedAt }).where(eq(users.id, id)).run();
  }

  /** Rehash on sign-in: same password, stronger parameters; not a password change. */
  replaceHash(id: number, passwordHash: string): void {
    this.db.update(users).set({ passwordHash }).where(eq(users.id, id)).run();
  }

  updateRole(id: number, role: Role): void {
    this.db.update(users).set({ role }).where(eq(users.id, id)).run();
  }

  updateLanguage(id: number, language: Language): void {
    this.db.update(users).set({ language }).where(eq(users.id, id)).run();
  }

  updateTimeZone(id: number, timeZone: string): void {
    this.db.update(users).set({ timeZone }).where(eq(users.id, id)).run();
  }

  updatePolicySeen(id: number, version: string): void {
    this.db.update(users).set({ policySeen: version }).where(eq(users.id, id)).run();
  }

  remove(id: number): void {
    this.db.delete(users).where(eq(users.id, id)).run();
  }
}
