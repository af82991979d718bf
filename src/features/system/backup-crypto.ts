// The encrypted envelope of a backup file:
//   "QANATBAK" | version (1 byte) | backup key id (8 ASCII) | nonce (12) | AES-256-GCM ciphertext | tag (16)
// The header is authenticated as additional data. The key never appears in the file, only its
// id, so the CLI can say "this backup was made with another key" instead of "damaged".
import crypto from 'node:crypto';
import fs from 'node:fs';
import { Transform, Writable, type TransformCallback, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { keyIdOf } from '../../db/crypto.js';

const MAGIC = Buffer.from('QANATBAK', 'ascii');
const VERSION = 1;
const KEY_ID_BYTES = 8;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
export const HEADER_BYTES = MAGIC.length + 1 + KEY_ID_BYTES + NONCE_BYTES;

/** A backup that cannot be used, with a reason a person can act on. */
export class BackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/** Encrypts what flows through it and frames it: header first, tag last. */
export class BackupSealer extends Transform {
  private readonly cipher: crypto.CipherGCM;
  private headerSent = false;
  private readonly header: Buffer;

  constructor(key: Buffer) {
    super();
    const nonce = crypto.randomBytes(NONCE_BYTES);
    this.header = Buffer.concat([MAGIC, Buffer.from([VERSION]), Buffer.from(keyIdOf(key), 'ascii'), nonce]);
    this.cipher = crypto.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    this.cipher.setAAD(this.header);
  }

  private sendHeader(): void {
    if (this.headerSent) return;
    this.headerSent = true;
    this.push(this.header);
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.sendHeader();
    done(null, this.cipher.update(chunk));
  }

  override _flush(done: TransformCallback): void {
    this.sendHeader();
    this.push(this.cipher.final());
    done(null, this.cipher.getAuthTag());
  }
}

export interface BackupHeader {
  keyId: string;
  size: number;
}

/** Reads and checks the header only (list, and the key question before any work). */
export function readBackupHeader(file: string): BackupHeader {
  const size = fs.statSync(file).size;
  if (size < HEADER_BYTES + TAG_BYTES) throw new BackupError('This is not a Qanat backup (the file is too short).');
  const fd = fs.openSync(file, 'r');
  try {
    const header = Buffer.alloc(HEADER_BYTES);
    fs.readSync(fd, header, 0, HEADER_BYTES, 0);
    if (!header.subarray(0, MAGIC.length).equals(MAGIC)) throw new BackupError('This is not a Qanat backup (its first bytes are wrong).');
    const version = header[MAGIC.length];
    if (version !== VERSION) throw new BackupError(`This backup has format version ${String(version)}; this version of Qanat reads version ${VERSION}.`);
    return { keyId: header.subarray(MAGIC.length + 1, MAGIC.length + 1 + KEY_ID_BYTES).toString('ascii'), size };
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The decrypted contents as a stream. The stream fails at its end when the file was changed
 * in any way (GCM tag), so whatever was read from it is only trusted once it has ended.
 */
export function openBackupStream(file: string, key: Buffer): Readable {
  const { keyId, size } = readBackupHeader(file);
  if (keyId !== keyIdOf(key)) {
    throw new BackupError(`This backup was encrypted with backup key ${keyId}, but the configured backup key is ${keyIdOf(key)}. Set QANAT_BACKUP_KEY to the key it was made with.`);
  }
  const fd = fs.openSync(file, 'r');
  const header = Buffer.alloc(HEADER_BYTES);
  const tag = Buffer.alloc(TAG_BYTES);
  try {
    fs.readSync(fd, header, 0, HEADER_BYTES, 0);
    fs.readSync(fd, tag, 0, TAG_BYTES, size - TAG_BYTES);
  } finally {
    fs.closeSync(fd);
  }
  const nonce = header.subarray(HEADER_BYTES - NONCE_BYTES);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
  decipher.setAAD(header);
  decipher.setAuthTag(tag);
  const body = fs.createReadStream(file, { start: HEADER_BYTES, end: size - TAG_BYTES - 1 });
  const opened = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      done(null, decipher.update(chunk));
    },
    flush(done) {
      try {
        done(null, decipher.final());
      } catch {
        done(new BackupError('This backup has been changed or damaged since it was made (its authentication tag does not match). Refusing to use it.'));
      }
    },
  });
  body.on('error', (error) => opened.destroy(error));
  return body.pipe(opened);
}

/** Decrypts the whole file without keeping anything: throws BackupError when it was changed. */
export async function checkAuthenticity(file: string, key: Buffer): Promise<void> {
  await pipeline(openBackupStream(file, key), new Writable({ write: (_chunk, _encoding, done) => done() }));
}
