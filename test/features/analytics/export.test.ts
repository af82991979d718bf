// Issue acceptance 3: the CSV exports match the stored data exactly. The real app runs in sandbox
// mode, reads 40 days of insights, demographics and posts from the simulator, and every export is
// downloaded over HTTP, parsed with the small RFC 4180 parser below and compared cell by cell with
// the rows in the database. The page itself is checked without JavaScript: each chart's numbers
// are in a table.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { CheerioAPI } from 'cheerio';
import { localesDir } from '../../../src/paths.js';
import { signInLive, type Agent } from '../../support/accounts.js';
import { flatten, type Tree } from '../../support/catalog.js';
import { createUser } from '../../support/factories.js';
import { $, csrfFrom } from '../../support/http.js';
import { stage, type Stage } from '../../support/publishing.js';

const DAY_MS = 86_400_000;
const ZONE = 'Asia/Almaty';
const SERIES = ['daily', 'followers', 'posts', 'audience', 'best-times'] as const;

const EN = flatten(JSON.parse(fs.readFileSync(path.join(localesDir, 'en.json'), 'utf8')) as Tree);
function en(key: string): string {
  const text = EN.get(key);
  if (text === undefined) throw new Error(`no English text for ${key}`);
  return text;
}

const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();
const shift = (day: string, n: number): string => new Date(Date.parse(`${day}T00:00:00Z`) + n * DAY_MS).toISOString().slice(0, 10);
const daysFrom = (from: string, to: string): string[] => {
  const out: string[] = [];
  for (let d = from; d <= to; d = shift(d, 1)) out.push(d);
  return out;
};

/**
 * RFC 4180: fields separated by commas, records by CRLF (the last one too), a field in double
 * quotes may hold commas, CR, LF and doubled quotes. Anything else is an error, so a malformed
 * export fails here rather than parsing into something plausible.
 */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let wasQuoted = false;
  for (let i = 0; i < text.length; i += 1) {
    const ch = text[i];
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') {
        field += '"';
        i += 1;
      } else if (ch === '"') {
        quoted = false;
        const after = text[i + 1];
        if (after !== undefined && after !== ',' && after !== '\r') throw new Error(`text after a closing quote at ${i}`);
      } else field += ch;
      continue;
    }
    if (ch === '"') {
      if (field !== '' || wasQuoted) throw new Error(`quote inside an unquoted field at ${i}`);
      quoted = true;
      wasQuoted = true;
    } else if (ch === ',') {
      row.push(field);
      field = '';
      wasQuoted = false;
    } else if (ch === '\r') {
      if (text[i + 1] !== '\n') throw new Error(`CR without LF at ${i}`);
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      wasQuoted = false;
      i += 1;
    } else if (ch === '\n') {
      throw new Error(`bare LF outside quotes at ${i}`);
    } else field += ch;
  }
  if (quoted) throw new Error('unterminated quoted field');
  if (field !== '' || row.length > 0) throw new Error('the last record does not end with CRLF');
  return rows;
}

interface Table {
  header: string[];
  records: string[][];
  /** Records as objects keyed by the header. */
  objects: Array<Record<string, string>>;
}

function table(text: string): Table {
  const [header, ...records] = parseCsv(text);
  if (!header) throw new Error('empty CSV');
  for (const [i, r] of records.entries()) expect(r, `record ${i + 1} has as many fields as the header`).to.have.length(header.length);
  return { header, records, objects: records.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i] ?? '']))) };
}

/** What a stored value looks like in the export: numbers as they are, null as an empty cell. */
const cellOf = (value: string | number | null): string => (value === null ? '' : String(value));
/** Text a spreadsheet would run as a formula gets a leading apostrophe. */
const textCell = (value: string | null): string => (value === null ? '' : /^[=+\-@\t\r]/.test(value) ? `'${value}` : value);

interface MediaRow {
  ig_media_id: string;
  posted_at: number;
  media_type: string;
  product_type: string;
  caption: string | null;
  permalink: string | null;
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

const WEEKDAYS = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];
/** Weekday (0 = Monday) and hour of an instant in a zone, straight from Intl. */
function localSlot(at: number, zone: string): { weekday: number; hour: number } {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone: zone, weekday: 'short', hour: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(at));
  const weekday = WEEKDAYS.indexOf(parts.find((p) => p.type === 'weekday')?.value ?? '');
  const hour = Number(parts.find((p) => p.type === 'hour')?.value);
  if (weekday < 0 || Number.isNaN(hour)) throw new Error(`no local time for ${at}`);
  return { weekday, hour };
}

