import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { drizzle, type BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { migrate } from 'drizzle-orm/better-sqlite3/migrator';
import { migrationsDir } from '../paths.js';
import * as schema from './schema.js';

export type Db = BetterSQLite3Database<typeof schema>;

export interface DbHandle {
  /** drizzle on top of the one writer connection. */
  orm: Db;
  /** The raw connection, for pragmas, transactions with BEGIN IMMEDIATE and backups. */
  sqlite: Database.Database;
  close(): void;
}

export function openDatabase(file: string): DbHandle {
  if (file !== ':memory:') fs.mkdirSync(path.dirname(file), { recursive: true });
  const sqlite = new Database(file);
  // WAL: readers never block the writer and a crash mid-write leaves the last commit intact.
  sqlite.pragma('journal_mode = WAL');
  // FULL: every acknowledged commit survives power loss (NORMAL may lose the last ones in WAL mode).
  sqlite.pragma('synchronous = FULL');
  // SQLite ships with foreign keys off; our ON DELETE CASCADE privacy guarantees depend on them.
  sqlite.pragma('foreign_keys = ON');
  // Deleted rows are overwritten, not left in free pages: after a disconnect or Meta's deletion
  // callback the person's data is gone from the file too, not just from the tables.
  sqlite.pragma('secure_delete = ON');
  // Wait for a lock held by another process (the CLI, a backup) instead of failing at once.
  sqlite.pragma('busy_timeout = 5000');
  const orm = drizzle(sqlite, { schema });
  return {
    orm,
    sqlite,
    close: () => {
      if (sqlite.open) sqlite.close();
    },
  };
}

/** Applies the committed SQL migrations in migrations/ (idempotent). */
export function runMigrations(handle: DbHandle, folder: string = migrationsDir): void {
  migrate(handle.orm, { migrationsFolder: folder });
}
