// §5: account and media insights.
import type { Graph } from './graph.js';
import type { Insight, Page } from './types.js';

export interface AccountInsightsQuery {
  metrics: string[];
  period: 'day' | 'lifetime';
  metricType?: 'time_series' | 'total_value';
  breakdown?: string;
  timeframe?: 'this_week' | 'this_month';
  /** Unix seconds. */
  since?: number;
  until?: number;
}

export class InsightsApi {
  constructor(private readonly graph: Graph) {}

  account(token: string, igId: string, q: AccountInsightsQuery): Promise<Page<Insight>> {
    return this.graph.get<Page<Insight>>(token, `${igId}/insights`, {
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
