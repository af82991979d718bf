// Issue acceptance 2: the analytics numbers are right on known datasets. Every dataset here is
// built by hand and every expected value worked out by hand (not by calling the code under test),
// so a wrong sum, an off-by-one day or a zero standing in for "no data" fails a test.
import { expect } from 'chai';
import {
  bestTimes,
  change,
  engagementRate,
  followerSeries,
  kpis,
  previousOf,
  rangeOf,
  sortPosts,
  total,
  type FollowerPoint,
  type Range,
  type RangeResult,
} from '../../../src/features/analytics/analytics.calc.js';
import type { DayValue, MediaInsightRow } from '../../../src/features/analytics/analytics.repo.js';
import { toCsv } from '../../../src/features/analytics/csv.js';

const DAY_MS = 86_400_000;
const TODAY = '2026-03-15';

/** Independent day arithmetic for the expectations (UTC, whole days). */
const shift = (day: string, n: number): string => new Date(Date.UTC(Number(day.slice(0, 4)), Number(day.slice(5, 7)) - 1, Number(day.slice(8, 10)) + n)).toISOString().slice(0, 10);
const spanOf = (from: string, to: string): number => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS + 1;

function okRange(result: RangeResult): Range {
  if (!result.ok) throw new Error(`expected a range, got the error ${result.error}`);
  return result.range;
}

/** Day values of one metric from a { day: value } table. */
function series(metric: string, values: Record<string, number>): DayValue[] {
  return Object.entries(values).map(([day, value]) => ({ day, metric, value }));
}

/** N consecutive days from `from`, each with the value given by `value(i)`. */
function run(metric: string, from: string, n: number, value: (i: number) => number): DayValue[] {
  return Array.from({ length: n }, (_v, i) => ({ day: shift(from, i), metric, value: value(i) }));
}

let mediaCounter = 0;
function post(fields: Partial<MediaInsightRow> & { postedAt: number }): MediaInsightRow {
  mediaCounter += 1;
  return {
    accountId: 1,
    igMediaId: `m${mediaCounter}`,
    mediaType: 'IMAGE',
    productType: 'FEED',
    caption: null,
    permalink: null,
    thumbnailUrl: null,
    views: null,
    reach: null,
    likes: null,
    comments: null,
    saved: null,
    shares: null,
    totalInteractions: null,
    avgWatchMs: null,
    skipRate: null,
    fetchedAt: 0,
    ...fields,
  };
}

