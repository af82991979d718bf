// Issue 12: axe-core (WCAG 2.0/2.1 A and AA, and best practices) on every page a person can open,
// as it looks with real content: a live sandbox instance with a connected account, a published, a
// failed and a scheduled post, a comment with a reply, a direct-message conversation, analytics,
// a hashtag set, a second user with two-factor sign-in, a data-deletion request, and forms sent
// back with their validation errors. Each page is checked at desktop width and at 390 px, under
// its real CSP. Serious and critical violations fail; moderate and minor ones are printed.
// The route table is the list of pages: an HTML GET route neither visited here nor in SKIPPED
// fails the last test, so a new page cannot be forgotten.
import { expect } from 'chai';
import * as OTPAuth from 'otpauth';
import type { Result } from 'axe-core';
import type { Browser, BrowserContext, Page, Response } from 'playwright-core';
import { routeTable } from '../../src/http/routes.js';
import { signRequest } from '../../src/instagram/signed-request.js';
import type { Simulator } from '../../src/sandbox/simulator.js';
import { connectAccount, signInLive, type Agent } from '../support/accounts.js';
import { AXE_VERSION, axeViolations, contrastRatio, formatViolations, isBlocking } from '../support/axe.js';
import { launchBrowser, startLiveApp, type LiveApp } from '../support/browser.js';
import { createUser } from '../support/factories.js';
import { csrfFrom } from '../support/http.js';
import { recordReliability } from '../support/reliability.js';
import { runEngine, schedulePost, type Stage } from '../support/publishing.js';

const OWNER = 'aigerim';
const OWNER_PASSWORD = 'a calm river under the steppe';
const EDITOR = 'tomiris';
const EDITOR_PASSWORD = 'a second calm river, longer';
const HOUR = 3_600_000;
const DESKTOP = { width: 1280, height: 900 };
const PHONE = { width: 390, height: 844 };

/**
 * The looks each page is checked in: desktop and phone width (the brief), and the dark palette of
 * app.css at desktop width, since colour contrast depends on it and a system setting picks it.
 */
const LOOKS = [
  { label: 'desktop', size: DESKTOP, colorScheme: 'light' },
  { label: 'phone', size: PHONE, colorScheme: 'light' },
  { label: 'desktop, dark', size: DESKTOP, colorScheme: 'dark' },
] as const;

/**
 * HTML-less or not-a-page GET routes (access public/user), with the reason each is not checked.
 * Every entry must still be in the route table, so the list cannot go stale.
 */
const SKIPPED: Record<string, string> = {
  '/accounts/connect': 'redirects to the consent window (the simulator here, instagram.com in production)',
  '/posts/:id/media.json': 'JSON for the composer script',
  '/posts/:id/media/:mediaId/:variant': 'an image or video file',
  '/inbox/events': 'a server-sent event stream',
  '/analytics/export/:series': 'a CSV download',
  '/settings/audit.csv': 'a CSV download',
  '/settings/system/backups/:name': 'a backup file download',
};

interface Tally {
  pages: Set<string>;
  checks: number;
  blocking: number;
  reported: number;
  /** Route patterns (as in the route table) that a check has rendered. */
  routes: Set<string>;
}

const simOf = (live: LiveApp): Simulator => {
  const sim = live.t.simulator;
  if (!sim) throw new Error('the live app runs without its simulator: not in sandbox mode');
  return sim;
};

