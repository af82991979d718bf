// Migrations only go forward: a database written by a newer Qanat is refused, not half-understood.
import fs from 'node:fs';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { migrationsDir } from '../paths.js';

interface JournalEntry {
  tag: string;
  when: number;
}

/** The newest migration this code ships (drizzle's journal), as drizzle records it in the database. */
export function knownMigrations(folder: string = migrationsDir): { count: number; lastAt: number; lastTag: string } {
  const journal = JSON.parse(fs.readFileSync(path.join(folder, 'meta', '_journal.json'), 'utf8')) as { entries: JournalEntry[] };
  const last = journal.entries.at(-1);
  return { count: journal.entries.length, lastAt: last?.when ?? 0, lastTag: last?.tag ?? '' };
}

/** How far the database is: drizzle's bookkeeping table (absent before the first migration). */
export function appliedMigrations(db: Database.Database): { count: number; lastAt: number } {
  const exists = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '__drizzle_migrations'").get();
  if (!exists) return { count: 0, lastAt: 0 };
  const row = db.prepare('SELECT count(*) AS n, coalesce(max(created_at), 0) AS last FROM __drizzle_migrations').get() as { n: number; last: number };
  return { count: row.n, lastAt: Number(row.last) };
}

/** Message for a database newer than this code, or undefined when migrating forward is safe. */
export function newerThanCode(applied: { lastAt: number }, known: { lastAt: number; lastTag: string }): string | undefined {
  if (applied.lastAt <= known.lastAt) return undefined;
  return `This database was written by a newer version of Qanat (schema of ${new Date(applied.lastAt).toISOString().slice(0, 10)}); this version knows the schema up to ${known.lastTag}. Run the newer version, or restore a backup made by this one.`;
}
