// Secrets for local use are generated once into data/ (with a log line saying so);
// production passes them as QANAT_DATA_KEY(_FILE) and SESSION_SECRET(_FILE).
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import { Cipher, generateKeyText, parseKey } from './db/crypto.js';
import type { DbHandle } from './db/client.js';

export const KEY_FILE = 'qanat.key';
export const SESSION_SECRET_FILE = 'session.secret';
export const BACKUP_KEY_FILE = 'backup.key';
/** Written before a key rotation commits, renamed over qanat.key after (see features/system/key-rotation.ts). */
export const NEW_KEY_FILE = 'qanat.key.new';
export const KEY_CHECK = 'crypto.key_check';
const KEY_CHECK_REF = { table: 'settings', column: 'value' };
const KEY_CHECK_TEXT = 'qanat key check';

export class StartupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartupError';
  }
}

function readOrCreate(file: string, create: () => string, log: Logger, what: string): { value: string; created: boolean } {
  if (fs.existsSync(file)) return { value: fs.readFileSync(file, 'utf8').trim(), created: false };
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const value = create();
  fs.writeFileSync(file, value + '\n', { mode: 0o600, flag: 'wx' });
  log.warn({ file }, `generated a new ${what} for local use; keep this file safe and out of backups, or set it through the environment`);
  return { value, created: true };
}

function hasKeyCheck(db: DbHandle): boolean {
  return db.sqlite.prepare('SELECT 1 FROM settings WHERE key = ?').get(KEY_CHECK) !== undefined;
}

/**
 * Builds the column cipher and proves it is the key the data was written with.
 * Refuses to start (StartupError) rather than run with a missing or wrong key.
 */
export function loadCipher(config: Config, db: DbHandle, log: Logger, now: number): Cipher {
  let keyText = config.dataKey;
  const keyFile = path.join(config.dataDir, KEY_FILE);
  if (!keyText) {
    if (!fs.existsSync(keyFile) && hasKeyCheck(db)) {
      throw new StartupError(
        `The database holds encrypted data but no key was given. Set QANAT_DATA_KEY or QANAT_DATA_KEY_FILE to the key it was written with (or restore ${keyFile}).`,
      );
    }
    keyText = readOrCreate(keyFile, generateKeyText, log, 'data encryption key').value;
  }
  let cipher: Cipher;
  try {
    cipher = new Cipher(parseKey(keyText));
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
  const row = db.sqlite.prepare('SELECT value FROM settings WHERE key = ?').get(KEY_CHECK) as { value: string } | undefined;
  if (row) {
    if (!opensKeyCheck(cipher, row.value)) {
      const finished = config.dataKey ? undefined : finishInterruptedRotation(config.dataDir, row.value, log);
      if (finished) return finished;
      const rotated = config.dataKey ? ' If you have just rotated the key with "key rotate", set QANAT_DATA_KEY to the new key (the one it printed, or the one you gave it).' : '';
      throw new StartupError(`QANAT_DATA_KEY does not match the key this database was encrypted with (key id ${keyIdIn(row.value)}). Refusing to start; give the original key.${rotated}`);
    }
    removeAbandonedRotation(config.dataDir, log);
  } else {
    db.sqlite
      .prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)')
      .run(KEY_CHECK, cipher.seal(KEY_CHECK_TEXT, KEY_CHECK_REF), now);
  }
  return cipher;
}

/** The key id inside a sealed value (v1:<keyId>:…), safe to show. */
export function keyIdIn(sealed: string): string {
  return sealed.split(':')[1] ?? '?';
}

function opensKeyCheck(cipher: Cipher, sealed: string): boolean {
  try {
    return cipher.open(sealed, KEY_CHECK_REF) === KEY_CHECK_TEXT;
  } catch {
    return false;
  }
}

/** The key-check value sealed with another cipher (key rotation writes it with the new key). */
export function sealKeyCheck(cipher: Cipher): string {
  return cipher.seal(KEY_CHECK_TEXT, KEY_CHECK_REF);
}

/**
 * A rotation that committed but stopped before renaming qanat.key.new over qanat.key: the new key
 * opens the database, so it becomes the key file now.
 */
function finishInterruptedRotation(dataDir: string, sealed: string, log: Logger): Cipher | undefined {
  const next = path.join(dataDir, NEW_KEY_FILE);
  if (!fs.existsSync(next)) return undefined;
  let cipher: Cipher;
  try {
    cipher = new Cipher(parseKey(fs.readFileSync(next, 'utf8')));
  } catch {
    return undefined;
  }
  if (!opensKeyCheck(cipher, sealed)) return undefined;
  fs.renameSync(next, path.join(dataDir, KEY_FILE));
  log.warn({ keyId: cipher.currentKeyId }, 'finished a key rotation that was interrupted: qanat.key now holds the new key');
  return cipher;
}

/** A qanat.key.new next to a database the current key opens: a rotation that stopped before it committed. */
function removeAbandonedRotation(dataDir: string, log: Logger): void {
  const next = path.join(dataDir, NEW_KEY_FILE);
  if (!fs.existsSync(next)) return;
  fs.rmSync(next, { force: true });
  log.warn('removed qanat.key.new left by a key rotation that did not complete; the data is still under the current key');
}

export function loadSessionSecret(config: Config, log: Logger): string {
  if (config.sessionSecret) return config.sessionSecret;
  return readOrCreate(path.join(config.dataDir, SESSION_SECRET_FILE), () => crypto.randomBytes(32).toString('base64url'), log, 'session secret').value;
}

/**
 * The key backups are encrypted with: QANAT_BACKUP_KEY, or data/backup.key for local use.
 * Reading a backup (list, verify, restore) never creates a key: a new one could not open it.
 */
export function loadBackupKey(config: Config, log: Logger, options: { create: boolean } = { create: true }): Buffer {
  const file = path.join(config.dataDir, BACKUP_KEY_FILE);
  if (!config.backup.key && !options.create && !fs.existsSync(file)) {
    throw new StartupError(`No backup key: set QANAT_BACKUP_KEY (or QANAT_BACKUP_KEY_FILE) to the key the backups were made with, or put it in ${file}.`);
  }
  const text = config.backup.key ?? readOrCreate(file, generateKeyText, log, 'backup encryption key').value;
  try {
    return parseKey(text, 'QANAT_BACKUP_KEY');
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
}
