// First run: until an owner exists, whoever holds the one-time code printed in the server
// log may create them. Nobody else can claim a fresh public instance.
import crypto from 'node:crypto';
import { constantTimeEqual } from '../../db/crypto.js';
import { Conflict, Invalid, TooManyAttempts } from '../../errors.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ThrottleService } from '../auth/throttle.service.js';
import type { UserRow } from '../users/users.repo.js';
import type { UsersService } from '../users/users.service.js';

const ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789'; // no 0/O or 1/I to misread
const MAX_CODE_FAILURES = 10;

function newCode(): string {
  const chars = Array.from(crypto.randomBytes(12), (byte) => ALPHABET[byte % ALPHABET.length]);
  return [0, 4, 8].map((i) => chars.slice(i, i + 4).join('')).join('-');
}

function normalise(code: string): string {
  return code.toUpperCase().replace(/[^A-Z0-9]/g, '');
}

export class SetupService {
  /** Printed at start-up; lives only in this process's memory. A new one after erasing everything. */
  private current: string = newCode();

  get code(): string {
    return this.current;
  }

  /** Erasing everything opens setup again: with a code nobody has seen in an earlier log. */
  renewCode(): string {
    this.current = newCode();
    return this.current;
  }

  constructor(
    private readonly users: UsersService,
    private readonly throttle: ThrottleService,
    private readonly audit: AuditService,
  ) {}

  isNeeded(): boolean {
    return !this.users.hasAnyUser();
  }

  async createOwner(input: { code: string; username: string; password: string }, ip: string): Promise<UserRow> {
    if (!this.isNeeded()) throw new Conflict('setup.error.done');
    const key = `setup:${ip}`;
    const gate = this.throttle.check([key]);
    if (gate.locked) throw new TooManyAttempts(gate.retryAfterSeconds);
    if (!constantTimeEqual(normalise(input.code), normalise(this.code))) {
      this.throttle.fail(key, MAX_CODE_FAILURES);
      this.audit.record({ kind: 'setup.code.failure', sourceIp: ip });
      throw new Invalid({ code: 'setup.error.wrongCode' });
    }
    const owner = await this.users.createUnchecked({ username: input.username, password: input.password, role: 'owner' }, { ip }, 'setup', () => {
      // Two people racing through setup: only the first becomes the owner.
      if (!this.isNeeded()) throw new Conflict('setup.error.done');
    });
    this.throttle.clear(key);
    this.audit.record({ kind: 'setup.completed', userId: owner.id, actor: owner.username, sourceIp: ip });
    return owner;
  }
}
