// Large deletes in small transactions: CHUNK rows at a time by rowid, yielding to the event loop
// between chunks, so a purge of a million rows never holds a request up for long.
import { sql, type SQL } from 'drizzle-orm';
import type { Db } from './client.js';

const CHUNK = 1000;
const pause = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function deleteInChunks(db: Db, table: string, where: SQL, chunk = CHUNK): Promise<number> {
  let total = 0;
  for (;;) {
    const removed = db.run(sql`DELETE FROM ${sql.identifier(table)} WHERE rowid IN (SELECT rowid FROM ${sql.identifier(table)} WHERE ${where} LIMIT ${chunk})`).changes;
    total += removed;
    if (removed < chunk) return total;
    await pause();
  }
}
