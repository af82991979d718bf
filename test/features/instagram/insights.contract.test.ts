import { expect } from 'chai';
import { GraphError } from '../../../src/instagram/graph-error.js';
import type { SimMedia } from '../../../src/sandbox/state.js';
import type { RecordedRequest, SimHarness } from '../../support/simulator.js';
import { useSimulator } from '../../support/sim-harness.js';

const DAY_S = 86_400;
const GRAPH_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/;

function lastCall(h: SimHarness, path: string): RecordedRequest {
  const request = h.requests.at(-1)!;
  expect(request.method).to.equal('GET');
  expect(request.url.pathname).to.equal(`/graph/v25.0/${path}`);
  expect(request.headers.get('authorization')).to.match(/^Bearer IGAA/);
  expect(request.url.searchParams.has('access_token')).to.equal(false);
  return request;
}

describe('Insights client against the simulator (contract §5)', () => {
  const ctx = useSimulator();
  let nowS: number;
  beforeEach(() => {
    nowS = Math.floor(ctx.h.clock.now() / 1000);
  });

  const media = (product: SimMedia['productType']): SimMedia => ctx.h.sim.state.mediaOf(ctx.igId).find((m) => m.productType === product)!;

  it('account sends metric, period, metric_type and breakdown, and reads a total_value whose breakdown adds up', async () => {
    const page = await ctx.h.client.insights.account(ctx.token, ctx.igId, { metrics: ['reach'], period: 'day', metricType: 'total_value', breakdown: 'media_product_type', since: nowS - 7 * DAY_S, until: nowS });
    const params = lastCall(ctx.h, `${ctx.igId}/insights`).url.searchParams;
    expect(Object.fromEntries(params)).to.deep.equal({ metric: 'reach', period: 'day', metric_type: 'total_value', breakdown: 'media_product_type', since: String(nowS - 7 * DAY_S), until: String(nowS) });
    const [reach] = page.data;
    expect(reach).to.include({ name: 'reach', period: 'day', id: `${ctx.igId}/insights/reach/day` });
    const breakdown = reach!.total_value!.breakdowns![0]!;
    expect(breakdown.dimension_keys).to.deep.equal(['media_product_type']);
    expect(breakdown.results.map((r) => r.dimension_values[0])).to.include.members(['POST', 'REEL']);
    expect(breakdown.results.reduce((sum, r) => sum + r.value, 0)).to.equal(reach!.total_value!.value);
    expect(page.paging).to.have.keys('previous', 'next');
  });

  it('account reads a time_series as values with an end_time per day', async () => {
    const page = await ctx.h.client.insights.account(ctx.token, ctx.igId, { metrics: ['reach'], period: 'day', metricType: 'time_series', since: nowS - 7 * DAY_S, until: nowS });
    expect(lastCall(ctx.h, `${ctx.igId}/insights`).url.searchParams.get('metric_type')).to.equal('time_series');
    const values = page.data[0]!.values!;
    expect(values).to.have.length(7);
    expect(values.every((v) => typeof v.value === 'number' && GRAPH_TIME.test(v.end_time ?? ''))).to.equal(true);
    expect(page.data[0]).not.to.have.property('total_value');
  });

  it('account sends timeframe for demographics and reads timeframe and dimension in each result', async () => {
    const page = await ctx.h.client.insights.account(ctx.token, ctx.igId, { metrics: ['engaged_audience_demographics'], period: 'lifetime', metricType: 'total_value', breakdown: 'country', timeframe: 'this_month' });
    expect(lastCall(ctx.h, `${ctx.igId}/insights`).url.searchParams.get('timeframe')).to.equal('this_month');
    const breakdown = page.data[0]!.total_value!.breakdowns![0]!;
    expect(breakdown.dimension_keys).to.deep.equal(['timeframe', 'country']);
    expect(breakdown.results[0]!.dimension_values).to.deep.equal(['THIS_MONTH', 'KZ']);
  });

  it('account refuses a breakdown the metric lacks before sending, as a permanent error', async () => {
    const before = ctx.h.requests.length;
    const error = await ctx.h.client.insights.account(ctx.token, ctx.igId, { metrics: ['accounts_engaged'], period: 'day', metricType: 'total_value', breakdown: 'media_product_type' }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(GraphError);
    expect((error as GraphError).errorClass).to.equal('permanent');
    expect(ctx.h.requests.length).to.equal(before);
  });

  it('media GETs /<media-id>/insights with the metric list and reads lifetime values', async () => {
    const reel = media('REELS');
    const page = await ctx.h.client.insights.media(ctx.token, reel.id, ['reach', 'views', 'ig_reels_avg_watch_time']);
    expect(lastCall(ctx.h, `${reel.id}/insights`).url.searchParams.get('metric')).to.equal('reach,views,ig_reels_avg_watch_time');
    expect(page.data.map((d) => d.name)).to.deep.equal(['reach', 'views', 'ig_reels_avg_watch_time']);
    expect(page.data[0]).to.deep.include({ period: 'lifetime', values: [{ value: reel.insights['reach'] }], id: `${reel.id}/insights/reach/lifetime` });
  });
});
