// Issue acceptance 4 (last part): an owner sets up two-factor sign-in in a real browser and then
// signs in with the password and a code from the authenticator app.
import path from 'node:path';
import { expect } from 'chai';
import * as OTPAuth from 'otpauth';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, SCREENSHOTS, startLiveApp, type LiveApp } from '../support/browser.js';
import { createUser, PASSWORD } from '../support/factories.js';

function codeAt(secret: string, timestamp: number): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp });
}

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

describe('browser: two-factor sign-in', function () {
  this.timeout(30_000);
  let browser: Browser;
  let live: LiveApp;
  const consoleErrors: string[] = [];

  before(async () => {
    browser = await launchBrowser();
    live = await startLiveApp();
    await createUser(live.t, { username: 'aigerim', role: 'owner' });
  });
  after(async () => {
    await live?.close();
    await browser?.close();
  });

  it('an owner sets it up from Settings, then signs in with the password and the next code', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    const page = await context.newPage();
    page.on('console', (message) => {
      if (message.type() === 'error' || /Content Security Policy|Refused to/i.test(message.text())) consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));

    await page.goto(live.url + '/login');
    await page.getByLabel('Username').fill('aigerim');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(live.url + '/');

    await page.getByRole('link', { name: 'Settings' }).first().click();
    await page.waitForURL(live.url + '/settings');
    await page.getByRole('link', { name: 'Two-factor' }).click();
    await page.waitForURL(live.url + '/settings/2fa');
    expect(await page.locator('main').textContent()).to.contain('Off: signing in needs only your password.');

    await page.getByRole('button', { name: 'Set up two-factor sign-in' }).click();
    await page.locator('code.secret').waitFor();
    const secret = ((await page.locator('code.secret').textContent()) ?? '').trim();
    expect(secret).to.match(/^[A-Z2-7]{32}$/);
    // The QR code is an image that really rendered (CSP allows data: images).
    const qrWidth = await page.locator('img.qr').evaluate((img) => (img as HTMLImageElement).naturalWidth);
    expect(qrWidth).to.be.greaterThan(0);
    await shot(page, '70-2fa-setup');

    await page.getByLabel('Code from the app').fill(codeAt(secret, live.t.clock.now()));
    await page.getByRole('button', { name: 'Turn on' }).click();
    await page.locator('ul.recovery-codes').waitFor();
    const codes = await page.locator('ul.recovery-codes li code').allTextContents();
    expect(codes).to.have.length(10);
    expect(await page.locator('main').textContent()).to.contain('Two-factor sign-in is on.');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(live.url + '/login');

    await page.getByLabel('Username').fill('aigerim');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(live.url + '/login/code');
    expect(await page.locator('h1').textContent()).to.contain('Enter your sign-in code');
    await shot(page, '71-2fa-code');

    live.t.clock.advance(30_000);
    await page.getByLabel('Code', { exact: true }).fill(codeAt(secret, live.t.clock.now()));
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(live.url + '/');
    expect(await page.locator('h1').textContent()).to.contain('Hello, aigerim');

    expect(consoleErrors).to.deep.equal([]);
    await context.close();
  });
});
