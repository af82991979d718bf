// Connecting Instagram accounts: the OAuth code becomes a long-lived token (stored encrypted),
// the profile is read, and the account is subscribed to webhooks. Only owners connect.
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import type { Cipher } from '../../db/crypto.js';
import { Forbidden } from '../../errors.js';
import type { InstagramSetup } from '../../instagram/setup.js';
import { REQUIRED_SCOPES } from '../../instagram/types.js';
import type { Logger } from '../../log.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Actor, Origin } from '../users/users.service.js';
import { AccountsRepo, type AccountRow } from './accounts.repo.js';

const TOKEN_REF = { table: 'accounts', column: 'token' };

export interface AccountView extends Omit<AccountRow, 'token'> {
  missingScopes: string[];
}

export class AccountsService {
  readonly repo: AccountsRepo;

  constructor(
    db: Db,
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

  canConnect(actor: Actor): boolean {
    return actor.role === 'owner';
  }

  requireOwner(actor: Actor): void {
    if (!this.canConnect(actor)) throw new Forbidden('accounts.error.ownerOnly');
  }

  /** Decrypts the token for a call to Instagram. Never log or render the result. */
  tokenOf(account: AccountRow): string {
    return this.cipher.open(account.token, TOKEN_REF);
  }

  /** Turns the code from the OAuth redirect into a connected account. Throws GraphError when Instagram refuses. */
  async connect(actor: Actor, code: string, origin: Origin): Promise<{ account: AccountView; reconnected: boolean }> {
    this.requireOwner(actor);
    const { oauth, publishing } = this.instagram.client;
    const short = await oauth.exchangeCode(code);
    const long = await oauth.exchangeForLongLived(short.accessToken);
    const me = await publishing.me(long.accessToken);
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
      token: this.cipher.seal(long.accessToken, TOKEN_REF),
      tokenExpiresAt: now + long.expiresIn * 1000,
      tokenRefreshedAt: now,
      scopes: short.permissions,
      status: 'ok' as const,
      sandbox: this.instagram.sandbox,
      connectedAt: now,
    };
    const existing = this.repo.findByIgUserId(me.user_id);
    let row = existing ? this.repo.update(existing.id, fields) : this.repo.insert({ ...fields, igUserId: me.user_id, createdAt: now });
    row = this.repo.update(row.id, { webhookSubscribed: await this.subscribe(long.accessToken, row.username) });
    this.audit.record({
      kind: existing ? 'account.reconnected' : 'account.connected',
      userId: actor.id,
      actor: actor.username,
      sourceIp: origin.ip,
      detail: { account: row.username, sandbox: row.sandbox, scopes: row.scopes.length },
    });
    return { account: this.view(row), reconnected: existing !== undefined };
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
