import path from 'node:path';
import { expect } from 'chai';
import type { Browser } from 'playwright-core';
import { launchBrowser, SCREENSHOTS, startLiveApp, type LiveApp } from '../support/browser.js';
import { connectAccount, signInLive } from '../support/accounts.js';
import { photo } from '../support/content.js';
import { createUser, PASSWORD } from '../support/factories.js';
import { utcParts } from '../support/publishing.js';

describe('browser: a post scheduled a minute ahead turns published before the person’s eyes', function () {
  this.timeout(120_000);
  let browser: Browser;
  let live: LiveApp;

  before(async () => {
    browser = await launchBrowser();
    live = await startLiveApp();
    const owner = await createUser(live.t, { username: 'aigerim' });
    await connectAccount(live, await signInLive(live, owner.username));
  });
  after(async () => {
    await browser?.close();
    await live?.close();
  });

  it('schedule in sandbox mode, a minute passes, the post page shows Published with its status log and permalink', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    const page = await context.newPage();
    await page.goto(live.url + '/login');
    await page.getByLabel('Username').fill('aigerim');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(live.url + '/');

    await page.goto(live.url + '/compose');
    await page.locator('#compose-files').setInputFiles({ name: 'latte.jpg', mimeType: 'image/jpeg', buffer: await photo(1080, 1350) });
    await page.getByRole('textbox', { name: 'Caption' }).fill('Live from the sandbox #latte');
    await page.getByLabel('First comment (optional)').fill('#coffee');
    const due = Math.floor(live.t.clock.now() / 60_000) * 60_000 + 60_000;
    const { date, time } = utcParts(due);
    await page.getByLabel('Date').fill(date);
    await page.getByLabel('Time', { exact: true }).fill(time);
    await page.getByRole('button', { name: 'Schedule' }).click();
    await page.waitForURL(/\/posts\/\d+$/);
    expect(await page.locator('.page-head .state').textContent()).to.equal('Scheduled');
    const postId = Number(/\/posts\/(\d+)$/.exec(page.url())?.[1]);

    // A minute passes: the engine's timer would fire now; here the test plays the timer.
    live.t.clock.set(due);
    await live.t.services.engine.runDue();
    expect(live.t.services.posts.get(postId).state).to.equal('published');

    // The page watches the post and reloads itself once it has changed.
    await page.waitForFunction(() => document.querySelector('.page-head .state')?.textContent === 'Published', undefined, { timeout: 15_000 });
    const status = await page.locator('.post-status').textContent();
    expect(status).to.contain('Published on');
    expect(await page.getByRole('link', { name: 'View on Instagram' }).first().getAttribute('href')).to.match(/^https:\/\/www\.instagram\.com\/p\//);
    const log = await page.locator('.timeline').textContent();
    for (const step of ['Scheduled for', 'Picked up for publishing', 'Instagram received the media', 'Ready to publish', 'Publishing', 'Published', 'First comment posted']) expect(log).to.contain(step);
    await page.screenshot({ path: path.join(SCREENSHOTS, '30-post-published.png'), fullPage: true });
  });
});
