// What the server and the CLI share at start-up: config → logger → database → migrations → key.
import path from 'node:path';
import { systemClock, type Clock } from './clock.js';
import { loadConfig, type Config } from './config.js';
import { openDatabase, runMigrations, type DbHandle } from './db/client.js';
import type { Cipher } from './db/crypto.js';
import { createLogger, type Logger } from './log.js';
import { appliedMigrations, knownMigrations, newerThanCode } from './db/migration-level.js';
import { loadCipher, StartupError } from './secrets.js';

export interface Booted {
  config: Config;
  log: Logger;
  db: DbHandle;
  cipher: Cipher;
  clock: Clock;
}

export const DATABASE_FILE = 'qanat.db';

/** `env` is for tests; by default config.ts reads the process environment. */
export function boot(options: { logToFile: boolean }, env?: Record<string, string | undefined>): Booted {
  const config = loadConfig(env);
  const log = createLogger({ level: config.log.level, ...(options.logToFile ? { dir: path.join(config.dataDir, 'logs') } : {}) });
  const db = openDatabase(path.join(config.dataDir, DATABASE_FILE));
  try {
    const newer = newerThanCode(appliedMigrations(db.sqlite), knownMigrations());
    if (newer) throw new StartupError(newer);
    runMigrations(db);
    const cipher = loadCipher(config, db, log, systemClock.now());
    return { config, log, db, cipher, clock: systemClock };
  } catch (error) {
    db.close();
    throw error;
  }
}
