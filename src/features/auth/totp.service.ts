// Two-factor sign-in with TOTP (RFC 6238, what authenticator apps speak): the secret is an
// encrypted column, a code is accepted once (the time step is remembered), wrong codes are
// throttled like passwords, and ten one-time recovery codes (stored hashed) stand in for a lost phone.
import crypto from 'node:crypto';
import { and, eq, isNull } from 'drizzle-orm';
import * as OTPAuth from 'otpauth';
import QRCode from 'qrcode';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import type { Cipher } from '../../db/crypto.js';
import { recoveryCodes, settings, users } from '../../db/schema.js';
import { Forbidden, Invalid, TooManyAttempts } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { UserRow } from '../users/users.repo.js';
import type { Actor, Origin } from '../users/users.service.js';
import type { PasswordHasher } from './passwords.js';
import type { ThrottleService } from './throttle.service.js';

const ISSUER = 'Qanat';
const PERIOD = 30;
const RECOVERY_CODES = 10;
const REQUIRE_KEY = 'auth.require_totp';
const secretRef = (userId: number) => ({ table: 'users', column: 'totp_secret', row: String(userId) });
const hashCode = (code: string) => crypto.createHash('sha256').update(code.replace(/[\s-]/g, '').toLowerCase()).digest('hex');

function totpOf(secret: string, label: string): OTPAuth.TOTP {
  return new OTPAuth.TOTP({ issuer: ISSUER, label, algorithm: 'SHA1', digits: 6, period: PERIOD, secret: OTPAuth.Secret.fromBase32(secret) });
}

export interface TotpSetup {
  secret: string;
  uri: string;
  /** The otpauth:// URI as an SVG QR code, as a data: URL (CSP allows data: images). */
  qr: string;
}

export class TotpService {
  constructor(
    private readonly db: Db,
    private readonly cipher: Cipher,
    private readonly hasher: PasswordHasher,
    private readonly throttle: ThrottleService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly maxFailures: number,
  ) {}

  isEnabled(user: Pick<UserRow, 'totpSecret'>): boolean {
    return Boolean(user.totpSecret);
  }

  required(): boolean {
    return this.db.select().from(settings).where(eq(settings.key, REQUIRE_KEY)).get()?.value === '1';
  }

  setRequired(actor: Actor, required: boolean, origin: Origin): void {
    if (actor.role !== 'owner') throw new Forbidden('totp.error.ownerOnly');
    const now = this.clock.now();
    this.db
      .insert(settings)
      .values({ key: REQUIRE_KEY, value: required ? '1' : '0', updatedAt: now })
      .onConflictDoUpdate({ target: settings.key, set: { value: required ? '1' : '0', updatedAt: now } })
      .run();
    this.audit.record({ kind: 'settings.totp_required', userId: actor.id, actor: actor.username, sourceIp: origin.ip, detail: { required } });
  }

  /** A new secret to scan; kept by the caller (in the session) until a code proves the app has it. */
  async begin(actor: Actor): Promise<TotpSetup> {
    const secret = new OTPAuth.Secret({ size: 20 }).base32;
    return { secret, uri: totpOf(secret, actor.username).toString(), qr: await this.qrOf(actor.username, secret) };
  }

  /** The otpauth:// URI of a secret as an SVG QR code in a data: URL. */
  async qrOf(username: string, secret: string): Promise<string> {
    const svg = await QRCode.toString(totpOf(secret, username).toString(), { type: 'svg', margin: 1, errorCorrectionLevel: 'M' });
    return `data:image/svg+xml;base64,${Buffer.from(svg).toString('base64')}`;
  }

