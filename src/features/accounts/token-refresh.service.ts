// Keeps connections alive: long-lived tokens last 60 days and can be refreshed once they are a
// day old (§1.5). A refusal that cannot heal by waiting flags the account "needs reconnect".
import type { Clock } from '../../clock.js';
import { DecryptionError } from '../../db/crypto.js';
import { GraphError } from '../../instagram/graph-error.js';
import type { InstagramSetup } from '../../instagram/setup.js';
import type { Logger } from '../../log.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AccountsService } from './accounts.service.js';

const DAY = 86_400_000;

export interface RefreshCounts {
  due: number;
  refreshed: number;
  needsReconnect: number;
  /** Temporary failures (network, throttling): tried again on the next run. */
  retryLater: number;
}

export class TokenRefreshService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly instagram: InstagramSetup,
    private readonly audit: AuditService,
    private readonly clock: Clock,
    private readonly windowMs: number,
    private readonly log: Logger,
  ) {}

  async refreshDue(): Promise<RefreshCounts> {
    const now = this.clock.now();
    const due = this.accounts.repo.dueForRefresh(now - DAY, now + this.windowMs);
    const counts: RefreshCounts = { due: due.length, refreshed: 0, needsReconnect: 0, retryLater: 0 };
    for (const row of due) {
      try {
        const fresh = await this.instagram.client.oauth.refresh(this.accounts.tokenOf(row));
        const at = this.clock.now();
        // One UPDATE swaps the token: the old one is never dropped before the new one is stored.
        this.accounts.storeToken(row, fresh.accessToken, at + fresh.expiresIn * 1000, at);
        this.audit.record({ kind: 'account.token.refreshed', actor: 'system', detail: { account: row.username } });
        counts.refreshed += 1;
      } catch (error) {
        if (error instanceof GraphError && error.retryable) {
          this.log.warn({ err: error, account: row.username }, 'token refresh failed for now; will retry');
          counts.retryLater += 1;
          continue;
        }
        const reason =
          error instanceof GraphError ? `${error.errorClass}:${error.code ?? '-'}/${error.subcode ?? '-'}` : error instanceof DecryptionError ? 'token-unreadable' : 'refresh-failed';
        this.log.warn({ err: error, account: row.username }, 'token refresh refused; account needs reconnecting');
        this.accounts.markNeedsReconnect(row.id, reason);
        counts.needsReconnect += 1;
      }
    }
    return counts;
  }
}
