// Encrypted backups: SQLite's online backup API makes a consistent copy while the app runs,
// integrity_check proves the copy, then the copy and the media files are packed (tar), gzipped
// and encrypted (AES-256-GCM) into BACKUP_DIR; the newest BACKUP_KEEP are kept.
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { Clock } from '../../clock.js';
import type { Config } from '../../config.js';
import type { DbHandle } from '../../db/client.js';
import type { Cipher } from '../../db/crypto.js';
import { keyIdOf } from '../../db/crypto.js';
import { Forbidden } from '../../errors.js';
import type { Logger } from '../../log.js';
import type { AuditService } from '../audit/audit.service.js';
import { ActionRefused } from '../engagement/refusals.js';
import { listMedia, packArchive, type Manifest } from './backup-archive.js';
import { BackupSealer, readBackupHeader } from './backup-crypto.js';
import { checkDatabaseCopy, removeDatabaseFiles, unpackBackup } from './backup-check.js';

const NAME = /^qanat-(\d{4}-\d{2}-\d{2})T(\d{2})(\d{2})(\d{2})Z(?:-\d{1,3})?\.backup$/;

export interface BackupInfo {
  name: string;
  size: number;
  createdAt: number;
  keyId: string;
  /** False when it was made with another backup key than the configured one. */
  readable: boolean;
}

export interface CreatedBackup extends BackupInfo {
  files: number;
  rows: number;
  ms: number;
}

export interface Actor {
  id: number | null;
  role: string;
}

function nameFor(now: number): string {
  const iso = new Date(now).toISOString();
  return `qanat-${iso.slice(0, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z.backup`;
}

export function isBackupName(name: string): boolean {
  return NAME.test(name);
}

/** Backups in dir, newest first; `readable` says whether keyId (the configured key) opens them. */
export function listBackups(dir: string, keyId: string): BackupInfo[] {
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  const out: BackupInfo[] = [];
  for (const name of names) {
    const match = NAME.exec(name);
    if (!match) continue;
    const createdAt = Date.parse(`${match[1]}T${match[2]}:${match[3]}:${match[4]}Z`);
    try {
      const header = readBackupHeader(path.join(dir, name));
      out.push({ name, size: header.size, createdAt, keyId: header.keyId, readable: header.keyId === keyId });
    } catch {
      out.push({ name, size: fs.statSync(path.join(dir, name)).size, createdAt, keyId: '?', readable: false });
    }
  }
  return out.sort((a, b) => b.createdAt - a.createdAt || b.name.localeCompare(a.name));
}

