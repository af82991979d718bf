import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, SCREENSHOTS, startLiveApp, type LiveApp } from '../support/browser.js';

const PASSWORD = 'a calm river under the steppe';

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

describe('browser: from first run to a connected sandbox account', function () {
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
    await page.waitForURL(/\/accounts(#_)?$/);
    expect(await page.locator('[role="status"]').textContent()).to.contain('@steppe_coffee is connected');
    const card = page.locator('.account').first();
    expect(await card.locator('.account__name').textContent()).to.contain('@steppe_coffee');
    const facts = await card.locator('.facts').textContent();
    const followers = live.t.simulator?.state.primaryAccount().followersCount ?? 0;
    expect(followers).to.be.greaterThan(1000);
    expect(facts?.replace(/\D/g, '')).to.contain(String(followers));
    await shot(page, '12-accounts-connected');
    expect(blocked).to.deep.equal([]);
    await context.close();
  });
});
