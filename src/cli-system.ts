// The sysadmin's commands that work on the data directory itself: backups, key rotation,
// migrations and the configuration check. Restore, verify and list work without starting the
// app (a fresh server with only a backup and its keys must be able to restore).
import fs from 'node:fs';
import path from 'node:path';
import { DATABASE_FILE, type Booted } from './boot.js';
import { systemClock } from './clock.js';
import { loadConfig, type Config } from './config.js';
import { openDatabase, runMigrations } from './db/client.js';
import { Cipher, generateKeyText, parseKey } from './db/crypto.js';
import { appliedMigrations, knownMigrations, newerThanCode } from './db/migration-level.js';
import { createLogger } from './log.js';
import { KEY_FILE, loadBackupKey, NEW_KEY_FILE } from './secrets.js';
import type { Services } from './services.js';
import type { Manifest } from './features/system/backup-archive.js';
import { listBackups, verifyBackup } from './features/system/backup.service.js';
import { restoreBackup } from './features/system/backup-restore.js';
import { checkConfig } from './features/system/config-check.js';
import { runningInstance } from './features/system/instance.js';
import { rotateDataKey } from './features/system/key-rotation.js';
import { keyIdOf } from './db/crypto.js';
import { sizeText } from './features/system/size-text.js';

const out = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const err = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

function describe(manifest: Manifest): string {
  const rows = Object.values(manifest.tables).reduce((a, b) => a + b, 0);
  const media = manifest.files.filter((f) => f.path.startsWith('media/'));
  return `made ${manifest.createdAt} by Qanat ${manifest.version}; ${rows} rows in ${Object.keys(manifest.tables).length} tables (${manifest.tables['posts'] ?? 0} posts, ${manifest.tables['users'] ?? 0} users); ${media.length} media files (${sizeText(media.reduce((a, f) => a + f.size, 0))}); data key ${manifest.dataKeyId}`;
}

function backupFile(config: Config, arg: string): string {
  // A bare name means a file in BACKUP_DIR.
  return arg.includes('/') ? path.resolve(arg) : path.join(config.backup.dir, arg);
}

function standaloneLog(config: Config) {
  return createLogger({ level: config.log.level, dir: path.join(config.dataDir, 'logs') });
}

export async function configCheck(): Promise<number> {
  const report = checkConfig();
  for (const problem of report.problems) err(`problem: ${problem}`);
  for (const warning of report.warnings) err(`warning: ${warning}`);
  if (report.config) {
    out(`DATA_DIR ${report.config.dataDir}; PUBLIC_URL ${report.config.publicUrl}; backups ${report.config.backup.schedule ?? 'off'} into ${report.config.backup.dir}, keeping ${report.config.backup.keep}`);
  }
  out(`${report.problems.length} problems, ${report.warnings.length} warnings`);
  return report.problems.length > 0 ? 1 : 0;
}

export function dbMigrate(): number {
  const config = loadConfig();
  const handle = openDatabase(path.join(config.dataDir, DATABASE_FILE));
  try {
    const known = knownMigrations();
    const before = appliedMigrations(handle.sqlite);
    const newer = newerThanCode(before, known);
    if (newer) {
      err(newer);
      return 1;
    }
    runMigrations(handle);
    const after = appliedMigrations(handle.sqlite);
    const applied = after.count - before.count;
    out(applied > 0 ? `Applied ${applied} migrations; the schema is at ${known.lastTag}.` : `Already up to date (${known.lastTag}).`);
    return 0;
  } finally {
    handle.close();
  }
}

