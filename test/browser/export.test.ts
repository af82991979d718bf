import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { launchBrowser, SCREENSHOTS, startLiveApp, type LiveApp } from '../support/browser.js';
import { connectAccount, signInLive } from '../support/accounts.js';
import { createUser, PASSWORD } from '../support/factories.js';

describe('browser: the owner downloads a copy of the data', function () {
  this.timeout(90_000);
  let browser: Browser;
  let live: LiveApp;

  before(async () => {
    browser = await launchBrowser();
    live = await startLiveApp();
    const owner = await createUser(live.t, { username: 'aigerim' });
    await connectAccount(live, await signInLive(live, owner.username));
    await live.t.simulator!.people.comment({ text: 'Экспорт проверка', username: 'dana_shop' });
    await live.t.services.webhooks.idle();
  });
  after(async () => {
    await browser?.close();
    await live?.close();
  });

  it('Settings → My data → Download ZIP saves a ZIP holding every kind of data', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US', acceptDownloads: true });
    const page = await context.newPage();
    await page.goto(live.url + '/login');
    await page.getByLabel('Username').fill('aigerim');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(live.url + '/');
    await page.goto(live.url + '/settings');
    await page.getByRole('link', { name: 'My data' }).click();
    await page.waitForURL(live.url + '/settings/export');
    await page.screenshot({ path: path.join(SCREENSHOTS, '62-export.png') });
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download ZIP' }).click()]);
    expect(download.suggestedFilename()).to.match(/^qanat-all-\d{4}-\d{2}-\d{2}\.zip$/);
    const file = path.join(live.t.dir, 'download.zip');
    await download.saveAs(file);
    const zip = fs.readFileSync(file);
    expect(zip.subarray(0, 4).toString('hex'), 'a ZIP file').to.equal('504b0304');
    for (const entry of ['README.json', 'data/accounts.json', 'data/comments.json', 'data/audit_log.json']) expect(zip.includes(Buffer.from(entry, 'ascii')), entry).to.equal(true);
    await context.close();
  });
});
