// Clock tests with the app's manual clock: DST forward and back in Europe/Berlin, a jump forward
// of 2 h, a jump back of 1 h, and posts that never fire before they are due. Posts are scheduled
// through the composer; the clock is stepped minute by minute and the engine run at each step.
import { expect } from 'chai';
import * as cheerio from 'cheerio';
import { translatorFor } from '../../../src/i18n/index.js';
import { connectAccount, signInLive } from '../../support/accounts.js';
import { startLiveApp } from '../../support/browser.js';
import { photo, postIdFrom, submit } from '../../support/content.js';
import { createUser } from '../../support/factories.js';
import { csrfFrom } from '../../support/http.js';
import { fixtures } from '../../support/media-fixtures.js';
import { post, simMediaWithCaption, steps, type Stage } from '../../support/publishing.js';

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const BERLIN = 'Europe/Berlin';
const en = translatorFor('en');

/** The real app in sandbox mode with the clock set to `at` before the owner connects (tokens last 60 days from then). */
async function stageAt(at: number): Promise<Stage> {
  const live = await startLiveApp({ SESSION_IDLE_MINUTES: '100000', SESSION_ABSOLUTE_HOURS: '10000' });
  live.t.clock.set(at);
  const owner = await createUser(live.t);
  const agent = await signInLive(live, owner.username);
  const accountId = await connectAccount(live, agent);
  return { live, t: live.t, agent, accountId, csrf: csrfFrom((await agent.get('/queue')).text) };
}

interface Slot {
  date: string;
  time: string;
  zone: string;
  caption: string;
  type?: 'feed' | 'reel';
}

async function filesFor(type: 'feed' | 'reel'): Promise<Array<{ name: string; bytes: Buffer }>> {
  if (type === 'reel') return [{ name: 'reel.mp4', bytes: (await fixtures()).get('reel.mp4') as Buffer }];
  return [{ name: 'photo.jpg', bytes: await photo(1080, 1350) }];
}

/** What the composer answers for a local date and time in a zone (schedule action). */
async function compose(s: Stage, slot: Slot) {
  const type = slot.type ?? 'feed';
  return submit(s, '/compose', { fields: { type, caption: slot.caption, date: slot.date, time: slot.time, timeZone: slot.zone, action: 'schedule' }, files: await filesFor(type) });
}

/** Schedules through the composer at a local time in a zone, as the owner types it; returns the post id. */
async function scheduleAt(s: Stage, slot: Slot): Promise<number> {
  const type = slot.type ?? 'feed';
  const res = await compose(s, slot);
  expect(res.status, res.text.slice(0, 2000)).to.equal(303);
  const id = postIdFrom(res.headers['location']);
  await s.t.services.mediaWorker.idle();
  if (post(s, id).state !== 'scheduled') {
    // A video still being prepared at the first save: schedule again once it is ready.
    const positions = Object.fromEntries(s.t.services.posts.repo.mediaOf(id).map((m) => [`pos_${m.id}`, String(m.position + 1)]));
    const again = await submit(s, `/posts/${id}`, { fields: { type, caption: slot.caption, date: slot.date, time: slot.time, timeZone: slot.zone, action: 'schedule', ...positions } });
    expect(again.status, again.text.slice(0, 2000)).to.equal(303);
  }
  expect(post(s, id).state).to.equal('scheduled');
  return id;
}

/** Sets the clock and lets the engine work on whatever is due. */
async function at(s: Stage, ms: number): Promise<void> {
  s.t.clock.set(ms);
  await s.t.services.engine.runDue();
}

/**
 * Checks at the current instant that no post has fired before its time: every claim happened at or
 * after the post was due (by the clock of that moment), and a post never claimed is still scheduled
 * with nothing on Instagram. After a jump back the clock may read earlier than a published post.
 */
