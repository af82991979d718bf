import { asc, eq } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { accounts } from '../../db/schema.js';

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
    return this.db.insert(accounts).values(row).returning().get();
  }

  /** Reconnect: a new token and fresh profile fields; the id (and so all the account's data) stays. */
  update(id: number, fields: Partial<NewAccountRow>): AccountRow {
    return this.db.update(accounts).set(fields).where(eq(accounts.id, id)).returning().get() as AccountRow;
  }
}
