// Meta's two callbacks (§8): data deletion (erase everything of that Instagram user, answer a
// status URL and a confirmation code) and deauthorize (erase the token, mark the account
// disconnected). Both are verified signed_requests; anything else changes nothing.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { eq, or, sql } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import type { Cipher } from '../../db/crypto.js';
import { accounts } from '../../db/schema.js';
import { webhookEvents } from '../../db/schema.engagement.js';
import { deletionRequests } from '../../db/schema.privacy.js';
import { verifySignedRequest } from '../../instagram/signed-request.js';
import type { Logger } from '../../log.js';
import type { AccountRow } from '../accounts/accounts.repo.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { AuditService } from '../audit/audit.service.js';
import { scrubWal } from '../../db/scrub.js';

export type DeletionRow = typeof deletionRequests.$inferSelect;

export type CallbackAnswer<T> = { ok: true; value: T } | { ok: false; reason: 'malformed' | 'signature' | 'algorithm' };

export class CallbacksService {
  constructor(
    private readonly db: Db,
    private readonly cipher: Cipher,
    private readonly accounts: AccountsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly settings: { appSecret: string; publicUrl: string },
  ) {}

  /** §8.1: `user_id` is the app-scoped id; the IG id is accepted too (the mapping is unconfirmed). */
  private accountOf(userId: string): AccountRow | undefined {
    return this.db
      .select()
      .from(accounts)
      .where(or(eq(accounts.appScopedId, userId), eq(accounts.igUserId, userId)))
      .get();
  }

  private userKey(userId: string): string {
    return crypto.createHmac('sha256', this.cipher.deriveSecret('deletion-user-key')).update(userId).digest('hex');
  }

  statusUrl(code: string): string {
    return `${this.settings.publicUrl}/data-deletion/status?code=${encodeURIComponent(code)}`;
  }

  /**
   * POST /data-deletion. Deletes the account (every row by ON DELETE CASCADE, pending webhook
   * payloads) and its media folder; a repeated request answers the first code again.
   */
  requestDeletion(signedRequest: unknown, sourceIp: string | null): CallbackAnswer<{ url: string; confirmation_code: string }> {
    const verified = verifySignedRequest(signedRequest, this.settings.appSecret);
    if (!verified.ok) {
      this.audit.record({ kind: 'callback.refused', sourceIp, detail: { callback: 'data-deletion', reason: verified.reason } });
      return verified;
    }
    const userId = verified.payload.user_id;
    const key = this.userKey(userId);
    const earlier = this.db.select().from(deletionRequests).where(eq(deletionRequests.userKey, key)).get();
    const account = this.accountOf(userId);
    if (earlier && !account) return { ok: true, value: { url: this.statusUrl(earlier.code), confirmation_code: earlier.code } };
    const code = earlier?.code ?? crypto.randomBytes(12).toString('base64url');
    const now = this.clock.now();
    let detail: Record<string, number> = {};
    let mediaDir: string | undefined;
    this.db.transaction((tx) => {
      if (account) {
        detail = this.countsOf(account);
        mediaDir = this.accounts.mediaDir(account.id);
        tx.delete(webhookEvents).where(eq(webhookEvents.igUserId, account.igUserId)).run();
        // Earlier audit entries named the account (connected, posts, …): the name goes, the events stay.
        tx.run(sql`UPDATE audit_log SET detail = json_set(detail, '$.account', '(deleted)') WHERE json_extract(detail, '$.account') = ${account.username}`);
        tx.delete(accounts).where(eq(accounts.id, account.id)).run();
      }
      const row = { code, userKey: key, receivedAt: now, completedAt: now, outcome: account ? ('deleted' as const) : ('no_data' as const), detail };
      tx.insert(deletionRequests).values(row).onConflictDoUpdate({ target: deletionRequests.userKey, set: { completedAt: now, outcome: row.outcome, detail } }).run();
      // No username here: the audit trail outlives the deletion and must not identify the person.
      this.audit.record({ kind: 'callback.data_deletion', actor: 'meta', sourceIp, detail: { code, outcome: row.outcome } });
    });
    if (mediaDir) {
      detail['files'] = countFiles(mediaDir);
      fs.rmSync(mediaDir, { recursive: true, force: true });
      this.db.update(deletionRequests).set({ detail }).where(eq(deletionRequests.code, code)).run();
    }
    if (account) scrubWal(this.db);
    this.log.info({ code, outcome: account ? 'deleted' : 'no_data' }, 'data deletion callback handled');
    return { ok: true, value: { url: this.statusUrl(code), confirmation_code: code } };
  }

  /** POST /deauthorize: the token is erased and the account marked disconnected; its data stays until deleted. */
  deauthorize(signedRequest: unknown, sourceIp: string | null): CallbackAnswer<{ account: boolean }> {
    const verified = verifySignedRequest(signedRequest, this.settings.appSecret);
    if (!verified.ok) {
      this.audit.record({ kind: 'callback.refused', sourceIp, detail: { callback: 'deauthorize', reason: verified.reason } });
      return verified;
    }
    const account = this.accountOf(verified.payload.user_id);
    if (!account) return { ok: true, value: { account: false } };
    this.db.transaction(() => {
      this.accounts.repo.update(account.id, { token: '', status: 'disconnected', statusReason: 'deauthorized', webhookSubscribed: false });
      this.audit.record({ kind: 'callback.deauthorize', actor: 'meta', sourceIp, detail: { account: account.username } });
    });
    return { ok: true, value: { account: true } };
  }

  status(code: string): DeletionRow | undefined {
    if (!/^[\w-]{8,64}$/.test(code)) return undefined;
    return this.db.select().from(deletionRequests).where(eq(deletionRequests.code, code)).get();
  }

  /** Rows per table that carries account_id, for the status record (counts only). */
  private countsOf(account: AccountRow): Record<string, number> {
    const tables = this.db.all<{ name: string }>(sql`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'`);
    const counts: Record<string, number> = {};
    for (const { name } of tables) {
      const columns = this.db.all<{ name: string }>(sql.raw(`PRAGMA table_info("${name.replace(/"/g, '')}")`));
      if (!columns.some((c) => c.name === 'account_id')) continue;
      const n = this.db.get<{ n: number }>(sql.raw(`SELECT count(*) AS n FROM "${name.replace(/"/g, '')}" WHERE account_id = ${Number(account.id)}`)).n;
      if (n > 0) counts[name] = n;
    }
    counts['accounts'] = 1;
    return counts;
  }
}

function countFiles(dir: string): number {
  if (!fs.existsSync(dir)) return 0;
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}
