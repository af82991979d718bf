// The bell: failed, held and unclear posts, and accounts that need reconnecting.
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import type { NotificationKind } from '../../db/schema.js';
import { NotificationsRepo, type NotificationListing } from './notifications.repo.js';

export class NotificationsService {
  readonly repo: NotificationsRepo;

  constructor(
    db: Db,
    private readonly clock: Clock,
  ) {
    this.repo = new NotificationsRepo(db);
  }

  add(kind: NotificationKind, accountId: number | null, postId: number | null): void {
    this.repo.addUnlessUnread(kind, accountId, postId, this.clock.now());
  }

  list(): NotificationListing[] {
    return this.repo.list();
  }

  unreadCount(): number {
    return this.repo.unreadCount();
  }

  markAllRead(): void {
    this.repo.markAllRead(this.clock.now());
  }
}
