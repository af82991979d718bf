// What is inside a backup: a tar stream of qanat.db (a consistent copy), the media files, and
// manifest.json last (sizes and SHA-256 of every file, row counts, schema level, key ids).
// Key files, logs and older backups are never part of it.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import zlib from 'node:zlib';
import tar from 'tar-stream';
import { BackupError } from './backup-crypto.js';

export const DB_ENTRY = 'qanat.db';
export const MANIFEST_ENTRY = 'manifest.json';
export const MEDIA_PREFIX = 'media/';
const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]{0,200}$/;

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
}

export interface Manifest {
  format: 1;
  app: 'qanat';
  version: string;
  createdAt: string;
  /** The newest migration applied in the copy (drizzle's created_at), and how many. */
  schema: { migrations: number; lastMigrationAt: number };
  /** Id of the data key the encrypted columns were written with (restore needs that key). */
  dataKeyId: string;
  tables: Record<string, number>;
  files: ManifestFile[];
}

/** Media files under root, as archive paths (media/<account>/<file>), skipping uploads in progress. */
export function listMedia(root: string): { entry: string; file: string }[] {
  const out: { entry: string; file: string }[] = [];
  const walk = (dir: string, prefix: string): void => {
    let names: fs.Dirent[];
    try {
      names = fs.readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const item of names.sort((a, b) => a.name.localeCompare(b.name))) {
      if (!SAFE_SEGMENT.test(item.name)) continue; // .incoming and anything odd
      const full = path.join(dir, item.name);
      if (item.isDirectory()) walk(full, `${prefix}${item.name}/`);
      else if (item.isFile()) out.push({ entry: `${prefix}${item.name}`, file: full });
    }
  };
  walk(root, MEDIA_PREFIX);
  return out;
}

function hashing(into: ManifestFile): Transform {
  const hash = crypto.createHash('sha256');
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk);
      into.size += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      into.sha256 = hash.digest('hex');
      done();
    },
  });
}

async function addFile(pack: tar.Pack, entry: string, file: string): Promise<ManifestFile> {
  const stat = fs.statSync(file);
  const record: ManifestFile = { path: entry, size: 0, sha256: '' };
  const sink = pack.entry({ name: entry, size: stat.size, mode: 0o600, mtime: stat.mtime, type: 'file' });
  await pipeline(fs.createReadStream(file), hashing(record), sink);
  return record;
}

/** A readable tar stream; the manifest is completed with the files' hashes and written last. */
export function packArchive(dbCopy: string, media: { entry: string; file: string }[], manifest: Omit<Manifest, 'files'>): Readable {
  const pack = tar.pack();
  void (async () => {
    try {
      const files: ManifestFile[] = [await addFile(pack, DB_ENTRY, dbCopy)];
      for (const item of media) {
        // A file removed since the listing (a post deleted meanwhile) is simply not part of it.
        if (!fs.existsSync(item.file)) continue;
        files.push(await addFile(pack, item.entry, item.file));
      }
      const body = Buffer.from(JSON.stringify({ ...manifest, files }, null, 2));
      pack.entry({ name: MANIFEST_ENTRY, size: body.length, mode: 0o600, type: 'file' }, body);
      pack.finalize();
    } catch (error) {
      pack.destroy(error as Error);
    }
  })();
  return Readable.from(pack);
}

function safeTarget(root: string, name: string): string {
  if (name === DB_ENTRY || name === MANIFEST_ENTRY) return path.join(root, name);
  if (!name.startsWith(MEDIA_PREFIX)) throw new BackupError(`The backup holds an unexpected entry (${name.slice(0, 80)}).`);
  const segments = name.slice(MEDIA_PREFIX.length).split('/');
  if (segments.length === 0 || !segments.every((s) => SAFE_SEGMENT.test(s))) throw new BackupError(`The backup holds an unsafe path (${name.slice(0, 80)}).`);
  return path.join(root, 'media', ...segments);
}

/**
 * Unpacks a tar.gz stream into root and checks it against its manifest: every file present,
 * same size, same SHA-256, nothing extra. Returns the manifest.
 */
export async function extractArchive(source: Readable, root: string): Promise<Manifest> {
  const extract = tar.extract();
  const seen = new Map<string, ManifestFile>();
  let manifestText: string | undefined;
  // tar-stream's extractor is a streamx stream; node's pipeline drives it like any writable.
  const feeding = pipeline(source, zlib.createGunzip(), extract as unknown as NodeJS.WritableStream).then(
    () => undefined,
    (error: unknown) => error,
  );
  let failure: unknown;
  try {
    await readEntries();
  } catch (error) {
    failure = error;
    source.destroy();
  }
  const feedFailure = await feeding;
  // The decryption's verdict (a changed file) explains more than the unpacking error it causes.
  const reason = feedFailure instanceof BackupError ? feedFailure : (failure ?? feedFailure);
  if (reason instanceof BackupError) throw reason;
  if (reason) throw new BackupError(`The backup cannot be unpacked (${(reason as Error).message}).`);
  return checkManifest(manifestText, seen);

  async function readEntries(): Promise<void> {
    for await (const entry of extract) {
      const name = entry.header.name;
      if (entry.header.type !== 'file') throw new BackupError(`The backup holds an entry that is not a file (${name.slice(0, 80)}).`);
      if (seen.has(name) || (name === MANIFEST_ENTRY && manifestText !== undefined)) throw new BackupError(`The backup holds ${name.slice(0, 80)} twice.`);
      if (name === MANIFEST_ENTRY) {
        const chunks: Buffer[] = [];
        for await (const chunk of entry) chunks.push(chunk as Buffer);
        manifestText = Buffer.concat(chunks).toString('utf8');
        continue;
      }
      const target = safeTarget(root, name);
      fs.mkdirSync(path.dirname(target), { recursive: true });
      const record: ManifestFile = { path: name, size: 0, sha256: '' };
      await pipeline(entry, hashing(record), fs.createWriteStream(target, { mode: 0o600 }));
      seen.set(name, record);
    }
  }
}

function checkManifest(manifestText: string | undefined, seen: Map<string, ManifestFile>): Manifest {
  if (manifestText === undefined) throw new BackupError('The backup has no manifest; it is incomplete.');
  let manifest: Manifest;
  try {
    manifest = JSON.parse(manifestText) as Manifest;
  } catch {
    throw new BackupError('The backup manifest cannot be read.');
  }
  if (manifest.format !== 1 || manifest.app !== 'qanat' || !Array.isArray(manifest.files)) throw new BackupError('The backup manifest is not one this version understands.');
  for (const expected of manifest.files) {
    const got = seen.get(expected.path);
    if (!got) throw new BackupError(`The backup is missing ${expected.path}.`);
    if (got.size !== expected.size || got.sha256 !== expected.sha256) throw new BackupError(`${expected.path} in the backup does not match its manifest.`);
    seen.delete(expected.path);
  }
  if (seen.size > 0) throw new BackupError(`The backup holds files its manifest does not list (${[...seen.keys()][0] ?? ''}).`);
  if (!manifest.files.some((f) => f.path === DB_ENTRY)) throw new BackupError('The backup holds no database.');
  return manifest;
}
