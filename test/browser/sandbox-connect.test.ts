import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, SCREENSHOTS, startLiveApp, type LiveApp } from '../support/browser.js';

const PASSWORD = 'a calm river under the steppe';

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

describe('browser: first run → connect a sandbox account → health panel → disconnect', function () {
  this.timeout(90_000);
  let browser: Browser;
  let live: LiveApp;

  before(async () => {
    browser = await launchBrowser();
    live = await startLiveApp();
  });
  after(async () => {
    await browser?.close();
    await live?.close();
  });

  it('a person sets up Qanat, connects the simulated Instagram account and sees its seeded data', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-US' });
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) blocked.push(m.text());
    });

    await page.goto(live.url + '/');
    await page.getByLabel('Setup code').fill(live.t.services.setup.code);
    await page.getByLabel('Username').fill('aigerim');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create owner and sign in' }).click();
    await page.waitForURL(live.url + '/');
    expect(await page.locator('.topbar .badge--sandbox').textContent()).to.equal('Sandbox');

    await page.getByRole('link', { name: 'Accounts' }).click();
    await page.waitForURL(live.url + '/accounts');
    await shot(page, '10-accounts-empty');
    await page.getByRole('link', { name: 'Connect an Instagram account' }).click();

    await page.waitForURL(/\/sandbox\/www\/oauth\/authorize/);
    expect(await page.locator('h1').textContent()).to.contain('@steppe_coffee');
    await shot(page, '11-sandbox-consent');
    await page.getByRole('button', { name: 'Allow' }).click();

    // Instagram's redirect ends in "#_", which browsers carry through our redirect.
    await page.waitForURL(/\/accounts\/\d+(#_)?$/);
    expect(await page.locator('[role="status"]').textContent()).to.contain('@steppe_coffee is connected');
    expect(await page.locator('h1').textContent()).to.equal('@steppe_coffee');
    const health = await page.locator('main').textContent();
    expect(health).to.contain('Connection health');
    expect(await page.locator('.permission--ok').count()).to.equal(5);
    const followers = live.t.simulator?.state.primaryAccount().followersCount ?? 0;
    expect(followers).to.be.greaterThan(1000);
    expect(health?.replace(/\D/g, '')).to.contain(String(followers));
    expect(await page.locator('.account-switcher__single').textContent()).to.equal('@steppe_coffee');
    await shot(page, '12-account-health');

    await page.getByRole('link', { name: 'Disconnect…' }).click();
    await page.waitForURL(/\/accounts\/\d+\/disconnect$/);
    expect(await page.locator('h1').textContent()).to.equal('Disconnect @steppe_coffee?');
    expect(await page.locator('main li').count()).to.be.greaterThan(3);
    await shot(page, '13-account-disconnect');
    await page.getByRole('button', { name: 'Yes, disconnect and delete' }).click();
    await page.waitForURL(live.url + '/accounts');
    expect(await page.locator('[role="status"]').textContent()).to.contain('disconnected');
    expect(await page.locator('.account').count()).to.equal(0);
    expect(live.t.db.sqlite.prepare('SELECT count(*) AS n FROM accounts').get()).to.deep.equal({ n: 0 });
    expect(blocked).to.deep.equal([]);
    await context.close();
  });
});