describe('Analytics: CSV exports match the stored data, the page works without JavaScript', function () {
  this.timeout(120_000);
  let s: Stage;
  let today: string;
  let range30: { from: string; to: string };
  let page30: CheerioAPI;

  const sql = () => s.t.db.sqlite;

  /** Stored day values of the account, metric by day; the "asked" markers left out. */
  function storedDays(): Map<string, Map<string, number>> {
    const rows = sql().prepare("SELECT day, metric, value FROM insight_days WHERE account_id = ? AND metric <> '_checked'").all(s.accountId) as Array<{ day: string; metric: string; value: number }>;
    const out = new Map<string, Map<string, number>>();
    for (const r of rows) out.set(r.day, (out.get(r.day) ?? new Map<string, number>()).set(r.metric, r.value));
    return out;
  }

  function storedMedia(from: string, to: string): MediaRow[] {
    return sql()
      .prepare('SELECT * FROM media_insights WHERE account_id = ? AND posted_at >= ? AND posted_at <= ? ORDER BY posted_at DESC')
      .all(s.accountId, Date.parse(`${from}T00:00:00Z`), Date.parse(`${to}T00:00:00Z`) + DAY_MS - 1) as MediaRow[];
  }

  function storedFollowerDays(): Map<string, number> {
    const rows = sql().prepare('SELECT day, followers FROM follower_days WHERE account_id = ?').all(s.accountId) as Array<{ day: string; followers: number }>;
    return new Map(rows.map((r) => [r.day, r.followers]));
  }

  async function download(agent: Agent, series: string, query: string): Promise<{ text: string; headers: Record<string, string> }> {
    const res = await agent.get(`/analytics/export/${series}?${query}`);
    expect(res.status, `${series}: ${res.text.slice(0, 500)}`).to.equal(200);
    return { text: res.text, headers: res.headers as Record<string, string> };
  }

  before(async () => {
    s = await stage({ INSIGHTS_BACKFILL_DAYS: '40' });
    const owner = s.t.services.users.repo.list().find((u) => u.role === 'owner');
    if (!owner) throw new Error('no owner');
    s.t.services.users.repo.updateTimeZone(owner.id, ZONE);

    const counts = await s.t.services.insights.collectAll({ daily: true, audience: true });
    expect(counts.failed, 'collection failed').to.equal(0);
    expect(counts.days).to.equal(40);
    expect(counts.media).to.be.greaterThan(0);
    expect(counts.audience).to.be.greaterThan(0);

    today = s.t.services.analytics.today();
    range30 = { from: shift(today, -30), to: shift(today, -1) };

    // Gaps, awkward text and nulls, so "empty where no row" and the quoting are exercised too.
    const id = s.accountId;
    sql().prepare("DELETE FROM insight_days WHERE account_id = ? AND day = ? AND metric <> '_checked'").run(id, shift(today, -5));
    sql().prepare("DELETE FROM insight_days WHERE account_id = ? AND day = ? AND metric = 'reach'").run(id, shift(today, -9));
    const posts = storedMedia(range30.from, range30.to);
    expect(posts.length, 'posts in the last 30 days').to.be.greaterThan(2);
    const [first, second] = posts;
    sql().prepare('UPDATE media_insights SET caption = ?, reach = NULL WHERE account_id = ? AND ig_media_id = ?').run('He said "hi", then\r\nleft; @all\nsee', id, first!.ig_media_id);
    sql().prepare('UPDATE media_insights SET caption = ?, likes = NULL WHERE account_id = ? AND ig_media_id = ?').run('=HYPERLINK("http://x.example","win")', id, second!.ig_media_id);
    // An older demographics snapshot that must not be exported.
    sql().prepare("INSERT INTO audience (account_id, taken_on, breakdown, key, value) VALUES (?, '2025-06-01', 'country', 'ZZ', 999999)").run(id);
    // A follower count Qanat read in the middle of the range.
    s.t.services.accounts.repo.upsertFollowerDay(id, shift(today, -15), 2222);

    const res = await s.agent.get('/analytics?range=30');
    expect(res.status).to.equal(200);
    page30 = $(res.text);
  });

  after(async () => {
    await s?.live.close();
  });

  it('serves every series as a CSV attachment named after the account, the series and the range', async () => {
    for (const series of SERIES) {
      const { headers } = await download(s.agent, series, 'range=30');
      expect(headers['content-type'], series).to.match(/^text\/csv(;|$)/);
      const disposition = headers['content-disposition'] ?? '';
      // RFC 6266: the name as a token or a quoted string.
      expect(disposition, series).to.match(/^attachment; filename=("?)[^"/\\;\s]+\.csv\1$/);
      expect(disposition, series).to.contain(`${series}-${range30.from}-${range30.to}.csv`);
    }
  });

  it('daily: one row per day of the range, every metric equal to insight_days, empty where there is no row', async () => {
    const stored = storedDays();
    const metrics = new Set([...stored.values()].flatMap((m) => [...m.keys()]));
    for (const [query, from] of [
      ['range=30', range30.from],
      ['range=90', shift(today, -90)],
    ] as const) {
      const csv = table((await download(s.agent, 'daily', query)).text);
      expect(csv.header[0]).to.equal('day');
      expect(csv.header).to.not.include('_checked');
      for (const m of metrics) expect(csv.header, `column for ${m}`).to.include(m);
      const days = daysFrom(from, shift(today, -1));
      expect(csv.records.map((r) => r[0]), query).to.deep.equal(days);
      let empty = 0;
      let filled = 0;
      for (const row of csv.objects) {
        for (const metric of csv.header.slice(1)) {
          const value = stored.get(row['day'] ?? '')?.get(metric);
          expect(row[metric], `${row['day']} ${metric}`).to.equal(value === undefined ? '' : String(value));
          if (value === undefined) empty += 1;
          else filled += 1;
        }
      }
      expect(filled, `${query}: cells with numbers`).to.be.greaterThan(0);
      expect(empty, `${query}: empty cells`).to.be.greaterThan(0);
    }
    // The gaps made above: a whole day without numbers, and a day without reach only.
    const csv = table((await download(s.agent, 'daily', 'range=30')).text);
    const byDay = new Map(csv.objects.map((o) => [o['day'], o]));
    expect(Object.entries(byDay.get(shift(today, -5)) ?? {}).filter(([k, v]) => k !== 'day' && v !== '')).to.deep.equal([]);
    expect(byDay.get(shift(today, -9))?.['reach']).to.equal('');
    expect(byDay.get(shift(today, -9))?.['views']).to.match(/^\d+$/);
  });

  it('posts: every stored post of the range with every column equal', async () => {
    const csv = table((await download(s.agent, 'posts', 'range=30')).text);
    expect(csv.header).to.deep.equal([
      'media_id',
      'posted_at',
      'media_type',
      'product_type',
      'caption',
      'permalink',
      'views',
      'reach',
      'likes',
      'comments',
      'saved',
      'shares',
      'total_interactions',
      'engagement_rate_percent',
      'avg_watch_ms',
      'skip_rate_percent',
    ]);
    const stored = storedMedia(range30.from, range30.to);
    const all = sql().prepare('SELECT count(*) AS n FROM media_insights WHERE account_id = ?').get(s.accountId) as { n: number };
    expect(all.n, 'some stored posts lie outside the range').to.be.greaterThan(stored.length);
    const expected = stored.map((p) => [
      p.ig_media_id,
      new Date(p.posted_at).toISOString(),
      p.media_type,
      p.product_type,
      textCell(p.caption),
      textCell(p.permalink),
      cellOf(p.views),
      cellOf(p.reach),
      cellOf(p.likes),
      cellOf(p.comments),
      cellOf(p.saved),
      cellOf(p.shares),
      cellOf(p.total_interactions),
      p.total_interactions === null || p.reach === null || p.reach <= 0 ? '' : String((p.total_interactions / p.reach) * 100),
      cellOf(p.avg_watch_ms),
      cellOf(p.skip_rate),
    ]);
    expect(csv.records).to.deep.equal(expected);
    // The awkward rows came through the quoting intact.
    const captions = csv.objects.map((o) => o['caption']);
    expect(captions).to.include('He said "hi", then\r\nleft; @all\nsee');
    expect(captions).to.include(`'=HYPERLINK("http://x.example","win")`);
    expect(csv.objects.find((o) => o['caption']?.startsWith('He said'))?.['engagement_rate_percent']).to.equal('');
    // Reels carry a watch time, other posts leave it empty.
    expect(csv.objects.some((o) => o['product_type'] === 'REELS' && o['avg_watch_ms'] !== '')).to.equal(true);
    expect(csv.objects.filter((o) => o['product_type'] !== 'REELS').every((o) => o['avg_watch_ms'] === '')).to.equal(true);
  });

  it('audience: the rows of the latest snapshot, nothing from older ones', async () => {
    const csv = table((await download(s.agent, 'audience', 'range=30')).text);
    expect(csv.header).to.deep.equal(['taken_on', 'breakdown', 'key', 'value']);
    const latest = (sql().prepare('SELECT max(taken_on) AS on_ FROM audience WHERE account_id = ?').get(s.accountId) as { on_: string }).on_;
    expect(latest).to.equal(today);
    const rows = sql().prepare('SELECT taken_on, breakdown, key, value FROM audience WHERE account_id = ? AND taken_on = ?').all(s.accountId, latest) as Array<{ taken_on: string; breakdown: string; key: string; value: number }>;
    const sorted = (list: string[][]): string[][] => [...list].sort((a, b) => a.join('\u0000').localeCompare(b.join('\u0000')));
    expect(sorted(csv.records)).to.deep.equal(sorted(rows.map((r) => [r.taken_on, r.breakdown, r.key, String(r.value)])));
    expect(csv.records.some((r) => r[2]?.includes(','))).to.equal(true); // "Almaty, Almaty" survived the quoting
    expect(csv.records.some((r) => r[2] === 'ZZ')).to.equal(false);
  });

  it('followers: the series the page shows, read counts as stored, the rest worked back from follows and unfollows', async () => {
    const csv = table((await download(s.agent, 'followers', 'range=30')).text);
    expect(csv.header).to.deep.equal(['day', 'followers', 'estimated']);
    const days = daysFrom(range30.from, range30.to);
    expect(csv.records.map((r) => r[0])).to.deep.equal(days);

    // The page's follower chart table, day by day.
    const figure = page30('figure[data-chart]').filter((_i, el) => page30(el).find('th[data-series]').text().trim() === en('analytics.kpi.followers'));
    expect(figure).to.have.length(1);
    const shown = figure
      .find('tbody tr')
      .toArray()
      .map((tr) => {
        const row = page30(tr);
        const value = row.find('td').attr('data-value') ?? '';
        const estimated = row.find('td').text().includes(en('analytics.followers.estimated'));
        return [row.find('th').attr('data-label') ?? '', value, value === '' ? '' : estimated ? 'yes' : 'no'];
      });
    expect(csv.records).to.deep.equal(shown);

    // Against the stored data: read days as they are, the other days from the next day's follows
    // and unfollows, yesterday from today's count (today's follows are not in yet).
    const read = storedFollowerDays();
    const stored = storedDays();
    expect(read.get(today), 'profile sync read today').to.be.a('number');
    const byDay = new Map(csv.objects.map((o) => [o['day'] ?? '', o]));
    const numberOn = (day: string): number | null => {
      if (day === today) return read.get(today) ?? null;
      const cell = byDay.get(day)?.['followers'] ?? '';
      return cell === '' ? null : Number(cell);
    };
    let estimated = 0;
    for (const day of days) {
      const row = byDay.get(day);
      const count = read.get(day);
      if (count !== undefined) {
        expect(row?.['followers'], day).to.equal(String(count));
        expect(row?.['estimated'], day).to.equal('no');
        continue;
      }
      const next = shift(day, 1);
      const after = numberOn(next);
      const follows = stored.get(next)?.get('follows');
      const unfollows = stored.get(next)?.get('unfollows');
      let expected: number | null;
      if (after !== null && follows !== undefined && unfollows !== undefined) expected = after - follows + unfollows;
      else if (after !== null && next === today) expected = after;
      else expected = null;
      expect(row?.['followers'], day).to.equal(cellOf(expected));
      expect(row?.['estimated'], day).to.equal(expected === null ? '' : 'yes');
      if (expected !== null) estimated += 1;
    }
    expect(byDay.get(shift(today, -15))?.['followers']).to.equal('2222');
    expect(byDay.get(range30.to)?.['followers'], 'yesterday takes today’s count').to.equal(String(read.get(today)));
    // The day with no stored numbers at all breaks the chain just before it.
    expect(byDay.get(shift(today, -6))?.['followers']).to.equal('');
    expect(estimated).to.be.greaterThan(15);
  });

  it(`best-times: 168 cells (weekday 1 = Monday … 7, hour in the owner's zone ${ZONE}) computed from the stored posts`, async () => {
    const csv = table((await download(s.agent, 'best-times', 'range=30')).text);
    expect(csv.header).to.deep.equal(['weekday', 'hour', 'posts', 'engagement_rate_percent']);
    expect(csv.records).to.have.length(168);
    expect(csv.records.map((r) => `${r[0]}:${r[1]}`)).to.deep.equal(Array.from({ length: 168 }, (_v, i) => `${Math.floor(i / 24) + 1}:${i % 24}`));
    const cells = new Map<string, { posts: number; rates: number[] }>();
    for (const p of storedMedia(range30.from, range30.to)) {
      const { weekday, hour } = localSlot(p.posted_at, ZONE);
      const key = `${weekday + 1}:${hour}`;
      const cell = cells.get(key) ?? { posts: 0, rates: [] };
      cell.posts += 1;
      if (p.total_interactions !== null && p.reach !== null && p.reach > 0) cell.rates.push((p.total_interactions / p.reach) * 100);
      cells.set(key, cell);
    }
    expect(cells.size).to.be.greaterThan(0);
    for (const row of csv.objects) {
      const key = `${row['weekday']}:${row['hour']}`;
      const cell = cells.get(key);
      expect(row['posts'], key).to.equal(String(cell?.posts ?? 0));
      if (!cell || cell.rates.length === 0) expect(row['engagement_rate_percent'], key).to.equal('');
      else expect(Number(row['engagement_rate_percent']), key).to.be.closeTo(cell.rates.reduce((a, b) => a + b, 0) / cell.rates.length, 1e-9);
    }
  });

  it('a custom range limits the rows of every export', async () => {
    const from = shift(today, -20);
    const to = shift(today, -10);
    const query = `range=custom&from=${from}&to=${to}`;
    const days = daysFrom(from, to);

    const daily = table((await download(s.agent, 'daily', query)).text);
    expect(daily.records.map((r) => r[0])).to.deep.equal(days);
    const followers = table((await download(s.agent, 'followers', query)).text);
    expect(followers.records.map((r) => r[0])).to.deep.equal(days);

    const posts = table((await download(s.agent, 'posts', query)).text);
    const inSpan = storedMedia(from, to).map((p) => p.ig_media_id);
    expect(posts.records.map((r) => r[0])).to.deep.equal(inSpan);
    expect(inSpan.length, 'fewer posts than in 30 days').to.be.lessThan(storedMedia(range30.from, range30.to).length);

    const best = table((await download(s.agent, 'best-times', query)).text);
    expect(best.records.reduce((n, r) => n + Number(r[2]), 0)).to.equal(inSpan.length);

    const { headers } = await download(s.agent, 'daily', query);
    expect(headers['content-disposition']).to.contain(`daily-${from}-${to}.csv`);
  });

  it('a bad custom range on the page says why, keeps what was typed and shows the last 30 days', async () => {
    const res = await s.agent.get('/analytics?range=custom&from=2026-13-01&to=x');
    expect(res.status).to.equal(200);
    const page = $(res.text);
    expect(squash(page('#range-error').text())).to.equal(squash(en('analytics.range.error.dates')));
    expect(page('#range-from').attr('value')).to.equal('2026-13-01');
    expect(page('#range-to').attr('value')).to.equal('x');
    expect(page('#range-from').attr('aria-invalid')).to.equal('true');
    expect(page('#range option[selected]').attr('value')).to.equal('30');
    const days = daysFrom(range30.from, range30.to);
    for (const fig of page('figure[data-chart="line"]').toArray()) {
      expect(page(fig).find('tbody tr th[data-label]').toArray().map((th) => page(th).attr('data-label'))).to.deep.equal(days);
    }
    // The export links offer the range that is shown.
    const links = page('a[href^="/analytics/export/"]').toArray().map((a) => page(a).attr('href'));
    expect(links).to.have.length(SERIES.length);
    for (const href of links) expect(href).to.match(/\?range=30$/);
  });

  it('answers 404 for a series it does not have', async () => {
    for (const series of ['nope', 'DAILY', 'insight_days']) {
      const res = await s.agent.get(`/analytics/export/${series}?range=30`);
      expect(res.status, series).to.equal(404);
      expect(res.headers['content-type'], series).to.not.match(/text\/csv/);
    }
  });

  it('lets a viewer see the page and download every CSV, but not start a read from Instagram', async () => {
    const viewer = await createUser(s.t, { username: 'vera', role: 'viewer' });
    // Same zone as the owner, so best-times (by local hour) is the same file for both.
    s.t.services.users.repo.updateTimeZone(viewer.id, ZONE);
    const vera = await signInLive(s.live, 'vera');
    const page = await vera.get('/analytics?range=30');
    expect(page.status).to.equal(200);
    expect($(page.text)('form[action="/analytics/refresh"]')).to.have.length(0);
    for (const series of SERIES) {
      const mine = await download(vera, series, 'range=30');
      const owners = await download(s.agent, series, 'range=30');
      expect(mine.text, series).to.equal(owners.text);
    }
    const sim = s.t.simulator!;
    const requests = sim.state.requestLog.length;
    const csrf = csrfFrom((await vera.get('/queue')).text);
    const refresh = await vera.post('/analytics/refresh').type('form').send({ _csrf: csrf, returnTo: '/analytics' });
    expect(refresh.status).to.equal(403);
    expect(squash($(refresh.text)('main').text())).to.contain(squash(en('analytics.error.viewerOnly')));
    expect(sim.state.requestLog.length, 'no Graph call for a viewer').to.equal(requests);
  });

  it('shows every chart’s numbers as a table in the HTML (no JavaScript needed)', () => {
    const figures = page30('figure[data-chart]');
    expect(figures.length).to.be.greaterThan(2);
    for (const fig of figures.toArray()) {
      const tables = page30(fig).find('table');
      expect(tables, 'a table in every chart').to.have.length(1);
      expect(tables.attr('hidden')).to.equal(undefined);
      expect(page30(fig).closest('noscript')).to.have.length(0);
      expect(tables.find('tbody tr').length).to.be.greaterThan(0);
    }
    // The day charts: one row per day of the range; reach and views equal the stored numbers.
    const days = daysFrom(range30.from, range30.to);
    const lines = page30('figure[data-chart="line"]');
    expect(lines).to.have.length(2);
    for (const fig of lines.toArray()) {
      expect(page30(fig).find('tbody tr').toArray().map((tr) => page30(tr).find('th').attr('data-label'))).to.deep.equal(days);
    }
    const stored = storedDays();
    const reachFigure = lines.filter((_i, el) => page30(el).find('th[data-series]').first().text().trim() === en('analytics.metric.reach'));
    expect(reachFigure).to.have.length(1);
    for (const tr of reachFigure.find('tbody tr').toArray()) {
      const day = page30(tr).find('th').attr('data-label') ?? '';
      const [reach, views] = page30(tr).find('td').toArray().map((td) => page30(td).attr('data-value'));
      expect(reach, `${day} reach`).to.equal(cellOf(stored.get(day)?.get('reach') ?? null));
      expect(views, `${day} views`).to.equal(cellOf(stored.get(day)?.get('views') ?? null));
    }
    // The audience charts: one row per key of the latest snapshot (the ten biggest).
    const bars = page30('figure[data-chart="bar"]');
    expect(bars.length).to.be.greaterThan(0);
    const latest = sql().prepare('SELECT breakdown, count(*) AS n FROM audience WHERE account_id = ? AND taken_on = ? GROUP BY breakdown').all(s.accountId, today) as Array<{ breakdown: string; n: number }>;
    expect(bars).to.have.length(latest.length);
    const rowsShown = bars.toArray().map((fig) => page30(fig).find('tbody tr').length);
    expect(rowsShown.sort()).to.deep.equal(latest.map((r) => Math.min(10, r.n)).sort());
  });
});