describe('browser: accessibility (axe-core) of every page, at desktop and phone width and in dark mode', function () {
  this.timeout(120_000);
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let live: LiveApp;
  const tally: Tally = { pages: new Set(), checks: 0, blocking: 0, reported: 0, routes: new Set() };
  /** Moderate and minor findings, printed once at the end. */
  const report: string[] = [];

  /**
   * Runs axe on the page as it is now in each of LOOKS (the stylesheet's breakpoints and colour
   * scheme apply without a reload), and fails on serious or critical violations.
   */
  async function check(name: string, route: string | null): Promise<void> {
    const blocking: Result[] = [];
    for (const { label, size, colorScheme } of LOOKS) {
      await page.setViewportSize(size);
      await page.emulateMedia({ colorScheme });
      const violations = await axeViolations(page);
      tally.checks += 1;
      const serious = violations.filter(isBlocking);
      const other = violations.filter((v) => !isBlocking(v));
      tally.blocking += serious.reduce((n, v) => n + v.nodes.length, 0);
      tally.reported += other.reduce((n, v) => n + v.nodes.length, 0);
      if (other.length > 0) report.push(formatViolations(other, `${name} (${label})`));
      blocking.push(...serious.map((v) => ({ ...v, help: `${v.help} [${label}]` })));
    }
    await page.setViewportSize(DESKTOP);
    await page.emulateMedia({ colorScheme: 'light' });
    tally.pages.add(name);
    if (route) tally.routes.add(route);
    expect(blocking.length, `serious or critical violations on ${name}:\n${formatViolations(blocking)}\n`).to.equal(0);
  }

  /** Opens a URL (until its load event, so deferred scripts have run), checks the status and that it is an HTML page, then checks. */
  async function visit(name: string, route: string | null, url: string, status = 200): Promise<void> {
    const response = await page.goto(live.url + url, { waitUntil: 'load' });
    expectPage(response, url, status);
    await check(name, route);
  }

  function expectPage(response: Response | null, url: string, status: number): void {
    expect(response, url).to.not.equal(null);
    expect(response?.status(), `${url} answered`).to.equal(status);
    expect(response?.headers()['content-type'] ?? '', url).to.match(/^text\/html/);
    expect(new URL(page.url()).pathname + new URL(page.url()).search, 'not redirected').to.equal(url);
  }

  /** Clicks a submit button and waits for the POST's answer: the page re-rendered with its errors. */
  async function submitExpecting(click: () => Promise<void>, status: number): Promise<void> {
    const [response] = await Promise.all([page.waitForResponse((r) => r.request().method() === 'POST' && r.request().isNavigationRequest()), click()]);
    expect(response.status(), `POST ${response.url()}`).to.equal(status);
    await page.waitForLoadState('load');
  }

  before(async () => {
    browser = await launchBrowser();
    // Sessions outlive the hours the clock moves while a post fails through its retries.
    live = await startLiveApp({ INSIGHTS_BACKFILL_DAYS: '60', SESSION_IDLE_MINUTES: '100000', SESSION_ABSOLUTE_HOURS: '10000' });
    context = await browser.newContext({ viewport: DESKTOP, locale: 'en-US' });
    page = await context.newPage();
  });

  after(async () => {
    if (tally.checks > 0) console.log(`\naxe-core ${AXE_VERSION}: ${tally.checks} checks of ${tally.pages.size} pages; moderate or minor findings (reported, not failing): ${report.length === 0 ? 'none' : `\n${report.join('\n')}`}\n`);
    if (tally.checks > 0) {
      recordReliability('accessibility', {
        title: `Accessibility (axe-core ${AXE_VERSION})`,
        figures: { pages: tally.pages.size, 'page checks': tally.checks, 'serious or critical violations': tally.blocking, 'moderate or minor': tally.reported },
        notes: [
          'axe-core injected into each page under its real CSP; rules tagged wcag2a, wcag2aa, wcag21a, wcag21aa and best-practice.',
          'Pages include the variants a person meets: forms sent back with errors, posts scheduled, published and failed, 404s signed in and out.',
          `Every page checked at ${DESKTOP.width} px and ${PHONE.width} px wide, and in the dark colour scheme at ${DESKTOP.width} px, with sandbox content (posts, comments, messages, analytics, users); counts are offending elements.`,
        ],
      });
    }
    await context?.close();
    await browser?.close();
    await live?.close();
  });

  describe('before setup', () => {
    it('/setup', async () => {
      await visit('/setup', '/setup', '/setup');
    });

    it('/setup with a wrong setup code (form errors)', async () => {
      await page.getByLabel('Setup code').fill('WRONG-CODE-0000');
      await page.getByLabel('Username').fill(OWNER);
      await page.getByLabel('Password', { exact: true }).fill(OWNER_PASSWORD);
      await page.getByLabel('Repeat the password').fill(OWNER_PASSWORD);
      await submitExpecting(() => page.getByRole('button', { name: 'Create owner and sign in' }).click(), 400);
      expect(await page.locator('#field-code-error').count()).to.equal(1);
      await check('/setup (error)', null);
    });
  });

  describe('signed in as the owner, with content', () => {
    let agent: Agent;
    let accountId: number;
    let scheduledId: number;
    let publishedId: number;
    let failedId: number;
    let editorId: number;
    let commentId: string;
    let conversationPath: string;

    before(async () => {
      // The owner is made through the real setup form, and stays signed in in the browser.
      await page.goto(live.url + '/setup');
      await page.getByLabel('Setup code').fill(live.t.services.setup.code);
      await page.getByLabel('Username').fill(OWNER);
      await page.getByLabel('Password', { exact: true }).fill(OWNER_PASSWORD);
      await page.getByLabel('Repeat the password').fill(OWNER_PASSWORD);
      await page.getByRole('button', { name: 'Create owner and sign in' }).click();
      await page.waitForURL(live.url + '/');

      agent = await signInLive(live, OWNER, OWNER_PASSWORD);
      accountId = await connectAccount(live, agent);
      const s: Stage = { live, t: live.t, agent, accountId, csrf: csrfFrom((await agent.get('/queue')).text) };
      const sim = simOf(live);
      const clock = live.t.clock;

      publishedId = await schedulePost(s, { caption: 'Morning latte on the terrace #coffee #almaty', firstComment: '#latteart' });
      clock.set(live.t.services.posts.get(publishedId).scheduledAt as number);
      await runEngine(s);
      expect(live.t.services.posts.get(publishedId).state).to.equal('published');

      // Instagram throttles until the retries run out: the post fails with a reason (and a notification).
      sim.state.faults.push({ kind: 'throttle', code: 17 });
      failedId = await schedulePost(s, { caption: 'Weekend opening hours' });
      clock.set(live.t.services.posts.get(failedId).scheduledAt as number);
      await runEngine(s, 6 * HOUR, HOUR);
      sim.state.faults.length = 0;
      expect(live.t.services.posts.get(failedId).state).to.equal('failed');

      scheduledId = await schedulePost(s, { caption: 'New autumn menu: pumpkin spice and apple pie 🍂', firstComment: '#autumn', inMinutes: 24 * 60 });

      const comment = await sim.people.comment({ text: 'Do you ship to Shymkent? 📦', username: 'dana_shop' });
      const message = await sim.people.message({ text: 'Is the blue scarf still in stock?', username: 'aruzhan.k' });
      expect([comment.webhook, message.webhook]).to.deep.equal(['sent', 'sent']);
      await live.t.services.webhooks.idle();
      commentId = comment.id;
      const inbox = await agent.get('/inbox/comments');
      const replied = await agent.post(`/inbox/comments/${commentId}/reply`).type('form').send({ _csrf: csrfFrom(inbox.text), returnTo: '/inbox/comments', text: 'Yes, in 2–3 days!' });
      expect(replied.status, 'reply').to.equal(303);
      const messages = await agent.get('/inbox/messages');
      const href = /href="(\/inbox\/messages\/\d+)"/.exec(messages.text)?.[1];
      expect(href, 'a conversation link').to.be.a('string');
      conversationPath = href as string;

      const counts = await live.t.services.insights.collectAll({ daily: true, audience: true });
      expect(counts.failed, 'analytics collection failures').to.equal(0);

      const hashtags = await agent.get('/hashtags');
      const saved = await agent.post('/hashtags').type('form').send({ _csrf: csrfFrom(hashtags.text), name: 'Coffee', tags: '#coffee #almaty #latteart' });
      expect(saved.status, 'hashtag set').to.equal(303);

      const editor = await createUser(live.t, { username: EDITOR, password: EDITOR_PASSWORD, role: 'editor' });
      editorId = editor.id;
      const secret = new OTPAuth.Secret({ size: 20 }).base32;
      const code = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp: clock.now() });
      live.t.services.totp.enable({ id: editor.id, username: editor.username, role: editor.role }, secret, code, { ip: null });
    });

    it('/ (dashboard)', async () => {
      await visit('/', '/', '/');
    });
    it('the unread count on the bell reads at 4.5:1 in both colour schemes (axe leaves one digit for review: too short to call text)', async () => {
      await page.goto(live.url + '/');
      const badge = page.locator('.bell__count');
      expect(await badge.count(), 'the failed post left an unread notification').to.equal(1);
      for (const colorScheme of ['light', 'dark'] as const) {
        await page.emulateMedia({ colorScheme });
        const { color, background } = await badge.evaluate((el) => ({ color: getComputedStyle(el).color, background: getComputedStyle(el).backgroundColor }));
        expect(contrastRatio(color, background), `${colorScheme}: ${color} on ${background}`).to.be.at.least(4.5);
      }
      await page.emulateMedia({ colorScheme: 'light' });
    });
    it('/accounts', async () => {
      await visit('/accounts', '/accounts', '/accounts');
    });
    it('/accounts/:id', async () => {
      await visit('/accounts/:id', '/accounts/:id', `/accounts/${accountId}`);
    });
    it('/accounts/:id/disconnect', async () => {
      await visit('/accounts/:id/disconnect', '/accounts/:id/disconnect', `/accounts/${accountId}/disconnect`);
    });
    it('/accounts/callback (connecting failed)', async () => {
      await visit('/accounts/callback (failed)', '/accounts/callback', '/accounts/callback?error=access_denied', 400);
    });
    it('/compose', async () => {
      await visit('/compose', '/compose', '/compose');
    });
    it('/compose sent without media or caption (form errors)', async () => {
      await submitExpecting(() => page.getByRole('button', { name: 'Schedule' }).click(), 422);
      await check('/compose (error)', null);
    });
    it('/calendar', async () => {
      await visit('/calendar', '/calendar', '/calendar');
    });
    it('/queue', async () => {
      await visit('/queue', '/queue', '/queue');
    });
    it('/posts/:id (scheduled)', async () => {
      await visit('/posts/:id (scheduled)', '/posts/:id', `/posts/${scheduledId}`);
    });
    it('/posts/:id (published)', async () => {
      await visit('/posts/:id (published)', '/posts/:id', `/posts/${publishedId}`);
    });
    it('/posts/:id (failed)', async () => {
      await visit('/posts/:id (failed)', '/posts/:id', `/posts/${failedId}`);
    });
    it('/posts/:id/delete', async () => {
      await visit('/posts/:id/delete', '/posts/:id/delete', `/posts/${scheduledId}/delete`);
    });
    it('/notifications', async () => {
      await visit('/notifications', '/notifications', '/notifications');
    });
    it('/inbox/comments', async () => {
      await visit('/inbox/comments', '/inbox/comments', '/inbox/comments');
    });
    it('/inbox/comments/:id', async () => {
      await visit('/inbox/comments/:id', '/inbox/comments/:commentId', `/inbox/comments/${commentId}`);
    });
    it('/inbox/comments/:id with an empty reply (form errors)', async () => {
      const form = page.locator(`form[action="/inbox/comments/${commentId}/reply"]`);
      await form.locator('textarea').evaluate((el) => el.removeAttribute('required'));
      await submitExpecting(() => form.getByRole('button').click(), 422);
      await check('/inbox/comments/:id (error)', null);
    });
    it('/inbox/comments/:id/delete', async () => {
      await visit('/inbox/comments/:id/delete', '/inbox/comments/:commentId/delete', `/inbox/comments/${commentId}/delete`);
    });
    it('/inbox/messages', async () => {
      await visit('/inbox/messages', '/inbox/messages', '/inbox/messages');
    });
    it('/inbox/messages/:id', async () => {
      await visit('/inbox/messages/:id', '/inbox/messages/:conversationId', conversationPath);
    });
    it('/analytics', async () => {
      await page.goto(live.url + '/analytics');
      await page.waitForFunction(() => document.querySelectorAll('figure[data-chart]').length === document.querySelectorAll('figure[data-chart].chart--drawn').length, undefined, { timeout: 10_000 });
      await check('/analytics', '/analytics');
    });
    it('/analytics/report', async () => {
      await visit('/analytics/report', '/analytics/report', '/analytics/report');
    });
    it('/hashtags', async () => {
      await visit('/hashtags', '/hashtags', '/hashtags');
    });
    it('/settings', async () => {
      await visit('/settings', '/settings', '/settings');
    });
    it('/settings/inbox', async () => {
      await visit('/settings/inbox', '/settings/inbox', '/settings/inbox');
    });
    it('/settings/erase', async () => {
      await visit('/settings/erase', '/settings/erase', '/settings/erase');
    });
    it('/settings/2fa', async () => {
      await visit('/settings/2fa', '/settings/2fa', '/settings/2fa');
    });
    it('/settings/2fa while setting it up (QR code)', async () => {
      await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
      await page.locator('img.qr').waitFor();
      await check('/settings/2fa (setting up)', null);
    });
    it('/settings/export', async () => {
      await visit('/settings/export', '/settings/export', '/settings/export');
    });
    it('/settings/audit', async () => {
      await visit('/settings/audit', '/settings/audit', '/settings/audit');
    });
    it('/settings/system', async () => {
      await visit('/settings/system', '/settings/system', '/settings/system');
    });
    it('/settings/users', async () => {
      await visit('/settings/users', '/settings/users', '/settings/users');
    });
    it('/settings/users with a too short password (form errors)', async () => {
      await page.locator('#new-username').fill('marat');
      await page.locator('#new-password').fill('short');
      await submitExpecting(() => page.getByRole('button', { name: 'Add user' }).click(), 400);
      expect(await page.locator('#new-password-error').count()).to.equal(1);
      await check('/settings/users (error)', null);
    });
    it('/settings/users/:id/remove', async () => {
      await visit('/settings/users/:id/remove', '/settings/users/:id/remove', `/settings/users/${editorId}/remove`);
    });
    it('the 404 page, signed in', async () => {
      await visit('404 (signed in)', null, '/no-such-page', 404);
    });
  });

  describe('signed out', () => {
    let deletionCode: string;

    before(async () => {
      await context.clearCookies();
      const signed = signRequest({ algorithm: 'HMAC-SHA256', user_id: '990001112223334', issued_at: Math.floor(live.t.clock.now() / 1000) }, live.t.services.instagram.appSecret);
      const answer = live.t.services.callbacks.requestDeletion(signed, null);
      if (!answer.ok) throw new Error(`deletion request refused: ${answer.reason}`);
      deletionCode = answer.value.confirmation_code;
    });

    it('/login', async () => {
      await visit('/login', '/login', '/login');
    });
    it('/login with a wrong password (form errors)', async () => {
      await page.getByLabel('Username').fill(OWNER);
      await page.getByLabel('Password').fill('not the password');
      await submitExpecting(() => page.getByRole('button', { name: 'Sign in' }).click(), 401);
      await check('/login (error)', null);
    });
    it('/privacy', async () => {
      await visit('/privacy', '/privacy', '/privacy');
    });
    it('/data-deletion', async () => {
      await visit('/data-deletion', '/data-deletion', '/data-deletion');
    });
    it('/data-deletion/status with a code', async () => {
      await visit('/data-deletion/status', '/data-deletion/status', `/data-deletion/status?code=${encodeURIComponent(deletionCode)}`);
    });
    it('/data-deletion/status with an unknown code', async () => {
      await visit('/data-deletion/status (unknown code)', '/data-deletion/status', '/data-deletion/status?code=no-such-code-123', 404);
    });
    it('the 404 page, signed out', async () => {
      await visit('404 (signed out)', null, '/no-such-page', 404);
    });
    it('/login/code (two-factor sign-in)', async () => {
      await page.goto(live.url + '/login');
      await page.getByLabel('Username').fill(EDITOR);
      await page.getByLabel('Password').fill(EDITOR_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL(live.url + '/login/code');
      await check('/login/code', '/login/code');
    });
    it('/login/code with a wrong code (form errors)', async () => {
      await page.getByLabel('Code', { exact: true }).fill('000000');
      await submitExpecting(() => page.getByRole('button', { name: 'Sign in' }).click(), 401);
      await check('/login/code (error)', null);
    });
  });

  describe('the checker itself', () => {
    it('finds what it should: an image without alt text, an unlabelled field and grey-on-white text fail as serious or critical', async () => {
      await page.goto(live.url + '/privacy');
      expect((await axeViolations(page)).filter(isBlocking)).to.deep.equal([]);
      // DOM calls through the DevTools protocol, not markup with inline style: the CSP stays as it is.
      await page.evaluate(() => {
        const main = document.querySelector('main');
        if (!main) throw new Error('no <main>');
        const img = document.createElement('img');
        img.src = '/assets/icons/qanat.svg';
        const input = document.createElement('input');
        input.type = 'text';
        const faint = document.createElement('p');
        faint.textContent = 'Barely readable';
        faint.style.color = '#eeeeee';
        faint.style.background = '#ffffff';
        main.append(img, input, faint);
      });
      const found = (await axeViolations(page)).filter(isBlocking).map((v) => v.id);
      expect(found).to.include.members(['image-alt', 'label', 'color-contrast']);
    });
  });

  describe('coverage', () => {
    it('every HTML GET page in the route table was checked, or is skipped with a reason', () => {
      const routes = routeTable(live.t.config, live.t.db, live.t.services, live.t.clock).filter((r) => r.method === 'get' && r.access !== 'bare');
      const paths = new Set(routes.map((r) => r.path));
      expect(Object.keys(SKIPPED).filter((p) => !paths.has(p)), 'skipped routes that are no longer in the table').to.deep.equal([]);
      const forgotten = [...paths].filter((p) => !tally.routes.has(p) && !(p in SKIPPED));
      expect(forgotten, 'GET routes neither checked with axe nor skipped').to.deep.equal([]);
      expect(tally.blocking, 'serious or critical violations in all').to.equal(0);
    });
  });
});
