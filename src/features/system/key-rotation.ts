// Data key rotation: every encrypted value is opened with the current key and sealed again with
// the new one, in one transaction. Afterwards no value under the old key id remains anywhere in
// the database (checked over every text column of every table, not only the known ones).
import type Database from 'better-sqlite3';
import type { Cipher } from '../../db/crypto.js';
import { SEALED_COLUMNS, SEALED_PREFIX } from '../../db/sealed-columns.js';

export class RotationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RotationError';
  }
}

export interface RotationResult {
  fromKeyId: string;
  toKeyId: string;
  values: number;
  perColumn: Record<string, number>;
}

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

/** Every value in any text column of any table that starts with v1:<keyId>: (the proof after rotation). */
export function countSealedWith(db: Database.Database, keyId: string): { count: number; where: string[] } {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__drizzle_migrations'").all() as { name: string }[];
  let count = 0;
  const where: string[] = [];
  for (const { name } of tables) {
    const columns = db.prepare(`PRAGMA table_info(${quote(name)})`).all() as { name: string; type: string }[];
    for (const column of columns) {
      if (!/text|char|clob|^$/i.test(column.type)) continue;
      const n = (db.prepare(`SELECT count(*) AS n FROM ${quote(name)} WHERE substr(${quote(column.name)}, 1, ?) = ?`).get(SEALED_PREFIX.length + keyId.length + 1, `${SEALED_PREFIX}${keyId}:`) as { n: number }).n;
      if (n > 0) {
        count += n;
        where.push(`${name}.${column.name}`);
      }
    }
  }
  return { count, where };
}

export function rotateDataKey(db: Database.Database, from: Cipher, to: Cipher): RotationResult {
  if (from.currentKeyId === to.currentKeyId) throw new RotationError('The new key is the key in use; nothing to rotate.');
  const perColumn: Record<string, number> = {};
  let values = 0;
  const run = db.transaction(() => {
    for (const sealed of SEALED_COLUMNS) {
      const rowKey = sealed.rowKey ?? 'NULL';
      const rows = db
        .prepare(`SELECT rowid AS id, ${quote(sealed.column)} AS value, ${rowKey} AS rowKey FROM ${quote(sealed.table)} WHERE substr(${quote(sealed.column)}, 1, 3) = ?`)
        .all(SEALED_PREFIX) as { id: number; value: string; rowKey: string | null }[];
      const update = db.prepare(`UPDATE ${quote(sealed.table)} SET ${quote(sealed.column)} = ? WHERE rowid = ?`);
      for (const row of rows) {
        const ref = { table: sealed.table, column: sealed.column, ...(row.rowKey === null ? {} : { row: row.rowKey }) };
        let plain: string;
        try {
          plain = from.open(row.value, ref);
        } catch {
          throw new RotationError(`A value in ${sealed.table}.${sealed.column} (row ${row.id}) cannot be opened with the current key: it was changed or written with another key. Nothing was rotated.`);
        }
        update.run(to.seal(plain, ref), row.id);
      }
      perColumn[`${sealed.table}.${sealed.column}`] = rows.length;
      values += rows.length;
    }
    const left = countSealedWith(db, from.currentKeyId);
    if (left.count > 0) {
      throw new RotationError(`${left.count} values under the old key remain in ${left.where.join(', ')}, which key rotation does not know about. Nothing was rotated.`);
    }
  });
  run.immediate();
  // Old page images leave the write-ahead log; secure_delete already overwrote the freed cells.
  db.pragma('wal_checkpoint(TRUNCATE)');
  return { fromKeyId: from.currentKeyId, toKeyId: to.currentKeyId, values, perColumn };
}
