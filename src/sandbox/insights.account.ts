// §5.1 account insights from the account's daily history (SimDay) and demographics.
import { DAY, graphTime } from './clock.js';
import type { SimContext } from './context.js';
import { errors, SimError } from './errors.js';
import { ACCOUNT_METRICS, ENGAGED_TIMEFRAMES, FOLLOWER_TIMEFRAMES, split, unknownMetric, unsupportedBreakdown, type AccountMetric, type MetricType } from './insights.metrics.js';
import type { SimAccount, SimDay } from './state.js';

const MAX_SPAN_S = 30 * 24 * 3600;
const FOLLOWER_GATE = 100;
const ENGAGEMENT_GATE = 100;
const TOP_VALUES = 45;

export interface AccountInsightsQuery {
  metric?: string;
  period?: string;
  metricType?: string;
  breakdown?: string;
  timeframe?: string;
  since?: string;
  until?: string;
}

interface Window {
  since: number;
  until: number;
}

type Entry = Record<string, unknown>;

const dayEnd = (day: SimDay): number => Date.parse(`${day.day}T00:00:00Z`) + DAY;

function unixParam(name: string, raw: string | undefined): number | undefined {
  if (raw === undefined || raw === '') return undefined;
  if (!/^\d+$/.test(raw)) throw errors.invalidParameter(`${name} must be a unix timestamp`);
  return Number(raw);
}

/** §5.1: without since/until the API looks back 24 h; at most 30 days apart. */
function windowOf(ctx: SimContext, q: AccountInsightsQuery): Window {
  const nowS = Math.floor(ctx.clock.now() / 1000);
  const untilS = unixParam('until', q.until) ?? nowS;
  const sinceS = unixParam('since', q.since) ?? untilS - 24 * 3600;
  if (sinceS > untilS) throw errors.invalidParameter('since must be before until');
  if (untilS - sinceS > MAX_SPAN_S) throw new SimError(100, '(#100) There cannot be more than 30 days (2592000 s) between since and until');
  return { since: sinceS * 1000, until: untilS * 1000 };
}

function metricsOf(q: AccountInsightsQuery): Array<[string, AccountMetric]> {
  if (!q.metric) throw errors.missingParameter('metric');
  const names = q.metric.split(',').map((m) => m.trim()).filter(Boolean);
  if (names.length === 0) throw errors.missingParameter('metric');
  return names.map((name, i) => {
    const metric = ACCOUNT_METRICS[name];
    if (!metric) throw unknownMetric(name, i, Object.keys(ACCOUNT_METRICS), false);
    return [name, metric];
  });
}

function checkShape(metrics: Array<[string, AccountMetric]>, q: AccountInsightsQuery, type: MetricType, breakdowns: string[]): void {
  if (!q.period) throw errors.missingParameter('period');
  for (const [name, metric] of metrics) {
    if (metric.period !== q.period) throw errors.invalidParameter(`the period ${q.period} is not supported for the metric ${name}; use ${metric.period}`);
  }
  const needTotal = metrics.filter(([, m]) => !m.types.includes(type) && m.types.includes('total_value')).map(([n]) => n);
  if (needTotal.length > 0) throw new SimError(100, `(#100) The following metrics (${needTotal.join(',')}) should be specified with parameter metric_type=total_value`);
  const needSeries = metrics.filter(([, m]) => !m.types.includes(type)).map(([n]) => n);
  if (needSeries.length > 0) throw errors.invalidParameter(`metric_type=${type} is not supported for ${needSeries.join(',')}`);
  if (breakdowns.length > 0 && type !== 'total_value') throw errors.invalidParameter('breakdown needs metric_type=total_value');
  for (const [, metric] of metrics) {
    for (const b of breakdowns) if (!metric.breakdowns[b]) throw unsupportedBreakdown();
    if (metric.demographic && breakdowns.length !== 1) {
      throw breakdowns.length === 0 ? errors.missingParameter('breakdown') : errors.invalidParameter('demographics take exactly one breakdown');
    }
  }
}

function daysIn(ctx: SimContext, account: SimAccount, window: Window, metric: AccountMetric): SimDay[] {
  const oldest = metric.maxAgeDays ? ctx.clock.now() - metric.maxAgeDays * DAY : -Infinity;
  return (ctx.state.days.get(account.igId) ?? []).filter((d) => dayEnd(d) > window.since && dayEnd(d) <= window.until && dayEnd(d) > oldest);
}

