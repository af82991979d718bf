// express-session store on the sessions table; the session body is an encrypted column.
import session from 'express-session';
import type { Clock } from '../clock.js';
import type { Cipher } from '../db/crypto.js';
import { hashSid, type SessionsRepo } from '../features/auth/sessions.repo.js';

/** Bound to the session's row: a body copied into another session fails to open. */
const dataRef = (sidHash: string) => ({ table: 'sessions', column: 'data', row: sidHash });

/** What Qanat keeps in a session, beyond express-session's own cookie field. */
declare module 'express-session' {
  interface SessionData {
    userId: number;
    /** When the person signed in (absolute timeout counts from here). */
    authenticatedAt: number;
    /** Last request time (idle timeout counts from here). */
    lastSeenAt: number;
    csrfToken: string;
    language: string;
    /** The pending Instagram connection (OAuth state), bound to this session. */
    oauth: { state: string; expiresAt: number };
    /** The Instagram account the pages show (account switcher). */
    accountId: number;
    /** Where to go after signing in (a same-site path). */
    returnTo: string;
    /** Password accepted, the second factor not yet (two-factor sign-in). */
    totpPending: { userId: number; at: number; returnTo: string };
    /** A TOTP secret being set up, until the first code proves the app has it. */
    totpSetup: string;
    flash: Array<{ kind: 'success' | 'error' | 'info'; key: string; params?: Record<string, string | number> }>;
  }
}

export interface SessionTimeouts {
  idleMs: number;
  absoluteMs: number;
}

/**
 * How long a timed-out session row is kept: loadUser must still see it to tell the person
 * "your session has ended" instead of silently showing the sign-in page. It grants nothing:
 * loadUser checks the idle and absolute limits on every request.
 */
export const EXPIRED_SESSION_GRACE_MS = 24 * 3_600_000;

type Callback<T = void> = (error?: unknown, value?: T) => void;

export class SqliteSessionStore extends session.Store {
  constructor(
    private readonly repo: SessionsRepo,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
    private readonly timeouts: SessionTimeouts,
  ) {
    super();
  }

  private expiresAt(data: session.SessionData): number {
    const now = this.clock.now();
    const idleEnd = (data.lastSeenAt ?? now) + this.timeouts.idleMs;
    if (data.authenticatedAt === undefined) return idleEnd;
    return Math.min(idleEnd, data.authenticatedAt + this.timeouts.absoluteMs);
  }

  override get(sid: string, callback: Callback<session.SessionData | null>): void {
    try {
      const sidHash = hashSid(sid);
      const row = this.repo.find(sidHash);
      if (!row || row.expiresAt + EXPIRED_SESSION_GRACE_MS <= this.clock.now()) return callback(null, null);
      callback(null, JSON.parse(this.cipher.open(row.data, dataRef(sidHash))) as session.SessionData);
    } catch (error) {
      // A session that cannot be opened (key changed, tampered row) is simply no session.
      if ((error as Error).name === 'DecryptionError') return callback(null, null);
      callback(error);
    }
  }

  override set(sid: string, data: session.SessionData, callback?: Callback): void {
    try {
      const sidHash = hashSid(sid);
      const row = {
        sidHash,
        userId: data.userId ?? null,
        data: this.cipher.seal(JSON.stringify(data), dataRef(sidHash)),
        expiresAt: this.expiresAt(data),
        createdAt: this.clock.now(),
      };
      // A signed-in session is created only at sign-in (authenticatedAt === lastSeenAt). Later
      // saves only update: a request still running when the session was ended (logout, password
      // change) must not bring it back when it finishes.
      const signingIn = data.userId === undefined || data.authenticatedAt === data.lastSeenAt;
      if (signingIn) this.repo.upsert(row);
      else this.repo.updateExisting(row);
      callback?.();
    } catch (error) {
      callback?.(error);
    }
  }

  override touch(sid: string, data: session.SessionData, callback?: Callback): void {
    try {
      this.repo.touch(hashSid(sid), this.expiresAt(data));
      callback?.();
    } catch (error) {
      // Moving the idle expiry is best effort: a page that only reads still renders while the disk
      // is full or a backup holds the lock (the session then expires from its last saved time).
      const code = (error as { code?: unknown }).code;
      if (code === 'SQLITE_FULL' || code === 'SQLITE_BUSY') callback?.();
      else callback?.(error);
    }
  }

  override destroy(sid: string, callback?: Callback): void {
    try {
      this.repo.remove(hashSid(sid));
      callback?.();
    } catch (error) {
      callback?.(error);
    }
  }
}