  /** The first code from the app switches it on; returns the recovery codes, shown once. */
  enable(actor: Actor, secret: string, code: string, origin: Origin): string[] {
    const step = this.validStep(secret, actor.username, code);
    if (step === undefined) throw new Invalid({ code: 'totp.error.wrongCode' });
    const codes = Array.from({ length: RECOVERY_CODES }, () => {
      const raw = crypto.randomBytes(5).toString('hex');
      return `${raw.slice(0, 5)}-${raw.slice(5)}`;
    });
    this.db.transaction((tx) => {
      tx.update(users).set({ totpSecret: this.cipher.seal(secret, secretRef(actor.id)), totpLastStep: step }).where(eq(users.id, actor.id)).run();
      tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, actor.id)).run();
      for (const c of codes) tx.insert(recoveryCodes).values({ userId: actor.id, codeHash: hashCode(c) }).run();
      this.audit.record({ kind: 'user.totp.enabled', userId: actor.id, actor: actor.username, sourceIp: origin.ip });
    });
    return codes;
  }

  /** With the password: two-factor off and the recovery codes gone. */
  async disable(actor: Actor, password: string, origin: Origin): Promise<void> {
    const user = this.db.select().from(users).where(eq(users.id, actor.id)).get();
    if (!user || !(await this.hasher.verify(user.passwordHash, password))) throw new Invalid({ totpPassword: 'form.error.currentPasswordWrong' });
    if (this.required()) throw new Invalid({ totpPassword: 'totp.error.required' });
    this.clear(user.id);
    this.audit.record({ kind: 'user.totp.disabled', userId: actor.id, actor: actor.username, sourceIp: origin.ip });
  }

  /** The CLI's way back in for someone who lost their phone and their recovery codes. */
  clear(userId: number): void {
    this.db.transaction((tx) => {
      tx.update(users).set({ totpSecret: null, totpLastStep: null }).where(eq(users.id, userId)).run();
      tx.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId)).run();
    });
  }

  /** The second step of signing in: a current code (never one already used) or an unused recovery code. */
  verify(user: UserRow, code: string, ip: string): void {
    const key = `totp:${user.id}`;
    const gate = this.throttle.check([key]);
    if (gate.locked) throw new TooManyAttempts(gate.retryAfterSeconds);
    const ok = this.tryCode(user, code.trim(), ip);
    if (!ok) {
      this.throttle.fail(key, this.maxFailures);
      this.audit.record({ kind: 'auth.totp.failure', userId: user.id, actor: user.username, sourceIp: ip });
      throw new Invalid({ code: 'totp.error.wrongCode' });
    }
    this.throttle.clear(key);
  }

  private tryCode(user: UserRow, code: string, ip: string): boolean {
    if (!user.totpSecret) return false;
    if (/^\d{6}$/.test(code.replace(/\s/g, ''))) {
      const secret = this.cipher.open(user.totpSecret, secretRef(user.id));
      const step = this.validStep(secret, user.username, code.replace(/\s/g, ''));
      if (step === undefined || (user.totpLastStep !== null && step <= user.totpLastStep)) return false;
      this.db.update(users).set({ totpLastStep: step }).where(eq(users.id, user.id)).run();
      return true;
    }
    const hash = hashCode(code);
    const row = this.db
      .select()
      .from(recoveryCodes)
      .where(and(eq(recoveryCodes.userId, user.id), eq(recoveryCodes.codeHash, hash), isNull(recoveryCodes.usedAt)))
      .get();
    if (!row) return false;
    this.db.update(recoveryCodes).set({ usedAt: this.clock.now() }).where(eq(recoveryCodes.id, row.id)).run();
    this.audit.record({ kind: 'auth.recovery_code.used', userId: user.id, actor: user.username, sourceIp: ip });
    return true;
  }

  /** The time step the code belongs to (±1 step of clock drift), on the app's clock. */
  private validStep(secret: string, label: string, code: string): number | undefined {
    const timestamp = this.clock.now();
    const delta = totpOf(secret, label).validate({ token: code, timestamp, window: 1 });
    if (delta === null) return undefined;
    return Math.floor(timestamp / 1000 / PERIOD) + delta;
  }

  remainingRecoveryCodes(userId: number): number {
    return this.db.select().from(recoveryCodes).where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt))).all().length;
  }
}
