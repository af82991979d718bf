// The only queries on the analytics tables.
import { and, asc, desc, eq, gte, inArray, lte, max, ne, sql } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { followerDays } from '../../db/schema.js';
import { audience, insightDays, mediaInsights, type AudienceBreakdown } from '../../db/schema.analytics.js';
import { CHECKED } from './metrics.js';

export type MediaInsightRow = typeof mediaInsights.$inferSelect;
export type MediaInsightFacts = Omit<MediaInsightRow, 'accountId' | 'fetchedAt'>;

export interface DayValue {
  day: string;
  metric: string;
  value: number;
}

export class AnalyticsRepo {
  constructor(private readonly db: Db) {}

  saveDay(accountId: number, day: string, values: Record<string, number>, now: number): void {
    this.db.transaction((tx) => {
      for (const [metric, value] of Object.entries({ ...values, [CHECKED]: 0 })) {
        tx.insert(insightDays)
          .values({ accountId, day, metric, value, fetchedAt: now })
          .onConflictDoUpdate({ target: [insightDays.accountId, insightDays.metric, insightDays.day], set: { value, fetchedAt: now } })
          .run();
      }
    });
  }

  /** Days already asked for (with or without data). */
  checkedDays(accountId: number, from: string): Set<string> {
    const rows = this.db
      .select({ day: insightDays.day })
      .from(insightDays)
      .where(and(eq(insightDays.accountId, accountId), eq(insightDays.metric, CHECKED), gte(insightDays.day, from)))
      .all();
    return new Set(rows.map((r) => r.day));
  }

  /** Every stored value between two days (inclusive), the marker rows left out. */
  days(accountId: number, from: string, to: string): DayValue[] {
    return this.db
      .select({ day: insightDays.day, metric: insightDays.metric, value: insightDays.value })
      .from(insightDays)
      .where(and(eq(insightDays.accountId, accountId), gte(insightDays.day, from), lte(insightDays.day, to), ne(insightDays.metric, CHECKED)))
      .orderBy(asc(insightDays.day), asc(insightDays.metric))
      .all();
  }

  /** With `keepNumbers`, a post already stored keeps its numbers (this read of them failed). */
  /** Per metric: the sum over the days that have it, and on how many days it has a number. */
  totals(accountId: number, from: string, to: string): Map<string, { sum: number; days: number }> {
    const rows = this.db
      .select({ metric: insightDays.metric, sum: sql<number>`sum(${insightDays.value})`, days: sql<number>`count(*)` })
      .from(insightDays)
      .where(and(eq(insightDays.accountId, accountId), gte(insightDays.day, from), lte(insightDays.day, to), ne(insightDays.metric, CHECKED)))
      .groupBy(insightDays.metric)
      .all();
    return new Map(rows.map((r) => [r.metric, { sum: r.sum, days: r.days }]));
  }

  /** The values of a few metrics between two days (inclusive). */
  series(accountId: number, from: string, to: string, metrics: readonly string[]): DayValue[] {
    return this.db
      .select({ day: insightDays.day, metric: insightDays.metric, value: insightDays.value })
      .from(insightDays)
      .where(and(eq(insightDays.accountId, accountId), gte(insightDays.day, from), lte(insightDays.day, to), inArray(insightDays.metric, [...metrics])))
      .orderBy(asc(insightDays.day))
      .all();
  }

  saveMedia(accountId: number, facts: MediaInsightFacts, now: number, keepNumbers = false): void {
    const row = { ...facts, accountId, fetchedAt: now };
    const { views: _v, reach: _r, likes: _l, comments: _c, saved: _s, shares: _sh, totalInteractions: _t, avgWatchMs: _a, skipRate: _k, ...described } = row;
    this.db
      .insert(mediaInsights)
      .values(row)
      .onConflictDoUpdate({ target: [mediaInsights.accountId, mediaInsights.igMediaId], set: keepNumbers ? described : row })
      .run();
  }

  /** Posts published between two instants, newest first. */
  media(accountId: number, fromMs: number, toMs: number): MediaInsightRow[] {
    return this.db
      .select()
      .from(mediaInsights)
      .where(and(eq(mediaInsights.accountId, accountId), gte(mediaInsights.postedAt, fromMs), lte(mediaInsights.postedAt, toMs)))
      .orderBy(desc(mediaInsights.postedAt))
      .all();
  }

  saveAudience(accountId: number, takenOn: string, breakdown: AudienceBreakdown, values: Array<{ key: string; value: number }>): void {
    this.db.transaction((tx) => {
      tx.delete(audience).where(and(eq(audience.accountId, accountId), eq(audience.breakdown, breakdown), eq(audience.takenOn, takenOn))).run();
      for (const { key, value } of values) tx.insert(audience).values({ accountId, takenOn, breakdown, key, value }).run();
    });
  }

  /** The newest audience snapshot: its date and rows, biggest first per breakdown. */
  latestAudience(accountId: number): { takenOn: string; rows: Array<{ breakdown: AudienceBreakdown; key: string; value: number }> } | undefined {
    const latest = this.db.select({ on: max(audience.takenOn) }).from(audience).where(eq(audience.accountId, accountId)).get()?.on;
    if (!latest) return undefined;
    const rows = this.db
      .select({ breakdown: audience.breakdown, key: audience.key, value: audience.value })
      .from(audience)
      .where(and(eq(audience.accountId, accountId), eq(audience.takenOn, latest)))
      .orderBy(asc(audience.breakdown), desc(audience.value), asc(audience.key))
      .all();
    return { takenOn: latest, rows };
  }

  /** Follower counts Qanat read itself (profile sync), by day. */
  followerDays(accountId: number, from: string, to: string): Array<{ day: string; followers: number }> {
    return this.db
      .select({ day: followerDays.day, followers: followerDays.followers })
      .from(followerDays)
      .where(and(eq(followerDays.accountId, accountId), gte(followerDays.day, from), lte(followerDays.day, to)))
      .orderBy(asc(followerDays.day))
      .all();
  }

  /** The newest follower count Qanat read, on or before `day`. */
  followersOnOrBefore(accountId: number, day: string): { day: string; followers: number } | undefined {
    return this.db
      .select({ day: followerDays.day, followers: followerDays.followers })
      .from(followerDays)
      .where(and(eq(followerDays.accountId, accountId), lte(followerDays.day, day)))
      .orderBy(desc(followerDays.day))
      .limit(1)
      .get();
  }

  countMedia(accountId: number): number {
    return this.db.select({ n: sql<number>`count(*)` }).from(mediaInsights).where(eq(mediaInsights.accountId, accountId)).get()?.n ?? 0;
  }
}
