// Checks shared by making, verifying and restoring a backup.
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { appliedMigrations } from '../../db/migration-level.js';
import { DB_ENTRY, extractArchive, type Manifest } from './backup-archive.js';
import { BackupError, checkAuthenticity, openBackupStream } from './backup-crypto.js';

export interface DatabaseFacts {
  schema: { migrations: number; lastMigrationAt: number };
  tables: Record<string, number>;
}

/**
 * integrity_check on a copy of the database, then makes it a single self-contained file
 * (rollback journal instead of WAL) and counts its rows. Throws BackupError when damaged.
 */
export function checkDatabaseCopy(file: string): DatabaseFacts {
  const db = new Database(file);
  try {
    const result = db.pragma('integrity_check') as { integrity_check: string }[];
    const verdict = result.map((r) => r.integrity_check).join('; ');
    if (verdict !== 'ok') throw new BackupError(`The database copy failed SQLite's integrity check: ${verdict.slice(0, 300)}`);
    db.pragma('journal_mode = DELETE');
    const tables: Record<string, number> = {};
    const names = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[];
    for (const { name } of names) {
      tables[name] = (db.prepare(`SELECT count(*) AS n FROM "${name.replace(/"/g, '""')}"`).get() as { n: number }).n;
    }
    const applied = appliedMigrations(db);
    return { schema: { migrations: applied.count, lastMigrationAt: applied.lastAt }, tables };
  } catch (error) {
    if (error instanceof BackupError) throw error;
    throw new BackupError(`The database in the backup cannot be read: ${(error as Error).message}`);
  } finally {
    db.close();
  }
}

/** Decrypts and unpacks a backup into dir, checks every file against the manifest and the database's integrity. */
export async function unpackBackup(file: string, key: Buffer, dir: string): Promise<Manifest> {
  let manifest: Manifest;
  try {
    manifest = await extractArchive(openBackupStream(file, key), dir);
  } catch (error) {
    // Unpacking reads ahead of the decryption's final verdict, so a changed file usually breaks
    // gunzip or tar first. The tag decides what to tell: changed, or really unreadable.
    await checkAuthenticity(file, key);
    throw error;
  }
  const facts = checkDatabaseCopy(path.join(dir, DB_ENTRY));
  for (const [table, rows] of Object.entries(manifest.tables)) {
    if (facts.tables[table] !== rows) throw new BackupError(`The database in the backup holds ${String(facts.tables[table] ?? 0)} rows in ${table}; its manifest says ${rows}.`);
  }
  return manifest;
}

/** Removes a database file with its WAL and shared-memory companions. */
export function removeDatabaseFiles(file: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) fs.rmSync(file + suffix, { force: true });
}
