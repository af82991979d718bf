// Issue acceptance 1 (analytics): the insights jobs against the simulator store exactly what
// Instagram answered (daily account metrics, post insights, demographics), re-read only the days
// that can still change, respect the 100-follower gate, never ask for a removed metric, keep "no
// data" apart from zero all the way to the page, and turn a refused token into "needs reconnect".
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { CheerioAPI } from 'cheerio';
import { findJob } from '../../../src/jobs/registry.js';
import { runJob } from '../../../src/jobs/scheduler.js';
import { localesDir } from '../../../src/paths.js';
import { ACCOUNT_DAY_METRICS, CHECKED, DEPRECATED_METRICS, FOLLOW_METRICS } from '../../../src/features/analytics/metrics.js';
import { AUDIENCE_BREAKDOWNS } from '../../../src/db/schema.analytics.js';
import type { Simulator } from '../../../src/sandbox/simulator.js';
import type { SimDay, SimMedia } from '../../../src/sandbox/state.js';
import { flatten, type Tree } from '../../support/catalog.js';
import { $, csrfFrom } from '../../support/http.js';
import { stage, type Stage } from '../../support/publishing.js';

const DAY = 86_400_000;
const BACKFILL = 30;

const EN = flatten(JSON.parse(fs.readFileSync(path.join(localesDir, 'en.json'), 'utf8')) as Tree);
function en(key: string): string {
  const text = EN.get(key);
  if (text === undefined) throw new Error(`no English text for ${key}`);
  return text;
}
const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Qanat's metric name → the simulator's daily history field it is answered from (insights.metrics.ts). */
const SIM_FIELD: Record<string, keyof SimDay> = {
  reach: 'reach',
  views: 'views',
  accounts_engaged: 'accountsEngaged',
  total_interactions: 'totalInteractions',
  likes: 'likes',
  comments: 'comments',
  saves: 'saves',
  shares: 'shares',
  profile_links_taps: 'profileLinksTaps',
  follows: 'follows',
  unfollows: 'unfollows',
};

interface DayRow {
  day: string;
  metric: string;
  value: number;
  fetched_at: number;
}

interface MediaRow {
  ig_media_id: string;
  media_type: string;
  product_type: string;
  permalink: string | null;
  posted_at: number;
  views: number | null;
  reach: number | null;
  likes: number | null;
  comments: number | null;
  saved: number | null;
  shares: number | null;
  total_interactions: number | null;
  avg_watch_ms: number | null;
  skip_rate: number | null;
}

interface AudienceRow {
  taken_on: string;
  breakdown: string;
  key: string;
  value: number;
}

type LogEntry = Simulator['state']['requestLog'][number];