function expectNoneEarly(s: Stage, ids: number[]): void {
  const now = new Date(s.t.clock.now()).toISOString();
  for (const id of ids) {
    const row = post(s, id);
    const due = row.scheduledAt as number;
    const claims = s.t.services.posts.repo.eventsOf(id).filter((e) => e.step === 'claimed');
    for (const claim of claims) expect(claim.at, `post ${id} claimed at ${new Date(claim.at).toISOString()}, due ${new Date(due).toISOString()}`).to.be.at.least(due);
    if (claims.length === 0) {
      expect(row.state, `post ${id} at ${now} (due ${new Date(due).toISOString()})`).to.equal('scheduled');
      expect(simMediaWithCaption(s, row.caption), `post ${id} on Instagram before its time`).to.equal(0);
    }
  }
}

/** Steps the clock a minute at a time from `from` to `to` (inclusive), running the engine and checking nothing is early. */
async function walk(s: Stage, from: number, to: number, ids: number[]): Promise<void> {
  for (let t = from; t <= to; t += MINUTE) {
    await at(s, t);
    expectNoneEarly(s, ids);
  }
}

/** Published exactly once, never before it was due; every 'claimed' says how late it was (≥ 0). */
function expectPublishedOnce(s: Stage, id: number, firedAt?: number): void {
  const row = post(s, id);
  const log = steps(s, id);
  expect(row.state, `post ${id}: ${log.join(' → ')}`).to.equal('published');
  expect(simMediaWithCaption(s, row.caption), `"${row.caption}" on Instagram`).to.equal(1);
  expect(log.filter((x) => x === 'published'), `post ${id} published events`).to.have.length(1);
  const claims = s.t.services.posts.repo.eventsOf(id).filter((e) => e.step === 'claimed');
  expect(claims, `post ${id} claimed events`).to.have.length(1);
  for (const claim of claims) {
    expect(Number(claim.detail.lateMs), 'lateMs').to.be.at.least(0);
    expect(claim.at).to.be.at.least(row.scheduledAt as number);
    expect(Number(claim.detail.lateMs)).to.equal(claim.at - (row.scheduledAt as number));
  }
  expect(row.publishedAt as number).to.be.at.least(row.scheduledAt as number);
  const media = [...(s.live.t.simulator?.state.media.values() ?? [])].find((m) => m.caption === row.caption);
  expect(media?.timestamp as number, 'Instagram timestamp').to.be.at.least(row.scheduledAt as number);
  if (firedAt !== undefined) expect(new Date(row.publishedAt as number).toISOString(), `post ${id} fired at`).to.equal(new Date(firedAt).toISOString());
}

