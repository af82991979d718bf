// "Delete my login" for anyone, and "erase everything" for the owner: every table emptied and
// every media file removed, which returns the appliance to first-run setup. The data key and its
// check stay, so the same key keeps working for whatever is stored next.
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { Conflict, Forbidden, Invalid, TooManyAttempts } from '../../errors.js';
import type { Logger } from '../../log.js';
import { KEY_CHECK } from '../../secrets.js';
import type { AuditService } from '../audit/audit.service.js';
import type { PasswordHasher } from '../auth/passwords.js';
import type { ThrottleService } from '../auth/throttle.service.js';
import type { SetupService } from '../setup/setup.service.js';
import type { UsersRepo } from '../users/users.repo.js';
import type { Actor, Origin } from '../users/users.service.js';
import { scrubWal } from '../../db/scrub.js';

/** What the owner types to confirm erasing everything (the same in every language, like a command). */
export const ERASE_PHRASE = 'ERASE';

/** Settings rows that survive an erase: the check that the data key is the right one. */
const KEEP_SETTINGS = [KEY_CHECK];

export class EraseService {
  constructor(
    private readonly db: Db,
    private readonly users: UsersRepo,
    private readonly hasher: PasswordHasher,
    private readonly throttle: ThrottleService,
    private readonly audit: AuditService,
    private readonly dataDir: string,
    private readonly log: Logger,
    private readonly maxFailures: number,
    private readonly setup: SetupService,
  ) {}

  private async checkPassword(actor: Actor, password: string, field: string): Promise<void> {
    const user = this.users.findById(actor.id);
    if (!user) throw new Forbidden();
    // Guessing the password from a stolen session is throttled like sign-in.
    const key = `password:${user.id}`;
    const gate = this.throttle.check([key]);
    if (gate.locked) throw new TooManyAttempts(gate.retryAfterSeconds);
    if (!(await this.hasher.verify(user.passwordHash, password))) {
      this.throttle.fail(key, this.maxFailures);
      throw new Invalid({ [field]: 'form.error.currentPasswordWrong' });
    }
    this.throttle.clear(key);
  }

  /** The person's own login and sessions; the last owner must hand over first (or erase everything). */
  async removeOwnLogin(actor: Actor, password: string, origin: Origin): Promise<void> {
    await this.checkPassword(actor, password, 'deletePassword');
    if (actor.role === 'owner' && this.users.countByRole('owner') <= 1) throw new Conflict('settings.delete.lastOwner');
    this.db.transaction(() => {
      this.users.remove(actor.id); // sessions go with it (ON DELETE CASCADE)
      this.audit.record({ kind: 'user.removed', actor: actor.username, sourceIp: origin.ip, detail: { username: actor.username, self: true } });
    });
  }

  /**
   * Owner only, with the password and the typed phrase: every row of every table, every media file.
   * Returns the new setup code (the one from the start-up log is spent).
   */
  async eraseEverything(actor: Actor, password: string, phrase: string, origin: Origin): Promise<string> {
    if (actor.role !== 'owner') throw new Forbidden('settings.erase.ownerOnly');
    if (phrase.trim() !== ERASE_PHRASE) throw new Invalid({ erasePhrase: 'settings.erase.phraseWrong' });
    await this.checkPassword(actor, password, 'erasePassword');
    const tables = this.db
      .all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'`)
      .map((t) => t.name);
    this.db.transaction((tx) => {
      // Children before parents is not needed: foreign keys cascade, and every table is emptied.
      for (const table of tables) {
        if (table === 'settings') tx.run(sql`DELETE FROM settings WHERE key NOT IN (${sql.join(KEEP_SETTINGS.map((k) => sql`${k}`), sql`, `)})`);
        else tx.run(sql`DELETE FROM ${sql.identifier(table)}`);
      }
    });
    fs.rmSync(path.join(this.dataDir, 'media'), { recursive: true, force: true });
    scrubWal(this.db);
    // The audit trail is gone with everything else; the server log keeps the fact.
    this.log.warn({ by: actor.username, ip: origin.ip, tables: tables.length }, 'the owner erased everything; Qanat is back at first-run setup');
    const code = this.setup.renewCode();
    this.log.warn(`First run again: open /setup and enter the new setup code ${code}`);
    return code;
  }
}
