// `qanat config check`: what would stop this instance from working, or from being recoverable,
// found before start-up instead of after. Problems make the command exit non-zero.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { DATABASE_FILE } from '../../boot.js';
import { ConfigError, loadConfig, type Config } from '../../config.js';
import { Cipher, parseKey } from '../../db/crypto.js';
import { appliedMigrations, knownMigrations, newerThanCode } from '../../db/migration-level.js';
import { KEY_CHECK, KEY_FILE, keyIdIn, BACKUP_KEY_FILE } from '../../secrets.js';
import { hostProblem } from './reach.service.js';

export interface ConfigReport {
  config: Config | undefined;
  problems: string[];
  warnings: string[];
}

function writable(dir: string): string | undefined {
  try {
    fs.mkdirSync(dir, { recursive: true });
    const probe = path.join(dir, `.write-check-${process.pid}`);
    fs.writeFileSync(probe, 'x');
    fs.rmSync(probe);
    return undefined;
  } catch (error) {
    return (error as { code?: string }).code ?? String(error);
  }
}

function hasProgram(name: string): boolean {
  const result = spawnSync(name, ['-version'], { stdio: 'ignore' });
  return result.error === undefined && result.status === 0;
}

function checkDataKey(config: Config, problems: string[]): void {
  const dbFile = path.join(config.dataDir, DATABASE_FILE);
  if (!fs.existsSync(dbFile)) return;
  const db = new Database(dbFile, { readonly: true, fileMustExist: true });
  try {
    const newer = newerThanCode(appliedMigrations(db), knownMigrations());
    if (newer) problems.push(newer);
    const hasSettings = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'settings'").get();
    const row = hasSettings ? (db.prepare('SELECT value FROM settings WHERE key = ?').get(KEY_CHECK) as { value: string } | undefined) : undefined;
    if (!row) return;
    const keyFile = path.join(config.dataDir, KEY_FILE);
    const text = config.dataKey ?? (fs.existsSync(keyFile) ? fs.readFileSync(keyFile, 'utf8') : undefined);
    if (text === undefined) {
      problems.push(`QANAT_DATA_KEY: the database holds data encrypted with key ${keyIdIn(row.value)}, and no key is given (nor ${keyFile}).`);
      return;
    }
    try {
      new Cipher(parseKey(text)).open(row.value, { table: 'settings', column: 'value' });
    } catch {
      problems.push(`QANAT_DATA_KEY: it does not open this database (its data is encrypted with key ${keyIdIn(row.value)}).`);
    }
  } finally {
    db.close();
  }
}

export function checkConfig(env?: Record<string, string | undefined>): ConfigReport {
  let config: Config;
  try {
    config = loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return { config: undefined, problems: error.problems, warnings: [] };
    throw error;
  }
  const problems: string[] = [];
  const warnings: string[] = [];
  const production = config.env === 'production';
  const url = new URL(config.publicUrl);
  if (production && url.protocol !== 'https:') problems.push(`PUBLIC_URL: ${config.publicUrl} is not https; Meta only calls https addresses and cookies would not be secure.`);
  const host = hostProblem(url.hostname);
  if (production && host) warnings.push(`PUBLIC_URL: ${url.hostname} is not a public host name; Meta cannot reach it.`);
  const dataProblem = writable(config.dataDir);
  if (dataProblem) problems.push(`DATA_DIR: ${config.dataDir} is not writable (${dataProblem}).`);
  else checkDataKey(config, problems);
  if (config.backup.schedule) {
    const backupProblem = writable(config.backup.dir);
    if (backupProblem) problems.push(`BACKUP_DIR: ${config.backup.dir} is not writable (${backupProblem}).`);
  } else {
    warnings.push('BACKUP_SCHEDULE is "off": no backups are made.');
  }
  if (config.backup.key) {
    try {
      parseKey(config.backup.key, 'QANAT_BACKUP_KEY');
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  if (config.dataKey) {
    try {
      parseKey(config.dataKey);
    } catch (error) {
      problems.push((error as Error).message);
    }
  }
  for (const program of ['ffmpeg', 'ffprobe']) if (!hasProgram(program)) problems.push(`${program} is not installed or not on PATH; Reels and video Stories cannot be prepared.`);
  if (production) {
    if (!config.dataKey) warnings.push(`QANAT_DATA_KEY is not set: the key lives in ${path.join(config.dataDir, KEY_FILE)}, on the same volume as the data. Keep a copy elsewhere, or set it in .env.`);
    if (!config.backup.key) warnings.push(`QANAT_BACKUP_KEY is not set: backups are encrypted with ${path.join(config.dataDir, BACKUP_KEY_FILE)}; if this volume is lost, the backups cannot be opened without a copy of it.`);
    if (config.instagram.sandbox) warnings.push('INSTAGRAM_APP_ID is not set: Qanat runs against its built-in Instagram simulator, not Instagram.');
    if (!config.privacy.operatorName || !config.privacy.contactEmail) warnings.push('PRIVACY_OPERATOR_NAME / PRIVACY_CONTACT_EMAIL are not set: the privacy policy says so instead of naming you.');
    if (config.backup.dir.startsWith(config.dataDir + path.sep)) warnings.push('BACKUP_DIR is inside DATA_DIR: a lost volume takes the backups with it. Copy them elsewhere too.');
  }
  return { config, problems, warnings };
}
