// Sign-in: throttle before hashing, the same answer for unknown users and wrong passwords,
// rehash when the argon2 parameters change, and an audit line for every outcome.
import { AppError, TooManyAttempts } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { UsersRepo, UserRow } from '../users/users.repo.js';
import type { PasswordHasher } from './passwords.js';
import { ThrottleService } from './throttle.service.js';

export class InvalidCredentials extends AppError {
  constructor() {
    super(401, 'auth.error.invalidCredentials');
  }
}

export interface SignInLimits {
  maxFailuresPerUsername: number;
  maxFailuresPerIp: number;
}

/**
 * Runs tasks one after another per key. Sign-in attempts for the same address or username wait
 * for each other, so a burst of parallel guesses is counted one by one, not all let through the
 * lock check before the first slow hash finishes.
 */
export class KeyedQueue {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(keys: string[], task: () => Promise<T>): Promise<T> {
    const previous = keys.map((key) => this.tails.get(key) ?? Promise.resolve());
    let release: () => void = () => undefined;
    const done = new Promise<void>((resolve) => (release = resolve));
    for (const key of keys) this.tails.set(key, done);
    try {
      await Promise.all(previous);
      return await task();
    } finally {
      release();
      for (const key of keys) if (this.tails.get(key) === done) this.tails.delete(key);
    }
  }
}

export class AuthService {
  private readonly queue = new KeyedQueue();

  constructor(
    private readonly users: UsersRepo,
    private readonly hasher: PasswordHasher,
    private readonly throttle: ThrottleService,
    private readonly audit: AuditService,
    private readonly limits: SignInLimits,
  ) {}

  signIn(username: string, password: string, ip: string): Promise<UserRow> {
    const ipKey = ThrottleService.ipKey(ip);
    const userKey = ThrottleService.usernameKey(username);
    return this.queue.run([ipKey, userKey], () => this.attempt(username, password, ip, ipKey, userKey));
  }

  private async attempt(username: string, password: string, ip: string, ipKey: string, userKey: string): Promise<UserRow> {
    const gate = this.throttle.check([ipKey, userKey]);
    if (gate.locked) throw new TooManyAttempts(gate.retryAfterSeconds);

    const user = username ? this.users.findByUsername(username) : undefined;
    const ok = user ? await this.hasher.verify(user.passwordHash, password) : (await this.hasher.burn(password), false);
    if (!user || !ok) {
      this.recordFailure(username, ip, ipKey, userKey, user?.id ?? null);
      throw new InvalidCredentials();
    }

    this.throttle.clear(userKey);
    if (this.hasher.needsRehash(user.passwordHash)) this.users.replaceHash(user.id, await this.hasher.hash(password));
    this.audit.record({ kind: 'auth.signin.success', userId: user.id, actor: user.username, sourceIp: ip });
    return user;
  }

  private recordFailure(username: string, ip: string, ipKey: string, userKey: string, userId: number | null): void {
    this.audit.record({ kind: 'auth.signin.failure', userId, actor: username.slice(0, 80), sourceIp: ip });
    const userLocked = this.throttle.fail(userKey, this.limits.maxFailuresPerUsername);
    const ipLocked = this.throttle.fail(ipKey, this.limits.maxFailuresPerIp);
    if (userLocked || ipLocked) {
      this.audit.record({
        kind: 'auth.lockout',
        userId,
        actor: username.slice(0, 80),
        sourceIp: ip,
        detail: { by: userLocked ? 'username' : 'address' },
      });
    }
  }
}
