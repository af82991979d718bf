// §5.2 media insights: lifetime values from SimMedia.insights, checked against the per-type table.
import { HOUR } from './clock.js';
import type { SimContext } from './context.js';
import { errors, SimError } from './errors.js';
import { MEDIA_METRICS, split, unknownMetric, unsupportedBreakdown } from './insights.metrics.js';
import type { SimAccount, SimMedia } from './state.js';

const STORY_LIFETIME_MS = 24 * HOUR;
const STORY_MIN_VALUE = 5;

export interface MediaInsightsQuery {
  metric?: string;
  period?: string;
  breakdown?: string;
}

/** A carousel child of one of the account's media, if the id is one (§5.2: no insights for those). */
export function isCarouselChild(ctx: SimContext, account: SimAccount, id: string): boolean {
  return ctx.state.mediaOf(account.igId).some((m) => m.children?.some((c) => c.id === id));
}

export const carouselChildError = (): SimError => new SimError(100, '(#100) Insights are not available for carousel children; ask the carousel album instead');

export function mediaInsights(ctx: SimContext, media: SimMedia, q: MediaInsightsQuery): { data: Array<Record<string, unknown>> } {
  if (!q.metric) throw errors.missingParameter('metric');
  if (q.period !== undefined && q.period !== 'lifetime') throw errors.invalidParameter('media insights are lifetime only');
  const names = q.metric.split(',').map((m) => m.trim()).filter(Boolean);
  if (names.length === 0) throw errors.missingParameter('metric');
  const breakdown = q.breakdown?.trim() || undefined;
  names.forEach((name, i) => {
    const metric = MEDIA_METRICS[name];
    if (!metric) throw unknownMetric(name, i, Object.keys(MEDIA_METRICS), true);
    if (!metric.products.includes(media.productType)) throw new SimError(100, `(#100) The Media Insights API does not support the ${name} metric for this media product type`);
    if (breakdown && !metric.breakdowns?.[breakdown]) throw unsupportedBreakdown();
  });
  const values = names.map((name) => media.insights[name] ?? 0);
  if (media.productType === 'STORY') {
    if (ctx.clock.now() - media.timestamp > STORY_LIFETIME_MS) throw new SimError(100, '(#100) Insights for this story are no longer available: story metrics last 24 hours');
    if (values.some((v) => v < STORY_MIN_VALUE)) throw new SimError(10, '(#10) Not enough viewers for the media to show insights');
  }
  return {
    data: names.map((name, i) => {
      const value = values[i] ?? 0;
      const metric = MEDIA_METRICS[name]!;
      const weights = breakdown ? metric.breakdowns?.[breakdown] : undefined;
      const body = weights ? { total_value: { value, breakdowns: [{ dimension_keys: [breakdown], results: split(value, weights) }] } } : { values: [{ value }] };
      return { name, period: 'lifetime', ...body, title: metric.title, description: `${metric.title} (simulated)`, id: `${media.id}/insights/${name}/lifetime` };
    }),
  };
}