/** Full check of one backup: decrypts, unpacks into a temporary folder next to it, checks every file and the database. */
export async function verifyBackup(file: string, key: Buffer, workDir: string): Promise<Manifest> {
  fs.mkdirSync(workDir, { recursive: true, mode: 0o700 });
  const work = fs.mkdtempSync(path.join(workDir, '.verify-'));
  try {
    return await unpackBackup(file, key, work);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

export class BackupService {
  private busy = false;
  private loadedKey: Buffer | undefined;

  constructor(
    private readonly db: DbHandle,
    private readonly config: Config,
    private readonly cipher: Cipher,
    /** Read (or, for local use, generated) on first use only. */
    private readonly loadKey: () => Buffer,
    private readonly clock: Clock,
    private readonly audit: AuditService,
    private readonly log: Logger,
  ) {}

  private get key(): Buffer {
    this.loadedKey ??= this.loadKey();
    return this.loadedKey;
  }

  get keyId(): string {
    return keyIdOf(this.key);
  }

  get dir(): string {
    return this.config.backup.dir;
  }

  /** The web page's "Back up now": owners only. */
  async createAs(actor: Actor): Promise<CreatedBackup> {
    if (actor.role !== 'owner') throw new Forbidden();
    return this.create(actor.id === null ? 'cli' : `user:${actor.id}`, actor.id);
  }

  async create(by: string, userId: number | null = null): Promise<CreatedBackup> {
    if (this.busy) throw new ActionRefused('system.backup.busy', {}, 'system.backup.title');
    this.busy = true;
    const started = Date.now();
    fs.mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const now = this.clock.now();
    let name = nameFor(now);
    for (let n = 1; fs.existsSync(path.join(this.dir, name)); n += 1) name = nameFor(now).replace('.backup', `-${n}.backup`);
    const target = path.join(this.dir, name);
    const partial = `${target}.partial`;
    const copy = path.join(this.dir, `.copy-${process.pid}-${now}.db`);
    try {
      await this.db.sqlite.backup(copy);
      const facts = checkDatabaseCopy(copy);
      const media = listMedia(path.join(this.config.dataDir, 'media'));
      const manifest: Omit<Manifest, 'files'> = {
        format: 1,
        app: 'qanat',
        version: this.config.version,
        createdAt: new Date(now).toISOString(),
        schema: facts.schema,
        dataKeyId: this.cipher.currentKeyId,
        tables: facts.tables,
      };
      await pipeline(packArchive(copy, media, manifest), zlib.createGzip({ level: 6 }), new BackupSealer(this.key), fs.createWriteStream(partial, { mode: 0o600 }));
      const fd = fs.openSync(partial, 'r');
      fs.fsyncSync(fd);
      fs.closeSync(fd);
      fs.renameSync(partial, target);
      const size = fs.statSync(target).size;
      const rows = Object.values(facts.tables).reduce((a, b) => a + b, 0);
      const ms = Date.now() - started;
      this.audit.record({ kind: 'backup.created', userId, actor: by, detail: { name, bytes: size, files: media.length + 1 } });
      this.log.info({ backup: name, bytes: size, files: media.length + 1, rows, ms }, 'backup written');
      return { name, size, createdAt: now, keyId: this.keyId, readable: true, files: media.length + 1, rows, ms };
    } catch (error) {
      fs.rmSync(partial, { force: true });
      this.log.error({ err: error, by }, 'backup failed; nothing was written');
      throw error;
    } finally {
      removeDatabaseFiles(copy);
      this.busy = false;
    }
  }

  /** What Settings → System shows the owner. */
  overview(actor: Actor): { backups: BackupInfo[]; schedule: string | undefined; keep: number; dir: string; keyId: string; keyFromEnvironment: boolean } {
    if (actor.role !== 'owner') throw new Forbidden();
    const { schedule, keep, dir, key } = this.config.backup;
    return { backups: this.list(), schedule, keep, dir, keyId: this.keyId, keyFromEnvironment: key !== undefined };
  }

  /** Backups in BACKUP_DIR, newest first. */
  list(): BackupInfo[] {
    return listBackups(this.dir, this.keyId);
  }

  /** Deletes all but the newest BACKUP_KEEP; leftovers of an interrupted run go too. */
  prune(): number {
    let removed = 0;
    for (const old of this.list().slice(this.config.backup.keep)) {
      fs.rmSync(path.join(this.dir, old.name), { force: true });
      removed += 1;
    }
    for (const name of fs.existsSync(this.dir) ? fs.readdirSync(this.dir) : []) {
      if (this.busy) break;
      if (name.endsWith('.backup.partial') || /^\.copy-\d+-\d+\.db/.test(name)) fs.rmSync(path.join(this.dir, name), { force: true });
    }
    return removed;
  }

  /** Full check of one backup: decrypts, unpacks into a temporary folder, checks every file and the database. */
  verify(file: string): Promise<Manifest> {
    return verifyBackup(file, this.key, this.dir);
  }

  /** The file of a listed backup, for the owner's download; undefined for any other name. */
  fileFor(actor: Actor, name: string): string | undefined {
    if (actor.role !== 'owner') throw new Forbidden();
    if (!isBackupName(name)) return undefined;
    const file = path.join(this.dir, name);
    if (!fs.existsSync(file)) return undefined;
    this.audit.record({ kind: 'backup.downloaded', userId: actor.id, detail: { name } });
    return file;
  }
}

