// §5: account and media insights.
import { GraphError } from './graph-error.js';
import type { Graph } from './graph.js';
import type { Insight, Page } from './types.js';

export interface AccountInsightsQuery {
  metrics: string[];
  period: 'day' | 'lifetime';
  metricType?: 'time_series' | 'total_value';
  breakdown?: string;
  /** Demographics only; engaged_audience_demographics takes only this_week or this_month (§5.3). */
  timeframe?: 'this_week' | 'this_month' | 'last_14_days' | 'last_30_days' | 'last_90_days' | 'prev_month';
  /** Unix seconds. */
  since?: number;
  until?: number;
}

const DEMOGRAPHIC = ['age', 'city', 'country', 'gender'];

/** §5.1: the breakdowns each account metric supports. */
export const ACCOUNT_METRIC_BREAKDOWNS: Readonly<Record<string, readonly string[]>> = {
  reach: ['media_product_type', 'follow_type'],
  views: ['follower_type', 'media_product_type'],
  accounts_engaged: [],
  total_interactions: ['media_product_type'],
  likes: ['media_product_type'],
  comments: ['media_product_type'],
  saves: ['media_product_type'],
  shares: ['media_product_type'],
  replies: [],
  reposts: [],
  profile_links_taps: ['contact_button_type'],
  follows_and_unfollows: ['follow_type'],
  follower_count: [],
  follower_demographics: DEMOGRAPHIC,
  engaged_audience_demographics: DEMOGRAPHIC,
};

/**
 * Instagram answers an unsupported breakdown with its generic "An unknown error has occurred."
 * (code 1), which reads as transient and would be retried for ever; refuse it before sending.
 */
function checkBreakdown(q: AccountInsightsQuery): void {
  if (!q.breakdown) return;
  for (const breakdown of q.breakdown.split(',')) {
    for (const metric of q.metrics) {
      const supported = ACCOUNT_METRIC_BREAKDOWNS[metric];
      if (supported && !supported.includes(breakdown)) {
        throw new GraphError(`The metric ${metric} has no breakdown ${breakdown}`, 0, undefined, undefined, {}, undefined, 'permanent');
      }
    }
  }
}

export class InsightsApi {
  constructor(private readonly graph: Graph) {}

  async account(token: string, igId: string, q: AccountInsightsQuery): Promise<Page<Insight>> {
    checkBreakdown(q);
    return await this.graph.get<Page<Insight>>(token, `${igId}/insights`, {
      metric: q.metrics.join(','),
      period: q.period,
      metric_type: q.metricType,
      breakdown: q.breakdown,
      timeframe: q.timeframe,
      since: q.since,
      until: q.until,
    });
  }

  media(token: string, mediaId: string, metrics: string[]): Promise<Page<Insight>> {
    return this.graph.get<Page<Insight>>(token, `${mediaId}/insights`, { metric: metrics.join(',') });
  }
}
