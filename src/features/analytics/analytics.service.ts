// The analytics page and its exports for one account and date range, built from stored rows only
// (Instagram is read by the jobs, never while a page renders).
import type { Clock } from '../../clock.js';
import { SANDBOX_MOUNT } from '../../instagram/setup.js';
import { Forbidden, NotFound } from '../../errors.js';
import { AUDIENCE_BREAKDOWNS, type AudienceBreakdown } from '../../db/schema.analytics.js';
import type { AccountsService, AccountView } from '../accounts/accounts.service.js';
import type { Actor } from '../users/users.service.js';
import {
  bestTimes,
  dayMs,
  engagementRate,
  everyDay,
  followerSeries,
  isoDay,
  engagementOf,
  kpisFromTotals,
  previousOf,
  sortPosts,
  change,
  type FollowerPoint,
  type HeatCell,
  type Kpi,
  type PostSort,
  type Range,
} from './analytics.calc.js';
import type { AnalyticsRepo, MediaInsightRow } from './analytics.repo.js';
import type { CollectCounts, CollectService } from './collect.service.js';
import { toCsv } from './csv.js';
import { ACCOUNT_DAY_METRICS, FOLLOWER_GATE, FOLLOW_METRICS } from './metrics.js';

const DAY_MS = 86_400_000;
export const TOP_POSTS = 20;
export const KPI_METRICS = ['reach', 'views', 'accounts_engaged', 'total_interactions', 'likes', 'comments', 'saves', 'shares', 'profile_links_taps', 'follows', 'unfollows'] as const;
export const CSV_SERIES = ['daily', 'followers', 'posts', 'audience', 'best-times'] as const;
export type CsvSeries = (typeof CSV_SERIES)[number];

export interface PostView extends MediaInsightRow {
  engagement: number | null;
  /** Where the page loads the thumbnail: Instagram's CDN over https, or the sandbox's own path. */
  thumb: string | null;
}

function thumbOf(url: string | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    if (parsed.protocol === 'https:') return parsed.toString();
    // The mounted simulator answers on loopback; the browser reaches the same files on our origin.
    if (parsed.pathname.startsWith(`${SANDBOX_MOUNT}/cdn/`)) return parsed.pathname;
  } catch {
    return null;
  }
  return null;
}

export interface Dashboard {
  account: AccountView;
  range: Range;
  previous: Range;
  kpis: Kpi[];
  followers: { points: FollowerPoint[]; start: number | null; end: number | null; change: number | null };
  engagement: { value: number | null; previous: number | null; change: number | null };
  daily: Array<{ day: string; reach: number | null; views: number | null }>;
  posts: PostView[];
  postCount: number;
  heatmap: { cells: HeatCell[]; basedOn: number; max: number };
  audience: { takenOn: string; breakdowns: Array<{ breakdown: AudienceBreakdown; rows: Array<{ key: string; value: number; share: number }> }> } | null;
  /** Why there are no demographics: under 100 followers, or none read yet. */
  audienceReason: 'under_gate' | 'not_yet' | null;
}

export class AnalyticsService {
  constructor(
    private readonly accounts: AccountsService,
    readonly repo: AnalyticsRepo,
    private readonly collector: CollectService,
    private readonly clock: Clock,
  ) {}

  today(): string {
    return isoDay(this.clock.now());
  }

  dashboard(accountId: number, range: Range, zone: string, sort: PostSort): Dashboard {
    const account = this.accounts.get(accountId);
    const previous = previousOf(range);
    const today = this.today();
    const current = this.repo.totals(accountId, range.from, range.to);
    const before = this.repo.totals(accountId, previous.from, previous.to);
    const daily = new Map<string, { reach: number | null; views: number | null }>();
    for (const v of this.repo.series(accountId, range.from, range.to, ['reach', 'views'])) {
      const day = daily.get(v.day) ?? { reach: null, views: null };
      if (v.metric === 'reach') day.reach = v.value;
      else day.views = v.value;
      daily.set(v.day, day);
    }
    const points = this.followers(accountId, range, today);
    const known = points.filter((p) => p.followers !== null);
    const start = known[0]?.followers ?? null;
    const end = known[known.length - 1]?.followers ?? null;
    const posts = this.repo.media(accountId, dayMs(range.from), dayMs(range.to) + DAY_MS - 1);
    const heat = bestTimes(posts, zone);
    const engagementNow = engagementOf(current);
    const comparable = (before.get('reach')?.days ?? 0) >= (current.get('reach')?.days ?? 0);
    const engagementBefore = comparable ? engagementOf(before) : null;
    return {
      account,
      range,
      previous,
      kpis: kpisFromTotals(current, before, KPI_METRICS),
      followers: { points, start, end, change: change(end, start) },
      engagement: { value: engagementNow, previous: engagementBefore, change: change(engagementNow, engagementBefore) },
      daily: everyDay(range).map((day) => ({ day, reach: daily.get(day)?.reach ?? null, views: daily.get(day)?.views ?? null })),
      posts: sortPosts(posts, sort)
        .slice(0, TOP_POSTS)
        .map((p) => ({ ...p, engagement: engagementRate(p.totalInteractions, p.reach), thumb: thumbOf(p.thumbnailUrl) })),
      postCount: posts.length,
      heatmap: { ...heat, max: Math.max(0, ...heat.cells.map((c) => c.rate ?? 0)) },
      ...this.audienceOf(account),
    };
  }

