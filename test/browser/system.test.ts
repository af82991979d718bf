// Settings → System in a real browser: the owner finds it through the Settings tabs, makes a
// backup, sees it listed, runs "Can Meta reach this instance?" against the live app and reads the
// OK and Problem badges; the page is screenshotted at desktop and phone width and must not be
// wider than a 390 px phone. The page works without JavaScript, so every action is a form post.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { launchBrowser, SCREENSHOTS, startLiveApp, watchProblems, type LiveApp } from '../support/browser.js';
import { createUser, PASSWORD } from '../support/factories.js';

const BACKUP_NAME = /^qanat-\d{4}-\d{2}-\d{2}T\d{6}Z(?:-\d{1,3})?\.backup$/;

const PHONE = 390;

/**
 * What sticks out on a phone: the document wider than the screen (a phone browser then zooms out,
 * so window.innerWidth grows past the device width too) and the outermost elements that end past
 * the right edge without a scrolling box around them.
 */
async function overflowOn(page: Page, width: number): Promise<string[]> {
  const found = await page.evaluate((screen) => {
    const root = document.documentElement;
    const out: string[] = [];
    if (root.scrollWidth > screen || window.innerWidth !== screen) out.push(`document.documentElement.scrollWidth ${root.scrollWidth} px, window.innerWidth ${window.innerWidth} px on a ${screen} px screen`);
    for (const el of Array.from(document.querySelectorAll('body *'))) {
      const box = el.getBoundingClientRect();
      if (box.width === 0 || box.right <= screen + 0.5 || !el.checkVisibility()) continue;
      let contained = false;
      for (let up = el.parentElement; up && up !== document.body; up = up.parentElement) {
        if (getComputedStyle(up).overflowX !== 'visible' || up.getBoundingClientRect().right > screen + 0.5) {
          contained = true;
          break;
        }
      }
      if (!contained) out.push(`${el.tagName.toLowerCase()}${el.className ? '.' + String(el.className).split(' ').join('.') : ''} "${(el.textContent ?? '').trim().slice(0, 40)}": ${Math.round(box.width)} px wide, ends at ${Math.round(box.right)} px`);
    }
    return out;
  }, width);
  return found;
}

function backupFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => BACKUP_NAME.test(name)) : [];
}

