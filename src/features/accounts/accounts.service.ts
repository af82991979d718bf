// Connecting Instagram accounts: the OAuth code becomes a long-lived token (stored encrypted),
// the profile is read, and the account is subscribed to webhooks. Only owners connect.
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import type { Cipher } from '../../db/crypto.js';
import { Forbidden, NotFound } from '../../errors.js';
import type { InstagramSetup } from '../../instagram/setup.js';
import { GraphError } from '../../instagram/graph-error.js';
import { REQUIRED_SCOPES, type Profile } from '../../instagram/types.js';
import type { Logger } from '../../log.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Actor, Origin } from '../users/users.service.js';
import { AccountsRepo, type AccountRow } from './accounts.repo.js';
import { scrubWal } from '../../db/scrub.js';

/** Bound to the account's Instagram id: a token copied into another account's row fails to open. */
const tokenRef = (igUserId: string) => ({ table: 'accounts', column: 'token', row: igUserId });

export interface AccountView extends Omit<AccountRow, 'token'> {
  missingScopes: string[];
}

/** What disconnecting an account deletes, shown on the confirmation page and checked by tests. */
export interface DeletionSummary {
  snapshots: number;
  followerDays: number;
  files: number;
}

export class AccountsService {
  readonly repo: AccountsRepo;

  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
    private readonly cipher: Cipher,
    private readonly clock: Clock,
    private readonly instagram: InstagramSetup,
    private readonly audit: AuditService,
    private readonly log: Logger,
  ) {
    this.repo = new AccountsRepo(db);
  }

  list(): AccountView[] {
    return this.repo.list().map((row) => this.view(row));
  }

  get(id: number): AccountView {
    const row = this.repo.findById(id);
    if (!row) throw new NotFound('accounts.error.notFound');
    return this.view(row);
  }

  /** Accounts whose access stopped working: every page shows a banner until they are reconnected. */
  needingReconnect(): AccountView[] {
    return this.list().filter((a) => a.status !== 'ok');
  }

  canConnect(actor: Actor): boolean {
    return actor.role === 'owner';
  }

  requireOwner(actor: Actor): void {
    if (!this.canConnect(actor)) throw new Forbidden('accounts.error.ownerOnly');
  }

  /** Decrypts the token for a call to Instagram. Never log or render the result. */
  tokenOf(account: AccountRow): string {
    return this.cipher.open(account.token, tokenRef(account.igUserId));
  }

  /** Turns the code from the OAuth redirect into a connected account. Throws GraphError when Instagram refuses. */
  async connect(actor: Actor, code: string, origin: Origin): Promise<{ account: AccountView; reconnected: boolean }> {
    this.requireOwner(actor);
    const { oauth, publishing } = this.instagram.client;
    const short = await oauth.exchangeCode(code);
    const long = await oauth.exchangeForLongLived(short.accessToken);
    const me = await publishing.me(long.accessToken);
    if (!me.user_id || !me.username) throw new GraphError('Instagram did not say which account this is', 200, undefined, undefined, {}, undefined, 'permanent');
    const now = this.clock.now();
    const fields = {
      appScopedId: me.id,
      username: me.username,
      name: me.name ?? null,
      accountType: me.account_type ?? null,
      profilePictureUrl: me.profile_picture_url ?? null,
      followersCount: me.followers_count ?? null,
      followsCount: me.follows_count ?? null,
      mediaCount: me.media_count ?? null,
      biography: me.biography ?? null,
      website: me.website ?? null,
      token: this.cipher.seal(long.accessToken, tokenRef(me.user_id)),
      tokenExpiresAt: now + long.expiresIn * 1000,
      tokenRefreshedAt: now,
      scopes: short.permissions,
      status: 'ok' as const,
      statusReason: null,
      sandbox: this.instagram.sandbox,
      connectedAt: now,
    };
    const webhookSubscribed = await this.subscribe(long.accessToken, me.username);
    // The account, its first snapshot and the audit line are written together or not at all.
    return this.db.transaction(() => {
      const existing = this.repo.findByIgUserId(me.user_id);
      const saved = existing ? this.repo.update(existing.id, { ...fields, webhookSubscribed }) : this.repo.insert({ ...fields, webhookSubscribed, igUserId: me.user_id, createdAt: now });
      this.recordProfile(saved.id, me, now);
      const row = this.repo.findById(saved.id) as AccountRow;
      this.audit.record({
        kind: existing ? 'account.reconnected' : 'account.connected',
        userId: actor.id,
        actor: actor.username,
        sourceIp: origin.ip,
        detail: { account: row.username, sandbox: row.sandbox, scopes: row.scopes.length },
      });
      return { account: this.view(row), reconnected: existing !== undefined };
    });
  }

  /** Where the account's uploaded media lives; removed with the account. */
  mediaDir(accountId: number): string {
    return path.join(this.dataDir, 'media', String(accountId));
  }

  deletionSummary(accountId: number): DeletionSummary {
    const dir = this.mediaDir(accountId);
    const files = fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length : 0;
    return { snapshots: this.repo.countSnapshots(accountId), followerDays: this.repo.countFollowerDays(accountId), files };
  }

  /**
   * Deletes the account and everything of it: rows go by ON DELETE CASCADE, files with its folder.
   * Instagram is told to stop sending its webhooks (best effort: the token may already be dead).
   */
  async disconnect(actor: Actor, accountId: number, origin: Origin): Promise<AccountView> {
    this.requireOwner(actor);
    const row = this.repo.findById(accountId);
    if (!row) throw new NotFound('accounts.error.notFound');
    const summary = this.deletionSummary(accountId);
    try {
      await this.instagram.client.engagement.unsubscribe(this.tokenOf(row));
    } catch (error) {
      // A dead or undecryptable token must never stand in the way of deleting the account's data.
      this.log.warn({ err: error, account: row.username }, 'webhook unsubscribe failed while disconnecting; deleting anyway');
    }
    this.db.transaction(() => {
      this.repo.remove(accountId);
      this.audit.record({ kind: 'account.disconnected', userId: actor.id, actor: actor.username, sourceIp: origin.ip, detail: { account: row.username, ...summary } });
    });
    fs.rmSync(this.mediaDir(accountId), { recursive: true, force: true });
    scrubWal(this.db);
    return this.view(row);
  }

  /** Stores a refreshed token; one UPDATE, so there is never a moment without a token. */
  storeToken(account: AccountRow, token: string, expiresAt: number, refreshedAt: number): void {
    this.repo.update(account.id, { token: this.cipher.seal(token, tokenRef(account.igUserId)), tokenExpiresAt: expiresAt, tokenRefreshedAt: refreshedAt });
  }

  /** A profile read: fresh fields on the account, a snapshot, and today's follower count. */
  recordProfile(accountId: number, me: Profile, at: number): void {
    this.db.transaction(() => {
      this.repo.update(accountId, {
        username: me.username,
        name: me.name ?? null,
        followersCount: me.followers_count ?? null,
        followsCount: me.follows_count ?? null,
        mediaCount: me.media_count ?? null,
        biography: me.biography ?? null,
        website: me.website ?? null,
        lastSyncAt: at,
      });
      this.repo.insertSnapshot({
        accountId,
        takenAt: at,
        followers: me.followers_count ?? null,
        follows: me.follows_count ?? null,
        mediaCount: me.media_count ?? null,
        username: me.username,
        name: me.name ?? null,
        biography: me.biography ?? null,
      });
      if (me.followers_count !== undefined) this.repo.upsertFollowerDay(accountId, new Date(at).toISOString().slice(0, 10), me.followers_count);
    });
  }

  /** Access stopped working (token expired or revoked): flag it so every page says so. */
  markNeedsReconnect(accountId: number, reason: string): void {
    const row = this.repo.findById(accountId);
    // Already flagged (or disconnected by Instagram): nothing more to say.
    if (!row || row.status !== 'ok') return;
    this.db.transaction(() => {
      this.repo.update(accountId, { status: 'needs_reconnect', statusReason: reason });
      this.audit.record({ kind: 'account.needs_reconnect', actor: 'system', detail: { account: row.username, reason } });
    });
  }

  private async subscribe(token: string, username: string): Promise<boolean> {
    try {
      return await this.instagram.client.engagement.subscribe(token, ['comments', 'messages']);
    } catch (error) {
      // Not fatal: the health panel shows it and the sync job polls meanwhile.
      this.log.warn({ err: error, account: username }, 'webhook subscription failed');
      return false;
    }
  }

  private view(row: AccountRow): AccountView {
    const { token: _token, ...rest } = row;
    return { ...rest, missingScopes: REQUIRED_SCOPES.filter((scope) => !row.scopes.includes(scope)) };
  }
}