function dailyEntry(ctx: SimContext, account: SimAccount, name: string, metric: AccountMetric, type: MetricType, breakdowns: string[], window: Window): Entry | undefined {
  const value = metric.value;
  const days = daysIn(ctx, account, window, metric);
  if (!value || days.length === 0) return undefined; // §5.1: missing data is left out, not zero
  if (type === 'time_series') return { values: days.map((d) => ({ value: value(d), end_time: graphTime(dayEnd(d)) })) };
  const total = days.reduce((sum, d) => sum + value(d), 0);
  const breakdownList = breakdowns.map((b) => {
    const results =
      name === 'follows_and_unfollows'
        ? [
            { dimension_values: ['FOLLOWER'], value: days.reduce((s, d) => s + d.follows, 0) },
            { dimension_values: ['NON_FOLLOWER'], value: days.reduce((s, d) => s + d.unfollows, 0) },
          ]
        : split(total, metric.breakdowns[b] ?? {});
    return { dimension_keys: [b], results };
  });
  return { total_value: { value: total, ...(breakdownList.length > 0 ? { breakdowns: breakdownList } : {}) } };
}

function demographicEntry(ctx: SimContext, account: SimAccount, metric: AccountMetric, breakdown: string, timeframeParam: string | undefined): Entry | undefined {
  const engaged = metric.demographic === 'engaged';
  const allowed = engaged ? ENGAGED_TIMEFRAMES : FOLLOWER_TIMEFRAMES;
  const timeframe = timeframeParam ?? (engaged ? undefined : 'last_90_days');
  if (!timeframe) throw errors.missingParameter('timeframe');
  if (!allowed.includes(timeframe)) throw errors.invalidParameter(`timeframe must be one of ${allowed.join(', ')}`);
  let base = account.followersCount;
  if (engaged) {
    const days = timeframe === 'this_week' ? 7 : 30;
    const recent = (ctx.state.days.get(account.igId) ?? []).filter((d) => dayEnd(d) > ctx.clock.now() - days * DAY);
    base = recent.reduce((sum, d) => sum + d.accountsEngaged, 0);
    if (base < ENGAGEMENT_GATE) return undefined;
  }
  const shares = ctx.state.demographics.get(account.igId)?.[breakdown as 'age' | 'gender' | 'country' | 'city'];
  if (!shares) return undefined;
  const results = Object.entries(shares)
    .map(([key, percent]) => ({ dimension_values: [timeframe.toUpperCase(), key], value: Math.round((percent * base) / 100) }))
    .filter((r) => r.value > 0)
    .sort((a, b) => b.value - a.value)
    .slice(0, TOP_VALUES);
  if (results.length === 0) return undefined;
  return { total_value: { breakdowns: [{ dimension_keys: ['timeframe', breakdown], results }] } };
}

/** §5.1 paging: the same query one window earlier and one later. */
function pagingOf(selfUrl: URL, window: Window): Record<string, string> {
  const span = (window.until - window.since) / 1000;
  const shifted = (by: number) => {
    const url = new URL(selfUrl);
    url.searchParams.set('since', String(window.since / 1000 + by));
    url.searchParams.set('until', String(window.until / 1000 + by));
    return url.toString();
  };
  return { previous: shifted(-span), next: shifted(span) };
}

export function accountInsights(ctx: SimContext, account: SimAccount, q: AccountInsightsQuery, selfUrl: URL): { data: Entry[]; paging?: Record<string, string> } {
  const metrics = metricsOf(q);
  const type = (q.metricType ?? 'time_series') as MetricType;
  if (type !== 'time_series' && type !== 'total_value') throw errors.invalidParameter('metric_type must be total_value or time_series');
  const breakdowns = q.breakdown ? q.breakdown.split(',').map((b) => b.trim()).filter(Boolean) : [];
  checkShape(metrics, q, type, breakdowns);
  const window = windowOf(ctx, q);
  const data: Entry[] = [];
  for (const [name, metric] of metrics) {
    if (metric.followerGate && account.followersCount < FOLLOWER_GATE) continue; // §5.1: needs ≥100 followers
    const body = metric.demographic ? demographicEntry(ctx, account, metric, breakdowns[0] ?? '', q.timeframe) : dailyEntry(ctx, account, name, metric, type, breakdowns, window);
    if (!body) continue;
    data.push({ name, period: metric.period, title: metric.title, description: `${metric.title} (simulated)`, ...body, id: `${account.igId}/insights/${name}/${metric.period}` });
  }
  const daily = metrics.some(([, m]) => m.period === 'day');
  return data.length > 0 && daily ? { data, paging: pagingOf(selfUrl, window) } : { data };
}
