import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, SCREENSHOTS, startLiveApp, type LiveApp } from '../support/browser.js';
import { connectAccount, signInLive } from '../support/accounts.js';
import { photo } from '../support/content.js';
import { createUser, PASSWORD } from '../support/factories.js';

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

describe('browser: upload an off-ratio photo → crop → schedule → it is in the calendar', function () {
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

  async function signedInPage(viewport: { width: number; height: number }): Promise<{ page: Page; blocked: string[] }> {
    const context = await browser.newContext({ viewport, locale: 'en-US' });
    const page = await context.newPage();
    const blocked: string[] = [];
    page.on('console', (m) => {
      if (/Content Security Policy|Refused to/i.test(m.text())) blocked.push(m.text());
    });
    await page.goto(live.url + '/login');
    await page.getByLabel('Username').fill('aigerim');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(live.url + '/');
    return { page, blocked };
  }

  it('a person composes a photo post from a 3:1 panorama, crops it, schedules it and finds it in the calendar', async () => {
    const { page, blocked } = await signedInPage({ width: 1280, height: 900 });
    // The owner plans in Almaty time: the composer and the calendar follow.
    await page.getByRole('link', { name: 'Settings' }).click();
    await page.getByLabel('Time zone').selectOption('Asia/Almaty');
    await page.locator('form[action="/settings/time-zone"] button').click();
    expect(await page.locator('.flashes').textContent()).to.contain('Your time zone has been saved.');
    await page.getByRole('link', { name: 'Compose' }).click();
    await page.waitForURL(live.url + '/compose');
    await shot(page, '20-composer-empty');

    await page.locator('#compose-files').setInputFiles({ name: 'panorama.jpg', mimeType: 'image/jpeg', buffer: await photo(3000, 1000) });
    await page.getByRole('button', { name: 'Save and update preview' }).click();
    await page.waitForURL(/\/posts\/\d+$/);
    const postId = Number(/\/posts\/(\d+)$/.exec(page.url())?.[1]);

    // Outside 4:5–1.91:1: the person is asked to choose, crop is preselected.
    const fit = page.getByRole('group', { name: /outside what Instagram allows/ });
    await fit.getByLabel('Crop to fit').check();
    await page.locator('input[name^="fx_"]').evaluate((el: HTMLInputElement) => {
      el.value = '15';
    });
    await page.getByRole('textbox', { name: 'Caption' }).fill('First light over the steppe #almaty #coffee @friend');
    expect(await page.locator('[data-count="hashtags"]').textContent()).to.match(/^2 hashtags/);
    await page.getByRole('button', { name: 'Save and update preview' }).click();
    await page.waitForURL(new RegExp(`/posts/${postId}$`));
    const item = live.t.services.posts.repo.mediaOf(postId)[0];
    expect(item?.fitMode).to.equal('crop');
    expect(item?.focusX).to.be.closeTo(0.15, 0.001);
    expect((item?.outputWidth as number) / (item?.outputHeight as number)).to.be.closeTo(1.91, 0.01);
    expect(await page.locator('.preview__image').getAttribute('src')).to.match(new RegExp(`^/posts/${postId}/media/[0-9]+/output`));
    await shot(page, '21-composer-cropped');

    await page.getByLabel('Date').fill('2026-01-20');
    await page.getByLabel('Time', { exact: true }).fill('09:30');
    expect(await page.getByLabel('Time zone').inputValue()).to.equal('Asia/Almaty');
    await page.getByRole('button', { name: 'Schedule' }).click();
    await page.waitForURL(new RegExp(`/posts/${postId}$`));
    expect(await page.locator('.flashes').textContent()).to.contain('Scheduled.');
    expect(live.t.services.posts.get(postId).state).to.equal('scheduled');

    await page.getByRole('link', { name: 'Calendar' }).first().click();
    await page.waitForURL(/\/calendar/);
    const day = page.locator('td[data-date="2026-01-20"]');
    expect(await day.locator('.chip__time').textContent()).to.equal('09:30');
    expect(await day.locator('.chip__state').textContent()).to.equal('Scheduled');
    await shot(page, '22-calendar-month');
    await page.getByRole('link', { name: 'Week', exact: true }).click();
    await page.goto(live.url + '/calendar?view=week&date=2026-01-20');
    await shot(page, '23-calendar-week');
    await page.goto(live.url + '/queue');
    await shot(page, '24-queue');
    expect(blocked).to.deep.equal([]);
  });

  it('on a phone the composer stacks and the calendar becomes a list of days', async () => {
    const { page, blocked } = await signedInPage({ width: 390, height: 844 });
    const postId = live.t.services.posts.repo.list({})[0]?.id;
    await page.goto(`${live.url}/posts/${postId}`);
    await shot(page, '25-composer-phone');
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(width).to.be.at.most(390);
    await page.goto(live.url + '/calendar');
    expect(await page.locator('td[data-date="2026-01-20"] .chip__time').isVisible()).to.equal(true);
    expect(await page.locator('td[data-date="2026-01-21"]').isVisible()).to.equal(false);
    await shot(page, '26-calendar-phone');
    expect(blocked).to.deep.equal([]);
  });
});
