import { expect } from 'chai';
import type { GraphError } from '../../../src/instagram/graph-error.js';
import type { AccountInsightsQuery } from '../../../src/instagram/insights.js';
import type { Insight } from '../../../src/instagram/types.js';
import type { SimMedia } from '../../../src/sandbox/state.js';
import { useSimulator } from '../../support/sim-harness.js';

const DAY_S = 86_400;

interface Answer {
  status: number;
  body: { data?: Insight[]; error?: { code: number; message: string; error_subcode?: number } };
}

const failure = (promise: Promise<unknown>): Promise<GraphError> =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as GraphError,
  );

describe('Simulator insights (contract §5)', () => {
  const ctx = useSimulator();
  let nowS: number;
  beforeEach(() => {
    nowS = Math.floor(ctx.h.clock.now() / 1000);
  });

  const account = (q: AccountInsightsQuery) => ctx.h.client.insights.account(ctx.token, ctx.igId, q);
  const media = (product: SimMedia['productType']): SimMedia => ctx.h.sim.state.mediaOf(ctx.igId).find((m) => m.productType === product)!;
  const raw = async (path: string, params: Record<string, string>): Promise<Answer> => {
    const url = new URL(`${ctx.h.base}/graph/v25.0/${path}`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const res = await fetch(url, { headers: { authorization: `Bearer ${ctx.token}` } });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  };
  const setFollowers = (followersCount: number) =>
    fetch(`${ctx.h.base}/__control/account`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ followersCount }) });
  const demographics = (metric: string) => account({ metrics: [metric], period: 'lifetime', metricType: 'total_value', breakdown: 'age', timeframe: 'this_week' });

  it('answers demographics and follows_and_unfollows with no data under 100 followers, and with data at 100', async () => {
    await setFollowers(99);
    expect((await demographics('follower_demographics')).data).to.deep.equal([]);
    expect((await demographics('engaged_audience_demographics')).data).to.deep.equal([]);
    expect((await account({ metrics: ['follows_and_unfollows'], period: 'day', metricType: 'total_value' })).data).to.deep.equal([]);
    await setFollowers(100);
    const followers = (await demographics('follower_demographics')).data[0]!;
    expect(followers.total_value!.breakdowns![0]!.results.reduce((sum, r) => sum + r.value, 0)).to.be.within(95, 105);
    expect((await account({ metrics: ['follows_and_unfollows'], period: 'day', metricType: 'total_value', breakdown: 'follow_type' })).data).to.have.length(1);
  });

  it('refuses impressions and the other removed metrics with code 100, for the account and for media', async () => {
    for (const metric of ['impressions', 'profile_views', 'website_clicks', 'email_contacts']) {
      const error = await failure(account({ metrics: ['reach', metric], period: 'day', metricType: 'total_value' }));
      expect(error.code, metric).to.equal(100);
    }
    for (const metric of ['impressions', 'plays', 'video_views']) {
      const error = await failure(ctx.h.client.insights.media(ctx.token, media('REELS').id, [metric]));
      expect(error.code, metric).to.equal(100);
      expect(error.message).to.contain('no longer supported');
    }
  });

  it('asks for metric_type=total_value for metrics that have only a total', async () => {
    const error = await failure(account({ metrics: ['views', 'likes'], period: 'day' }));
    expect(error.code).to.equal(100);
    expect(error.message).to.equal('(#100) The following metrics (views,likes) should be specified with parameter metric_type=total_value');
  });

  it('answers an unsupported breakdown with the generic "An unknown error has occurred."', async () => {
    const answer = await raw(`${ctx.igId}/insights`, { metric: 'accounts_engaged', period: 'day', metric_type: 'total_value', breakdown: 'media_product_type' });
    expect(answer.body.error).to.include({ code: 1, message: 'An unknown error has occurred.' });
  });

  it('takes only this_week or this_month for engaged audience demographics', async () => {
    const answer = await raw(`${ctx.igId}/insights`, { metric: 'engaged_audience_demographics', period: 'lifetime', metric_type: 'total_value', breakdown: 'city', timeframe: 'last_90_days' });
    expect(answer.body.error?.code).to.equal(100);
  });

  it('looks back 24 h by default: one finished day, ending at today’s midnight', async () => {
    const series = (await account({ metrics: ['reach'], period: 'day' })).data[0]!.values!;
    expect(series).to.have.length(1);
    expect(series[0]!.end_time).to.equal('2026-11-01T00:00:00+0000');
    const day = ctx.h.sim.state.days.get(ctx.igId)!.find((d) => d.day === '2026-10-31')!;
    expect(series[0]!.value).to.equal(day.reach);
    const total = (await account({ metrics: ['reach'], period: 'day', metricType: 'total_value' })).data[0]!;
    expect(total.total_value!.value).to.equal(day.reach);
  });

  it('refuses since and until more than 30 days apart', async () => {
    const error = await failure(account({ metrics: ['reach'], period: 'day', since: nowS - 31 * DAY_S, until: nowS }));
    expect(error.code).to.equal(100);
    expect(error.message).to.contain('30 days');
  });

  it('answers an empty data array, not zeros, when there is no data', async () => {
    const before = (await account({ metrics: ['reach'], period: 'day', since: nowS - 1000 * DAY_S, until: nowS - 990 * DAY_S })).data;
    expect(before).to.deep.equal([]);
    expect((await account({ metrics: ['reposts'], period: 'day', metricType: 'total_value' })).data).to.deep.equal([]);
  });

  it('checks media metrics against the media type', async () => {
    expect((await failure(ctx.h.client.insights.media(ctx.token, media('STORY').id, ['likes']))).code).to.equal(100);
    expect((await failure(ctx.h.client.insights.media(ctx.token, media('FEED').id, ['ig_reels_avg_watch_time']))).code).to.equal(100);
    expect((await ctx.h.client.insights.media(ctx.token, media('FEED').id, ['reach', 'saved', 'total_interactions'])).data).to.have.length(3);
  });

  it('refuses story insights below 5 with (#10) Not enough viewers', async () => {
    const story = media('STORY');
    story.insights['reach'] = 4;
    const error = await failure(ctx.h.client.insights.media(ctx.token, story.id, ['reach']));
    expect(error.code).to.equal(10);
    expect(error.message).to.equal('(#10) Not enough viewers for the media to show insights');
  });

  it('has no insights for carousel children', async () => {
    const child = ctx.h.sim.state.mediaOf(ctx.igId).find((m) => m.children?.length)!.children![0]!;
    const error = await failure(ctx.h.client.insights.media(ctx.token, child.id, ['reach']));
    expect(error.code).to.equal(100);
    expect(error.message).to.contain('carousel children');
  });
});
