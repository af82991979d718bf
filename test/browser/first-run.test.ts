import path from 'node:path';
import { expect } from 'chai';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, SCREENSHOTS, startLiveApp, type LiveApp } from '../support/browser.js';

const PASSWORD = 'a calm river under the steppe';

async function shot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`), fullPage: true });
}

describe('browser: first run, sign in, Kazakh, sign out', function () {
  this.timeout(90_000);
  let browser: Browser;
  let live: LiveApp;
  const cspViolations: string[] = [];

  before(async () => {
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
  });
  beforeEach(async () => {
    live = await startLiveApp();
    cspViolations.length = 0;
  });
  afterEach(async () => {
    await live.close();
  });

  function watch(page: Page): void {
    page.on('console', (message) => {
      if (/Content Security Policy|Refused to/i.test(message.text())) cspViolations.push(message.text());
    });
  }

  it('a person sets up the owner, signs in, switches to Kazakh and signs out', async () => {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, locale: 'en-US' });
    const page = await context.newPage();
    watch(page);

    await page.goto(live.url + '/');
    expect(new URL(page.url()).pathname).to.equal('/setup');
    await shot(page, '01-setup');

    await page.getByLabel('Setup code').fill(live.t.services.setup.code.toLowerCase());
    await page.getByLabel('Username').fill('aigerim');
    await page.getByLabel('Password', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Repeat the password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Create owner and sign in' }).click();
    await page.waitForURL(live.url + '/');
    expect(await page.locator('h1').textContent()).to.contain('Hello, aigerim');
    expect(await page.locator('[role="status"]').textContent()).to.contain('ready');
    await shot(page, '02-dashboard');

    // The stylesheet really applies (no CSP block): the primary button has the accent colour.
    await page.goto(live.url + '/settings');
    const accent = await page.locator('.button--primary').first().evaluate((el) => getComputedStyle(el).backgroundColor);
    expect(accent).to.equal('rgb(15, 118, 110)');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL(live.url + '/login');
    await page.getByLabel('Username').fill('aigerim');
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(live.url + '/');

    // The footer picker submits itself on change (JavaScript) …
    await page.getByLabel('Language', { exact: true }).selectOption('kk');
    await page.waitForFunction(() => document.documentElement.lang === 'kk');
    expect(await page.locator('h1').textContent()).to.contain('Сәлеметсіз бе, aigerim');
    await shot(page, '03-dashboard-kk');

    await page.getByRole('button', { name: 'Шығу' }).click();
    await page.waitForURL(live.url + '/login');
    expect(await page.locator('html').getAttribute('lang')).to.equal('kk');
    expect(await page.locator('[role="status"]').textContent()).to.contain('шықтыңыз');
    await shot(page, '04-signed-out-kk');

    const row = live.t.db.sqlite.prepare('SELECT language FROM users WHERE username = ?').get('aigerim') as { language: string };
    expect(row.language).to.equal('kk');
    expect(cspViolations).to.deep.equal([]);
    await context.close();
  });

  it('works without JavaScript and on a phone, in Russian', async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 375, height: 740 },
      deviceScaleFactor: 2,
      isMobile: true,
      locale: 'ru-RU',
      extraHTTPHeaders: { 'Accept-Language': 'ru-RU,ru;q=0.9' },
    });
    const page = await context.newPage();
    watch(page);
    await page.goto(live.url + '/setup');
    expect(await page.locator('h1').textContent()).to.contain('Добро пожаловать');

    // A wrong code: the form comes back with the username kept and the error beside the field.
    await page.getByLabel('Код настройки').fill('WRONG-CODE-0000');
    await page.getByLabel('Имя пользователя').fill('marat');
    await page.getByLabel('Пароль', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Повторите пароль').fill(PASSWORD);
    await page.getByRole('button', { name: 'Создать владельца и войти' }).click();
    expect(await page.locator('#field-code-error').textContent()).to.contain('неверен');
    expect(await page.getByLabel('Имя пользователя').inputValue()).to.equal('marat');
    await shot(page, '05-phone-setup-error-ru');

    await page.getByLabel('Код настройки').fill(live.t.services.setup.code);
    await page.getByLabel('Пароль', { exact: true }).fill(PASSWORD);
    await page.getByLabel('Повторите пароль').fill(PASSWORD);
    await page.getByRole('button', { name: 'Создать владельца и войти' }).click();
    await page.waitForURL(live.url + '/');
    expect(await page.locator('h1').textContent()).to.contain('Здравствуйте, marat');
    await shot(page, '06-phone-dashboard-ru');

    // Without JavaScript the picker has an Apply button.
    await page.getByLabel('Язык', { exact: true }).selectOption('kk');
    await page.getByRole('button', { name: 'Применить' }).click();
    await page.waitForURL(live.url + '/');
    expect(await page.locator('html').getAttribute('lang')).to.equal('kk');

    await page.goto(live.url + '/settings/users');
    await shot(page, '07-phone-users-kk');
    expect(cspViolations).to.deep.equal([]);
    await context.close();
  });
});
