// Scheduling in the person's zone through the real forms: the DST gap and overlap, rescheduling
// across a DST change, the calendar in two zones, and the calendar's JSON reschedule call.
// The clock stands at 2026-01-15T12:00Z.
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/app.js';
import { photo, postIdFrom, studio, submit, type Studio } from '../../support/content.js';
import { $ } from '../../support/http.js';
import { canonicalZone } from '../../../src/time-zone.js';

const iso = (at: number | null | undefined): string | undefined => (typeof at === 'number' ? new Date(at).toISOString() : undefined);

describe('scheduling times across zones and DST', function () {
  this.timeout(30_000);
  let t: TestApp;
  let s: Studio;

  beforeEach(async () => {
    t = createTestApp();
    s = await studio(t);
  });
  afterEach(() => t.close());

  const postOf = (id: number) => t.services.posts.get(id);

  function schedule(date: string, time: string, timeZone: string, caption = 'Bread') {
    return photo(1080, 1080).then((bytes) =>
      submit(s, '/compose', { fields: { type: 'feed', caption, date, time, timeZone, action: 'schedule' }, files: [{ name: 'bread.jpg', bytes }] }),
    );
  }

  async function scheduled(date: string, time: string, timeZone: string, caption?: string): Promise<number> {
    const res = await schedule(date, time, timeZone, caption);
    expect(res.status, `schedule ${date} ${time} ${timeZone}`).to.equal(303);
    return postIdFrom(res.headers['location']);
  }

  async function useZone(timeZone: string): Promise<void> {
    const res = await s.agent.post('/settings/time-zone').type('form').send({ _csrf: s.csrf, timeZone });
    expect(res.status, `time zone ${timeZone}`).to.equal(303);
  }

  /** The chip of a post on the calendar week that contains `date`, with the day cell it sits in. */
  async function chipOn(date: string, postId: number): Promise<{ day: string | undefined; time: string; dataTime: string | undefined }> {
    const res = await s.agent.get(`/calendar?view=week&date=${date}`);
    expect(res.status).to.equal(200);
    const page = $(res.text);
    const chip = page(`li[data-post-id="${postId}"]`);
    expect(chip.length, `post ${postId} on the week of ${date}`).to.equal(1);
    return { day: chip.closest('td').attr('data-date'), time: chip.find('.chip__time').text(), dataTime: chip.attr('data-time') };
  }

  const daysBetween = (from: string | undefined, to: string) => Math.round((Date.parse(to) - Date.parse(from ?? '')) / 86_400_000);

  const reschedule = (id: number, fields: Record<string, string>) =>
    s.agent
      .post(`/posts/${id}/reschedule`)
      .type('form')
      .set('Accept', 'application/json')
      .send({ _csrf: s.csrf, ...fields });

  it('02:30 on the spring-forward night in Europe/Berlin is refused (422): the form says it does not exist and suggests 03:30, and the post stays a draft', async () => {
    const res = await schedule('2026-03-29', '02:30', 'Europe/Berlin');
    expect(res.status).to.equal(422);
    const page = $(res.text);
    expect(page('#problems').text()).to.contain('02:30 does not exist on 2026-03-29 in Europe/Berlin: the clocks jump forward that night. Choose another time, for example 03:30.');
    expect(page('#compose-date').val()).to.equal('2026-03-29');
    expect(page('#compose-time').val()).to.equal('02:30');
    expect(page('#compose-zone option[selected]').val()).to.equal('Europe/Berlin');
    const [post] = t.services.posts.repo.list({});
    expect(post).to.include({ state: 'draft', scheduledAt: null });
    // The photo was kept on the draft, so sending the form again does not upload it twice.
    expect(page('form[data-composer]').attr('action')).to.equal(`/posts/${post?.id}`);
    expect(t.services.posts.repo.mediaOf(post?.id as number)).to.have.length(1);
  });

  it('03:30 that night, the suggested time, is accepted as 01:30 UTC', async () => {
    const id = await scheduled('2026-03-29', '03:30', 'Europe/Berlin');
    expect(iso(postOf(id).scheduledAt)).to.equal('2026-03-29T01:30:00.000Z');
  });

  it('02:30 on the fall-back night is scheduled at the first 02:30 (00:30 UTC), and the next page says so naming both offsets', async () => {
    const res = await schedule('2026-10-25', '02:30', 'Europe/Berlin');
    expect(res.status).to.equal(303);
    const id = postIdFrom(res.headers['location']);
    expect(postOf(id)).to.include({ state: 'scheduled', timeZone: 'Europe/Berlin' });
    expect(iso(postOf(id).scheduledAt)).to.equal('2026-10-25T00:30:00.000Z');
    const next = $((await s.agent.get(`/posts/${id}`)).text);
    const notices = next('.flashes .alert').map((_, el) => next(el).text()).get();
    expect(notices).to.include('02:30 happens twice that night in Europe/Berlin (the clocks go back). Qanat uses the first one (UTC+02:00), not the second (UTC+01:00).');
    expect(notices).to.include('Scheduled. Qanat will publish it on time.');
    // The notice is said once, not on every later page.
    const again = $((await s.agent.get(`/posts/${id}`)).text);
    expect(again('.flashes').text()).to.not.contain('happens twice');
  });

  it('the same overlap in America/New_York (01:30 on 2026-11-01) names UTC−04:00 and UTC−05:00', async () => {
    const res = await schedule('2026-11-01', '01:30', 'America/New_York');
    const id = postIdFrom(res.headers['location']);
    expect(iso(postOf(id).scheduledAt)).to.equal('2026-11-01T05:30:00.000Z');
    const next = $((await s.agent.get(`/posts/${id}`)).text);
    expect(next('.flashes').text()).to.contain('Qanat uses the first one (UTC−04:00), not the second (UTC−05:00).');
  });

  it('an impossible date such as 2026-02-30 is refused with "Enter a valid date and time."', async () => {
    const res = await schedule('2026-02-30', '10:00', 'Europe/Berlin');
    expect(res.status).to.equal(422);
    expect($(res.text)('#problems').text()).to.contain('Enter a valid date and time.');
  });

  it('a post at 09:00 Europe/Berlin in January moved to a July date in the composer keeps 09:00 on the wall clock (07:00 UTC)', async () => {
    const id = await scheduled('2026-01-20', '09:00', 'Europe/Berlin');
    expect(iso(postOf(id).scheduledAt)).to.equal('2026-01-20T08:00:00.000Z');
    const form = $((await s.agent.get(`/posts/${id}`)).text);
    expect([form('#compose-date').val(), form('#compose-time').val(), form('#compose-zone option[selected]').val()]).to.deep.equal(['2026-01-20', '09:00', 'Europe/Berlin']);
    const res = await submit(s, `/posts/${id}`, { fields: { type: 'feed', caption: 'Bread', date: '2026-07-20', time: String(form('#compose-time').val()), timeZone: 'Europe/Berlin', action: 'schedule' } });
    expect(res.status).to.equal(303);
    expect(postOf(id)).to.include({ state: 'scheduled', timeZone: 'Europe/Berlin' });
    expect(iso(postOf(id).scheduledAt)).to.equal('2026-07-20T07:00:00.000Z');
  });

  it('POST /posts/:id/reschedule moves a 09:00 Europe/Berlin January post to July at 09:00 Berlin (07:00 UTC) and answers {ok: true} to JSON', async () => {
    const id = await scheduled('2026-01-20', '09:00', 'Europe/Berlin');
    const res = await reschedule(id, { date: '2026-07-20', time: '09:00', timeZone: 'Europe/Berlin' });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    expect(res.body).to.deep.equal({ ok: true, notices: [] });
    expect(postOf(id)).to.include({ state: 'scheduled', timeZone: 'Europe/Berlin' });
    expect(iso(postOf(id).scheduledAt)).to.equal('2026-07-20T07:00:00.000Z');
    expect(t.services.posts.repo.eventsOf(id).map((e) => e.step)).to.deep.equal(['created', 'scheduled', 'rescheduled']);
  });

  it('POST /posts/:id/reschedule to a time that has passed answers 422 {ok: false, message} to JSON and leaves the post where it was', async () => {
    const id = await scheduled('2026-01-20', '09:00', 'Europe/Berlin');
    const res = await reschedule(id, { date: '2026-01-10', time: '09:00', timeZone: 'Europe/Berlin' });
    expect(res.status).to.equal(422);
    expect(res.body).to.deep.equal({ ok: false, message: 'That time has already passed. Choose a time in the future, or use “Publish now”.' });
    expect(iso(postOf(id).scheduledAt)).to.equal('2026-01-20T08:00:00.000Z');
  });

  it('POST /posts/:id/reschedule into the spring gap answers 422 with the DST message', async () => {
    const id = await scheduled('2026-01-20', '09:00', 'Europe/Berlin');
    const res = await reschedule(id, { date: '2026-03-29', time: '02:30', timeZone: 'Europe/Berlin' });
    expect(res.status).to.equal(422);
    expect(res.body).to.deep.equal({ ok: false, message: '02:30 does not exist on 2026-03-29 in Europe/Berlin: the clocks jump forward that night. Choose another time, for example 03:30.' });
    expect(iso(postOf(id).scheduledAt)).to.equal('2026-01-20T08:00:00.000Z');
  });

  it('POST /posts/:id/reschedule from an HTML form redirects back with a flash instead of JSON', async () => {
    const id = await scheduled('2026-01-20', '09:00', 'Europe/Berlin');
    const res = await s.agent.post(`/posts/${id}/reschedule`).type('form').send({ _csrf: s.csrf, date: '2026-01-10', time: '09:00', timeZone: 'Europe/Berlin' });
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal(`/posts/${id}`);
    const page = $((await s.agent.get(`/posts/${id}`)).text);
    expect(page('.flashes').text()).to.contain('That time has already passed.');
  });

  it('the calendar of a Europe/Berlin user shows the post at 09:00 in January and, once moved, at 09:00 in July', async () => {
    await useZone('Europe/Berlin');
    const id = await scheduled('2026-01-20', '09:00', 'Europe/Berlin');
    expect(await chipOn('2026-01-20', id)).to.deep.equal({ day: '2026-01-20', time: '09:00', dataTime: '09:00' });
    await reschedule(id, { date: '2026-07-20', time: '09:00', timeZone: 'Europe/Berlin' });
    expect(await chipOn('2026-07-20', id)).to.deep.include({ day: '2026-07-20', time: '09:00' });
  });

  it('the calendar of an Asia/Almaty user shows the same post at 13:00 in January and 12:00 in July (Berlin changes its clocks, Almaty does not)', async () => {
    const id = await scheduled('2026-01-20', '09:00', 'Europe/Berlin');
    await useZone('Asia/Almaty');
    expect(await chipOn('2026-01-20', id)).to.deep.equal({ day: '2026-01-20', time: '13:00', dataTime: '13:00' });
    await reschedule(id, { date: '2026-07-20', time: '09:00', timeZone: 'Europe/Berlin' });
    expect(await chipOn('2026-07-20', id)).to.deep.include({ day: '2026-07-20', time: '12:00' });
  });

  it('a post at 23:30 in Berlin sits on the next day in the calendar of an Asia/Almaty user', async () => {
    const id = await scheduled('2026-01-20', '23:30', 'Europe/Berlin');
    await useZone('Asia/Almaty');
    expect(await chipOn('2026-01-21', id)).to.deep.include({ day: '2026-01-21', time: '03:30' });
  });

  it('POST /posts/:id/reschedule into the fall-back overlap takes the first 02:30 (00:30 UTC) and says so', async () => {
    const id = await scheduled('2026-01-20', '09:00', 'Europe/Berlin');
    const res = await reschedule(id, { date: '2026-10-25', time: '02:30', timeZone: 'Europe/Berlin' });
    expect(res.body).to.deep.equal({ ok: true, notices: ['02:30 happens twice that night in Europe/Berlin (the clocks go back). Qanat uses the first one (UTC+02:00), not the second (UTC+01:00).'] });
    expect(iso(postOf(id).scheduledAt)).to.equal('2026-10-25T00:30:00.000Z');
  });

  it('with TIME_ZONE=Asia/Kolkata (a valid IANA name), the composer preselects that zone, so the form as a browser sends it schedules in Kolkata, not in UTC', async () => {
    t.close();
    t = createTestApp({ TIME_ZONE: 'Asia/Kolkata' });
    s = await studio(t);
    const form = $((await s.agent.get('/compose')).text);
    const options = form('#compose-zone option');
    // A browser submits the selected option, or the first one when none is selected.
    const selected = form('#compose-zone option[selected]');
    const sent = String((selected.length > 0 ? selected : options.first()).val());
    // Node's ICU may spell it Asia/Calcutta (its canonical name); either way it is Kolkata's +05:30.
    expect(sent).to.equal(canonicalZone('Asia/Kolkata'));
    const id = await scheduled('2026-02-01', '10:00', sent);
    expect(iso(postOf(id).scheduledAt)).to.equal('2026-02-01T04:30:00.000Z');
  });

  it('dragging a 09:00 Europe/Berlin post to a July day on the calendar of a Europe/Berlin user keeps 09:00 Berlin (07:00 UTC)', async () => {
    await useZone('Europe/Berlin');
    const id = await scheduled('2026-01-20', '09:00', 'Europe/Berlin');
    const chip = await chipOn('2026-01-20', id);
    // What the calendar script sends on a drop: how many days from the chip's day to the target day.
    const res = await reschedule(id, { days: String(daysBetween(chip.day, '2026-07-20')) });
    expect(res.body).to.deep.equal({ ok: true, notices: [] });
    expect(iso(postOf(id).scheduledAt)).to.equal('2026-07-20T07:00:00.000Z');
  });

  it('dragging a 09:00 Europe/Berlin post to a July day on the calendar of an Asia/Almaty user keeps the post in Europe/Berlin at 09:00 (07:00 UTC)', async () => {
    const id = await scheduled('2026-01-20', '09:00', 'Europe/Berlin');
    await useZone('Asia/Almaty');
    const chip = await chipOn('2026-01-20', id);
    expect(chip.time).to.equal('13:00');
    const res = await reschedule(id, { days: String(daysBetween(chip.day, '2026-07-20')) });
    expect(res.body).to.deep.equal({ ok: true, notices: [] });
    expect(postOf(id).timeZone).to.equal('Europe/Berlin');
    expect(iso(postOf(id).scheduledAt)).to.equal('2026-07-20T07:00:00.000Z');
  });
});
