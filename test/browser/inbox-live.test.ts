import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, SCREENSHOTS, startLiveApp, type LiveApp } from '../support/browser.js';
import { connectAccount, signInLive } from '../support/accounts.js';
import { createUser, PASSWORD } from '../support/factories.js';

describe('browser: the inbox updates live; a webhook comment is answered, and so is a direct message', function () {
  this.timeout(120_000);
  let browser: Browser;
  let live: LiveApp;
  let page: Page;

  before(async () => {
    browser = await launchBrowser();
    live = await startLiveApp();
    const owner = await createUser(live.t, { username: 'aigerim' });
    await connectAccount(live, await signInLive(live, owner.username));
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-US' });
    page = await context.newPage();
    await page.goto(live.url + '/login');
    await page.getByLabel('Username').fill('aigerim');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(live.url + '/');
  });
  after(async () => {
    await browser?.close();
    await live?.close();
  });

  it('a comment sent as a webhook appears in the open inbox without a reload, with the counts; replying posts it on Instagram', async () => {
    await page.goto(live.url + '/inbox/comments');
    expect(await page.locator('.thread').count()).to.equal(0);
    // The stream is open before anything happens, so the comment can only arrive live.
    await page.waitForFunction(() => document.documentElement.dataset['inboxLive'] === 'open', undefined, { timeout: 5_000 });
    const marker = await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
      return true;
    });
    expect(marker).to.equal(true);

    const sim = live.t.simulator!;
    const sent = await sim.people.comment({ text: 'Do you ship to Shymkent? 📦', username: 'dana_shop' });
    expect(sent.webhook).to.equal('sent');
    await page.locator('.thread', { hasText: 'Do you ship to Shymkent?' }).waitFor({ timeout: 5_000 });
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).to.equal(true);
    expect(await page.locator('.mainnav [data-inbox-count="total"]').textContent()).to.equal('1');
    expect(await page.locator('.tabs [data-inbox-count="comments"]').textContent()).to.equal('1');
    await page.screenshot({ path: path.join(SCREENSHOTS, '40-inbox-comment-live.png'), fullPage: true });

    const thread = page.locator('.thread', { hasText: 'Do you ship to Shymkent?' });
    await thread.getByText('Reply', { exact: true }).click();
    await thread.getByLabel('Public reply to @dana_shop').fill('Yes, in 2–3 days!');
    await thread.getByRole('button', { name: 'Post reply' }).click();
    await page.waitForURL(/\/inbox\/comments/);
    await page.getByText('Your reply is posted.').waitFor();
    const replies = [...sim.state.comments.values()].filter((c) => c.parentId === sent.id);
    expect(replies.map((r) => r.text)).to.deep.equal(['Yes, in 2–3 days!']);
    await page.locator('.thread__replies', { hasText: 'Yes, in 2–3 days!' }).waitFor();
    expect(await page.locator('.mainnav [data-inbox-count="total"]').isHidden()).to.equal(true);
    await page.screenshot({ path: path.join(SCREENSHOTS, '41-inbox-comment-replied.png'), fullPage: true });
  });

  it('a direct message arrives live in the conversation list; the thread shows the window and the reply goes to Instagram', async () => {
    await page.goto(live.url + '/inbox/messages');
    await page.waitForFunction(() => document.documentElement.dataset['inboxLive'] === 'open', undefined, { timeout: 5_000 });
    const sim = live.t.simulator!;
    const sent = await sim.people.message({ text: 'Is the blue scarf still in stock?', username: 'aruzhan.k' });
    expect(sent.webhook).to.equal('sent');
    const row = page.locator('.conversation', { hasText: 'Is the blue scarf still in stock?' });
    await row.waitFor({ timeout: 5_000 });
    await row.locator('a').click();
    await page.waitForURL(/\/inbox\/messages\/\d+$/);
    expect(await page.locator('.window').textContent()).to.match(/You can reply for another 2[34] h/);
    await page.getByLabel('Your reply').fill('Yes! Shall I keep one for you?');
    await page.getByRole('button', { name: 'Send', exact: true }).click();
    await page.getByText('Message sent.').waitFor();
    const outbound = [...sim.state.messages.values()].filter((m) => m.conversationId === sent.conversationId && m.direction === 'out');
    expect(outbound.map((m) => m.text)).to.deep.equal(['Yes! Shall I keep one for you?']);
    await live.t.services.webhooks.idle();
    await page.reload();
    expect(await page.locator('.message--out').allTextContents()).to.have.length(1);
    await page.screenshot({ path: path.join(SCREENSHOTS, '42-inbox-dm-replied.png'), fullPage: true });

    // On a phone: the thread and reply box fit the width.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).to.be.at.most(0);
    await page.screenshot({ path: path.join(SCREENSHOTS, '43-inbox-dm-phone.png'), fullPage: true });
  });
});
