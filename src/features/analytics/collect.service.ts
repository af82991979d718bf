// Reads insights from Instagram into the analytics tables: daily account metrics (one call per day,
// each day asked once and the last three again while Instagram's numbers settle), lifetime insights
// of the last 90 days' posts, and follower demographics (weekly).
import type { Clock } from '../../clock.js';
import { GraphError } from '../../instagram/graph-error.js';
import type { InsightsApi } from '../../instagram/insights.js';
import type { EngagementApi } from '../../instagram/engagement.js';
import type { Insight, Media, Page } from '../../instagram/types.js';
import type { Logger } from '../../log.js';
import { AUDIENCE_BREAKDOWNS, type AudienceBreakdown } from '../../db/schema.analytics.js';
import type { AccountRow } from '../accounts/accounts.repo.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import { graphTimeMs } from '../engagement/sync.service.js';
import { dayMs, isoDay } from './analytics.calc.js';
import type { AnalyticsRepo, MediaInsightFacts } from './analytics.repo.js';
import { ACCOUNT_DAY_METRICS, FEED_MEDIA_METRICS, FOLLOWER_GATE, REELS_MEDIA_METRICS } from './metrics.js';

const DAY_MS = 86_400_000;
/** §5.1: numbers can change for up to 48 h; the last days are read again. */
const SETTLING_DAYS = 3;
export const MEDIA_WINDOW_DAYS = 90;

export interface CollectOptions {
  /** How far back daily metrics are read the first time (Instagram keeps two years). */
  backfillDays: number;
}

export interface CollectCounts {
  accounts: number;
  days: number;
  media: number;
  audience: number;
  failed: number;
}


function totalOf(insight: Insight): number | undefined {
  const value = insight.total_value?.value ?? insight.values?.[0]?.value;
  return typeof value === 'number' ? value : undefined;
}

