// Encrypted columns: AES-256-GCM, a fresh 96-bit nonce per write, the key id inside the
// stored value, and additional authenticated data binding the value to its table and column,
// so a ciphertext copied into another column or table fails to open.
//
// Stored format: v1:<keyId>:<nonce b64url>:<ciphertext b64url>:<tag b64url>
import crypto from 'node:crypto';

const VERSION = 'v1';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;

export interface ColumnRef {
  table: string;
  column: string;
  /** The row's stable key (e.g. ig_user_id, sid hash): a value copied into another row fails to open. */
  row?: string;
}

/** Thrown whenever a value cannot be opened; callers must treat the data as unavailable. */
export class DecryptionError extends Error {
  constructor(reason: string) {
    super(`encrypted value cannot be opened: ${reason}`);
    this.name = 'DecryptionError';
  }
}

/**
 * Compares two secrets (tokens, codes, states) in constant time. Both are hashed first, so
 * neither their contents nor their lengths show in the timing.
 */
export function constantTimeEqual(given: string, expected: string): boolean {
  const a = crypto.createHash('sha256').update(given).digest();
  const b = crypto.createHash('sha256').update(expected).digest();
  return crypto.timingSafeEqual(a, b);
}

/** Parses a key given as 64 hex characters or base64/base64url of 32 bytes. */
export function parseKey(text: string, name = 'QANAT_DATA_KEY'): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-fA-F]{64}$/.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64url');
  if (key.length !== KEY_BYTES) {
    throw new Error(`${name} must be 32 bytes, written as 64 hex characters or base64 (openssl rand -base64 32)`);
  }
  return key;
}

export function generateKeyText(): string {
  return crypto.randomBytes(KEY_BYTES).toString('base64url');
}

/** A short, stable fingerprint of a key; safe to store, says nothing about the key. */
export function keyIdOf(key: Buffer): string {
  return crypto.createHash('sha256').update('qanat-key-id').update(key).digest('base64url').slice(0, 8);
}

function aadOf(ref: ColumnRef): Buffer {
  return Buffer.from(`qanat:${ref.table}.${ref.column}${ref.row === undefined ? '' : `#${ref.row}`}`, 'utf8');
}

export class Cipher {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  /** @param current the key new values are sealed with; @param older keys still accepted for opening (rotation). */
  constructor(current: Buffer, older: Buffer[] = []) {
    this.currentKeyId = keyIdOf(current);
    this.keys.set(this.currentKeyId, current);
    for (const key of older) this.keys.set(keyIdOf(key), key);
  }

  seal(plaintext: string, ref: ColumnRef): string {
    const key = this.keys.get(this.currentKeyId) as Buffer;
    const nonce = crypto.randomBytes(NONCE_BYTES);
    const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
    cipher.setAAD(aadOf(ref));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const tag = cipher.getAuthTag();
    return [VERSION, this.currentKeyId, nonce.toString('base64url'), body.toString('base64url'), tag.toString('base64url')].join(':');
  }

  open(stored: string, ref: ColumnRef): string {
    const parts = stored.split(':');
    if (parts.length !== 5 || parts[0] !== VERSION) throw new DecryptionError('unknown format');
    const [, keyId, nonceText, bodyText, tagText] = parts as [string, string, string, string, string];
    const key = this.keys.get(keyId);
    if (!key) throw new DecryptionError(`sealed with key ${keyId}, which is not configured`);
    const nonce = Buffer.from(nonceText, 'base64url');
    const tag = Buffer.from(tagText, 'base64url');
    if (nonce.length !== NONCE_BYTES || tag.length !== TAG_BYTES) throw new DecryptionError('damaged value');
    try {
      const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_BYTES });
      decipher.setAAD(aadOf(ref));
      decipher.setAuthTag(tag);
      return Buffer.concat([decipher.update(Buffer.from(bodyText, 'base64url')), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError('authentication failed (wrong key, moved or tampered value)');
    }
  }

  /** A stable secret for another purpose (e.g. the sandbox app secret), derived so the data key never leaves. */
  deriveSecret(label: string): string {
    const key = this.keys.get(this.currentKeyId) as Buffer;
    return crypto.createHmac('sha256', key).update(`qanat-derive:${label}`).digest('base64url');
  }

  /** True when the value was sealed with a key other than the current one (rotation pending). */
  needsReseal(stored: string): boolean {
    return stored.split(':')[1] !== this.currentKeyId;
  }
}
