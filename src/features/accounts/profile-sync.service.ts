// Refreshes each account's profile, writes a snapshot per sync and one follower count per day.
import type { Clock } from '../../clock.js';
import { DecryptionError } from '../../db/crypto.js';
import { GraphError } from '../../instagram/graph-error.js';
import type { InstagramSetup } from '../../instagram/setup.js';
import type { Logger } from '../../log.js';
import type { AccountsService } from './accounts.service.js';
import type { AccountRow } from './accounts.repo.js';

export interface SyncCounts {
  synced: number;
  needsReconnect: number;
  failed: number;
}

export class ProfileSyncService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly instagram: InstagramSetup,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  async syncAll(): Promise<SyncCounts> {
    const counts: SyncCounts = { synced: 0, needsReconnect: 0, failed: 0 };
    for (const row of this.accounts.repo.list()) {
      if (row.status !== 'ok') continue;
      const outcome = await this.sync(row);
      counts[outcome] += 1;
    }
    return counts;
  }

  async sync(row: AccountRow): Promise<keyof SyncCounts> {
    try {
      const me = await this.instagram.client.publishing.me(this.accounts.tokenOf(row));
      const now = this.clock.now();
      this.accounts.recordProfile(row.id, me, now);
      return 'synced';
    } catch (error) {
      if (error instanceof DecryptionError) {
        this.accounts.markNeedsReconnect(row.id, 'token-unreadable');
        return 'needsReconnect';
      }
      if (error instanceof GraphError && (error.errorClass === 'reconnect' || error.errorClass === 'permission')) {
        this.accounts.markNeedsReconnect(row.id, `${error.errorClass}:${error.code ?? '-'}/${error.subcode ?? '-'}`);
        return 'needsReconnect';
      }
      this.log.warn({ err: error, account: row.username }, 'profile sync failed');
      return 'failed';
    }
  }
}
