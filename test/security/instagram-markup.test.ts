// security.md row 16, for text Qanat READS FROM INSTAGRAM rather than from people's messages:
// media captions and permalinks, account usernames and names. The simulator's accounts and media
// are given markup before Qanat reads them (OAuth connect, then the sync-profiles, sync-inbox and
// insights jobs, as in production); afterwards every page that shows them — and every other HTML
// page of the route table — must hold no element or attribute from that text, and show it as text.
import { expect } from 'chai';
import type { CheerioAPI } from 'cheerio';
import { findJob } from '../../src/jobs/registry.js';
import { runJob } from '../../src/jobs/scheduler.js';
import { seedAdditionalAccount } from '../../src/sandbox/seed.js';
import type { Simulator } from '../../src/sandbox/simulator.js';
import { translatorFor } from '../../src/i18n/index.js';
import { connectAccount, signInLive, type Agent } from '../support/accounts.js';
import { startLiveApp, type LiveApp } from '../support/browser.js';
import { createUser } from '../support/factories.js';
import { $ } from '../support/http.js';

const en = translatorFor('en');

/**
 * Captions: each tries another way out (element, attribute quote, <option>, <textarea>, <title>,
 * an entity that must not be decoded twice). All but the first are at most 40 characters, so no
 * page's shortening (40, 50 or 60 characters) cuts them; the first is cut in the middle of a tag.
 */
const CAPTIONS = [
  '<script>alert(1)</script><img src=x onerror=alert(2)>',
  '<script>alert(1)</script>',
  '<img src=x onerror=alert(2)>',
  '"><svg onload=alert(3)>',
  '</option><img src=x onerror=alert(4)>',
  "'><iframe src=javascript:alert(5)>",
  '</textarea></title><b data-pwn=6>b</b>',
  '&lt;b data-pwn=7&gt;&amp;',
];
/** A permalink that passes the https:// check but tries to leave its href. */
const PERMALINK = 'https://www.instagram.com/p/x"><img src=x onerror=alert(8)>/';
const USERNAME_A = '"><img src=x onerror=alert(9)>';
const NAME_A = '<script>alert(10)</script>&amp;';
const USERNAME_B = "</option><b data-pwn=11>b</b>'";
const NAME_B = '<svg onload=alert(12)>';

/**
 * Nothing a browser would run or load because of Instagram's text: scripts only from our assets
 * and empty, no event-handler attributes, no javascript: URLs, no element a payload names.
 */
function assertInert(html: string, where: string): CheerioAPI {
  const page = $(html);
  const scripts = page('script').toArray();
  expect(scripts.length, `${where}: the app's own script`).to.be.greaterThan(0);
  for (const el of scripts) {
    expect(page(el).attr('src') ?? '(inline)', `${where}: script source`).to.match(/^\/assets\/[\w/.-]+\.js(\?|$)/);
    expect(page(el).text(), `${where}: script body`).to.equal('');
  }
  const elements = page('*')
    .toArray()
    .map((el) => ({ tag: String(page(el).prop('tagName')).toLowerCase(), attributes: page(el).attr() ?? {} }));
  const handlers = elements.flatMap((el) => Object.keys(el.attributes).filter((name) => /^on/i.test(name)).map((name) => `<${el.tag} ${name}>`));
  expect(handlers, `${where}: event-handler attributes`).to.deep.equal([]);
  const jsUrls = elements.flatMap((el) => Object.values(el.attributes).filter((value) => /^\s*javascript:/i.test(value)));
  expect(jsUrls, `${where}: javascript: URLs`).to.deep.equal([]);
  expect(page('img[src="x"]').length, `${where}: <img src=x>`).to.equal(0);
  expect(page('[data-pwn]').length, `${where}: an element from a payload`).to.equal(0);
  expect(page('iframe, svg, object, embed').length, `${where}: smuggled elements`).to.equal(0);
  return page;
}

/** The text a page shows for a caption: all of it, or its start (at least 20 characters) where the page shortens it. */
function isCaptionText(text: string): boolean {
  const start = text.replace(/…$/, '');
  return CAPTIONS.some((c) => c === text || (start.length >= 20 && c.startsWith(start)));
}

function textOf(page: CheerioAPI, selector: string): string {
  return page(selector).text().replace(/\s+/g, ' ').trim();
}

