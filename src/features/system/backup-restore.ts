// Restores a backup into DATA_DIR. Runs from the CLI with the server stopped; everything is
// checked (authenticity, every file, the database's integrity, schema level, data key) before
// the current data is touched, and the swap is undone if it fails halfway.
import fs from 'node:fs';
import path from 'node:path';
import { DATABASE_FILE } from '../../boot.js';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import { openDatabase, runMigrations } from '../../db/client.js';
import { keyIdOf, parseKey } from '../../db/crypto.js';
import { knownMigrations } from '../../db/migration-level.js';
import type { Logger } from '../../log.js';
import { KEY_FILE } from '../../secrets.js';
import { AuditService } from '../audit/audit.service.js';
import { holdPostsDueSinceBackup, reconcileReadyPostsAfterRestore } from '../publishing/restored.js';
import { DB_ENTRY, type Manifest } from './backup-archive.js';
import { removeDatabaseFiles, unpackBackup } from './backup-check.js';
import { BackupError } from './backup-crypto.js';
import { runningInstance } from './instance.js';

export interface RestoreOptions {
  config: Config;
  file: string;
  backupKey: Buffer;
  /** Replace an existing database (it is otherwise refused). */
  force: boolean;
  clock: Clock;
  log: Logger;
}

export interface RestoreResult {
  manifest: Manifest;
  /** True when an existing database was replaced. */
  replaced: boolean;
  /** Posts due since the backup was made, now held for the owner to check (not published twice). */
  heldPosts: number;
}

function refuseUnderRunningServer(dataDir: string): void {
  const running = runningInstance(dataDir);
  if (running) {
    throw new BackupError(
      `A Qanat server is running on ${dataDir} (process ${running.pid} on ${running.host}, seen ${Math.round(running.lastSeenMs / 1000)} s ago). Stop it first (docker compose stop qanat), then restore.`,
    );
  }
}

function dataKeyIdOf(config: Config): string | undefined {
  const keyFile = path.join(config.dataDir, KEY_FILE);
  const text = config.dataKey ?? (fs.existsSync(keyFile) ? fs.readFileSync(keyFile, 'utf8') : undefined);
  if (text === undefined) return undefined;
  try {
    return keyIdOf(parseKey(text));
  } catch {
    return undefined;
  }
}

function checkRestorable(manifest: Manifest, config: Config): void {
  const known = knownMigrations();
  if (manifest.schema.lastMigrationAt > known.lastAt) {
    throw new BackupError(`This backup was made by a newer version of Qanat (${manifest.version}); its schema is newer than this version's (${known.lastTag}). Restore it with that version or newer.`);
  }
  const keyId = dataKeyIdOf(config);
  if (keyId === undefined) {
    throw new BackupError(`The data in this backup is encrypted with data key ${manifest.dataKeyId}. Set QANAT_DATA_KEY to that key (or put it in ${path.join(config.dataDir, KEY_FILE)}) and run the restore again.`);
  }
  if (keyId !== manifest.dataKeyId) {
    throw new BackupError(`The data in this backup is encrypted with data key ${manifest.dataKeyId}, but the configured data key is ${keyId}. Set QANAT_DATA_KEY to the key the backup was made with.`);
  }
}

function move(from: string, to: string): boolean {
  if (!fs.existsSync(from)) return false;
  fs.renameSync(from, to);
  return true;
}

export async function restoreBackup(options: RestoreOptions): Promise<RestoreResult> {
  const { config, file, backupKey, force, clock, log } = options;
  const dataDir = config.dataDir;
  refuseUnderRunningServer(dataDir);
  if (!fs.existsSync(file)) throw new BackupError(`No backup at ${file}.`);
  fs.mkdirSync(dataDir, { recursive: true });
  const work = fs.mkdtempSync(path.join(dataDir, '.restore-'));
  const aside = path.join(work, 'previous');
  const dbFile = path.join(dataDir, DATABASE_FILE);
  const mediaDir = path.join(dataDir, 'media');
  try {
    const manifest = await unpackBackup(file, backupKey, path.join(work, 'backup'));
    checkRestorable(manifest, config);
    const existing = fs.existsSync(dbFile);
    if (existing && !force) {
      throw new BackupError(`There is already a database at ${dbFile}. The backup checked out; to replace the current data with it, run the restore again with --force.`);
    }
    // Checked again just before the swap: a server may have started while we unpacked.
    refuseUnderRunningServer(dataDir);
    fs.mkdirSync(aside);
    const moved: [string, string][] = [];
    try {
      for (const suffix of ['', '-wal', '-shm', '-journal']) if (move(dbFile + suffix, path.join(aside, DATABASE_FILE + suffix))) moved.push([dbFile + suffix, path.join(aside, DATABASE_FILE + suffix)]);
      if (move(mediaDir, path.join(aside, 'media'))) moved.push([mediaDir, path.join(aside, 'media')]);
      fs.renameSync(path.join(work, 'backup', DB_ENTRY), dbFile);
      if (!move(path.join(work, 'backup', 'media'), mediaDir)) fs.mkdirSync(mediaDir, { recursive: true });
    } catch (error) {
      // Put everything back as it was.
      removeDatabaseFiles(dbFile);
      fs.rmSync(mediaDir, { recursive: true, force: true });
      for (const [original, now] of moved.reverse()) fs.renameSync(now, original);
      throw error;
    }
    // Bring an older backup up to this version's schema now (forward only), and note the restore in its audit log.
    const handle = openDatabase(dbFile);
    try {
      runMigrations(handle);
      const held = holdPostsDueSinceBackup(handle.orm, clock, manifest.createdAt);
      const rechecked = reconcileReadyPostsAfterRestore(handle.orm, clock);
      new AuditService(handle.orm, clock, log).record({ kind: 'backup.restored', actor: 'cli', detail: { backup: path.basename(file), madeAt: manifest.createdAt, version: manifest.version, heldPosts: held, recheckedPosts: rechecked } });
      return { manifest, replaced: existing, heldPosts: held };
    } finally {
      handle.close();
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}
