// After a deletion that is a promise (Meta's deletion callback, a disconnect, "erase everything"):
// secure_delete overwrites the freed pages in qanat.db, but in WAL mode the old page images are
// still in qanat.db-wal until a checkpoint, and a plain checkpoint leaves the WAL file's bytes in
// place. A TRUNCATE checkpoint copies the new pages into the database and empties the WAL, so the
// deleted values are gone from both files. Best effort: a reader holding the WAL (a backup being
// taken) makes it return busy; the next checkpoint then finishes the job.
import { sql } from 'drizzle-orm';
import type { Db } from './client.js';

export function scrubWal(db: Db): boolean {
  const [result] = db.all<{ busy: number }>(sql.raw('PRAGMA wal_checkpoint(TRUNCATE)'));
  return result?.busy === 0;
}
