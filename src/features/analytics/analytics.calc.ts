// The numbers on the analytics page, as pure functions over stored rows: date ranges, period
// totals and their change, follower history, engagement rate and the best-time heatmap.
// "No data" stays null all the way to the page; it is never turned into a zero.
import { weekdayHour } from '../../time-zone.js';
import type { DayValue, MediaInsightRow } from './analytics.repo.js';

const DAY_MS = 86_400_000;

export const RANGE_CHOICES = ['7', '30', '90', '365', '729', 'custom'] as const;
export type RangeChoice = (typeof RANGE_CHOICES)[number];
/** The longest range: Instagram keeps two years of insights. */
export const MAX_RANGE_DAYS = 729;

/** Inclusive UTC days, YYYY-MM-DD. */
export interface Range {
  choice: RangeChoice;
  from: string;
  to: string;
  days: number;
}

export const dayMs = (day: string): number => Date.parse(`${day}T00:00:00Z`);
export const isoDay = (ms: number): string => new Date(ms).toISOString().slice(0, 10);
export const addDays = (day: string, n: number): string => isoDay(dayMs(day) + n * DAY_MS);
const DAY = /^\d{4}-\d{2}-\d{2}$/;

export function daysBetween(from: string, to: string): number {
  return Math.round((dayMs(to) - dayMs(from)) / DAY_MS) + 1;
}

export function everyDay(range: { from: string; to: string }): string[] {
  const out: string[] = [];
  for (let d = range.from; d <= range.to; d = addDays(d, 1)) out.push(d);
  return out;
}

export type RangeResult = { ok: true; range: Range } | { ok: false; error: 'dates' | 'order' | 'future' | 'tooLong' };

/**
 * The last N days up to yesterday (today's numbers are not in yet), or a custom span. `today` is
 * the UTC day now.
 */
export function rangeOf(choice: string, today: string, custom: { from?: string; to?: string } = {}): RangeResult {
  const to = addDays(today, -1);
  if (choice !== 'custom') {
    const days = (RANGE_CHOICES as readonly string[]).includes(choice) ? Number(choice) : 30;
    return { ok: true, range: { choice: String(days) as RangeChoice, from: addDays(to, -(days - 1)), to, days } };
  }
  const { from: a, to: b } = custom;
  if (!a || !b || !DAY.test(a) || !DAY.test(b) || Number.isNaN(dayMs(a)) || Number.isNaN(dayMs(b)) || isoDay(dayMs(a)) !== a || isoDay(dayMs(b)) !== b) return { ok: false, error: 'dates' };
  if (a > b) return { ok: false, error: 'order' };
  if (b > today) return { ok: false, error: 'future' };
  const days = daysBetween(a, b);
  if (days > MAX_RANGE_DAYS) return { ok: false, error: 'tooLong' };
  return { ok: true, range: { choice: 'custom', from: a, to: b, days } };
}

/** The same number of days just before the range. */
export function previousOf(range: Range): Range {
  return { choice: range.choice, from: addDays(range.from, -range.days), to: addDays(range.from, -1), days: range.days };
}

/** Sum of a metric over the days that have it; null when no day does. */
export function total(values: DayValue[], metric: string, range: { from: string; to: string }): number | null {
  let sum: number | null = null;
  for (const v of values) if (v.metric === metric && v.day >= range.from && v.day <= range.to) sum = (sum ?? 0) + v.value;
  return sum;
}

/** On how many days of the range the metric has a number. */
export function daysWith(values: DayValue[], metric: string, range: { from: string; to: string }): number {
  return values.filter((v) => v.metric === metric && v.day >= range.from && v.day <= range.to).length;
}

/** Relative change (0.25 = +25 %); null when either side has no data or the base is zero. */
export function change(current: number | null, previous: number | null): number | null {
  if (current === null || previous === null || previous === 0) return null;
  return (current - previous) / previous;
}

export interface Kpi {
  metric: string;
  value: number | null;
  previous: number | null;
  change: number | null;
}

/** Per metric: sum and days with data, as the repository's `totals` returns them. */
export type Totals = Map<string, { sum: number; days: number }>;

export function totalsOf(values: DayValue[], range: { from: string; to: string }): Totals {
  const out: Totals = new Map();
  for (const v of values) {
    if (v.day < range.from || v.day > range.to) continue;
    const t = out.get(v.metric) ?? { sum: 0, days: 0 };
    t.sum += v.value;
    t.days += 1;
    out.set(v.metric, t);
  }
  return out;
}

export function kpisFromTotals(current: Totals, before: Totals, metrics: readonly string[]): Kpi[] {
  return metrics.map((metric) => {
    const now = current.get(metric);
    const then = before.get(metric);
    const value = now ? now.sum : null;
    const previous = then ? then.sum : null;
    // A previous period with fewer days of data (history starts inside it) would make any change look huge.
    const comparable = (then?.days ?? 0) >= (now?.days ?? 0);
    return { metric, value, previous, change: comparable ? change(value, previous) : null };
  });
}