describe('browser: the owner backs up and checks reachability on Settings → System', function () {
  this.timeout(90_000);
  let browser: Browser;
  let live: LiveApp;
  const contexts: BrowserContext[] = [];
  /** Console errors, page errors and failed responses of the signed-in pages. */
  const problems: string[] = [];

  async function signedIn(options: { width: number; height: number; phone?: boolean }): Promise<Page> {
    const context = await browser.newContext({
      viewport: { width: options.width, height: options.height },
      locale: 'en-US',
      ...(options.phone ? { isMobile: true, hasTouch: true, deviceScaleFactor: 2 } : {}),
    });
    contexts.push(context);
    const page = await context.newPage();
    watchProblems(page, problems);
    await page.goto(live.url + '/login');
    await page.getByLabel('Username').fill('aigerim');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(live.url + '/');
    return page;
  }

  before(async () => {
    browser = await launchBrowser();
    live = await startLiveApp();
    await createUser(live.t, { username: 'aigerim' });
  });
  after(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    await live?.close();
  });

  it('opens System from the Settings tabs, backs up now, and sees OK and Problem badges after "Check now" (desktop)', async () => {
    const page = await signedIn({ width: 1280, height: 900 });
    await page.getByRole('navigation').getByRole('link', { name: 'Settings', exact: true }).first().click();
    await page.waitForURL(live.url + '/settings');
    const tabs = page.getByRole('navigation', { name: 'Settings sections' });
    await tabs.getByRole('link', { name: 'System' }).click();
    await page.waitForURL(live.url + '/settings/system');
    expect(await tabs.getByRole('link', { name: 'System' }).getAttribute('aria-current')).to.equal('page');
    expect(await page.getByText('No backups yet.').isVisible()).to.equal(true);
    expect(await page.getByText('Key on this disk').isVisible()).to.equal(true);

    await page.getByRole('button', { name: 'Back up now' }).click();
    await page.waitForURL(live.url + '/settings/system');
    const files = backupFiles(live.t.config.backup.dir);
    expect(files).to.have.length(1);
    const name = files[0] as string;
    const flash = page.locator('.alert--success');
    expect(await flash.isVisible()).to.equal(true);
    expect((await flash.textContent())?.trim()).to.match(new RegExp(`^Backup ${name.replace(/\./g, '\\.')} written \\(\\d+(\\.\\d MB| KB)\\)\\.$`));
    const rows = page.getByRole('list', { name: 'Backups' }).locator('li');
    expect(await rows.count()).to.equal(1);
    const download = rows.first().getByRole('link', { name: `Download ${name}` });
    expect(await download.isVisible()).to.equal(true);
    expect(await download.getAttribute('href')).to.equal(`/settings/system/backups/${name}`);
    expect(await page.getByText('No backups yet.').count()).to.equal(0);

    await page.getByRole('button', { name: 'Check now' }).click();
    await page.waitForURL(live.url + '/settings/system/reach');
    const status = page.getByRole('status').filter({ hasText: 'Problems to fix' });
    expect((await status.textContent())?.trim()).to.equal('Problems to fix: 2.');
    const items = page.locator('ul.checklist > li');
    expect(await items.count()).to.equal(6);
    const shown = await items.evaluateAll((lis) =>
      lis.map((li) => ({ badge: li.querySelector('.badge')?.textContent?.trim() ?? '', name: li.querySelector('strong')?.textContent?.trim() ?? '' })),
    );
    expect(shown).to.deep.equal([
      { badge: 'Problem', name: 'HTTPS' },
      { badge: 'Problem', name: 'Host name' },
      { badge: 'Not checked', name: 'DNS' },
      { badge: 'OK', name: 'Server' },
      { badge: 'OK', name: 'Media URL' },
      { badge: 'OK', name: 'Webhook URL' },
    ]);
    expect(await page.getByText('set PUBLIC_URL=https://your.domain in .env').isVisible()).to.equal(true);
    // The badges differ by more than their words: OK and Problem are coloured apart.
    const colours = await page.evaluate(() =>
      ['.checklist .badge--ok', '.checklist .badge--warn'].map((selector) => {
        const el = document.querySelector(selector);
        return el ? `${getComputedStyle(el).backgroundColor} / ${getComputedStyle(el).color}` : '';
      }),
    );
    const [ok = '', bad = ''] = colours;
    expect(ok).not.to.equal('');
    expect(ok).not.to.equal(bad);
    await page.screenshot({ path: path.join(SCREENSHOTS, '80-system-desktop.png'), fullPage: true });
    expect(problems).to.deep.equal([]);
  });

  it('fits a 390 px phone: backup, list and reach results without horizontal overflow', async () => {
    const page = await signedIn({ width: PHONE, height: 844, phone: true });
    await page.goto(live.url + '/settings/system');
    const overflow: Record<string, string[]> = {};
    overflow['page as opened'] = await overflowOn(page, PHONE);
    await page.screenshot({ path: path.join(SCREENSHOTS, '81-system-phone.png'), fullPage: true });

    await page.getByRole('button', { name: 'Back up now' }).click();
    await page.waitForURL(live.url + '/settings/system');
    expect(await page.locator('.alert--success').isVisible()).to.equal(true);
    expect(await page.getByRole('list', { name: 'Backups' }).locator('li').count()).to.equal(2);
    overflow['after Back up now'] = await overflowOn(page, PHONE);
    await page.screenshot({ path: path.join(SCREENSHOTS, '82-system-phone-backup.png'), fullPage: true });

    await page.getByRole('button', { name: 'Check now' }).click();
    await page.waitForURL(live.url + '/settings/system/reach');
    expect(await page.locator('ul.checklist > li').count()).to.equal(6);
    expect(await page.locator('ul.checklist .badge--ok').count()).to.equal(3);
    expect(await page.locator('ul.checklist .badge--warn').count()).to.equal(2);
    overflow['after Check now'] = await overflowOn(page, PHONE);
    await page.screenshot({ path: path.join(SCREENSHOTS, '83-system-phone-reach.png'), fullPage: true });

    expect(overflow, 'nothing wider than the phone').to.deep.equal({ 'page as opened': [], 'after Back up now': [], 'after Check now': [] });
    expect(problems).to.deep.equal([]);
  });
});
