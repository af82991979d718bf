// Planning pages: the calendar (month and week), the queue with its filters, captions shown
// safely everywhere, and hashtag sets with the composer's Insert button.
// The clock stands at 2026-01-15T12:00Z (a Thursday); the user's zone is UTC unless a test sets it.
import { expect } from 'chai';
import type { CheerioAPI } from 'cheerio';
import type { PostState } from '../../../src/db/schema.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { photo, postIdFrom, studio, submit, type Studio } from '../../support/content.js';
import { createAccount } from '../../support/factories.js';
import { $ } from '../../support/http.js';

describe('planning: calendar, queue and hashtag sets', function () {
  this.timeout(30_000);
  let t: TestApp;
  let s: Studio;

  beforeEach(async () => {
    t = createTestApp();
    s = await studio(t);
  });
  afterEach(() => t.close());

  /** A draft through the composer (with a date when given, so it shows on the calendar). */
  async function draft(fields: Record<string, string> = {}): Promise<number> {
    const res = await submit(s, '/compose', { fields: { type: 'feed', caption: 'Draft', action: 'draft', ...fields } });
    expect(res.status, 'draft').to.equal(303);
    return postIdFrom(res.headers['location']);
  }

  async function scheduled(date: string, time: string, fields: Record<string, string> = {}): Promise<number> {
    const res = await submit(s, '/compose', {
      fields: { type: 'feed', caption: 'Planned', date, time, timeZone: 'UTC', action: 'schedule', ...fields },
      files: [{ name: 'a.jpg', bytes: await photo(1080, 1080) }],
    });
    expect(res.status, 'schedule').to.equal(303);
    return postIdFrom(res.headers['location']);
  }

  /** The engine does not exist yet: its states are set directly. */
  const setState = (id: number, state: PostState) => t.services.posts.repo.updatePost(id, { state });

  const page = async (url: string): Promise<CheerioAPI> => {
    const res = await s.agent.get(url);
    expect(res.status, url).to.equal(200);
    return $(res.text);
  };
  const queueIds = (q: CheerioAPI): number[] =>
    q('.post-row__title a')
      .map((_, el) => Number(/\/posts\/(\d+)$/.exec(q(el).attr('href') ?? '')?.[1]))
      .get()
      .sort((a: number, b: number) => a - b);
  const calendarDates = (c: CheerioAPI): string[] => c('td[data-date]').map((_, el) => c(el).attr('data-date') ?? '').get();

  describe('calendar', () => {
    it('GET /calendar shows this month by default: January 2026 from Monday 29 December to Sunday 1 February, today marked', async () => {
      const c = await page('/calendar');
      expect(c('table.calendar--month').length).to.equal(1);
      expect(c('.calendar-bar__title').text().trim()).to.equal('January 2026');
      const dates = calendarDates(c);
      expect(dates).to.have.length(35);
      expect([dates[0], dates[34]]).to.deep.equal(['2025-12-29', '2026-02-01']);
      expect(c('td.calendar__day--today').attr('data-date')).to.equal('2026-01-15');
      expect(c('td.calendar__day--outside').map((_, el) => c(el).attr('data-date')).get()).to.deep.equal(['2025-12-29', '2025-12-30', '2025-12-31', '2026-02-01']);
      expect(c('p.muted').first().text()).to.equal('Times in UTC.');
    });

    it('the month\'s previous and next links lead to December 2025 and February 2026, and following them works', async () => {
      const c = await page('/calendar');
      const previous = c('a[rel="prev"]').attr('href') ?? '';
      const next = c('a[rel="next"]').attr('href') ?? '';
      expect(previous).to.equal(`/calendar?view=month&date=2025-12-01&account=${s.accountId}`);
      expect(next).to.equal(`/calendar?view=month&date=2026-02-01&account=${s.accountId}`);
      expect((await page(previous))('.calendar-bar__title').text().trim()).to.equal('December 2025');
      const february = await page(next);
      expect(february('.calendar-bar__title').text().trim()).to.equal('February 2026');
      // 1 February 2026 is a Sunday: the grid runs from Monday 26 January to Sunday 1 March.
      const dates = calendarDates(february);
      expect([dates.length, dates[0], dates[dates.length - 1]]).to.deep.equal([35, '2026-01-26', '2026-03-01']);
    });

    it('?view=week shows the seven days from Monday, with previous and next weeks', async () => {
      const c = await page('/calendar?view=week&date=2026-01-15');
      expect(c('table.calendar--week').length).to.equal(1);
      expect(calendarDates(c)).to.deep.equal(['2026-01-12', '2026-01-13', '2026-01-14', '2026-01-15', '2026-01-16', '2026-01-17', '2026-01-18']);
      expect(c('.calendar-bar__title').text().trim()).to.equal('Week of January 12, 2026');
      expect(c('a[rel="prev"]').attr('href')).to.equal(`/calendar?view=week&date=2026-01-05&account=${s.accountId}`);
      expect(c('a[rel="next"]').attr('href')).to.equal(`/calendar?view=week&date=2026-01-19&account=${s.accountId}`);
      expect(c('.calendar-bar__views a[aria-current="page"]').text().trim()).to.equal('Week');
    });

    it('a week that crosses into a new year is one week: 2025-12-29 to 2026-01-04', async () => {
      const c = await page('/calendar?view=week&date=2026-01-01');
      expect(calendarDates(c)).to.deep.equal(['2025-12-29', '2025-12-30', '2025-12-31', '2026-01-01', '2026-01-02', '2026-01-03', '2026-01-04']);
    });

    it('?date= that is not a real date falls back to today, and is never echoed into the page', async () => {
      for (const garbage of ['garbage', '2026-02-30', '2026-13-01', '20260115', '<script>alert(1)</script>', '']) {
        const res = await s.agent.get('/calendar').query({ date: garbage });
        expect(res.status, garbage).to.equal(200);
        const c = $(res.text);
        expect(c('.calendar-bar__title').text().trim(), garbage).to.equal('January 2026');
        expect(c('td.calendar__day--today').attr('data-date'), garbage).to.equal('2026-01-15');
        if (garbage) expect(res.text, garbage).to.not.contain(garbage);
      }
      const week = await page('/calendar?view=week&date=nonsense');
      expect(calendarDates(week)[0]).to.equal('2026-01-12');
    });

    it('an empty month says nothing is planned and offers "Compose your first post"', async () => {
      const c = await page('/calendar');
      expect(c('.calendar-empty').text()).to.contain('Nothing is planned in this period.');
      const link = c('.calendar-empty a');
      expect(link.text().trim()).to.equal('Compose your first post');
      expect(link.attr('href')).to.equal('/compose');
    });

    it('posts show on their day with their time, type and status in words; the month with a post has no empty notice', async () => {
      const id = await scheduled('2026-01-20', '10:30');
      const dated = await draft({ date: '2026-01-22', time: '08:00', timeZone: 'UTC' });
      await draft({ caption: 'No date yet' });
      const c = await page('/calendar');
      expect(c('.calendar-empty').length).to.equal(0);
      const chip = c(`td[data-date="2026-01-20"] li[data-post-id="${id}"]`);
      expect(chip.find('.chip__time').text()).to.equal('10:30');
      expect(chip.find('.chip__type').text()).to.equal('Photo');
      expect(chip.find('.chip__state').text()).to.equal('Scheduled');
      expect(chip.find('a').attr('href')).to.equal(`/posts/${id}`);
      expect(c(`td[data-date="2026-01-22"] li[data-post-id="${dated}"] .chip__state`).text()).to.equal('Draft');
      expect(c('.calendar__posts li').length).to.equal(2);
      // February has none of them.
      const february = await page('/calendar?date=2026-02-10');
      expect(february('.calendar-empty').text()).to.contain('Compose your first post');
    });

    it('the week view shows a thumbnail and the caption; the month view shows neither', async () => {
      const id = await scheduled('2026-01-15', '18:00', { caption: 'Sourdough Thursday' });
      const week = await page('/calendar?view=week&date=2026-01-15');
      const chip = week(`li[data-post-id="${id}"]`);
      expect(chip.find('.chip__caption').text()).to.equal('Sourdough Thursday');
      expect(chip.find('img').attr('src')).to.match(new RegExp(`^/posts/${id}/media/\\d+/output$`));
      const month = await page('/calendar');
      expect(month(`li[data-post-id="${id}"] .chip__caption`).length).to.equal(0);
      expect(month(`li[data-post-id="${id}"] img`).length).to.equal(0);
    });
  });

  describe('queue', () => {
    it('?state= shows only drafts, scheduled, cancelled, publishing-now posts, or all of them', async () => {
      const undated = await draft();
      const planned = await scheduled('2026-01-20', '10:00');
      const cancelled = await scheduled('2026-01-21', '10:00');
      await s.agent.post(`/posts/${cancelled}/cancel`).type('form').send({ _csrf: s.csrf });
      const claimed = await draft();
      setState(claimed, 'claimed');
      const publishing = await draft();
      setState(publishing, 'publishing');
      const published = await draft();
      setState(published, 'published');

      expect(queueIds(await page('/queue?state=draft'))).to.deep.equal([undated]);
      expect(queueIds(await page('/queue?state=scheduled'))).to.deep.equal([planned]);
      expect(queueIds(await page('/queue?state=cancelled'))).to.deep.equal([cancelled]);
      expect(queueIds(await page('/queue?state=in_flight'))).to.deep.equal([claimed, publishing]);
      expect(queueIds(await page('/queue?state=published'))).to.deep.equal([published]);
      expect(queueIds(await page('/queue?state=all'))).to.deep.equal([undated, planned, cancelled, claimed, publishing, published]);
      expect(queueIds(await page('/queue'))).to.deep.equal([undated, planned, cancelled, claimed, publishing, published]);
      // An unknown filter is "all", and the select says which filter is on.
      expect(queueIds(await page('/queue?state=bogus'))).to.have.length(6);
      const q = await page('/queue?state=in_flight');
      expect(q('#filter-state option[selected]').val()).to.equal('in_flight');
    });

    it('a filter that matches nothing says so', async () => {
      await draft();
      const q = await page('/queue?state=failed');
      expect(q('.post-row').length).to.equal(0);
      expect(q('.empty-state').text()).to.contain('No posts match this filter.');
    });

    it('every status is shown in words, not only as a colour', async () => {
      const words: Record<PostState, string> = {
        draft: 'Draft',
        scheduled: 'Scheduled',
        cancelled: 'Cancelled',
        claimed: 'Publishing',
        container_created: 'Publishing',
        ready: 'Publishing',
        publishing: 'Publishing',
        published: 'Published',
        failed: 'Failed',
        held: 'Held',
        needs_attention: 'Needs attention',
      };
      const ids = new Map<number, PostState>();
      for (const state of Object.keys(words) as PostState[]) {
        const id = await draft({ caption: `State ${state}` });
        setState(id, state);
        ids.set(id, state);
      }
      const q = await page('/queue?state=all');
      for (const [id, state] of ids) {
        const row = q(`.post-row:has(a[href="/posts/${id}"])`).first();
        const label = row.find(`.state.state--${state}`);
        expect(label.length, state).to.equal(1);
        expect(label.text().trim(), state).to.equal(words[state]);
      }
    });

    it('?account= shows one account\'s posts or all of them; without it, the account the switcher shows', async () => {
      const other = createAccount(t, { username: 'aaa_nan_bakery' }); // sorts first, so the switcher starts on it
      const mine = await draft({ caption: 'Mine' });
      const theirs = await draft({ caption: 'Theirs', accountId: String(other.id) });
      expect(queueIds(await page(`/queue?account=${s.accountId}`))).to.deep.equal([mine]);
      expect(queueIds(await page(`/queue?account=${other.id}`))).to.deep.equal([theirs]);
      expect(queueIds(await page('/queue?account=all'))).to.deep.equal([mine, theirs]);
      expect(queueIds(await page('/queue'))).to.deep.equal([theirs]);
      const q = await page('/queue?account=all');
      expect(q('#filter-account option').map((_, el) => q(el).text()).get()).to.deep.equal(['All accounts', '@aaa_nan_bakery', `@${t.services.accounts.repo.findById(s.accountId)?.username}`]);
      expect(q('.post-row .muted.small').first().text()).to.match(/^@/);
      await s.agent.post('/accounts/select').type('form').send({ _csrf: s.csrf, accountId: String(s.accountId), returnTo: '/queue' });
      expect(queueIds(await page('/queue'))).to.deep.equal([mine]);
      // An id that is not an account falls back to all, rather than to an empty page.
      expect(queueIds(await page('/queue?account=999999'))).to.deep.equal([mine, theirs]);
    });

    it('the calendar filters by account the same way', async () => {
      const other = createAccount(t, { username: 'zz_other' });
      const mine = await scheduled('2026-01-20', '10:00');
      const theirs = await scheduled('2026-01-20', '11:00', { accountId: String(other.id) });
      const ids = (c: CheerioAPI) => c('li[data-post-id]').map((_, el) => Number(c(el).attr('data-post-id'))).get();
      expect(ids(await page(`/calendar?account=${other.id}`))).to.deep.equal([theirs]);
      expect(ids(await page('/calendar?account=all'))).to.deep.equal([mine, theirs]);
      expect((await page('/calendar?account=all'))('a[rel="next"]').attr('href')).to.equal('/calendar?view=month&date=2026-02-01&account=all');
    });
  });

  describe('captions are shown as text, never as markup', () => {
    const caption = '<script>alert("x")</script> <b>bold</b> & "quoted"';

    /** No element the caption could have made, and the raw tags nowhere in the HTML. */
    function inert(html: string): void {
      expect(html).to.not.contain('<script>alert');
      expect(html).to.not.contain('<b>bold</b>');
      const p = $(html);
      expect(p('script').filter((_, el) => p(el).text().includes('alert')).length).to.equal(0);
      expect(p('main b').length).to.equal(0);
    }

    it('on the composer (the caption field and the preview)', async () => {
      const id = await scheduled('2026-01-15', '18:00', { caption });
      const res = await s.agent.get(`/posts/${id}`);
      inert(res.text);
      const p = $(res.text);
      expect(p('#compose-caption').text()).to.equal(caption);
      expect(p('.preview__caption').text()).to.contain(caption);
    });

    it('on the composer re-rendered after a refused submit', async () => {
      const res = await submit(s, '/compose', { fields: { type: 'feed', caption, date: '2026-01-01', time: '10:00', timeZone: 'UTC', action: 'schedule' } });
      expect(res.status).to.equal(422);
      inert(res.text);
      expect($(res.text)('#compose-caption').text()).to.equal(caption);
    });

    it('on the queue', async () => {
      await scheduled('2026-01-15', '18:00', { caption });
      const res = await s.agent.get('/queue');
      inert(res.text);
      const p = $(res.text);
      expect(p('.post-row__caption').text()).to.equal(caption);
      expect(p('.post-row__caption').children().length).to.equal(0);
    });

    it('on the calendar\'s week view', async () => {
      await scheduled('2026-01-15', '18:00', { caption });
      const res = await s.agent.get('/calendar?view=week&date=2026-01-15');
      inert(res.text);
      const p = $(res.text);
      expect(p('.chip__caption').text()).to.equal(caption);
      expect(p('.chip__caption').children().length).to.equal(0);
    });
  });

  describe('hashtag sets', () => {
    const createSet = (name: string, tags: string) => s.agent.post('/hashtags').type('form').send({ _csrf: s.csrf, name, tags });

    it('POST /hashtags saves a set with its tags normalised: "coffee, #latte" becomes "#coffee #latte"', async () => {
      const res = await createSet('Coffee', 'coffee, #latte');
      expect(res.status).to.equal(303);
      expect(res.headers['location']).to.equal('/hashtags');
      expect(t.services.hashtags.list().map((set) => [set.name, set.tags])).to.deep.equal([['Coffee', '#coffee #latte']]);
      const p = await page('/hashtags');
      const row = p('.plain-list__row');
      expect(row.find('strong').text()).to.equal('Coffee');
      expect(row.find('p').text()).to.equal('#coffee #latte');
      expect(p('.flashes').text()).to.contain('The set was saved.');
    });

    it('bad input re-renders the form (422) with what was typed and a message per field, and saves nothing', async () => {
      const res = await createSet('Morning', 'coffee, not-a-tag!');
      expect(res.status).to.equal(422);
      const p = $(res.text);
      expect(p('input[name="name"]').val()).to.equal('Morning');
      expect(p('textarea[name="tags"]').text()).to.equal('coffee, not-a-tag!');
      expect(p('#field-tags-error').text()).to.equal('Use words made of letters, digits and underscores, such as #coffee or latte.');
      const empty = await createSet('', '#coffee');
      expect(empty.status).to.equal(422);
      expect($(empty.text)('#field-name-error').text()).to.equal('Please fill in this field.');
      expect($(empty.text)('textarea[name="tags"]').text()).to.equal('#coffee');
      const many = await createSet('Too many', Array.from({ length: 31 }, (_, i) => `tag${i}`).join(' '));
      expect(many.status).to.equal(422);
      expect($(many.text)('#field-tags-error').text()).to.equal('A caption can carry at most 30 hashtags, so a set can too.');
      expect(t.services.hashtags.list()).to.deep.equal([]);
    });

    it('a set name with markup is shown as text on the hashtags page and in the composer', async () => {
      await createSet('<b>Bold</b> set', 'coffee');
      const list = await s.agent.get('/hashtags');
      expect(list.text).to.not.contain('<b>Bold</b>');
      expect($(list.text)('.plain-list__row strong').text()).to.equal('<b>Bold</b> set');
      const compose = await s.agent.get('/compose');
      expect(compose.text).to.not.contain('<b>Bold</b>');
      expect($(compose.text)('#compose-set option').text()).to.equal('<b>Bold</b> set (1)');
    });

    it('the composer\'s Insert button appends the chosen set to the caption and saves the draft', async () => {
      await createSet('Coffee', 'coffee, #latte');
      const set = t.services.hashtags.list()[0];
      const compose = await page('/compose');
      expect(compose('#compose-set option').map((_, el) => compose(el).val()).get()).to.deep.equal([String(set?.id)]);
      expect(compose('button[name="action"][value="insert"]').text()).to.equal('Insert');
      const res = await submit(s, '/compose', { fields: { type: 'feed', caption: 'Morning bake  ', action: 'insert', insertSet: String(set?.id) } });
      expect(res.status).to.equal(303);
      const id = postIdFrom(res.headers['location']);
      expect(t.services.posts.get(id)).to.include({ caption: 'Morning bake\n\n#coffee #latte', state: 'draft' });
      expect((await page(`/posts/${id}`))('#compose-caption').text()).to.equal('Morning bake\n\n#coffee #latte');
      // Into an empty caption the set goes alone, without leading blank lines.
      const alone = await submit(s, '/compose', { fields: { type: 'feed', caption: '', action: 'insert', insertSet: String(set?.id) } });
      expect(t.services.posts.get(postIdFrom(alone.headers['location'])).caption).to.equal('#coffee #latte');
    });

    it('POST /hashtags/:id/remove deletes the set', async () => {
      await createSet('Coffee', 'coffee');
      await createSet('Tea', 'tea');
      const [coffee, tea] = t.services.hashtags.list();
      const res = await s.agent.post(`/hashtags/${coffee?.id}/remove`).type('form').send({ _csrf: s.csrf });
      expect(res.status).to.equal(303);
      expect(t.services.hashtags.list().map((set) => set.id)).to.deep.equal([tea?.id]);
      const p = await page('/hashtags');
      expect(p('.plain-list__row strong').map((_, el) => p(el).text()).get()).to.deep.equal(['Tea']);
      expect((await s.agent.post(`/hashtags/${coffee?.id}/remove`).type('form').send({ _csrf: s.csrf })).status).to.equal(404);
    });

    it('a viewer sees the sets but cannot create or remove them', async () => {
      await createSet('Coffee', 'coffee');
      const set = t.services.hashtags.list()[0];
      const viewer = await studio(t, 'viewer');
      const p = $((await viewer.agent.get('/hashtags')).text);
      expect(p('.plain-list__row strong').text()).to.equal('Coffee');
      expect(p('form[action="/hashtags"]').length).to.equal(0);
      expect((await viewer.agent.post('/hashtags').type('form').send({ _csrf: viewer.csrf, name: 'Mine', tags: 'x' })).status).to.equal(403);
      expect((await viewer.agent.post(`/hashtags/${set?.id}/remove`).type('form').send({ _csrf: viewer.csrf })).status).to.equal(403);
      expect(t.services.hashtags.list()).to.have.length(1);
    });
  });
});
