// After a restore: a post that was waiting in the backup and whose time has come may have been
// published in the time the backup does not know about. It is held for the owner (with a
// notification and a line in its log) instead of being published a second time.
// A post that already had its container, ready to publish, goes to "publishing" instead: the
// engine then reads the container before anything else (PUBLISHED → the media is found and
// recorded; FINISHED → published now, once), exactly as after a crash during media_publish.
import { and, eq, inArray, isNotNull, lte, or } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import { posts } from '../../db/schema.js';
import { PostsRepo } from '../content/posts.repo.js';
import { NotificationsService } from '../notifications/notifications.service.js';

export function holdPostsDueSinceBackup(db: Db, clock: Clock, backupMadeAt: string): number {
  const now = clock.now();
  const repo = new PostsRepo(db);
  const notifications = new NotificationsService(db, clock);
  const due = db
    .select({ id: posts.id, accountId: posts.accountId, scheduledAt: posts.scheduledAt })
    .from(posts)
    .where(and(inArray(posts.state, ['scheduled', 'claimed']), lte(posts.scheduledAt, now)))
    .all();
  const made = backupMadeAt.slice(0, 16).replace('T', ' ');
  db.transaction((tx) => {
    for (const post of due) {
      tx.update(posts)
        .set({ state: 'held', heldReason: 'late', reasonKey: 'publishing.reason.restored', reasonParams: { made }, updatedAt: now })
        .where(and(inArray(posts.id, [post.id]), inArray(posts.state, ['scheduled', 'claimed'])))
        .run();
    }
  });
  for (const post of due) {
    repo.addEvent(post.id, now, 'held', { reason: 'publishing.reason.restored', made });
    notifications.add('post_held', post.accountId, post.id);
  }
  return due.length;
}

/** Posts whose container was ready (or held for the quota after it) are checked against Instagram first. */
export function reconcileReadyPostsAfterRestore(db: Db, clock: Clock): number {
  const now = clock.now();
  const rows = db
    .select({ id: posts.id, publishStartedAt: posts.publishStartedAt, containerCreatedAt: posts.containerCreatedAt })
    .from(posts)
    .where(and(isNotNull(posts.containerId), or(eq(posts.state, 'ready'), and(eq(posts.state, 'held'), eq(posts.heldReason, 'quota')))))
    .all();
  // No log line here: the engine's check adds "Checked with Instagram: <status>" when it runs.
  db.transaction((tx) => {
    for (const row of rows) {
      tx.update(posts)
        .set({ state: 'publishing', publishStartedAt: row.publishStartedAt ?? row.containerCreatedAt ?? now, nextAttemptAt: null, leaseOwner: null, leaseUntil: null, updatedAt: now })
        .where(eq(posts.id, row.id))
        .run();
    }
  });
  return rows.length;
}