export async function backupCommand(verb: string | undefined, arg: string | undefined, flags: { force: boolean }, boot: () => Booted, servicesOf: (b: Booted) => Services): Promise<number> {
  if (verb === 'create') {
    const booted = boot();
    try {
      const services = servicesOf(booted);
      const made = await services.backups.create('cli');
      const pruned = services.backups.prune();
      out(`Wrote ${path.join(services.backups.dir, made.name)} (${sizeText(made.size)}, ${made.files} files, ${made.rows} rows) in ${(made.ms / 1000).toFixed(1)} s; encrypted with backup key ${made.keyId}.`);
      if (pruned > 0) out(`Removed ${pruned} older backups (BACKUP_KEEP=${booted.config.backup.keep}).`);
      return 0;
    } finally {
      booted.db.close();
    }
  }
  const config = loadConfig();
  const log = standaloneLog(config);
  const key = loadBackupKey(config, log, { create: false });
  if (verb === 'list') {
    const backups = listBackups(config.backup.dir, keyIdOf(key));
    if (backups.length === 0) out(`No backups in ${config.backup.dir}.`);
    for (const b of backups) out(`${b.name}  ${sizeText(b.size).padStart(10)}  ${b.readable ? `key ${b.keyId}` : `key ${b.keyId} (not the configured key ${keyIdOf(key)})`}`);
    return 0;
  }
  if ((verb === 'verify' || verb === 'restore') && arg) {
    const file = backupFile(config, arg);
    if (!fs.existsSync(file)) {
      err(`No backup at ${file}.`);
      return 2;
    }
    if (verb === 'verify') {
      const manifest = await verifyBackup(file, key, config.backup.dir);
      out(`OK: ${path.basename(file)} is intact: ${describe(manifest)}.`);
      return 0;
    }
    const result = await restoreBackup({ config, file, backupKey: key, force: flags.force, clock: systemClock, log });
    out(`Restored ${path.basename(file)}: ${describe(result.manifest)}.`);
    out(result.replaced ? 'The previous database and media were replaced.' : 'There was no database before; this is now the instance.');
    if (result.heldPosts > 0) out(`${result.heldPosts} posts were due since the backup was made; they are held (not published again) until you check Instagram and decide.`);
    out('Start Qanat again (docker compose start qanat).');
    return 0;
  }
  return -1;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

export async function keyRotate(booted: Booted, services: Services, fromStdin: boolean): Promise<number> {
  const { config, db } = booted;
  const running = runningInstance(config.dataDir);
  if (running) {
    err(`A Qanat server is running on ${config.dataDir} (process ${running.pid} on ${running.host}). Stop it first (docker compose stop qanat): it would keep writing with the old key.`);
    return 1;
  }
  const text = fromStdin ? await readStdin() : generateKeyText();
  let next: Cipher;
  try {
    next = new Cipher(parseKey(text));
  } catch (error) {
    err((error as Error).message);
    return 2;
  }
  const fromFile = !config.dataKey;
  const newFile = path.join(config.dataDir, NEW_KEY_FILE);
  const oldVerifyToken = booted.cipher.deriveSecret('webhook-verify-token').slice(0, 32);
  if (fromFile) {
    // The new key is on disk before any value is sealed with it (see secrets.ts finishInterruptedRotation).
    const fd = fs.openSync(newFile, 'w', 0o600);
    fs.writeSync(fd, `${text}\n`);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
  }
  let result;
  try {
    result = rotateDataKey(db.sqlite, booted.cipher, next);
  } catch (error) {
    if (fromFile) fs.rmSync(newFile, { force: true });
    throw error;
  }
  if (fromFile) fs.renameSync(newFile, path.join(config.dataDir, KEY_FILE));
  services.audit.record({ kind: 'key.rotated', actor: 'cli', detail: { from: result.fromKeyId, to: result.toKeyId, values: result.values } });
  out(`Re-encrypted ${result.values} values from key ${result.fromKeyId} to key ${result.toKeyId}; no value under ${result.fromKeyId} remains.`);
  if (fromFile) {
    out(`${path.join(config.dataDir, KEY_FILE)} now holds the new key.`);
  } else {
    out('Before starting Qanat again, set QANAT_DATA_KEY (or the file QANAT_DATA_KEY_FILE names) to the new key; with the old one it refuses to start.');
    if (!fromStdin) out(`New key (shown once): ${text}`);
  }
  out(`Backups made before now need the old key (${result.fromKeyId}) to be restored: keep it with them until they age out.`);
  if (!config.instagram.sandbox && !config.instagram.webhookVerifyToken) {
    out(`The webhook verify token was derived from the old key. If Meta's webhook was set up with it, set INSTAGRAM_WEBHOOK_VERIFY_TOKEN=${oldVerifyToken} to keep it.`);
  }
  return 0;
}