export class CollectService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly insights: InsightsApi,
    private readonly engagement: EngagementApi,
    private readonly repo: AnalyticsRepo,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly options: CollectOptions,
  ) {}

  /** The daily job: account days and post insights for every connected account. */
  async collectAll(parts: { daily?: boolean; audience?: boolean } = { daily: true }): Promise<CollectCounts> {
    const counts: CollectCounts = { accounts: 0, days: 0, media: 0, audience: 0, failed: 0 };
    for (const account of this.accounts.repo.list()) {
      if (account.status !== 'ok') continue;
      counts.accounts += 1;
      const result = await this.collectAccount(account, parts);
      counts.days += result.days;
      counts.media += result.media;
      counts.audience += result.audience;
      counts.failed += result.failed;
    }
    return counts;
  }

  async collectAccount(account: AccountRow, parts: { daily?: boolean; audience?: boolean }): Promise<CollectCounts> {
    const counts: CollectCounts = { accounts: 1, days: 0, media: 0, audience: 0, failed: 0 };
    let token: string;
    try {
      token = this.accounts.tokenOf(account);
    } catch {
      this.accounts.markNeedsReconnect(account.id, 'token_unreadable');
      return { ...counts, failed: 1 };
    }
    const steps: Array<() => Promise<void>> = [];
    if (parts.daily) {
      steps.push(async () => {
        counts.days += await this.collectDays(account, token);
      });
      steps.push(async () => {
        counts.media += await this.collectMedia(account, token);
      });
    }
    if (parts.audience) {
      steps.push(async () => {
        counts.audience += await this.collectAudience(account, token);
      });
    }
    for (const step of steps) {
      try {
        await step();
      } catch (error) {
        counts.failed += 1;
        if (error instanceof GraphError && error.errorClass === 'reconnect') {
          this.accounts.markNeedsReconnect(account.id, `${error.errorClass}:${error.code ?? ''}/${error.subcode ?? ''}`);
          break;
        }
        this.log.warn({ err: error, account: account.username }, 'reading insights failed');
      }
    }
    return counts;
  }

  /** Days not asked yet within the backfill window, and the last few again; yesterday is the newest. */
  private async collectDays(account: AccountRow, token: string): Promise<number> {
    const today = dayMs(isoDay(this.clock.now()));
    const from = isoDay(today - this.options.backfillDays * DAY_MS);
    const checked = this.repo.checkedDays(account.id, from);
    const followsAllowed = (account.followersCount ?? 0) >= FOLLOWER_GATE;
    let read = 0;
    for (let i = 1; i <= this.options.backfillDays; i += 1) {
      const start = today - i * DAY_MS;
      const day = isoDay(start);
      if (checked.has(day) && i > SETTLING_DAYS) continue;
      const window = { since: start / 1000, until: (start + DAY_MS) / 1000 };
      const page = await this.insights.account(token, account.igUserId, { metrics: [...ACCOUNT_DAY_METRICS], period: 'day', metricType: 'total_value', ...window });
      const values: Record<string, number> = {};
      for (const insight of page.data) {
        const value = totalOf(insight);
        if (value !== undefined) values[insight.name] = value;
      }
      if (followsAllowed) Object.assign(values, await this.follows(account, token, window));
      this.repo.saveDay(account.id, day, values, this.clock.now());
      read += 1;
    }
    return read;
  }

  /** follows_and_unfollows by follow_type: FOLLOWER are new follows, NON_FOLLOWER unfollows. */
  private async follows(account: AccountRow, token: string, window: { since: number; until: number }): Promise<Record<string, number>> {
    const page = await this.insights.account(token, account.igUserId, { metrics: ['follows_and_unfollows'], period: 'day', metricType: 'total_value', breakdown: 'follow_type', ...window });
    const results = page.data[0]?.total_value?.breakdowns?.[0]?.results ?? [];
    const out: Record<string, number> = {};
    for (const r of results) {
      if (r.dimension_values[0] === 'FOLLOWER') out['follows'] = r.value;
      if (r.dimension_values[0] === 'NON_FOLLOWER') out['unfollows'] = r.value;
    }
    return out;
  }

  /** Lifetime insights of the posts (not stories) of the last 90 days. */
  private async collectMedia(account: AccountRow, token: string): Promise<number> {
    const oldest = this.clock.now() - MEDIA_WINDOW_DAYS * DAY_MS;
    let page: Page<Media> | undefined = await this.engagement.recentMedia(token, account.igUserId, 50);
    let read = 0;
    while (page) {
      for (const media of page.data) {
        const postedAt = graphTimeMs(media.timestamp);
        if (postedAt === undefined || postedAt < oldest) return read;
        if (media.media_product_type === 'STORY') continue;
        await this.collectOne(account, token, media, postedAt);
        read += 1;
      }
      page = await this.engagement.nextPage(token, page);
    }
    return read;
  }

  private async collectOne(account: AccountRow, token: string, media: Media, postedAt: number): Promise<void> {
    const reel = media.media_product_type === 'REELS';
    const values = new Map<string, number>();
    let failed = false;
    try {
      const page = await this.insights.media(token, media.id, [...(reel ? REELS_MEDIA_METRICS : FEED_MEDIA_METRICS)]);
      for (const insight of page.data) {
        const value = totalOf(insight);
        if (value !== undefined) values.set(insight.name, value);
      }
    } catch (error) {
      // One post without insights (too few viewers, removed meanwhile) must not stop the others.
      if (!(error instanceof GraphError) || error.errorClass === 'reconnect' || error.errorClass === 'throttled') throw error;
      this.log.info({ media: media.id, code: error.code, subcode: error.subcode }, 'no insights for this post');
      failed = true;
    }
    const facts: MediaInsightFacts = {
      igMediaId: media.id,
      mediaType: media.media_type,
      productType: media.media_product_type ?? 'FEED',
      caption: media.caption ? [...media.caption].slice(0, 140).join('') : null,
      permalink: media.permalink ?? null,
      thumbnailUrl: media.thumbnail_url ?? media.media_url ?? null,
      postedAt,
      views: values.get('views') ?? null,
      reach: values.get('reach') ?? null,
      likes: values.get('likes') ?? null,
      comments: values.get('comments') ?? null,
      saved: values.get('saved') ?? null,
      shares: values.get('shares') ?? null,
      totalInteractions: values.get('total_interactions') ?? null,
      avgWatchMs: values.get('ig_reels_avg_watch_time') ?? null,
      skipRate: values.get('reels_skip_rate') ?? null,
    };
    // A failed read must not wipe numbers an earlier night stored.
    this.repo.saveMedia(account.id, facts, this.clock.now(), failed);
  }

  /** Follower demographics, one breakdown per call (§5.1); nothing under 100 followers. */
  private async collectAudience(account: AccountRow, token: string): Promise<number> {
    if ((account.followersCount ?? 0) < FOLLOWER_GATE) return 0;
    const takenOn = isoDay(this.clock.now());
    let stored = 0;
    for (const breakdown of AUDIENCE_BREAKDOWNS) {
      const page = await this.insights.account(token, account.igUserId, {
        metrics: ['follower_demographics'],
        period: 'lifetime',
        metricType: 'total_value',
        breakdown,
        timeframe: 'last_90_days',
      });
      const results = page.data[0]?.total_value?.breakdowns?.[0]?.results ?? [];
      // Demographic results carry [timeframe, value] as dimension values (§5.1).
      const values = results.map((r) => ({ key: r.dimension_values[r.dimension_values.length - 1] ?? '', value: r.value })).filter((r) => r.key !== '');
      this.repo.saveAudience(account.id, takenOn, breakdown as AudienceBreakdown, values);
      stored += values.length;
    }
    return stored;
  }
}