export function kpis(values: DayValue[], metrics: readonly string[], range: Range): Kpi[] {
  return kpisFromTotals(totalsOf(values, range), totalsOf(values, previousOf(range)), metrics);
}

/** Engagement rate of a period from its totals; null without reach. */
export function engagementOf(totals: Totals): number | null {
  return engagementRate(totals.get('total_interactions')?.sum ?? null, totals.get('reach')?.sum ?? null);
}

/** Interactions per account reached, in percent; null without reach. */
export function engagementRate(interactions: number | null, reach: number | null): number | null {
  if (interactions === null || reach === null || reach <= 0) return null;
  return (interactions / reach) * 100;
}

export interface FollowerPoint {
  day: string;
  followers: number | null;
  /** Worked back from follows and unfollows rather than read by Qanat that day. */
  estimated: boolean;
}

/**
 * Followers at the end of each day of the range. Counts Qanat read (profile sync) are taken as
 * they are; other days are worked back from the next day: followers(d) = followers(d+1) −
 * follows(d+1) + unfollows(d+1), as long as Instagram gave follows and unfollows for d+1 (today's
 * are not in yet, so yesterday takes today's count). The walk starts at `until` (today), so counts
 * read after the range still carry back into it.
 */
export function followerSeries(range: { from: string; to: string }, read: Map<string, number>, values: DayValue[], until: string): FollowerPoint[] {
  const follows = new Map<string, number>();
  const unfollows = new Map<string, number>();
  for (const v of values) {
    if (v.metric === 'follows') follows.set(v.day, v.value);
    if (v.metric === 'unfollows') unfollows.set(v.day, v.value);
  }
  const end = until > range.to ? until : range.to;
  const out: FollowerPoint[] = [];
  let next: { day: string; followers: number } | undefined;
  for (let day = end; day >= range.from; day = addDays(day, -1)) {
    const seen = read.get(day);
    let point: FollowerPoint;
    if (seen !== undefined) point = { day, followers: seen, estimated: false };
    else if (next && follows.has(next.day) && unfollows.has(next.day)) {
      point = { day, followers: next.followers - (follows.get(next.day) ?? 0) + (unfollows.get(next.day) ?? 0), estimated: true };
    } else if (next && next.day === until) {
      // Today's follows are not in yet: today's count stands in for last night's.
      point = { day, followers: next.followers, estimated: true };
    } else point = { day, followers: null, estimated: false };
    next = point.followers === null ? undefined : { day, followers: point.followers };
    if (day <= range.to) out.push(point);
  }
  return out.reverse();
}

export interface HeatCell {
  weekday: number;
  hour: number;
  posts: number;
  /** Mean engagement rate (%) of the posts published in this hour of this weekday. */
  rate: number | null;
}

/** Weekday (0 = Monday) × hour in the owner's time zone, from the posts' own engagement. */
export function bestTimes(posts: MediaInsightRow[], zone: string): { cells: HeatCell[]; basedOn: number } {
  const sums = new Map<string, { posts: number; rateSum: number; rated: number }>();
  let basedOn = 0;
  for (const post of posts) {
    const local = weekdayHour(post.postedAt, zone);
    const key = `${local.weekday}:${local.hour}`;
    const cell = sums.get(key) ?? { posts: 0, rateSum: 0, rated: 0 };
    cell.posts += 1;
    const rate = engagementRate(post.totalInteractions, post.reach);
    if (rate !== null) {
      cell.rateSum += rate;
      cell.rated += 1;
      basedOn += 1;
    }
    sums.set(key, cell);
  }
  const cells: HeatCell[] = [];
  for (let weekday = 0; weekday < 7; weekday += 1) {
    for (let hour = 0; hour < 24; hour += 1) {
      const s = sums.get(`${weekday}:${hour}`);
      cells.push({ weekday, hour, posts: s?.posts ?? 0, rate: s && s.rated > 0 ? s.rateSum / s.rated : null });
    }
  }
  return { cells, basedOn };
}

export const POST_SORTS = ['posted', 'views', 'reach', 'likes', 'comments', 'saved', 'shares', 'totalInteractions', 'engagement'] as const;
export type PostSort = (typeof POST_SORTS)[number];

/** Highest first; posts without the number go last, newest first among equals. */
export function sortPosts(posts: MediaInsightRow[], by: PostSort): MediaInsightRow[] {
  const key = (p: MediaInsightRow): number | null => (by === 'posted' ? p.postedAt : by === 'engagement' ? engagementRate(p.totalInteractions, p.reach) : p[by]);
  return [...posts].sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x === null && y === null) return b.postedAt - a.postedAt;
    if (x === null) return 1;
    if (y === null) return -1;
    return y - x || b.postedAt - a.postedAt;
  });
}