describe('publishing and the clock (manual clock, simulator)', function () {
  this.timeout(120_000);
  let s: Stage | undefined;
  afterEach(async () => {
    await s?.live.close();
    s = undefined;
  });

  it('posts fire no earlier than due: one millisecond before, nothing; at the instant, published once', async () => {
    const start = Date.UTC(2026, 4, 4, 9, 0);
    s = await stageAt(start);
    const ids = [await scheduleAt(s, { date: '2026-05-04', time: '09:07', zone: 'UTC', caption: 'At 09:07' }), await scheduleAt(s, { date: '2026-05-04', time: '11:08', zone: BERLIN, caption: 'At 11:08 Berlin' })];
    const dues = ids.map((id) => post(s as Stage, id).scheduledAt as number);
    expect(dues).to.deep.equal([Date.UTC(2026, 4, 4, 9, 7), Date.UTC(2026, 4, 4, 9, 8)]);
    // Every 15 s, plus one millisecond before each post is due, in order.
    const instants = [...Array.from({ length: 41 }, (_, i) => start + i * 15 * SECOND), ...dues.map((d) => d - 1)].sort((a, b) => a - b);
    for (const t of instants) {
      await at(s, t);
      expectNoneEarly(s, ids);
    }
    for (const [i, id] of ids.entries()) expectPublishedOnce(s, id, dues[i]);
  });

  it('DST forward in Berlin (2026-03-29, 02:00 → 03:00): each post fires at its UTC instant, once; 02:30 is refused as a time that does not exist', async () => {
    s = await stageAt(Date.UTC(2026, 2, 28, 23, 50));
    const slots: Array<[Slot, number]> = [
      [{ date: '2026-03-29', time: '01:30', zone: BERLIN, caption: 'Berlin 01:30 CET' }, Date.UTC(2026, 2, 29, 0, 30)],
      [{ date: '2026-03-29', time: '01:59', zone: BERLIN, caption: 'Berlin 01:59 CET' }, Date.UTC(2026, 2, 29, 0, 59)],
      [{ date: '2026-03-29', time: '03:00', zone: BERLIN, caption: 'Berlin 03:00 CEST' }, Date.UTC(2026, 2, 29, 1, 0)],
      [{ date: '2026-03-29', time: '03:30', zone: BERLIN, caption: 'Berlin 03:30 CEST' }, Date.UTC(2026, 2, 29, 1, 30)],
      [{ date: '2026-03-29', time: '01:15', zone: 'UTC', caption: 'UTC 01:15 (Berlin 03:15 CEST)' }, Date.UTC(2026, 2, 29, 1, 15)],
    ];
    const ids: number[] = [];
    for (const [slot, utc] of slots) {
      const id = await scheduleAt(s, slot);
      expect(new Date(post(s, id).scheduledAt as number).toISOString(), slot.caption).to.equal(new Date(utc).toISOString());
      ids.push(id);
    }
    const gap = await compose(s, { date: '2026-03-29', time: '02:30', zone: BERLIN, caption: 'In the gap' });
    expect(gap.status).to.equal(422);
    expect(cheerio.load(gap.text)('main').text()).to.contain(en('content.error.dstGap', { date: '2026-03-29', time: '02:30', zone: BERLIN, after: '03:30' }));
    await walk(s, Date.UTC(2026, 2, 28, 23, 50), Date.UTC(2026, 2, 29, 1, 45), ids);
    for (const [i, id] of ids.entries()) expectPublishedOnce(s, id, slots[i]?.[1]);
    expect(simMediaWithCaption(s, 'In the gap')).to.equal(0);
  });

  it('DST back in Berlin (2026-10-25, 03:00 → 02:00): posts before, in and after the repeated hour fire once each, at their UTC instant; 02:15 means the first 02:15', async () => {
    s = await stageAt(Date.UTC(2026, 9, 24, 23, 30));
    const slots: Array<[Slot, number]> = [
      [{ date: '2026-10-25', time: '01:45', zone: BERLIN, caption: 'Berlin 01:45 CEST' }, Date.UTC(2026, 9, 24, 23, 45)],
      [{ date: '2026-10-25', time: '02:15', zone: BERLIN, caption: 'Berlin 02:15, the first' }, Date.UTC(2026, 9, 25, 0, 15)],
      [{ date: '2026-10-25', time: '01:15', zone: 'UTC', caption: 'Berlin 02:15, the second (UTC 01:15)' }, Date.UTC(2026, 9, 25, 1, 15)],
      [{ date: '2026-10-25', time: '02:59', zone: BERLIN, caption: 'Berlin 02:59, the first' }, Date.UTC(2026, 9, 25, 0, 59)],
      [{ date: '2026-10-25', time: '03:00', zone: BERLIN, caption: 'Berlin 03:00 CET' }, Date.UTC(2026, 9, 25, 2, 0)],
    ];
    const ids: number[] = [];
    for (const [slot, utc] of slots) {
      const id = await scheduleAt(s, slot);
      expect(new Date(post(s, id).scheduledAt as number).toISOString(), slot.caption).to.equal(new Date(utc).toISOString());
      ids.push(id);
    }
    await walk(s, Date.UTC(2026, 9, 24, 23, 30), Date.UTC(2026, 9, 25, 2, 10), ids);
    for (const [i, id] of ids.entries()) expectPublishedOnce(s, id, slots[i]?.[1]);
  });

  it('a jump forward of 2 h publishes the posts in the skipped window once (less late than the 6 h limit), an in-flight reel once, and later posts on time', async () => {
    const start = Date.UTC(2026, 5, 1, 10, 0);
    s = await stageAt(start);
    const skipped = [
      await scheduleAt(s, { date: '2026-06-01', time: '10:30', zone: 'UTC', caption: 'Skipped 10:30' }),
      await scheduleAt(s, { date: '2026-06-01', time: '13:00', zone: BERLIN, caption: 'Skipped 11:00 UTC' }),
      await scheduleAt(s, { date: '2026-06-01', time: '12:04', zone: 'UTC', caption: 'Skipped 12:04' }),
    ];
    const reel = await scheduleAt(s, { date: '2026-06-01', time: '10:05', zone: 'UTC', caption: 'Reel in flight', type: 'reel' });
    const later = await scheduleAt(s, { date: '2026-06-01', time: '12:30', zone: 'UTC', caption: 'After the jump 12:30' });
    const all = [...skipped, reel, later];
    await walk(s, start, start + 5 * MINUTE, all);
    expect(post(s, reel).state, 'the reel waits for its container').to.equal('container_created');
    // The clock jumps two hours (NTP correction, VM resumed).
    await at(s, start + 2 * HOUR + 5 * MINUTE);
    for (const id of skipped) {
      expectPublishedOnce(s, id, start + 2 * HOUR + 5 * MINUTE);
      expect(post(s, id).heldReason).to.equal(null);
    }
    expect(post(s, later).state).to.equal('scheduled');
    await walk(s, start + 2 * HOUR + 6 * MINUTE, start + 2 * HOUR + 40 * MINUTE, all);
    expectPublishedOnce(s, reel);
    expect(post(s, reel).reasonKey, 'the jump is not mistaken for slow processing').to.equal(null);
    expectPublishedOnce(s, later, Date.UTC(2026, 5, 1, 12, 30));
  });

  it('a jump back of 1 h after publishing publishes nothing again; posts due in the repeated hour fire once, and an in-flight reel once', async () => {
    const start = Date.UTC(2026, 5, 2, 10, 0);
    s = await stageAt(start);
    const early = await scheduleAt(s, { date: '2026-06-02', time: '10:10', zone: 'UTC', caption: 'Before the jump 10:10' });
    const reel = await scheduleAt(s, { date: '2026-06-02', time: '10:29', zone: 'UTC', caption: 'Reel at the jump', type: 'reel' });
    const late = await scheduleAt(s, { date: '2026-06-02', time: '12:50', zone: BERLIN, caption: 'After both 10:50 UTC' });
    const ids = [early, reel, late];
    await walk(s, start, start + 29 * MINUTE, ids);
    expectPublishedOnce(s, early, Date.UTC(2026, 5, 2, 10, 10));
    expect(post(s, reel).state, 'the reel waits for its container').to.equal('container_created');
    // The clock goes back an hour; the owner schedules a post into the hour that now repeats.
    await at(s, start - 31 * MINUTE);
    const repeated = await scheduleAt(s, { date: '2026-06-02', time: '10:05', zone: 'UTC', caption: 'In the repeated hour 10:05' });
    ids.push(repeated);
    const sim = s.live.t.simulator;
    const requests = sim?.state.counters.requests;
    await walk(s, start - 31 * MINUTE, start + 4 * MINUTE, ids);
    expect(sim?.state.counters.requests, 'no Graph call while the clock replays the hour before anything is due').to.equal(requests);
    await walk(s, start + 5 * MINUTE, start + 60 * MINUTE, ids);
    expectPublishedOnce(s, early, Date.UTC(2026, 5, 2, 10, 10));
    expectPublishedOnce(s, repeated, Date.UTC(2026, 5, 2, 10, 5));
    expectPublishedOnce(s, reel);
    expectPublishedOnce(s, late, Date.UTC(2026, 5, 2, 10, 50));
  });
});
