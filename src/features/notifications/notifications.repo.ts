import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { accounts, notifications, posts, type NotificationKind } from '../../db/schema.js';

export type NotificationRow = typeof notifications.$inferSelect;

export interface NotificationListing extends NotificationRow {
  username: string | null;
  postType: string | null;
  postState: string | null;
  reasonKey: string | null;
  reasonParams: Record<string, string | number> | null;
}

export class NotificationsRepo {
  constructor(private readonly db: Db) {}

  /** One unread notice per kind and subject is enough: a retry storm must not fill the bell. */
  addUnlessUnread(kind: NotificationKind, accountId: number | null, postId: number | null, at: number): void {
    const same = this.db
      .select({ id: notifications.id })
      .from(notifications)
      .where(
        and(
          eq(notifications.kind, kind),
          isNull(notifications.readAt),
          accountId === null ? isNull(notifications.accountId) : eq(notifications.accountId, accountId),
          postId === null ? isNull(notifications.postId) : eq(notifications.postId, postId),
        ),
      )
      .get();
    if (!same) this.db.insert(notifications).values({ kind, accountId, postId, at }).run();
  }

  list(limit = 100): NotificationListing[] {
    return this.db
      .select({
        n: notifications,
        username: accounts.username,
        postType: posts.type,
        postState: posts.state,
        reasonKey: posts.reasonKey,
        reasonParams: posts.reasonParams,
      })
      .from(notifications)
      .leftJoin(accounts, eq(accounts.id, notifications.accountId))
      .leftJoin(posts, eq(posts.id, notifications.postId))
      .orderBy(desc(notifications.at), desc(notifications.id))
      .limit(limit)
      .all()
      .map((r) => ({ ...r.n, username: r.username, postType: r.postType, postState: r.postState, reasonKey: r.reasonKey, reasonParams: r.reasonParams }));
  }

  unreadCount(): number {
    return this.db.select({ n: sql<number>`count(*)` }).from(notifications).where(isNull(notifications.readAt)).get()?.n ?? 0;
  }

  markAllRead(at: number): void {
    this.db.update(notifications).set({ readAt: at }).where(isNull(notifications.readAt)).run();
  }
}
