import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Locator, Page } from 'playwright-core';
import { launchBrowser, SCREENSHOTS, startLiveApp, type LiveApp } from '../support/browser.js';
import { connectAccount, signInLive } from '../support/accounts.js';
import { createUser, PASSWORD } from '../support/factories.js';
import { translatorFor } from '../../src/i18n/index.js';
import { addDays } from '../../src/features/analytics/analytics.calc.js';

const t = translatorFor('en');

/** The day as the analytics page writes it (views/analytics/_board.ejs, fmtDay). */
const fmtDay = (day: string): string => new Date(`${day}T00:00:00Z`).toLocaleDateString('en', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' });

/** A number cell as shown ("1,234", "no data") → its number, or null. */
const numberIn = (text: string): number | null => {
  const digits = text.replace(/[^\d.-]/g, '');
  return digits === '' ? null : Number(digits);
};

interface CanvasLook {
  width: number;
  height: number;
  painted: number;
}

/** Every canvas's drawn size and how many of its pixels are not transparent. */
async function canvasesOf(page: Page): Promise<CanvasLook[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('figure[data-chart] canvas')).map((node) => {
      const canvas = node as HTMLCanvasElement;
      const ctx = canvas.getContext('2d');
      let painted = 0;
      if (ctx && canvas.width > 0 && canvas.height > 0) {
        const data = ctx.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted += 1;
      }
      return { width: canvas.width, height: canvas.height, painted };
    }),
  );
}

/** The reach-and-views figure; opens its folded table (when folded) and returns the table. */
interface Overflow {
  /** How far the document is wider than the screen. */
  px: number;
  /** The outermost elements sticking out past the right edge without a scrolling box around them. */
  culprits: string[];
}

async function overflowOf(page: Page): Promise<Overflow> {
  return page.evaluate(() => {
    const root = document.documentElement;
    const width = root.clientWidth;
    const culprits: string[] = [];
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.right <= width + 0.5 || !el.checkVisibility()) continue;
      let contained = false;
      for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
        const style = getComputedStyle(up);
        if (style.overflowX !== 'visible' || up.getBoundingClientRect().right > width + 0.5) {
          contained = true;
          break;
        }
      }
      if (contained) continue;
      const figure = el.closest('figure')?.querySelector('figcaption')?.textContent?.trim();
      culprits.push(`${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ').join('.') : ''}${figure ? ` in figure "${figure}"` : ''}: ${Math.round(box.width)} px wide, ends at ${Math.round(box.right)} px`);
    }
    return { px: Math.max(0, root.scrollWidth - width), culprits };
  });
}

async function reachTable(page: Page): Promise<Locator> {
  const figure = page.locator('section[aria-labelledby="reach-title"] figure[data-chart]');
  const details = figure.locator('details');
  if ((await details.count()) > 0 && (await details.getAttribute('open')) === null) await details.locator('summary').click();
  const table = figure.locator('table[data-chart-table]');
  await table.waitFor({ state: 'visible' });
  return table;
}

async function chooseRange(page: Page, choice: string, dates: { from?: string; to?: string } = {}): Promise<void> {
  const form = page.locator('form.range-form');
  await form.getByLabel(t('analytics.range.label')).selectOption({ label: t(`analytics.range.${choice}`) });
  if (dates.from !== undefined) await form.getByLabel(t('analytics.range.from')).fill(dates.from);
  if (dates.to !== undefined) await form.getByLabel(t('analytics.range.to')).fill(dates.to);
  await Promise.all([page.waitForURL(/\/analytics\?/), form.getByRole('button', { name: t('analytics.range.apply') }).click()]);
  await page.waitForLoadState('load');
}

