// Meta's data-deletion requests: what was asked, when it was done, and the code Meta (and the
// person) can look the status up with. The Instagram user is kept only as a keyed hash.
import { integer, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const DELETION_OUTCOMES = ['deleted', 'no_data'] as const;

export const deletionRequests = sqliteTable('deletion_requests', {
  /** The confirmation code (random, unguessable), also the status page's key. */
  code: text('code').primaryKey(),
  /** HMAC of the app-scoped user id under the data key: a repeated request finds its first answer. */
  userKey: text('user_key').notNull().unique(),
  receivedAt: integer('received_at').notNull(),
  completedAt: integer('completed_at'),
  outcome: text('outcome', { enum: DELETION_OUTCOMES }).notNull(),
  /** What was removed: counts only (rows per table, files), never the data itself. */
  detail: text('detail', { mode: 'json' }).$type<Record<string, number>>().notNull(),
});