describe('text read from Instagram is escaped on every page (security row 16)', function () {
  this.timeout(180_000);
  let live: LiveApp;
  let sim: Simulator;
  let owner: Agent;
  let accountA: number;
  let accountB: number;
  let commentId: string;
  let mediaId: string;
  let conversationId: number;

  const get = async (url: string): Promise<string> => {
    const res = await owner.get(url);
    expect(res.status, `GET ${url}: ${res.text.slice(0, 300)}`).to.equal(200);
    return res.text;
  };
  /** The account switcher: pages show one account at a time. */
  const select = async (account: number): Promise<void> => {
    const token = $(await get('/settings'))('input[name="_csrf"]').first().attr('value') ?? '';
    const res = await owner.post('/accounts/select').type('form').send({ _csrf: token, accountId: String(account), returnTo: '/' });
    expect(res.status).to.equal(303);
  };
  const job = async (name: string): Promise<Record<string, number>> => {
    const found = findJob(name);
    if (!found) throw new Error(`no job ${name}`);
    const { config, db, cipher, clock, log, services } = live.t;
    return runJob(found, { config, db, cipher, clock, log, services });
  };

  before(async () => {
    live = await startLiveApp({ INSIGHTS_BACKFILL_DAYS: '14', SESSION_IDLE_MINUTES: '100000', SESSION_ABSOLUTE_HOURS: '10000' });
    const found = live.t.simulator;
    if (!found) throw new Error('the app runs without its simulator');
    sim = found;
    // Two Instagram accounts whose profile fields carry markup, so the switcher lists both.
    const a = sim.state.primaryAccount();
    a.username = USERNAME_A;
    a.name = NAME_A;
    const b = seedAdditionalAccount(sim.state, 7, USERNAME_B, NAME_B);
    // Every caption of both accounts is a payload; account A's permalinks try to leave their attribute.
    const media = [...sim.state.media.values()].filter((m) => m.productType !== 'STORY');
    media.forEach((m, i) => {
      m.caption = CAPTIONS[i % CAPTIONS.length] as string;
      if (m.igId === a.igId) m.permalink = PERMALINK;
    });
    const newest = sim.state.mediaOf(a.igId).find((m) => m.productType === 'FEED');
    if (!newest) throw new Error('no feed media');

    const user = await createUser(live.t, { username: 'aigerim', role: 'owner' });
    owner = await signInLive(live, user.username);
    accountA = await connectAccount(live, owner, { igId: a.igId });
    accountB = await connectAccount(live, owner, { igId: b.igId });

    for (const name of ['sync-profiles', 'sync-inbox', 'insights-daily', 'insights-audience']) {
      const counts = await job(name);
      expect(counts['failed'] ?? 0, `${name} failed: ${JSON.stringify(counts)}`).to.equal(0);
    }
    const stored = live.t.db.sqlite.prepare('SELECT username, name FROM accounts ORDER BY id').all() as Array<{ username: string; name: string | null }>;
    expect(stored, 'Qanat stored the profiles as Instagram sent them').to.deep.equal([
      { username: USERNAME_A, name: NAME_A },
      { username: USERNAME_B, name: NAME_B },
    ]);
    mediaId = newest.id;
    const comment = live.t.db.sqlite.prepare('SELECT ig_comment_id AS id FROM comments WHERE ig_media_id = ? ORDER BY id LIMIT 1').get(mediaId) as { id: string } | undefined;
    expect(comment, 'the sync read the newest post’s comments').to.not.equal(undefined);
    commentId = comment?.id as string;
    conversationId = (live.t.db.sqlite.prepare('SELECT id FROM conversations ORDER BY id LIMIT 1').get() as { id: number } | undefined)?.id ?? 0;
    expect(conversationId).to.be.greaterThan(0);
  });
  after(async () => {
    await live?.close();
  });

  it('the sync and insights jobs stored the captions and the permalink exactly as Instagram sent them', () => {
    const inbox = live.t.db.sqlite.prepare('SELECT caption, permalink FROM ig_media WHERE ig_media_id = ?').get(mediaId) as { caption: string; permalink: string } | undefined;
    expect(inbox?.permalink).to.equal(PERMALINK);
    expect(CAPTIONS).to.include(inbox?.caption);
    const insights = live.t.db.sqlite.prepare('SELECT DISTINCT caption FROM media_insights').all() as Array<{ caption: string }>;
    expect(insights.length, 'posts read by the insights job').to.be.greaterThan(0);
    for (const row of insights) expect(CAPTIONS).to.include(row.caption);
  });

  it('/analytics and /analytics/report list the top posts with their captions as text and the permalink inert', async () => {
    for (const account of [accountA, accountB]) {
      await select(account);
      for (const url of ['/analytics', '/analytics?range=90', '/analytics/report', '/analytics/report?range=90']) {
        const page = assertInert(await get(url), `${url} (account ${account})`);
        const shown = CAPTIONS.filter((c) => page('main').text().includes(c));
        expect(shown.length, `${url}: captions shown as text`).to.be.greaterThan(2);
        if (account !== accountA) continue;
        // Each top post links to its permalink: one href attribute, with the caption as the link text.
        const links = page('main a')
          .toArray()
          .filter((el) => page(el).attr('href') === PERMALINK);
        expect(links.length, `${url}: permalinks kept whole in their href`).to.be.greaterThan(0);
        for (const link of links) expect(isCaptionText(page(link).text()), `${url}: link text ${page(link).text()}`).to.equal(true);
      }
    }
  });

  it('/inbox/comments shows the captions as text in the thread headings and in the post filter, and on one post’s page as its heading', async () => {
    await select(accountA);
    const list = assertInert(await get('/inbox/comments'), '/inbox/comments');
    const options = list('#filter-media option').toArray().map((el) => list(el).text());
    expect(options.filter((o) => CAPTIONS.includes(o)).length, 'the post filter lists captions as text').to.be.greaterThan(2);
    const headings = list('.thread__post a').toArray().map((el) => list(el).text());
    expect(headings.length).to.be.greaterThan(0);
    for (const heading of headings) expect(isCaptionText(heading), `a thread heading: ${heading}`).to.equal(true);

    const onePost = assertInert(await get(`/inbox/comments?media=${mediaId}`), '/inbox/comments?media=');
    const caption = sim.state.media.get(mediaId)?.caption as string;
    expect(textOf(onePost, '.post-head p').startsWith(caption.replace(/\s+/g, ' ').trim()), 'the post heading').to.equal(true);
    expect(onePost('#filter-media option[selected]').text()).to.equal([...caption].slice(0, 40).join(''));
    expect(onePost('.post-head a[target="_blank"]').attr('href'), 'the permalink stays one attribute').to.equal(PERMALINK);
  });

  it('the comment thread, its delete confirmation and the conversation pages stay inert with captions and usernames', async () => {
    await select(accountA);
    const thread = assertInert(await get(`/inbox/comments/${commentId}`), `/inbox/comments/${commentId}`);
    expect(isCaptionText(thread('.thread__post a').first().text())).to.equal(true);
    assertInert(await get(`/inbox/comments/${commentId}/delete`), 'comment delete');
    assertInert(await get('/inbox/messages'), '/inbox/messages');
    assertInert(await get(`/inbox/messages/${conversationId}`), `/inbox/messages/${conversationId}`);
  });

  it('/accounts, /accounts/:id and the disconnect page show each @username and name as text', async () => {
    const list = assertInert(await get('/accounts'), '/accounts');
    expect(textOf(list, `#account-${accountA} .account__name a`)).to.equal(`@${USERNAME_A}`);
    expect(textOf(list, `#account-${accountB} .account__name a`)).to.equal(`@${USERNAME_B}`);
    expect(list('main').text()).to.contain(NAME_A).and.contain(NAME_B);
    for (const [id, username, name] of [
      [accountA, USERNAME_A, NAME_A],
      [accountB, USERNAME_B, NAME_B],
    ] as const) {
      const show = assertInert(await get(`/accounts/${id}`), `/accounts/${id}`);
      expect(textOf(show, 'main h1')).to.equal(`@${username}`);
      expect(show('main').text()).to.contain(name);
      const disconnect = assertInert(await get(`/accounts/${id}/disconnect`), `/accounts/${id}/disconnect`);
      expect(textOf(disconnect, 'main h1')).to.equal(en('accounts.disconnect.heading', { username }).replace(/\s+/g, ' ').trim());
    }
  });

  it('the account switcher on every page lists both @usernames as text, as its only options', async () => {
    for (const url of ['/', '/queue', '/inbox/comments', '/analytics', '/settings']) {
      const page = assertInert(await get(url), url);
      const options = page('#account-switch option').toArray().map((el) => page(el).text());
      expect(options, `${url}: the switcher`).to.deep.equal([`@${USERNAME_A}`, `@${USERNAME_B}`]);
    }
  });

  it('every HTML page of the route table, opened by the owner with real ids, stays inert', async () => {
    await select(accountA);
    const ids: Record<string, string> = { commentId, conversationId: String(conversationId), mediaId, series: 'daily', name: 'none', token: 'none' };
    let pages = 0;
    for (const route of live.t.routes.filter((r) => r.method === 'get' && r.access === 'user')) {
      // The event stream never ends while an account is connected; connecting leaves for Instagram.
      if (route.path === '/inbox/events' || route.path === '/accounts/connect') continue;
      const url = route.path.replace(/:(\w+)/g, (_all, name: string) => (name === 'id' ? String(route.path.startsWith('/accounts') ? accountA : 1) : (ids[name] ?? '1')));
      const res = await owner.get(url);
      if (!String(res.headers['content-type']).startsWith('text/html')) continue;
      assertInert(res.text, `GET ${url} (${res.status})`);
      pages += 1;
    }
    expect(pages).to.be.greaterThan(25);
  });

  it('with an account needing reconnection, the banner, the dashboard and the notifications show its @username as text', async () => {
    live.t.services.accounts.markNeedsReconnect(accountB, 'test');
    for (const url of ['/', '/notifications', '/accounts', `/accounts/${accountB}`]) {
      const page = assertInert(await get(url), url);
      expect(page('body').text(), `${url}: the username`).to.contain(USERNAME_B);
    }
  });
});