describe('analytics calculations', () => {
  describe('rangeOf', () => {
    for (const n of [7, 30, 90, 365, 729]) {
      it(`"${n}" ends yesterday and spans exactly ${n} days`, () => {
        const range = okRange(rangeOf(String(n), TODAY));
        expect(range.choice).to.equal(String(n));
        expect(range.to).to.equal('2026-03-14');
        expect(range.from).to.equal(shift('2026-03-14', -(n - 1)));
        expect(range.days).to.equal(n);
        expect(spanOf(range.from, range.to)).to.equal(n);
      });
    }

    it('spells out the known ranges: 7 days are 8–14 March, 365 days start on 15 March of the year before', () => {
      expect(okRange(rangeOf('7', TODAY))).to.deep.equal({ choice: '7', from: '2026-03-08', to: '2026-03-14', days: 7 });
      expect(okRange(rangeOf('365', TODAY))).to.deep.equal({ choice: '365', from: '2025-03-15', to: '2026-03-14', days: 365 });
      // Across a leap day: 2024-02-29 exists, so 30 days back from 2024-03-10 start on 2024-02-10.
      expect(okRange(rangeOf('30', '2024-03-11'))).to.deep.equal({ choice: '30', from: '2024-02-10', to: '2024-03-10', days: 30 });
    });

    it('falls back to 30 days for a choice it does not know', () => {
      for (const choice of ['', '14', 'abc', '0', '-7', '730']) {
        expect(okRange(rangeOf(choice, TODAY)), choice).to.deep.equal({ choice: '30', from: '2026-02-13', to: '2026-03-14', days: 30 });
      }
    });

    it('takes a valid custom span as it is, both ends included', () => {
      expect(okRange(rangeOf('custom', TODAY, { from: '2026-02-01', to: '2026-02-28' }))).to.deep.equal({ choice: 'custom', from: '2026-02-01', to: '2026-02-28', days: 28 });
      expect(okRange(rangeOf('custom', TODAY, { from: '2026-03-01', to: '2026-03-01' })).days).to.equal(1);
      // Today itself may be the end (its numbers are partial, but it is not the future).
      expect(okRange(rangeOf('custom', TODAY, { from: '2026-03-10', to: TODAY })).days).to.equal(6);
    });

    it("answers 'dates' for a missing, malformed or impossible date", () => {
      const cases: Array<{ from?: string; to?: string }> = [
        {},
        { from: '2026-03-01' },
        { to: '2026-03-01' },
        { from: '', to: '2026-03-01' },
        { from: '2026-02-30', to: '2026-03-01' },
        { from: '2026-02-01', to: '2026-02-30' },
        { from: '2026-13-01', to: '2026-03-01' },
        { from: '2026-3-1', to: '2026-03-05' },
        { from: '01.03.2026', to: '2026-03-05' },
        { from: 'x', to: 'y' },
      ];
      for (const custom of cases) expect(rangeOf('custom', TODAY, custom), JSON.stringify(custom)).to.deep.equal({ ok: false, error: 'dates' });
    });

    it("answers 'order' when the start is after the end", () => {
      expect(rangeOf('custom', TODAY, { from: '2026-03-05', to: '2026-03-04' })).to.deep.equal({ ok: false, error: 'order' });
    });

    it("answers 'future' when the end is after today", () => {
      expect(rangeOf('custom', TODAY, { from: '2026-03-01', to: '2026-03-16' })).to.deep.equal({ ok: false, error: 'future' });
    });

    it("accepts 729 days and answers 'tooLong' for 730", () => {
      const from729 = shift(TODAY, -728);
      const from730 = shift(TODAY, -729);
      expect(spanOf(from729, TODAY)).to.equal(729);
      expect(okRange(rangeOf('custom', TODAY, { from: from729, to: TODAY })).days).to.equal(729);
      expect(rangeOf('custom', TODAY, { from: from730, to: TODAY })).to.deep.equal({ ok: false, error: 'tooLong' });
    });

    it('previousOf gives the same number of days just before the range', () => {
      expect(previousOf(okRange(rangeOf('7', TODAY)))).to.deep.equal({ choice: '7', from: '2026-03-01', to: '2026-03-07', days: 7 });
      expect(previousOf(okRange(rangeOf('custom', TODAY, { from: '2026-03-01', to: '2026-03-10' })))).to.deep.equal({ choice: 'custom', from: '2026-02-19', to: '2026-02-28', days: 10 });
      for (const n of ['30', '90', '365', '729']) {
        const range = okRange(rangeOf(n, TODAY));
        const before = previousOf(range);
        expect(before.to, n).to.equal(shift(range.from, -1));
        expect(spanOf(before.from, before.to), n).to.equal(range.days);
        expect(before.days, n).to.equal(range.days);
      }
    });
  });

  describe('total, change and kpis', () => {
    const week = okRange(rangeOf('7', TODAY)); // 2026-03-08 … 2026-03-14, previous 03-01 … 03-07

    it('sums only the days with data inside the range, and only the asked metric', () => {
      const values = [
        ...series('reach', { '2026-03-07': 1000, '2026-03-08': 10, '2026-03-10': 20, '2026-03-14': 30, '2026-03-15': 5000 }),
        ...series('views', { '2026-03-09': 99 }),
      ];
      expect(total(values, 'reach', week)).to.equal(60);
      expect(total(values, 'views', week)).to.equal(99);
    });

    it('is null, not 0, when no day of the range has the metric; a day with 0 is data', () => {
      const values = series('reach', { '2026-03-01': 7, '2026-03-15': 9 });
      expect(total(values, 'reach', week)).to.equal(null);
      expect(total(values, 'likes', week)).to.equal(null);
      expect(total([], 'reach', week)).to.equal(null);
      expect(total(series('reach', { '2026-03-09': 0 }), 'reach', week)).to.equal(0);
    });

    it('change is (current − previous) / previous, null without a base', () => {
      expect(change(150, 100)).to.equal(0.5);
      expect(change(75, 100)).to.equal(-0.25);
      expect(change(100, 100)).to.equal(0);
      expect(change(10, 0)).to.equal(null);
      expect(change(10, null)).to.equal(null);
      expect(change(null, 10)).to.equal(null);
      expect(change(null, null)).to.equal(null);
    });

    it('kpis compares two complete periods', () => {
      // Previous week: 100 a day (700); this week: 150 a day (1050) → +50 %.
      const values = [...run('reach', '2026-03-01', 14, (i) => (i < 7 ? 100 : 150)), ...run('likes', '2026-03-01', 14, (i) => (i < 7 ? 20 : 15))];
      const [reach, likes] = kpis(values, ['reach', 'likes'], week);
      expect(reach).to.deep.equal({ metric: 'reach', value: 1050, previous: 700, change: 0.5 });
      expect(likes).to.deep.equal({ metric: 'likes', value: 105, previous: 140, change: -0.25 });
    });

    it('kpis gives no change when the history starts inside the previous period', () => {
      // Data from 2026-03-05 only: three days of the previous week against seven of this one.
      const values = run('reach', '2026-03-05', 10, () => 100);
      const [reach] = kpis(values, ['reach'], week);
      expect(reach).to.deep.equal({ metric: 'reach', value: 700, previous: 300, change: null });
    });

    it('kpis keeps "no data" apart from zero', () => {
      const values = [...run('reach', '2026-03-01', 14, (i) => (i < 7 ? 0 : 40)), ...run('saves', '2026-03-01', 7, () => 3)];
      const [reach, saves, shares] = kpis(values, ['reach', 'saves', 'shares'], week);
      // A previous total of 0 gives no percentage.
      expect(reach).to.deep.equal({ metric: 'reach', value: 280, previous: 0, change: null });
      // Nothing this week: null, not 0.
      expect(saves).to.deep.equal({ metric: 'saves', value: null, previous: 21, change: null });
      expect(shares).to.deep.equal({ metric: 'shares', value: null, previous: null, change: null });
    });
  });

  describe('engagementRate', () => {
    it('is interactions per account reached, in percent', () => {
      expect(engagementRate(50, 1000)).to.equal(5);
      expect(engagementRate(0, 1000)).to.equal(0);
      expect(engagementRate(3, 12)).to.equal(25);
    });

    it('is null without reach (0 or none) or without interactions', () => {
      expect(engagementRate(50, 0)).to.equal(null);
      expect(engagementRate(50, null)).to.equal(null);
      expect(engagementRate(null, 1000)).to.equal(null);
    });
  });

  describe('followerSeries', () => {
    const show = (points: FollowerPoint[]): string[] => points.map((p) => `${p.day} ${p.followers === null ? '-' : p.followers}${p.estimated ? ' est' : ''}`);

    // Follows and unfollows of each day; 2026-03-07 has follows but no unfollows.
    const follows = { '2026-03-02': 5, '2026-03-03': 7, '2026-03-04': 3, '2026-03-05': 10, '2026-03-06': 4, '2026-03-07': 6, '2026-03-08': 8, '2026-03-09': 2, '2026-03-10': 6 };
    const unfollows = { '2026-03-02': 1, '2026-03-03': 2, '2026-03-04': 0, '2026-03-05': 3, '2026-03-06': 1, '2026-03-08': 4, '2026-03-09': 1, '2026-03-10': 2 };
    const values = [...series('follows', follows), ...series('unfollows', unfollows), ...series('reach', { '2026-03-09': 500 })];
    const range = { from: '2026-03-01', to: '2026-03-10' };

    it('takes read counts as they are and works the other days back, breaking the chain where a day lacks its numbers', () => {
      // Today is 03-11: Qanat read 1000 today and 900 on 03-05; today's follows are not in yet.
      const read = new Map([
        ['2026-03-11', 1000],
        ['2026-03-05', 900],
      ]);
      expect(show(followerSeries(range, read, values, '2026-03-11'))).to.deep.equal([
        '2026-03-01 881 est', // 885 − 5 + 1
        '2026-03-02 885 est', // 890 − 7 + 2
        '2026-03-03 890 est', // 893 − 3 + 0 (an unfollow count of 0 is a number)
        '2026-03-04 893 est', // 900 − 10 + 3
        '2026-03-05 900', // read
        '2026-03-06 -', // 03-07 has no unfollows: nothing to work back from until the next read count
        '2026-03-07 991 est', // 995 − 8 + 4
        '2026-03-08 995 est', // 996 − 2 + 1
        '2026-03-09 996 est', // 1000 − 6 + 2
        '2026-03-10 1000 est', // yesterday: today's count, today's follows not in yet
      ]);
    });

    it('has one point per day of the range, null points not flagged as estimated', () => {
      const points = followerSeries(range, new Map([['2026-03-11', 1000]]), values, '2026-03-11');
      expect(points.map((p) => p.day)).to.deep.equal(Array.from({ length: 10 }, (_v, i) => shift('2026-03-01', i)));
      for (const p of points) if (p.followers === null) expect(p.estimated, p.day).to.equal(false);
      // Without the read count of 03-05, everything before 03-07 is unknown.
      expect(show(points).slice(0, 6)).to.deep.equal(['2026-03-01 -', '2026-03-02 -', '2026-03-03 -', '2026-03-04 -', '2026-03-05 -', '2026-03-06 -']);
    });

    it("works yesterday back from today's follows once they are in", () => {
      const withToday = [...values, ...series('follows', { '2026-03-11': 12 }), ...series('unfollows', { '2026-03-11': 2 })];
      const points = followerSeries(range, new Map([['2026-03-11', 1000]]), withToday, '2026-03-11');
      expect(show(points).slice(-2)).to.deep.equal(['2026-03-09 986 est', '2026-03-10 990 est']); // 1000 − 12 + 2; 990 − 6 + 2
    });

    it('uses a count read on the last day of the range as it is', () => {
      const points = followerSeries(range, new Map([['2026-03-10', 777]]), values, '2026-03-11');
      expect(show(points).slice(-2)).to.deep.equal(['2026-03-09 773 est', '2026-03-10 777']);
    });

    it('without any read count there is nothing to work back from', () => {
      const points = followerSeries(range, new Map(), values, '2026-03-11');
      expect(points.every((p) => p.followers === null && !p.estimated)).to.equal(true);
    });

    it('carries a count read after the range back into it', () => {
      // Range 03-01 … 03-05; today is 03-20; the only count was read on 03-08.
      const later = [...values, ...series('follows', { '2026-03-11': 1 }), ...series('unfollows', { '2026-03-11': 1 })];
      const points = followerSeries({ from: '2026-03-01', to: '2026-03-05' }, new Map([['2026-03-08', 2000]]), later, '2026-03-20');
      // 03-07 = 2000 − 8 + 4 = 1996; 03-06: 03-07 lacks unfollows → unknown; so is the whole range.
      expect(show(points)).to.deep.equal(['2026-03-01 -', '2026-03-02 -', '2026-03-03 -', '2026-03-04 -', '2026-03-05 -']);
      // With 03-07's unfollows the chain reaches through: 03-06 = 1996 − 6 + 3 = 1993, 03-05 = 1993 − 4 + 1 = 1990 …
      const complete = [...later, ...series('unfollows', { '2026-03-07': 3 })];
      const through = followerSeries({ from: '2026-03-01', to: '2026-03-05' }, new Map([['2026-03-08', 2000]]), complete, '2026-03-20');
      expect(show(through)).to.deep.equal([
        '2026-03-01 1971 est', // 1975 − 5 + 1
        '2026-03-02 1975 est', // 1980 − 7 + 2
        '2026-03-03 1980 est', // 1983 − 3 + 0
        '2026-03-04 1983 est', // 1990 − 10 + 3
        '2026-03-05 1990 est', // 1993 − 4 + 1
      ]);
    });
  });

  describe('bestTimes', () => {
    const cell = (cells: ReturnType<typeof bestTimes>['cells'], weekday: number, hour: number) => {
      const found = cells.find((c) => c.weekday === weekday && c.hour === hour);
      if (!found) throw new Error(`no cell ${weekday}:${hour}`);
      return found;
    };

    it('puts posts in the weekday (0 = Monday) and hour of Asia/Almaty (UTC+5)', () => {
      const posts = [
        // Sunday 20:15 UTC is Monday 01:15 in Almaty.
        post({ postedAt: Date.parse('2026-03-01T20:15:00Z'), totalInteractions: 50, reach: 1000 }),
        // Wednesday 04:00 UTC is Wednesday 09:00.
        post({ postedAt: Date.parse('2026-03-04T04:00:00Z'), totalInteractions: 30, reach: 200 }),
        post({ postedAt: Date.parse('2026-03-11T04:59:00Z'), totalInteractions: 10, reach: 1000 }),
      ];
      const { cells, basedOn } = bestTimes(posts, 'Asia/Almaty');
      expect(cells).to.have.length(168);
      expect(cells.map((c) => `${c.weekday}:${c.hour}`)).to.deep.equal(Array.from({ length: 168 }, (_v, i) => `${Math.floor(i / 24)}:${i % 24}`));
      expect(basedOn).to.equal(3);
      expect(cell(cells, 0, 1)).to.deep.equal({ weekday: 0, hour: 1, posts: 1, rate: 5 });
      // 15 % and 1 %: the mean of the posts' rates, 8 %.
      expect(cell(cells, 2, 9)).to.deep.equal({ weekday: 2, hour: 9, posts: 2, rate: 8 });
      // Nothing on Sunday 20:00 (the UTC reading) nor anywhere else.
      expect(cell(cells, 6, 20)).to.deep.equal({ weekday: 6, hour: 20, posts: 0, rate: null });
      expect(cells.filter((c) => c.posts > 0)).to.have.length(2);
      expect(cells.filter((c) => c.rate !== null)).to.have.length(2);
    });

    it('follows Europe/Berlin across both DST changes', () => {
      const posts = [
        // Friday before the spring change (CET, +1): 17:30 UTC is 18:30.
        post({ postedAt: Date.parse('2026-03-27T17:30:00Z'), totalInteractions: 50, reach: 1000 }),
        // Friday after it (CEST, +2): 16:30 UTC is 18:30 too, the same cell.
        post({ postedAt: Date.parse('2026-04-03T16:30:00Z'), totalInteractions: 30, reach: 1000 }),
        // Same cell, no reach: counted as a post, not in the rate.
        post({ postedAt: Date.parse('2026-03-27T17:45:00Z'), totalInteractions: 99, reach: null }),
        // Reach 0 is no rate either.
        post({ postedAt: Date.parse('2026-04-03T16:55:00Z'), totalInteractions: 99, reach: 0 }),
        // Saturday 22:30 UTC before the autumn change (CEST) is Sunday 00:30 in Berlin.
        post({ postedAt: Date.parse('2026-10-24T22:30:00Z'), totalInteractions: 20, reach: 400 }),
        // Sunday 23:30 UTC after it (CET) is Monday 00:30.
        post({ postedAt: Date.parse('2026-10-25T23:30:00Z'), totalInteractions: 1, reach: 100 }),
        // A post without any insight at all: Tuesday 10:00 UTC is 11:00 (CET).
        post({ postedAt: Date.parse('2026-11-03T10:00:00Z') }),
      ];
      const { cells, basedOn } = bestTimes(posts, 'Europe/Berlin');
      expect(basedOn).to.equal(4);
      expect(cell(cells, 4, 18)).to.deep.equal({ weekday: 4, hour: 18, posts: 4, rate: 4 });
      expect(cell(cells, 4, 17)).to.deep.equal({ weekday: 4, hour: 17, posts: 0, rate: null });
      expect(cell(cells, 4, 16)).to.deep.equal({ weekday: 4, hour: 16, posts: 0, rate: null });
      expect(cell(cells, 6, 0)).to.deep.equal({ weekday: 6, hour: 0, posts: 1, rate: 5 });
      expect(cell(cells, 0, 0)).to.deep.equal({ weekday: 0, hour: 0, posts: 1, rate: 1 });
      expect(cell(cells, 1, 11)).to.deep.equal({ weekday: 1, hour: 11, posts: 1, rate: null });
      expect(cells.reduce((n, c) => n + c.posts, 0)).to.equal(7);
    });

    it('has every cell empty without posts', () => {
      const { cells, basedOn } = bestTimes([], 'Asia/Almaty');
      expect(basedOn).to.equal(0);
      expect(cells).to.have.length(168);
      expect(cells.every((c) => c.posts === 0 && c.rate === null)).to.equal(true);
    });
  });

  describe('sortPosts', () => {
    const at = (day: number): number => Date.parse('2026-03-01T12:00:00Z') + day * DAY_MS;
    const a = post({ igMediaId: 'a', postedAt: at(1), views: 100, reach: 1000, totalInteractions: 20 }); // 2 %
    const b = post({ igMediaId: 'b', postedAt: at(2), views: null, reach: 100, totalInteractions: 10 }); // 10 %
    const c = post({ igMediaId: 'c', postedAt: at(3), views: 100, reach: null, totalInteractions: 50 }); // none
    const d = post({ igMediaId: 'd', postedAt: at(0), views: 300, reach: 200, totalInteractions: 4 }); // 2 %
    const e = post({ igMediaId: 'e', postedAt: at(4), views: null, reach: 0, totalInteractions: 5 }); // none
    const all = [a, b, c, d, e];
    const ids = (posts: MediaInsightRow[]): string[] => posts.map((p) => p.igMediaId);

    it('sorts by a metric, highest first, ties newest first, posts without the number last (newest first)', () => {
      expect(ids(sortPosts(all, 'views'))).to.deep.equal(['d', 'c', 'a', 'e', 'b']);
      expect(ids(sortPosts(all, 'reach'))).to.deep.equal(['a', 'd', 'b', 'e', 'c']);
    });

    it("sorts 'engagement' by the engagement rate", () => {
      expect(ids(sortPosts(all, 'engagement'))).to.deep.equal(['b', 'a', 'd', 'e', 'c']);
    });

    it("sorts 'posted' by date, newest first", () => {
      expect(ids(sortPosts(all, 'posted'))).to.deep.equal(['e', 'c', 'b', 'a', 'd']);
    });

    it('leaves the list it was given alone', () => {
      sortPosts(all, 'views');
      expect(ids(all)).to.deep.equal(['a', 'b', 'c', 'd', 'e']);
    });
  });

  describe('toCsv', () => {
    it('quotes cells with a comma, a quote or a line break, doubling quotes, and ends lines with CRLF', () => {
      const csv = toCsv(['name', 'note'], [
        ['a,b', 'she said "hi"'],
        ['two\nlines', 'cr\rhere'],
        ['crlf\r\nin', 'plain'],
      ]);
      expect(csv).to.equal('name,note\r\n"a,b","she said ""hi"""\r\n"two\nlines","cr\rhere"\r\n"crlf\r\nin",plain\r\n');
    });

    it('writes null as an empty cell and numbers as they are, negative ones too', () => {
      expect(toCsv(['a', 'b', 'c', 'd'], [[null, 0, -3, 1.25], [12345678, -0.5, null, null]])).to.equal('a,b,c,d\r\n,0,-3,1.25\r\n12345678,-0.5,,\r\n');
    });

    it('puts an apostrophe before text a spreadsheet would run as a formula', () => {
      const csv = toCsv(['t'], [['=SUM(A1:A2)'], ['+7 777'], ['-x'], ['@me'], ['a=b'], ['=HYPERLINK("x","y")'], ['=1,2']]);
      expect(csv).to.equal(["t", "'=SUM(A1:A2)", "'+7 777", "'-x", "'@me", 'a=b', `"'=HYPERLINK(""x"",""y"")"`, `"'=1,2"`, ''].join('\r\n'));
    });

    it('writes only the header when there are no rows', () => {
      expect(toCsv(['day', 'value'], [])).to.equal('day,value\r\n');
    });
  });
});
