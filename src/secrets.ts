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
    try {
      cipher.open(row.value, KEY_CHECK_REF);
    } catch {
      throw new StartupError('QANAT_DATA_KEY does not match the key this database was encrypted with. Refusing to start; give the original key.');
    }
  } else {
    db.sqlite
      .prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)')
      .run(KEY_CHECK, cipher.seal(KEY_CHECK_TEXT, KEY_CHECK_REF), now);
  }
  return cipher;
}

export function loadSessionSecret(config: Config, log: Logger): string {
  if (config.sessionSecret) return config.sessionSecret;
  return readOrCreate(path.join(config.dataDir, SESSION_SECRET_FILE), () => crypto.randomBytes(32).toString('base64url'), log, 'session secret').value;
}
