// security.md rows 16 and 17: whatever a person typed or stored is escaped on every page, and
// nothing from the query string or the body reaches res.render as an option.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { CheerioAPI } from 'cheerio';
import { viewsDir } from '../../../src/paths.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser, PASSWORD } from '../../support/factories.js';
import { $, agentFor, csrfToken, signIn, type Agent } from '../../support/http.js';

const BREAKOUT = '"><script>alert(1)</script>';
const IMG = '<img src=x onerror=alert(1)>';

/** The only script a page may carry is our own file; no element may carry an inline handler. */
function expectNoInjectedMarkup(page: CheerioAPI): void {
  const scripts = page('script')
    .toArray()
    .map((el) => page(el).attr('src') ?? `inline:${page(el).text()}`);
  for (const src of scripts) expect(src).to.match(/^\/assets\/js\/app\.js/);
  expect(page('[onerror], [onload], [onclick]').length).to.equal(0);
  expect(page('img[src="x"]').length).to.equal(0);
}

function viewFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return viewFiles(full);
    return entry.name.endsWith('.ejs') ? [full] : [];
  });
}

describe('output escaping (security row 16)', () => {
  let t: TestApp;
  beforeEach(() => {
    t = createTestApp();
  });
  afterEach(() => t.close());

  it('every unescaped <%- in views/**/*.ejs is an include or the layout body', () => {
    const files = viewFiles(viewsDir);
    expect(files.length).to.be.greaterThan(5);
    const offenders: string[] = [];
    for (const file of files) {
      const source = fs.readFileSync(file, 'utf8');
      for (const match of source.matchAll(/<%-(.*?)%>/gs)) {
        const code = (match[1] ?? '').trim();
        if (!/^include\(/.test(code) && code !== 'body') offenders.push(`${path.relative(viewsDir, file)}: <%-${match[1] ?? ''}%>`);
      }
      // EJS's other raw forms would slip past the check above.
      if (/<%[_=-]?\s*(?:out|__output|__append)\b/.test(source)) offenders.push(`${path.relative(viewsDir, file)}: writes to the output buffer directly`);
    }
    expect(offenders).to.deep.equal([]);
  });

  it('no view reads fields of the raw request query or body', () => {
    for (const file of viewFiles(viewsDir)) {
      const source = fs.readFileSync(file, 'utf8');
      expect(source, path.relative(viewsDir, file)).to.not.match(/\b(?:query|body)\s*\./);
    }
  });

  it('POST /login re-renders a typed username containing markup escaped in the value attribute', async () => {
    await createUser(t, { username: 'aigerim' });
    const agent = agentFor(t);
    const token = await csrfToken(agent, '/login');
    const res = await agent.post('/login').type('form').send({ _csrf: token, username: BREAKOUT, password: 'wrong password here' });
    expect(res.status).to.equal(401);
    const page = $(res.text);
    expect(page('input[name="username"]').attr('value')).to.equal(BREAKOUT);
    expectNoInjectedMarkup(page);
    expect(res.text).to.contain('&lt;script&gt;');
    expect(res.text).to.not.contain(BREAKOUT);
  });

  it('POST /setup re-renders a typed username containing markup escaped', async () => {
    const agent = agentFor(t);
    const token = await csrfToken(agent, '/setup');
    const res = await agent
      .post('/setup')
      .type('form')
      .send({ _csrf: token, code: 'WRONG-CODE-0000', username: BREAKOUT, password: PASSWORD, passwordConfirm: PASSWORD });
    expect(res.status).to.equal(400);
    const page = $(res.text);
    expect(page('input[name="username"]').attr('value')).to.equal(BREAKOUT);
    expectNoInjectedMarkup(page);
    expect(res.text).to.not.contain(BREAKOUT);
  });

  it('POST /settings/users refuses a username with markup and re-renders it escaped', async () => {
    await createUser(t, { username: 'aigerim' });
    const { agent } = await signIn(t, 'aigerim');
    const token = await csrfToken(agent, '/settings/users');
    const res = await agent.post('/settings/users').type('form').send({ _csrf: token, username: '<script>alert(1)</script>', password: PASSWORD, role: 'editor' });
    expect(res.status).to.equal(400);
    const page = $(res.text);
    expect(page('#new-username').attr('value')).to.equal('<script>alert(1)</script>');
    expect(page('#new-username-error').text()).to.contain('Use 3–40 letters');
    expectNoInjectedMarkup(page);
    expect(t.services.users.repo.findByUsername('<script>alert(1)</script>')).to.equal(undefined);
  });

  describe('a stored username with markup (it got past the rules some other way)', () => {
    let owner: Agent;
    let oddId: number;

    beforeEach(async () => {
      await createUser(t, { username: 'aigerim' });
      // Straight into the table: the rules forbid it, so escaping is the only line left.
      const now = t.clock.now();
      oddId = t.services.users.repo.insert({ username: IMG, passwordHash: await t.services.hasher.hash(PASSWORD), role: 'editor', passwordChangedAt: now, createdAt: now }).id;
      owner = (await signIn(t, 'aigerim')).agent;
    });

    it('GET /settings/users shows it as text in the list and in translated labels', async () => {
      const res = await owner.get('/settings/users');
      expect(res.status).to.equal(200);
      const page = $(res.text);
      expectNoInjectedMarkup(page);
      expect(page(`#user-${oddId} strong`).text()).to.equal(IMG);
      expect(page(`label[for="role-${oddId}"]`).text()).to.equal(`Role of ${IMG}`);
    });

    it('GET /settings/users/:id/remove shows it as text inside the translated heading', async () => {
      const res = await owner.get(`/settings/users/${oddId}/remove`);
      expect(res.status).to.equal(200);
      const page = $(res.text);
      expectNoInjectedMarkup(page);
      expect(page('h1').text()).to.equal(`Remove ${IMG}?`);
    });

    it('the dashboard greeting and the top bar show it as text when that person signs in', async () => {
      const { agent, res } = await signIn(t, IMG);
      expect(res.status).to.equal(303);
      const home = await agent.get('/');
      expect(home.status).to.equal(200);
      const page = $(home.text);
      expectNoInjectedMarkup(page);
      expect(page('h1').text()).to.equal(`Hello, ${IMG}`);
      expect(page('.usermenu__name').text()).to.equal(IMG);
    });
  });

  it('a 404 for a path containing markup echoes it only escaped', async () => {
    await createUser(t, { username: 'aigerim' });
    const res = await agentFor(t).get('/%22%3E%3Cscript%3Ealert(1)%3C/script%3E');
    expect(res.status).to.equal(404);
    expectNoInjectedMarkup($(res.text));
    expect(res.text).to.not.contain('<script>alert(1)');
  });
});

describe('render options from the request (security row 17)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim' });
  });
  afterEach(() => t.close());

  const title = (html: string): string => $(html)('title').text();

  it('GET /login?settings[view options][outputFunctionName]=… renders the normal page and the process keeps serving', async () => {
    const agent = agentFor(t);
    const res = await agent.get('/login').query('settings[view options][outputFunctionName]=x;process.exit(1);s&settings[view options][client]=true');
    expect(res.status).to.equal(200);
    expect(title(res.text)).to.equal('Sign in · Qanat');
    expect((await agent.get('/healthz')).status).to.equal(200);
    expect((await agent.get('/login')).status).to.equal(200);
  });

  it('GET /login?layout=evil&title=evil&client=true renders the normal page with the normal title', async () => {
    const res = await agentFor(t).get('/login?layout=evil&title=evil&client=true&cache=true&filename=/etc/passwd&root=/&views=/tmp');
    expect(res.status).to.equal(200);
    expect(title(res.text)).to.equal('Sign in · Qanat');
    expect($(res.text)('h1').text()).to.equal('Sign in to Qanat');
    expect(res.text).to.not.contain('evil');
    expect(res.text).to.not.contain('root:');
  });

  it('GET /settings/users?title=evil&settings[views]=/tmp renders the signed-in page normally', async () => {
    const { agent } = await signIn(t, 'aigerim');
    const res = await agent.get('/settings/users?title=evil&layout=false&settings[views]=/tmp&settings[view engine]=html&user[role]=viewer');
    expect(res.status).to.equal(200);
    expect(title(res.text)).to.equal('Users · Qanat');
    expect(res.text).to.not.contain('evil');
  });

  it('an unknown path with render options in the query still gets the normal 404 page', async () => {
    const res = await agentFor(t).get('/nothing-here?settings[view options][outputFunctionName]=x;process.exit(1);s&title=evil');
    expect(res.status).to.equal(404);
    expect(title(res.text)).to.equal('Page not found · Qanat');
  });

  it('POST /login with render options in the body re-renders the normal form', async () => {
    const agent = agentFor(t);
    const token = await csrfToken(agent, '/login');
    const res = await agent
      .post('/login')
      .type('form')
      .send(`_csrf=${encodeURIComponent(token)}&username=nobody&password=wrong+password+here&title=evil&layout=evil&settings[view options][outputFunctionName]=x;process.exit(1);s&errorKey=evil`);
    expect(res.status).to.equal(401);
    expect(title(res.text)).to.equal('Sign in · Qanat');
    expect(res.text).to.not.contain('evil');
    expect((await agent.get('/healthz')).status).to.equal(200);
  });
});
