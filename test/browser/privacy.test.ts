// Issue acceptance 4 (first part): from the sign-in page a Russian-speaking visitor follows the
// privacy link and reads the policy in Russian, on a phone, without console errors; a signed-in
// person who last saw an older policy version sees the notice and makes it go away with "Понятно".
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { POLICY_UPDATED, POLICY_VERSION } from '../../src/features/privacy/policy.js';
import { translatorFor } from '../../src/i18n/index.js';
import { launchBrowser, SCREENSHOTS, startLiveApp, watchProblems, type LiveApp } from '../support/browser.js';
import { createUser, PASSWORD } from '../support/factories.js';

const ru = translatorFor('ru');

/** The policy date as the views print it for Russian. */
const dateRu = new Date(POLICY_UPDATED + 'T00:00:00Z').toLocaleDateString('ru', { timeZone: 'UTC', dateStyle: 'long' });

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

/** How many CSS pixels the document is wider than the screen (0: no horizontal scrolling). */
async function horizontalOverflow(page: Page): Promise<number> {
  return page.evaluate(() => Math.max(0, document.documentElement.scrollWidth - document.documentElement.clientWidth));
}

function policySeen(live: LiveApp, userId: number): string | null {
  const row = live.t.db.sqlite.prepare('SELECT policy_seen FROM users WHERE id = ?').get(userId) as { policy_seen: string | null };
  return row.policy_seen;
}

describe('browser: the privacy policy in Russian, and its notice', function () {
  this.timeout(90_000);
  let browser: Browser;
  let live: LiveApp;
  let context: BrowserContext | undefined;
  const problems: string[] = [];

  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    live = await startLiveApp();
    problems.length = 0;
  });
  afterEach(async () => {
    await context?.close();
    context = undefined;
    await live.close();
  });

  /** A phone in Russian: 390 px wide, ru-RU locale and Accept-Language. */
  async function russianPhone(): Promise<Page> {
    context = await browser.newContext({
      viewport: { width: 390, height: 844 },
      deviceScaleFactor: 3,
      isMobile: true,
      hasTouch: true,
      locale: 'ru-RU',
      extraHTTPHeaders: { 'Accept-Language': 'ru-RU,ru;q=0.9' },
    });
    const page = await context.newPage();
    watchProblems(page, problems);
    return page;
  }

  it('a visitor opens /login in Russian, follows the privacy link and reads the policy on a phone', async () => {
    await createUser(live.t, { username: 'aigerim' });
    const page = await russianPhone();

    await page.goto(live.url + '/login');
    expect(new URL(page.url()).pathname).to.equal('/login');
    expect(await page.locator('html').getAttribute('lang')).to.equal('ru');

    await page.getByRole('link', { name: ru('auth.privacyLink') }).click();
    await page.waitForURL(live.url + '/privacy');

    expect(await page.locator('html').getAttribute('lang')).to.equal('ru');
    expect((await page.locator('h1').textContent())?.trim()).to.equal(ru('privacy.policy.heading'));
    expect(await page.title()).to.equal(`${ru('privacy.policy.title')} · Qanat`);
    const article = (await page.locator('article').innerText()).replace(/\s+/g, ' ');
    for (const key of ['keepInbox', 'keepSnapshots', 'keepTokens', 'operatorUnset']) {
      expect(article, key).to.contain(ru(`privacy.policy.${key}`));
    }
    expect(await page.locator('article').getByRole('link', { name: ru('privacy.policy.deletionLink') }).getAttribute('href')).to.equal('/data-deletion');
    // The stylesheet applies (no CSP block) and the page fits the phone.
    expect(await page.evaluate(() => Array.from(document.styleSheets).reduce((n, sheet) => n + sheet.cssRules.length, 0))).to.be.greaterThan(0);
    expect(await horizontalOverflow(page)).to.equal(0);
    expect(await page.evaluate(() => window.innerWidth)).to.equal(390);

    await shot(page, '60-privacy-ru');
    expect(problems).to.deep.equal([]);
  });

  it('the footer language select switches the policy to Russian', async () => {
    context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    const page = await context.newPage();
    page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
    });
    await page.goto(live.url + '/privacy');
    expect(await page.locator('html').getAttribute('lang')).to.equal('en');
    await page.getByLabel('Language', { exact: true }).selectOption('ru');
    await page.waitForFunction(() => document.documentElement.lang === 'ru');
    expect(new URL(page.url()).pathname).to.equal('/privacy');
    expect((await page.locator('h1').textContent())?.trim()).to.equal(ru('privacy.policy.heading'));
    expect(problems).to.deep.equal([]);
  });

  it('a signed-in person with an old policy_seen sees the notice, clicks "Понятно" and it disappears', async () => {
    const user = await createUser(live.t, { username: 'marat' });
    live.t.services.users.setLanguage({ id: user.id, username: user.username, role: user.role }, 'ru');
    live.t.db.sqlite.prepare('UPDATE users SET policy_seen = ? WHERE id = ?').run('2000-01-01', user.id);
    const page = await russianPhone();

    await page.goto(live.url + '/login');
    await page.getByLabel(ru('form.username')).fill('marat');
    await page.getByLabel(ru('form.password')).fill(PASSWORD);
    await page.getByRole('button', { name: ru('auth.login.submit') }).click();
    await page.waitForURL(live.url + '/');

    await page.goto(live.url + '/settings');
    const notice = page.locator('.notice');
    await notice.waitFor({ state: 'visible' });
    expect((await notice.innerText()).replace(/\s+/g, ' ')).to.contain(ru('privacy.policy.noticeText', { date: dateRu }));
    expect(await horizontalOverflow(page)).to.equal(0);
    await shot(page, '61-privacy-notice-ru');

    await notice.getByRole('button', { name: ru('privacy.policy.noticeAck') }).click();
    await page.waitForURL(live.url + '/settings');
    await page.waitForLoadState('domcontentloaded');
    expect(await page.locator('.notice').count()).to.equal(0);
    expect(policySeen(live, user.id)).to.equal(POLICY_VERSION);

    // Gone for good: other pages and /privacy show neither the banner nor the button.
    await page.goto(live.url + '/');
    expect(await page.locator('.notice').count()).to.equal(0);
    await page.goto(live.url + '/privacy');
    expect(await page.locator('form[action="/privacy/acknowledge"]').count()).to.equal(0);
    expect(problems).to.deep.equal([]);
  });
});