  private followers(accountId: number, range: Range, today: string): FollowerPoint[] {
    const read = new Map(this.repo.followerDays(accountId, range.from, today).map((r) => [r.day, r.followers]));
    return followerSeries(range, read, this.repo.series(accountId, range.from, today, FOLLOW_METRICS), today);
  }

  private audienceOf(account: AccountView): Pick<Dashboard, 'audience' | 'audienceReason'> {
    const latest = this.repo.latestAudience(account.id);
    if (!latest || latest.rows.length === 0) return { audience: null, audienceReason: (account.followersCount ?? 0) < FOLLOWER_GATE ? 'under_gate' : 'not_yet' };
    const breakdowns = AUDIENCE_BREAKDOWNS.map((breakdown) => {
      const rows = latest.rows.filter((r) => r.breakdown === breakdown);
      const sum = rows.reduce((s, r) => s + r.value, 0);
      return { breakdown, rows: rows.slice(0, 10).map((r) => ({ key: r.key, value: r.value, share: sum > 0 ? r.value / sum : 0 })) };
    }).filter((b) => b.rows.length > 0);
    return { audience: { takenOn: latest.takenOn, breakdowns }, audienceReason: null };
  }

  /** Every series of the page as CSV, exactly as stored (no rounding, no zero for missing data). */
  csv(accountId: number, series: CsvSeries, range: Range, zone: string): string {
    this.accounts.get(accountId);
    const today = this.today();
    if (series === 'daily') {
      const values = this.repo.days(accountId, range.from, range.to);
      const metrics = [...ACCOUNT_DAY_METRICS, ...FOLLOW_METRICS];
      const byDay = new Map<string, Map<string, number>>();
      for (const v of values) byDay.set(v.day, (byDay.get(v.day) ?? new Map<string, number>()).set(v.metric, v.value));
      return toCsv(['day', ...metrics], everyDay(range).map((day) => [day, ...metrics.map((m) => byDay.get(day)?.get(m) ?? null)]));
    }
    if (series === 'followers') {
      return toCsv(['day', 'followers', 'estimated'], this.followers(accountId, range, today).map((p) => [p.day, p.followers, p.followers === null ? null : p.estimated ? 'yes' : 'no']));
    }
    if (series === 'posts') {
      const posts = this.repo.media(accountId, dayMs(range.from), dayMs(range.to) + DAY_MS - 1);
      return toCsv(
        ['media_id', 'posted_at', 'media_type', 'product_type', 'caption', 'permalink', 'views', 'reach', 'likes', 'comments', 'saved', 'shares', 'total_interactions', 'engagement_rate_percent', 'avg_watch_ms', 'skip_rate_percent'],
        posts.map((p) => [
          p.igMediaId,
          new Date(p.postedAt).toISOString(),
          p.mediaType,
          p.productType,
          p.caption,
          p.permalink,
          p.views,
          p.reach,
          p.likes,
          p.comments,
          p.saved,
          p.shares,
          p.totalInteractions,
          engagementRate(p.totalInteractions, p.reach),
          p.avgWatchMs,
          p.skipRate,
        ]),
      );
    }
    if (series === 'audience') {
      const latest = this.repo.latestAudience(accountId);
      return toCsv(['taken_on', 'breakdown', 'key', 'value'], (latest?.rows ?? []).map((r) => [latest?.takenOn ?? '', r.breakdown, r.key, r.value]));
    }
    const posts = this.repo.media(accountId, dayMs(range.from), dayMs(range.to) + DAY_MS - 1);
    return toCsv(['weekday', 'hour', 'posts', 'engagement_rate_percent'], bestTimes(posts, zone).cells.map((c) => [c.weekday + 1, c.hour, c.posts, c.rate]));
  }

  /** "Read from Instagram now": owners and editors, one account; the nightly jobs' work at once. */
  async refresh(actor: Actor, accountId: number): Promise<CollectCounts> {
    if (actor.role === 'viewer') throw new Forbidden('analytics.error.viewerOnly');
    const account = this.accounts.repo.findById(accountId);
    if (!account) throw new NotFound('accounts.error.notFound');
    return this.collector.collectAccount(account, { daily: true, audience: true });
  }
}
