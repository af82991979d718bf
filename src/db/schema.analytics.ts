// Analytics history: daily account metrics, per-post insights and audience snapshots, kept for as
// long as the account stays connected (Instagram itself keeps two years). "No data" is a missing
// row or a null column, never a zero.
import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';
import { accounts } from './schema.js';

/** One metric of one day (UTC day Instagram's numbers refer to, YYYY-MM-DD). */
export const insightDays = sqliteTable(
  'insight_days',
  {
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    day: text('day').notNull(),
    metric: text('metric').notNull(),
    value: integer('value').notNull(),
    fetchedAt: integer('fetched_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.metric, t.day] }), index('insight_days_account_day_idx').on(t.accountId, t.day)],
);

/** The account's posts with their lifetime insights (null: Instagram had no number for it). */
export const mediaInsights = sqliteTable(
  'media_insights',
  {
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    igMediaId: text('ig_media_id').notNull(),
    mediaType: text('media_type').notNull(),
    productType: text('product_type').notNull(),
    /** The business's own caption, shortened. */
    caption: text('caption'),
    permalink: text('permalink'),
    thumbnailUrl: text('thumbnail_url'),
    postedAt: integer('posted_at').notNull(),
    views: integer('views'),
    reach: integer('reach'),
    likes: integer('likes'),
    comments: integer('comments'),
    saved: integer('saved'),
    shares: integer('shares'),
    totalInteractions: integer('total_interactions'),
    /** Reels: average watch time in ms, and the share of views skipped in the first seconds (%). */
    avgWatchMs: integer('avg_watch_ms'),
    skipRate: real('skip_rate'),
    fetchedAt: integer('fetched_at').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.igMediaId] }), index('media_insights_posted_idx').on(t.accountId, t.postedAt)],
);

export const AUDIENCE_BREAKDOWNS = ['age', 'gender', 'country', 'city'] as const;
export type AudienceBreakdown = (typeof AUDIENCE_BREAKDOWNS)[number];

/** Follower demographics as read on `takenOn` (weekly); the newest snapshot is shown. */
export const audience = sqliteTable(
  'audience',
  {
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    takenOn: text('taken_on').notNull(),
    breakdown: text('breakdown', { enum: AUDIENCE_BREAKDOWNS }).notNull(),
    key: text('key').notNull(),
    value: integer('value').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.breakdown, t.key, t.takenOn] }), index('audience_taken_idx').on(t.accountId, t.takenOn)],
);
