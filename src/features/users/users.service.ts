// Who may do what to users. Every rule is checked here, so the web, the CLI and later jobs agree.
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import type { Language, Role } from '../../db/schema.js';
import { Conflict, Forbidden, Invalid, NotFound, TooManyAttempts } from '../../errors.js';
import type { ThrottleService } from '../auth/throttle.service.js';
import type { AuditEvent, AuditService } from '../audit/audit.service.js';
import type { PasswordHasher } from '../auth/passwords.js';
import type { SessionsRepo } from '../auth/sessions.repo.js';
import { passwordError, usernameError } from './users.rules.js';
import { UsersRepo, type UserRow } from './users.repo.js';
import { canonicalZone } from '../../time-zone.js';

export interface Actor {
  id: number;
  username: string;
  role: Role;
}

/** Where a request came from, for the audit trail. */
export interface Origin {
  ip: string | null;
}

export interface NewUser {
  username: string;
  password: string;
  role: Role;
}

export class UsersService {
  readonly repo: UsersRepo;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly hasher: PasswordHasher,
    private readonly sessions: SessionsRepo,
    private readonly audit: AuditService,
    private readonly throttle: ThrottleService,
    private readonly maxFailures: number,
  ) {
    this.repo = new UsersRepo(db);
  }

  hasAnyUser(): boolean {
    return this.repo.count() > 0;
  }

  findById(id: number): UserRow | undefined {
    return this.repo.findById(id);
  }

  list(actor: Actor): UserRow[] {
    this.requireOwner(actor);
    return this.repo.list();
  }

  /** Creates a user without an actor: first-run setup and the CLI (which runs as the server's admin). */
  async createUnchecked(input: NewUser, origin: Origin, by: string, guard?: () => void): Promise<UserRow> {
    const problems: Record<string, string> = {};
    const u = usernameError(input.username);
    if (u) problems['username'] = u;
    const p = passwordError(input.password);
    if (p) problems['password'] = p;
    if (Object.keys(problems).length > 0) throw new Invalid(problems);
    if (this.repo.findByUsername(input.username)) throw new Invalid({ username: 'form.error.usernameTaken' });
    const now = this.clock.now();
    const passwordHash = await this.hasher.hash(input.password);
    // Checked again after the slow hash (inside the transaction): another request may have taken the name meanwhile.
    // The user and its audit line are written together or not at all.
    return this.db.transaction(() => {
      if (this.repo.findByUsername(input.username)) throw new Invalid({ username: 'form.error.usernameTaken' });
      guard?.();
      const user = this.repo.insert({ username: input.username, passwordHash, role: input.role, passwordChangedAt: now, createdAt: now });
      this.audit.record({ kind: 'user.created', userId: user.id, actor: by, sourceIp: origin.ip, detail: { username: user.username, role: user.role } });
      return user;
    });
  }

  create(actor: Actor, input: NewUser, origin: Origin): Promise<UserRow> {
    this.requireOwner(actor);
    return this.createUnchecked(input, origin, actor.username);
  }

  remove(actor: Actor, userId: number, origin: Origin): UserRow {
    this.requireOwner(actor);
    const target = this.requireUser(userId);
    if (target.id === actor.id) throw new Conflict('users.error.cannotRemoveSelf');
    if (target.role === 'owner' && this.repo.countByRole('owner') <= 1) throw new Conflict('users.error.lastOwner');
    this.db.transaction(() => {
      this.repo.remove(target.id); // sessions go with it (ON DELETE CASCADE)
      this.audit.record({ kind: 'user.removed', userId: actor.id, actor: actor.username, sourceIp: origin.ip, detail: { username: target.username } });
    });
    return target;
  }

  changeRole(actor: Actor, userId: number, role: Role, origin: Origin): UserRow {
    this.requireOwner(actor);
    const target = this.requireUser(userId);
    if (target.role === role) return target;
    if (target.role === 'owner' && this.repo.countByRole('owner') <= 1) throw new Conflict('users.error.lastOwner');
    this.db.transaction(() => {
      this.repo.updateRole(target.id, role);
      // A new role takes effect at once: the person signs in again under it.
      this.sessions.removeForUser(target.id);
      this.audit.record({
        kind: 'user.role.changed',
        userId: actor.id,
        actor: actor.username,
        sourceIp: origin.ip,
        detail: { username: target.username, from: target.role, to: role },
      });
    });
    return { ...target, role };
  }

  /** The owner sets a new password for someone who forgot theirs; all their sessions end. */
  async resetPassword(actor: Actor, userId: number, newPassword: string, origin: Origin): Promise<UserRow> {
    this.requireOwner(actor);
    // Your own password changes only with the current one (Settings), throttled like a sign-in.
    if (userId === actor.id) throw new Conflict('users.error.resetSelf');
    const target = this.requireUser(userId);
    await this.setPassword(target, newPassword, null, {
      kind: 'user.password.reset',
      userId: actor.id,
      actor: actor.username,
      sourceIp: origin.ip,
      detail: { username: target.username },
    });
    return target;
  }

  /** The CLI's way back in for a locked-out owner. */
  async resetPasswordUnchecked(username: string, newPassword: string, by: string): Promise<UserRow> {
    const target = this.repo.findByUsername(username);
    if (!target) throw new NotFound('users.error.notFound');
    await this.setPassword(target, newPassword, null, { kind: 'user.password.reset', userId: target.id, actor: by, sourceIp: null, detail: { username: target.username } });
    return target;
  }

  /** Everyone may change their own password; their other sessions end. */
  async changeOwnPassword(actor: Actor, current: string, next: string, keepSidHash: string | null, origin: Origin): Promise<void> {
    const user = this.requireUser(actor.id);
    // Guessing the current password from a stolen session is throttled like sign-in.
    const key = `password:${user.id}`;
    const gate = this.throttle.check([key]);
    if (gate.locked) throw new TooManyAttempts(gate.retryAfterSeconds);
    if (!(await this.hasher.verify(user.passwordHash, current))) {
      this.throttle.fail(key, this.maxFailures);
      throw new Invalid({ currentPassword: 'form.error.currentPasswordWrong' });
    }
    this.throttle.clear(key);
    await this.setPassword(user, next, keepSidHash, { kind: 'user.password.changed', userId: user.id, actor: user.username, sourceIp: origin.ip });
  }

  /** Without an audit line: used at setup, where the owner keeps the language they set up in. */
  /** The person read the current privacy policy: its notice goes away. */
  acknowledgePolicy(actor: Actor, version: string): void {
    this.repo.updatePolicySeen(actor.id, version);
  }

  setLanguage(actor: Actor, language: Language): void {
    this.repo.updateLanguage(actor.id, language);
  }

  changeLanguage(actor: Actor, language: Language, origin: Origin): void {
    this.db.transaction(() => {
      this.repo.updateLanguage(actor.id, language);
      this.audit.record({ kind: 'user.language.changed', userId: actor.id, actor: actor.username, sourceIp: origin.ip, detail: { language } });
    });
  }

  changeTimeZone(actor: Actor, typed: string, origin: Origin): void {
    const timeZone = canonicalZone(typed);
    if (!timeZone) throw new Invalid({ timeZone: 'settings.error.timeZone' });
    this.db.transaction(() => {
      this.repo.updateTimeZone(actor.id, timeZone);
      this.audit.record({ kind: 'user.timezone.changed', userId: actor.id, actor: actor.username, sourceIp: origin.ip, detail: { timeZone } });
    });
  }

  /** The new hash, the end of other sessions and the audit line commit together. */
  private async setPassword(user: UserRow, password: string, keepSidHash: string | null, event: AuditEvent): Promise<void> {
    const problem = passwordError(password);
    if (problem) throw new Invalid({ newPassword: problem });
    const hash = await this.hasher.hash(password);
    this.db.transaction(() => {
      this.repo.updatePassword(user.id, hash, this.clock.now());
      this.sessions.removeForUser(user.id, keepSidHash);
      this.audit.record(event);
    });
  }

  private requireOwner(actor: Actor): void {
    if (actor.role !== 'owner') throw new Forbidden();
  }

  private requireUser(id: number): UserRow {
    const user = this.repo.findById(id);
    if (!user) throw new NotFound('users.error.notFound');
    return user;
  }
}