describe('browser: analytics draws its charts from tables, switches ranges, sorts posts, prints, and works without JavaScript and on a phone', function () {
  this.timeout(180_000);
  let browser: Browser;
  let live: LiveApp;
  let context: BrowserContext;
  let page: Page;
  let today: string;
  /** Console errors, page errors and CSP violations seen by the signed-in page since the last check. */
  const problems: string[] = [];

  const signIn = async (target: Page): Promise<void> => {
    await target.goto(live.url + '/login');
    await target.getByLabel('Username').fill('aigerim');
    await target.getByLabel('Password').fill(PASSWORD);
    await target.getByRole('button', { name: 'Sign in' }).click();
    await target.waitForURL(live.url + '/');
  };

  const takeProblems = (): string[] => problems.splice(0, problems.length);

  before(async () => {
    browser = await launchBrowser();
    live = await startLiveApp({ INSIGHTS_BACKFILL_DAYS: '120' });
    const owner = await createUser(live.t, { username: 'aigerim' });
    await connectAccount(live, await signInLive(live, owner.username));
    const counts = await live.t.services.insights.collectAll({ daily: true, audience: true });
    expect(counts.failed, 'collection failures').to.equal(0);
    expect(counts.days, 'days collected').to.be.greaterThan(100);
    expect(counts.media, 'posts collected').to.be.greaterThan(0);
    expect(counts.audience, 'audience breakdowns collected').to.be.greaterThan(0);
    today = live.t.services.analytics.today();

    context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    // CSP violations are reported as console errors too; the event catches them even if that changes.
    await context.addInitScript(() => {
      document.addEventListener('securitypolicyviolation', (event) => {
        console.error(`CSP violation: ${event.violatedDirective} blocked ${event.blockedURI}`);
      });
    });
    page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    await signIn(page);
    takeProblems();
  });
  after(async () => {
    await browser?.close();
    await live?.close();
  });

  it('draws every chart of the last 30 days on a canvas with something on it, folds the tables into "Show the numbers as a table", with no errors', async () => {
    await page.goto(live.url + '/analytics');
    const figures = page.locator('figure[data-chart]');
    const figureCount = await figures.count();
    // Follower growth, reach and views, and one per audience breakdown.
    expect(figureCount).to.be.greaterThan(2);
    await page.waitForFunction((n) => document.querySelectorAll('figure[data-chart].chart--drawn').length === n, figureCount, { timeout: 10_000 });
    expect(await page.locator('figure[data-chart] canvas').count()).to.equal(figureCount);
    for (let i = 0; i < figureCount; i += 1) expect(await figures.nth(i).locator('canvas').count(), `canvas in figure ${i}`).to.equal(1);

    const canvases = await canvasesOf(page);
    expect(canvases).to.have.length(figureCount);
    for (const [i, c] of canvases.entries()) {
      expect(c.width, `canvas ${i} width`).to.be.greaterThan(0);
      expect(c.height, `canvas ${i} height`).to.be.greaterThan(0);
      expect(c.painted, `canvas ${i} painted pixels`).to.be.greaterThan(0);
    }
    for (let i = 0; i < figureCount; i += 1) {
      const box = await figures.nth(i).locator('canvas').boundingBox();
      expect(box?.width ?? 0, `canvas ${i} shown width`).to.be.greaterThan(0);
      expect(box?.height ?? 0, `canvas ${i} shown height`).to.be.greaterThan(0);
    }

    // Every table is folded into a closed <details> labelled "Show the numbers as a table".
    const details = page.locator('figure[data-chart] > details');
    expect(await details.count()).to.equal(figureCount);
    for (let i = 0; i < figureCount; i += 1) {
      const box = details.nth(i);
      expect((await box.locator('summary').textContent())?.trim()).to.equal(t('analytics.showTable'));
      expect(await box.getAttribute('open')).to.equal(null);
      expect(await box.locator('table[data-chart-table]').isVisible()).to.equal(false);
    }
    const first = details.first();
    await first.locator('summary').click();
    expect(await first.getAttribute('open')).to.not.equal(null);
    expect(await first.locator('table[data-chart-table]').isVisible()).to.equal(true);

    const reach = await reachTable(page);
    expect(await reach.locator('tbody tr').count()).to.equal(30);
    expect(await page.locator('body').textContent()).to.contain(t('analytics.rangeShown', { from: fmtDay(addDays(today, -30)), to: fmtDay(addDays(today, -1)), days: 30 }));

    await page.screenshot({ path: path.join(SCREENSHOTS, '50-analytics-30-days.png'), fullPage: true });
    expect(takeProblems()).to.deep.equal([]);
  });

  it('the Period switch shows the last 7 days, a custom span, and keeps the typed dates of a span that ends before it starts', async () => {
    await page.goto(live.url + '/analytics');
    await chooseRange(page, '7');
    expect(new URL(page.url()).searchParams.get('range')).to.equal('7');
    expect((await (await reachTable(page)).locator('tbody tr').count())).to.equal(7);
    expect(await page.locator('figure[data-chart] table[data-chart-table]').first().locator('tbody tr').count(), 'follower rows').to.equal(7);
    const text7 = await page.locator('body').textContent();
    expect(text7).to.contain('(7 days)');
    expect(text7).to.contain(t('analytics.rangeShown', { from: fmtDay(addDays(today, -7)), to: fmtDay(addDays(today, -1)), days: 7 }));
    expect(await page.locator('#range').inputValue()).to.equal('7');

    const from = addDays(today, -20);
    const to = addDays(today, -7);
    await chooseRange(page, 'custom', { from, to });
    const url = new URL(page.url());
    expect(url.searchParams.get('range')).to.equal('custom');
    expect(url.searchParams.get('from')).to.equal(from);
    expect(url.searchParams.get('to')).to.equal(to);
    expect((await (await reachTable(page)).locator('tbody tr').count())).to.equal(14);
    const tables = page.locator('section[aria-labelledby="followers-title"] table[data-chart-table], section[aria-labelledby="reach-title"] table[data-chart-table]');
    expect(await tables.count()).to.equal(2);
    for (let i = 0; i < 2; i += 1) expect(await tables.nth(i).locator('tbody tr').count(), `table ${i} rows`).to.equal(14);
    expect(await page.locator('tbody th[data-label]').first().getAttribute('data-label')).to.equal(from);
    expect(await page.locator('body').textContent()).to.contain(t('analytics.rangeShown', { from: fmtDay(from), to: fmtDay(to), days: 14 }));
    expect(await page.locator('#range-from').inputValue()).to.equal(from);
    expect(await page.locator('#range-to').inputValue()).to.equal(to);
    expect(await page.locator('#range-error').count()).to.equal(0);

    // From after To: the message, the dates as typed, and the last 30 days meanwhile.
    const late = addDays(today, -3);
    const early = addDays(today, -10);
    await chooseRange(page, 'custom', { from: late, to: early });
    expect(new URL(page.url()).searchParams.get('from')).to.equal(late);
    const error = page.locator('#range-error');
    expect(await error.isVisible()).to.equal(true);
    expect((await error.textContent())?.trim()).to.equal(t('analytics.range.error.order'));
    expect(await page.locator('#range-from').inputValue()).to.equal(late);
    expect(await page.locator('#range-to').inputValue()).to.equal(early);
    expect(await page.locator('#range-from').getAttribute('aria-invalid')).to.equal('true');
    expect((await (await reachTable(page)).locator('tbody tr').count())).to.equal(30);
    await page.screenshot({ path: path.join(SCREENSHOTS, '50-analytics-range-error.png'), fullPage: false });
    expect(takeProblems()).to.deep.equal([]);
  });

  it('sorting the top posts by Likes puts the most liked post first', async () => {
    // 90 days so that there are surely several posts to order.
    await page.goto(live.url + '/analytics?range=90');
    const table = page.locator('table.posts-table');
    await table.waitFor();
    const headers = (await table.locator('thead th').allTextContents()).map((h) => h.replace(/▼/g, '').trim());
    const likesColumn = headers.indexOf(t('analytics.sort.likes'));
    expect(likesColumn, `Likes column among ${headers.join(' | ')}`).to.be.greaterThan(0);

    await Promise.all([page.waitForURL(/sort=likes/), table.locator('thead').getByRole('link', { name: t('analytics.sort.likes'), exact: true }).click()]);
    await page.waitForLoadState('load');
    expect(new URL(page.url()).searchParams.get('range')).to.equal('90');
    const sorted = page.locator('table.posts-table');
    expect(await sorted.locator('thead th').nth(likesColumn).getAttribute('aria-sort')).to.equal('descending');
    const rows = sorted.locator('tbody tr');
    expect(await rows.count(), 'posts in 90 days').to.be.at.least(2);
    const likes: Array<number | null> = [];
    for (let i = 0; i < (await rows.count()); i += 1) likes.push(numberIn((await rows.nth(i).locator('th, td').nth(likesColumn).textContent()) ?? ''));
    expect(likes[0], 'first row likes').to.be.a('number');
    expect(likes[1], 'second row likes').to.be.a('number');
    expect(likes[0] as number).to.be.at.least(likes[1] as number);
    const known = likes.filter((n): n is number => n !== null);
    expect(likes[0]).to.equal(Math.max(...known));
    expect(takeProblems()).to.deep.equal([]);
  });

  it('the printable report hides the navigation and the forms when printed and keeps the tables', async () => {
    await page.goto(live.url + '/analytics?range=30');
    await Promise.all([page.waitForURL(/\/analytics\/report\?/), page.getByRole('link', { name: t('analytics.report.open') }).click()]);
    await page.waitForLoadState('load');
    expect(new URL(page.url()).searchParams.get('range')).to.equal('30');
    expect(await page.locator('h1').first().textContent()).to.equal(t('analytics.report.heading', { username: live.t.services.accounts.repo.list()[0]!.username }));
    // On screen the top bar is there; no charts are drawn on the report.
    expect(await page.locator('.topbar').isVisible()).to.equal(true);
    expect(await page.locator('canvas').count()).to.equal(0);

    await page.emulateMedia({ media: 'print' });
    try {
      expect(await page.locator('.topbar').isVisible(), 'top bar in print').to.equal(false);
      expect(await page.locator('.footer').isVisible(), 'footer in print').to.equal(false);
      const forms = page.locator('form');
      expect(await forms.count()).to.be.greaterThan(0);
      for (let i = 0; i < (await forms.count()); i += 1) expect(await forms.nth(i).isVisible(), `form ${i} in print`).to.equal(false);
      expect(await page.locator('.no-print').first().isVisible(), 'back link in print').to.equal(false);
      const tables = page.locator('table.data-table');
      expect(await tables.count()).to.be.greaterThan(2);
      for (let i = 0; i < (await tables.count()); i += 1) expect(await tables.nth(i).isVisible(), `table ${i} in print`).to.equal(true);
      expect(await page.locator('section[aria-labelledby="reach-title"] table tbody tr').count()).to.equal(30);

      await page.screenshot({ path: path.join(SCREENSHOTS, '50-analytics-report-print.png'), fullPage: true });
      const pdf = path.join(SCREENSHOTS, '50-analytics-report.pdf');
      await page.pdf({ path: pdf, format: 'A4', printBackground: true });
      expect(fs.readFileSync(pdf).subarray(0, 5).toString('latin1')).to.equal('%PDF-');
    } finally {
      await page.emulateMedia({ media: 'screen' });
    }
    expect(takeProblems()).to.deep.equal([]);
  });

  it('without JavaScript the page shows the tables and no canvas', async () => {
    const plain = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', javaScriptEnabled: false });
    try {
      const nojs = await plain.newPage();
      await signIn(nojs);
      await nojs.goto(live.url + '/analytics');
      expect(await nojs.locator('canvas').count()).to.equal(0);
      expect(await nojs.locator('details').count()).to.equal(0);
      expect(await nojs.locator('.chart--drawn').count()).to.equal(0);
      const tables = nojs.locator('figure[data-chart] table[data-chart-table]');
      expect(await tables.count()).to.be.greaterThan(2);
      for (let i = 0; i < (await tables.count()); i += 1) expect(await tables.nth(i).isVisible(), `table ${i}`).to.equal(true);
      expect(await nojs.locator('section[aria-labelledby="reach-title"] table tbody tr').count()).to.equal(30);
      expect(await nojs.locator('table.posts-table').isVisible()).to.equal(true);
      await nojs.screenshot({ path: path.join(SCREENSHOTS, '50-analytics-no-js.png'), fullPage: true });
    } finally {
      await plain.close();
    }
  });

  it('on a phone the page does not scroll sideways, charts drawn or not, tables folded or open; wide tables scroll inside their own boxes', async () => {
    const phoneSize = { viewport: { width: 390, height: 844 }, locale: 'en-US', isMobile: true, hasTouch: true };
    const phone = await browser.newContext(phoneSize);
    const plain = await browser.newContext({ ...phoneSize, javaScriptEnabled: false });
    try {
      const small = await phone.newPage();
      const errors: string[] = [];
      small.on('console', (message) => {
        if (message.type() === 'error') errors.push(message.text());
      });
      small.on('pageerror', (error) => errors.push(error.message));
      await signIn(small);
      await small.goto(live.url + '/analytics');
      const figureCount = await small.locator('figure[data-chart]').count();
      await small.waitForFunction((n) => document.querySelectorAll('figure[data-chart].chart--drawn').length === n, figureCount, { timeout: 10_000 });
      const overflow: Record<string, Overflow> = {};
      overflow['charts, tables folded'] = await overflowOf(small);
      await small.screenshot({ path: path.join(SCREENSHOTS, '50-analytics-phone.png'), fullPage: true });

      // The wide tables (top posts, best times) are wider than a phone and scroll in their boxes.
      const scrollers = await small.evaluate(() =>
        Array.from(document.querySelectorAll('.table-scroll')).map((box) => ({ inner: box.scrollWidth, outer: box.clientWidth, overflowX: getComputedStyle(box).overflowX })),
      );
      const wide = scrollers.filter((s) => s.inner > s.outer);
      expect(wide.length, 'tables wider than the phone').to.be.greaterThan(0);
      for (const s of wide) expect(['auto', 'scroll']).to.include(s.overflowX);

      // Whoever opens "Show the numbers as a table" must not get a page that scrolls sideways either.
      const summaries = small.locator('figure[data-chart] > details > summary');
      for (let i = 0; i < (await summaries.count()); i += 1) await summaries.nth(i).click();
      overflow['charts, tables open'] = await overflowOf(small);
      await small.screenshot({ path: path.join(SCREENSHOTS, '50-analytics-phone-tables.png'), fullPage: true });

      const nojs = await plain.newPage();
      await signIn(nojs);
      await nojs.goto(live.url + '/analytics');
      overflow['no JavaScript'] = await overflowOf(nojs);

      const none: Overflow = { px: 0, culprits: [] };
      expect(overflow, 'document overflow on a 390 px phone').to.deep.equal({ 'charts, tables folded': none, 'charts, tables open': none, 'no JavaScript': none });
      expect(errors).to.deep.equal([]);
    } finally {
      await phone.close();
      await plain.close();
    }
  });
});
