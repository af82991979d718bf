// A real app on a fresh SQLite file with the real migrations, a movable clock and captured logs.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { createApp, type Qanat } from '../../src/app.js';
import { ManualClock } from '../../src/clock.js';
import { loadConfig, type Config } from '../../src/config.js';
import { openDatabase, runMigrations, type DbHandle } from '../../src/db/client.js';
import type { Cipher } from '../../src/db/crypto.js';
import { createLogger, type Logger } from '../../src/log.js';
import { loadCipher } from '../../src/secrets.js';

export const TEST_SESSION_SECRET = 'test-session-secret-that-is-long-enough-0123456789';

/** Fast but still valid argon2id parameters (the security.md minimum). */
export const FAST_ARGON2 = { ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2', ARGON2_PARALLELISM: '1' };

export class LogCapture extends Writable {
  readonly lines: string[] = [];
  override _write(chunk: Buffer, _encoding: BufferEncoding, done: () => void): void {
    this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
    done();
  }
  get text(): string {
    return this.lines.join('\n');
  }
}

export interface TestApp extends Qanat {
  config: Config;
  db: DbHandle;
  cipher: Cipher;
  clock: ManualClock;
  log: Logger;
  logs: LogCapture;
  dir: string;
  /** Builds a second app on the same data folder, as after a restart. */
  restart(): TestApp;
  close(): void;
}

export function tempDir(prefix = 'qanat-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

export function createTestApp(env: Record<string, string> = {}, existingDir?: string, clock = new ManualClock()): TestApp {
  const dir = existingDir ?? tempDir();
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, LOG_LEVEL: 'debug', ...FAST_ARGON2, ...env });
  const logs = new LogCapture();
  const log = createLogger({ level: config.log.level, destination: logs });
  const db = openDatabase(path.join(dir, 'qanat.db'));
  runMigrations(db);
  const cipher = loadCipher(config, db, log, clock.now());
  const qanat = createApp({ config, db, cipher, clock, log, sessionSecret: TEST_SESSION_SECRET });
  const testApp: TestApp = {
    ...qanat,
    config,
    db,
    cipher,
    clock,
    log,
    logs,
    dir,
    restart() {
      db.close();
      return createTestApp(env, dir, clock);
    },
    close() {
      db.close();
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  return testApp;
}