describe('Analytics: collecting insights from the simulator', function () {
  this.timeout(60_000);
  let s: Stage;
  let sim: Simulator;

  beforeEach(async () => {
    s = await stage({ INSIGHTS_BACKFILL_DAYS: String(BACKFILL) });
    sim = s.t.simulator!;
  });
  afterEach(async () => {
    await s?.live.close();
  });

  const igId = (): string => s.t.services.accounts.repo.findById(s.accountId)!.igUserId;
  const today = (): string => s.t.services.analytics.today();
  const dayBefore = (n: number): string => new Date(Date.parse(`${today()}T00:00:00Z`) - n * DAY).toISOString().slice(0, 10);

  async function job(name: 'insights-daily' | 'insights-audience'): Promise<Record<string, number>> {
    const found = findJob(name);
    expect(found, name).to.not.equal(undefined);
    const { config, db, cipher, clock, log, services } = s.t;
    return runJob(found!, { config, db, cipher, clock, log, services });
  }

  const dayRows = (): DayRow[] =>
    s.t.db.sqlite.prepare('SELECT day, metric, value, fetched_at FROM insight_days WHERE account_id = ? ORDER BY day, metric').all(s.accountId) as DayRow[];
  const mediaRows = (): MediaRow[] =>
    s.t.db.sqlite
      .prepare(
        'SELECT ig_media_id, media_type, product_type, permalink, posted_at, views, reach, likes, comments, saved, shares, total_interactions, avg_watch_ms, skip_rate FROM media_insights WHERE account_id = ?',
      )
      .all(s.accountId) as MediaRow[];
  const audienceRows = (): AudienceRow[] =>
    s.t.db.sqlite.prepare('SELECT taken_on, breakdown, key, value FROM audience WHERE account_id = ? ORDER BY breakdown, key').all(s.accountId) as AudienceRow[];

  /** Requests to /<path>/insights since `from` (an index into the request log). */
  const insightRequests = (from = 0): LogEntry[] => sim.state.requestLog.slice(from).filter((r) => r.path.endsWith('/insights'));
  const accountInsightRequests = (from = 0): LogEntry[] => insightRequests(from).filter((r) => r.path === `/${igId()}/insights`);
  const metricsOf = (r: LogEntry): string[] => (r.query['metric'] ?? '').split(',').map((m) => m.trim()).filter(Boolean);

  const simDays = (): Map<string, SimDay> => new Map((sim.state.days.get(igId()) ?? []).map((d) => [d.day, d]));

  /** The simulator's posts Qanat must read: feed and reels of the last 90 days, no stories. */
  function expectedMedia(): SimMedia[] {
    const oldest = s.t.clock.now() - 90 * DAY;
    return sim.state.mediaOf(igId()).filter((m) => m.productType !== 'STORY' && m.timestamp >= oldest);
  }

  async function page(url: string): Promise<CheerioAPI> {
    const res = await s.agent.get(url);
    expect(res.status, res.text.slice(0, 500)).to.equal(200);
    return $(res.text);
  }

  it('the daily job stores 30 days of every account metric (follows and unfollows too) exactly as the simulator answers', async () => {
    const account = s.t.services.accounts.repo.findById(s.accountId)!;
    expect(account.followersCount ?? 0, 'the seeded account is far above the 100-follower gate').to.be.above(1000);

    const counts = await job('insights-daily');
    expect(counts['failed']).to.equal(0);
    expect(counts['days']).to.equal(BACKFILL);

    const rows = dayRows().filter((r) => r.metric !== CHECKED);
    const wantDays = Array.from({ length: BACKFILL }, (_, i) => dayBefore(i + 1)).sort();
    const metrics = [...ACCOUNT_DAY_METRICS, ...FOLLOW_METRICS];
    expect([...new Set(rows.map((r) => r.metric))].sort()).to.deep.equal([...metrics].sort());
    for (const metric of metrics) {
      const days = rows.filter((r) => r.metric === metric).map((r) => r.day);
      expect(days, `days of ${metric}`).to.deep.equal(wantDays);
    }
    expect(rows.some((r) => r.day === today()), 'today is not read (its numbers are not in yet)').to.equal(false);

    const history = simDays();
    for (const row of rows) {
      const d = history.get(row.day);
      expect(d, `simulator day ${row.day}`).to.not.equal(undefined);
      const field = SIM_FIELD[row.metric];
      expect(field, row.metric).to.be.a('string');
      expect(row.value, `${row.metric} on ${row.day}`).to.equal(d![field!]);
    }
    // Spot checks against the history by name, so a wrong mapping table above cannot hide a bug.
    for (const n of [1, 2, 15, BACKFILL]) {
      const d = history.get(dayBefore(n))!;
      const at = (metric: string): number | undefined => rows.find((r) => r.day === d.day && r.metric === metric)?.value;
      expect(at('reach')).to.equal(d.reach);
      expect(at('views')).to.equal(d.views);
      expect(at('likes')).to.equal(d.likes);
      expect(at('accounts_engaged')).to.equal(d.accountsEngaged);
      expect(at('profile_links_taps')).to.equal(d.profileLinksTaps);
      expect(at('follows')).to.equal(d.follows);
      expect(at('unfollows')).to.equal(d.unfollows);
    }
  });

  it('the daily job stores every feed post and reel of the last 90 days (no story) with the simulator’s lifetime insights', async () => {
    const counts = await job('insights-daily');
    expect(counts['failed']).to.equal(0);

    const want = expectedMedia();
    expect(want.some((m) => m.productType === 'REELS'), 'the seed has reels').to.equal(true);
    expect(want.some((m) => m.productType === 'FEED'), 'the seed has feed posts').to.equal(true);
    const stories = sim.state.mediaOf(igId()).filter((m) => m.productType === 'STORY');
    expect(stories.length, 'the seed has a story').to.be.above(0);

    const rows = mediaRows();
    expect(counts['media']).to.equal(want.length);
    expect(rows.map((r) => r.ig_media_id).sort()).to.deep.equal(want.map((m) => m.id).sort());
    for (const story of stories) expect(rows.some((r) => r.ig_media_id === story.id), 'no story stored').to.equal(false);

    // What the simulator answers for a metric: the stored lifetime value, 0 when it has none.
    const answered = (m: SimMedia, name: string): number => m.insights[name] ?? 0;
    for (const m of want) {
      const row = rows.find((r) => r.ig_media_id === m.id)!;
      const label = `${m.productType} ${m.id}`;
      expect(row.product_type, label).to.equal(m.productType);
      expect(row.media_type, label).to.equal(m.mediaType);
      expect(row.permalink, label).to.equal(m.permalink);
      expect(row.posted_at, label).to.equal(m.timestamp);
      expect(row.views, `${label} views`).to.equal(answered(m, 'views'));
      expect(row.reach, `${label} reach`).to.equal(answered(m, 'reach'));
      expect(row.likes, `${label} likes`).to.equal(answered(m, 'likes'));
      expect(row.comments, `${label} comments`).to.equal(answered(m, 'comments'));
      expect(row.saved, `${label} saved`).to.equal(answered(m, 'saved'));
      expect(row.shares, `${label} shares`).to.equal(answered(m, 'shares'));
      expect(row.total_interactions, `${label} total_interactions`).to.equal(answered(m, 'total_interactions'));
      expect(row.views, `${label} has real numbers`).to.be.above(0);
      if (m.productType === 'REELS') {
        expect(row.avg_watch_ms, `${label} avg watch`).to.equal(answered(m, 'ig_reels_avg_watch_time'));
        expect(row.avg_watch_ms, `${label} avg watch`).to.be.above(0);
        expect(row.skip_rate, `${label} skip rate`).to.equal(answered(m, 'reels_skip_rate'));
      } else {
        expect(row.avg_watch_ms, `${label} avg watch`).to.equal(null);
        expect(row.skip_rate, `${label} skip rate`).to.equal(null);
      }
    }
  });

  it('the audience job stores age, gender, country and city exactly as the simulator’s demographics answer', async () => {
    const counts = await job('insights-audience');
    expect(counts['failed']).to.equal(0);

    const account = sim.state.primaryAccount();
    const shares = sim.state.demographics.get(igId())!;
    const want: AudienceRow[] = [];
    for (const breakdown of AUDIENCE_BREAKDOWNS) {
      for (const [key, percent] of Object.entries(shares[breakdown])) {
        const value = Math.round((percent * account.followersCount) / 100);
        if (value > 0) want.push({ taken_on: today(), breakdown, key, value });
      }
    }
    const sort = (rows: AudienceRow[]): AudienceRow[] => [...rows].sort((a, b) => a.breakdown.localeCompare(b.breakdown) || a.key.localeCompare(b.key));
    const rows = audienceRows();
    expect(new Set(rows.map((r) => r.breakdown))).to.deep.equal(new Set(AUDIENCE_BREAKDOWNS));
    expect(sort(rows)).to.deep.equal(sort(want));
    expect(counts['audience']).to.equal(want.length);

    // The page shows them (and not the "not yet" or "under 100" explanations).
    const $page = await page('/analytics');
    const section = squash($page('section[aria-labelledby="audience-title"]').text());
    expect(section).to.include('Almaty, Almaty');
    expect(section).to.not.include(en('analytics.audience.underGate'));
    expect(section).to.not.include(en('analytics.audience.notYet'));
  });

  it('running the daily job again re-reads only the last 3 days and changes no older row', async () => {
    await job('insights-daily');
    const before = dayRows();
    expect(before.length).to.be.above(0);

    // Instagram's numbers settle: yesterday's change must be picked up, a day 10 days back must not be asked again.
    const history = simDays();
    history.get(dayBefore(1))!.reach += 1000;
    history.get(dayBefore(10))!.reach += 1000;
    s.t.clock.advance(60 * 60_000);
    const mark = sim.state.requestLog.length;

    const counts = await job('insights-daily');
    expect(counts['failed']).to.equal(0);
    expect(counts['days']).to.equal(3);

    const asked = accountInsightRequests(mark);
    const dayCalls = asked.filter((r) => metricsOf(r).join(',') === ACCOUNT_DAY_METRICS.join(','));
    const followCalls = asked.filter((r) => metricsOf(r).includes('follows_and_unfollows'));
    expect(dayCalls.length, 'account-day calls').to.equal(3);
    expect(followCalls.length, 'follows calls').to.equal(3);
    expect(asked.length, 'nothing else asked of the account').to.equal(6);
    const sinceDays = (calls: LogEntry[]): string[] => calls.map((r) => new Date(Number(r.query['since']) * 1000).toISOString().slice(0, 10)).sort();
    const lastThree = [dayBefore(3), dayBefore(2), dayBefore(1)];
    expect(sinceDays(dayCalls)).to.deep.equal(lastThree);
    expect(sinceDays(followCalls)).to.deep.equal(lastThree);

    const after = dayRows();
    expect(after.length, 'no row added or removed').to.equal(before.length);
    const older = (rows: DayRow[]): DayRow[] => rows.filter((r) => r.day < dayBefore(3));
    expect(older(after)).to.deep.equal(older(before));
    const reachOn = (rows: DayRow[], day: string): number | undefined => rows.find((r) => r.day === day && r.metric === 'reach')?.value;
    expect(reachOn(after, dayBefore(1)), 'yesterday re-read').to.equal(history.get(dayBefore(1))!.reach);
    expect(reachOn(after, dayBefore(10)), '10 days back not re-read').to.equal(history.get(dayBefore(10))!.reach - 1000);
    const recent = after.filter((r) => r.day >= dayBefore(3));
    expect(recent.length).to.be.above(0);
    for (const r of recent) expect(r.fetched_at, `${r.metric} ${r.day} re-read`).to.equal(s.t.clock.now());
  });

  it('under 100 followers: no demographics and no follows are asked or stored, and the page explains why', async () => {
    sim.state.primaryAccount().followersCount = 50;
    s.t.services.accounts.repo.update(s.accountId, { followersCount: 50 });
    const mark = sim.state.requestLog.length;

    const daily = await job('insights-daily');
    const audience = await job('insights-audience');
    expect(daily['failed']).to.equal(0);
    expect(daily['days'], 'the other daily metrics are still read').to.equal(BACKFILL);
    expect(audience['failed']).to.equal(0);
    expect(audience['audience']).to.equal(0);

    expect(audienceRows()).to.deep.equal([]);
    const asked = insightRequests(mark);
    expect(asked.length, 'insights were asked at all').to.be.above(0);
    expect(asked.filter((r) => metricsOf(r).some((m) => m.includes('demographics'))), 'no demographics asked').to.deep.equal([]);
    expect(asked.filter((r) => AUDIENCE_BREAKDOWNS.some((b) => r.query['breakdown'] === b)), 'no audience breakdown asked').to.deep.equal([]);
    expect(asked.filter((r) => metricsOf(r).includes('follows_and_unfollows')), 'no follows asked').to.deep.equal([]);

    const metrics = new Set(dayRows().map((r) => r.metric));
    expect(metrics.has('reach')).to.equal(true);
    expect(metrics.has('follows')).to.equal(false);
    expect(metrics.has('unfollows')).to.equal(false);

    const $page = await page('/analytics');
    const section = $page('section[aria-labelledby="audience-title"]');
    expect(section.length, 'the Audience section').to.equal(1);
    expect(squash(section.text())).to.include(squash(en('analytics.audience.underGate')));
    expect(squash(section.text())).to.not.include(squash(en('analytics.audience.notYet')));
  });

  it('no removed or deprecated metric is ever requested (daily, audience and “read now”)', async () => {
    const mark = sim.state.requestLog.length;
    await job('insights-daily');
    await job('insights-audience');
    const html = (await s.agent.get('/analytics')).text;
    const refresh = await s.agent.post('/analytics/refresh').type('form').send({ _csrf: csrfFrom(html), returnTo: '/analytics' });
    expect(refresh.status).to.equal(303);
    expect(refresh.headers['location']).to.equal('/analytics');

    const asked = insightRequests(mark);
    expect(asked.length, 'insights requests were made').to.be.above(0);
    const account = `/${igId()}/insights`;
    // Every kind of insights request took part: account days, follows, demographics, posts.
    expect(asked.some((r) => r.path === account && metricsOf(r).includes('reach')), 'account days').to.equal(true);
    expect(asked.some((r) => metricsOf(r).includes('follows_and_unfollows')), 'follows').to.equal(true);
    expect(asked.some((r) => metricsOf(r).includes('follower_demographics')), 'demographics').to.equal(true);
    expect(asked.some((r) => r.path !== account), 'post insights').to.equal(true);

    const deprecated = new Set<string>(DEPRECATED_METRICS);
    for (const r of asked) {
      const metrics = metricsOf(r);
      expect(metrics.length, `${r.path} names its metrics`).to.be.above(0);
      const bad = metrics.filter((m) => deprecated.has(m));
      expect(bad, `${r.path}?metric=${r.query['metric'] ?? ''}`).to.deep.equal([]);
    }
  });

  it('a period without collected data shows “no data” in the tiles and chart tables, never 0', async () => {
    const noData = en('analytics.noData');
    const isNoData = (text: string): boolean => squash(text) === noData;

    // Before any collection: every metric tile and the reach/views table have no data.
    let $page = await page('/analytics');
    const metricTiles = $page('.kpi .kpi__value').toArray().slice(2); // followers and engagement come first
    expect(metricTiles.length).to.equal(ACCOUNT_DAY_METRICS.length + FOLLOW_METRICS.length);
    for (const el of metricTiles) expect(squash($page(el).text())).to.equal(noData);
    expect(squash($page('.kpi .kpi__value').eq(1).text()), 'engagement rate').to.equal(noData);
    const reachCells = $page('section[aria-labelledby="reach-title"] tbody td');
    expect(reachCells.length).to.equal(60);
    reachCells.each((_i, el) => {
      expect(squash($page(el).text())).to.equal(noData);
      expect($page(el).attr('data-value')).to.equal('');
    });

    await job('insights-daily');
    $page = await page('/analytics');
    expect(squash($page('section[aria-labelledby="reach-title"] tbody td').first().text()), 'collected days do show').to.not.equal(noData);

    // A custom range long before the backfill window: data exists, just not for these days.
    const from = dayBefore(400);
    const to = dayBefore(371);
    $page = await page(`/analytics?range=custom&from=${from}&to=${to}`);
    expect($page('#range-error').length, 'the range is accepted').to.equal(0);
    const tiles = $page('.kpi .kpi__value');
    expect(tiles.length).to.equal(2 + ACCOUNT_DAY_METRICS.length + FOLLOW_METRICS.length);
    tiles.each((_i, el) => {
      expect(squash($page(el).text())).to.equal(noData);
      expect($page(el).find('.nodata').length).to.equal(1);
    });
    for (const chart of ['followers-title', 'reach-title']) {
      const cells = $page(`section[aria-labelledby="${chart}"] tbody td`);
      expect(cells.length, chart).to.be.above(0);
      cells.each((_i, el) => {
        const text = $page(el).text();
        expect(isNoData(text), `${chart}: “${squash(text)}”`).to.equal(true);
        expect(squash(text)).to.not.equal('0');
        expect($page(el).attr('data-value')).to.equal('');
      });
    }
    expect(squash($page('section[aria-labelledby="posts-title"]').text())).to.include(en('analytics.posts.empty'));
  });

  it('a post whose insights Instagram refused is stored with null metrics and shown as “no data” in the top posts', async () => {
    const startOfToday = Date.parse(`${today()}T00:00:00Z`);
    const refused = expectedMedia().find((m) => m.productType === 'FEED' && m.timestamp < startOfToday && m.timestamp > s.t.clock.now() - 25 * DAY);
    expect(refused, 'a feed post inside the last 30 days').to.not.equal(undefined);
    sim.state.faults.push({ kind: 'server-error', pathIncludes: `/${refused!.id}/insights` });

    const counts = await job('insights-daily');
    expect(counts['failed'], 'one post without insights does not fail the job').to.equal(0);
    expect(counts['media']).to.equal(expectedMedia().length);
    expect(insightRequests().some((r) => r.path === `/${refused!.id}/insights`), 'its insights were asked').to.equal(true);

    const rows = mediaRows();
    const row = rows.find((r) => r.ig_media_id === refused!.id);
    expect(row, 'the post is stored anyway').to.not.equal(undefined);
    for (const column of ['views', 'reach', 'likes', 'comments', 'saved', 'shares', 'total_interactions', 'avg_watch_ms', 'skip_rate'] as const) {
      expect(row![column], column).to.equal(null);
    }
    expect(rows.filter((r) => r.ig_media_id !== refused!.id).every((r) => r.views !== null && r.reach !== null), 'the other posts have numbers').to.equal(true);

    const noData = en('analytics.noData');
    const $page = await page('/analytics?range=30&sort=views');
    const link = $page(`section[aria-labelledby="posts-title"] a[href="${refused!.permalink}"]`);
    expect(link.length, 'the post is listed').to.equal(1);
    const cells = link.closest('tr').find('td');
    expect(cells.length).to.equal(9); // posted, seven metrics, engagement
    cells.slice(1).each((_i, el) => {
      expect(squash($page(el).text()), 'metric cell').to.equal(noData);
    });
    // Another post of the table does show its numbers.
    const other = expectedMedia().find((m) => m.id !== refused!.id && m.timestamp < startOfToday && m.timestamp > s.t.clock.now() - 25 * DAY)!;
    const otherCells = $page(`section[aria-labelledby="posts-title"] a[href="${other.permalink}"]`).closest('tr').find('td');
    expect(squash(otherCells.eq(1).text())).to.not.equal(noData);
  });

  it('a later night on which a post’s insights fail keeps the numbers an earlier night stored', async () => {
    await job('insights-daily');
    const startOfToday = Date.parse(`${today()}T00:00:00Z`);
    const post = expectedMedia().find((m) => m.productType === 'FEED' && m.timestamp < startOfToday && m.timestamp > s.t.clock.now() - 25 * DAY);
    expect(post, 'a feed post inside the last 30 days').to.not.equal(undefined);
    const before = mediaRows().find((r) => r.ig_media_id === post!.id);
    expect(before?.views, 'stored with numbers').to.not.equal(null);

    sim.state.faults.push({ kind: 'server-error', pathIncludes: `/${post!.id}/insights` });
    s.t.clock.advance(DAY);
    await job('insights-daily');
    const after = mediaRows().find((r) => r.ig_media_id === post!.id);
    for (const column of ['views', 'reach', 'likes', 'comments', 'saved', 'shares', 'total_interactions'] as const) {
      expect(after![column], column).to.equal(before![column]);
    }
  });

  it('a token Instagram refuses (190) during collection marks the account “needs reconnect”; the job reports failed without throwing', async () => {
    // The token is invalidated when the posts are listed, after the account days were read.
    sim.state.faults.push({ kind: 'invalidate-token', pathIncludes: `/${igId()}/media`, remaining: 1 });
    const counts = await job('insights-daily');
    expect(counts['failed']).to.be.at.least(1);
    expect(counts['days'], 'days read before the refusal are kept').to.equal(BACKFILL);
    expect(counts['media']).to.equal(0);
    const account = s.t.services.accounts.repo.findById(s.accountId)!;
    expect(account.status).to.equal('needs_reconnect');
    expect(account.statusReason ?? '').to.match(/190/);
    const refusedRequests = sim.state.requestLog.filter((r) => r.path === `/${igId()}/media`);
    expect(refusedRequests.length, 'the posts were asked for once').to.equal(1);

    // The next run leaves the account alone instead of failing again.
    const mark = sim.state.requestLog.length;
    const again = await job('insights-daily');
    expect(again['accounts']).to.equal(0);
    expect(sim.state.requestLog.length - mark).to.equal(0);
  });

  it('a token revoked on Instagram makes the audience job report failed and mark the account, without throwing', async () => {
    for (const token of sim.state.tokens.values()) token.revokedSubcode = 460;
    const counts = await job('insights-audience');
    expect(counts['failed']).to.be.at.least(1);
    expect(counts['audience']).to.equal(0);
    expect(audienceRows()).to.deep.equal([]);
    expect(s.t.services.accounts.repo.findById(s.accountId)!.status).to.equal('needs_reconnect');
  });
});
