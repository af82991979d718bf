// After a restore: a post that was waiting in the backup and whose time has come may have been
// published in the time the backup does not know about. It is held for the owner (with a
// notification and a line in its log) instead of being published a second time.
import { and, inArray, lte } from 'drizzle-orm';
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
