// security.md row 18: an internal error shows a generic page without internals, the log keeps
// the detail, nothing is left half-written and the process keeps serving. Plus the 404 pages.
import { expect } from 'chai';
import type { UserRow } from '../../../src/features/users/users.repo.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser, PASSWORD } from '../../support/factories.js';
import { $, agentFor, csrfToken, signIn, type Agent } from '../../support/http.js';

/** Nothing a person should ever see on an error page. */
function expectNoInternals(html: string): void {
  expect(html).to.not.match(/^\s+at .+$/m);
  expect(html).to.not.match(/\bat .*:\d+:\d+/);
  expect(html).to.not.contain('/work/');
  expect(html).to.not.contain('node_modules');
  expect(html).to.not.match(/\.ts\b/);
  expect(html).to.not.contain('SqliteError');
  expect(html).to.not.contain('no such table');
}

const breakAuditLog = (t: TestApp): void => {
  t.db.sqlite.exec('DROP TABLE audit_log');
};

describe('internal errors (security row 18)', () => {
  let t: TestApp;
  let owner: Agent;
  let ownerRow: UserRow;

  beforeEach(async () => {
    t = createTestApp();
    ownerRow = await createUser(t, { username: 'aigerim', role: 'owner' });
    owner = (await signIn(t, 'aigerim')).agent;
  });
  afterEach(() => t.close());

  it('a failing database write answers a generic 500 page without a stack trace', async () => {
    const token = await csrfToken(owner, '/settings');
    breakAuditLog(t);
    const res = await owner.post('/language').type('form').send({ _csrf: token, language: 'ru', returnTo: '/settings' });
    expect(res.status).to.equal(500);
    expect(res.headers['content-type']).to.match(/^text\/html/);
    expect(res.headers['cache-control']).to.equal('no-store');
    const page = $(res.text);
    expect(page('title').text()).to.equal('Something went wrong · Qanat');
    expect(page('h1').text()).to.equal('Something went wrong');
    expect(page('main').text()).to.contain('Qanat hit an unexpected error');
    expectNoInternals(res.text);
  });

  it('the log of a 500 keeps the error message, its stack and the request path', async () => {
    const token = await csrfToken(owner, '/settings');
    breakAuditLog(t);
    await owner.post('/language').type('form').send({ _csrf: token, language: 'ru', returnTo: '/settings' });
    const failure = t.logs.lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((entry) => entry['msg'] === 'request failed');
    expect(failure, 'a "request failed" log line').to.not.equal(undefined);
    const err = failure?.['err'] as { message?: string; stack?: string } | undefined;
    expect(err?.message).to.contain('no such table: audit_log');
    expect(err?.stack).to.match(/\n\s+at /);
    expect(failure?.['path']).to.equal('/language');
    expect(failure?.['method']).to.equal('POST');
  });

  it('the app keeps serving other pages after a 500', async () => {
    const token = await csrfToken(owner, '/settings');
    breakAuditLog(t);
    expect((await owner.post('/language').type('form').send({ _csrf: token, language: 'ru', returnTo: '/' })).status).to.equal(500);
    expect((await owner.get('/settings')).status).to.equal(200);
    expect((await owner.get('/')).status).to.equal(200);
    expect((await agentFor(t).get('/healthz')).status).to.equal(200);
  });

  it('the 500 page is in the signed-in person’s language', async () => {
    t.services.users.setLanguage(ownerRow, 'ru');
    const token = await csrfToken(owner, '/settings');
    breakAuditLog(t);
    const res = await owner.post('/logout').type('form').send({ _csrf: token });
    expect(res.status).to.equal(500);
    const page = $(res.text);
    expect(page('html').attr('lang')).to.equal('ru');
    expect(page('h1').text()).to.equal('Что-то пошло не так');
    expectNoInternals(res.text);
  });

  it('a closed database answers a generic 500 page, and /healthz reports 503', async () => {
    t.db.close();
    const res = await owner.get('/settings');
    expect(res.status).to.equal(500);
    expect(res.text).to.contain('Qanat hit an unexpected error');
    expectNoInternals(res.text);
    const health = await agentFor(t).get('/healthz');
    expect(health.status).to.equal(503);
    expect(health.body).to.deep.include({ status: 'error', database: 'unavailable' });
  });

  it('an internal error while adding a user leaves no half-written user behind', async () => {
    const token = await csrfToken(owner, '/settings/users');
    breakAuditLog(t);
    const res = await owner.post('/settings/users').type('form').send({ _csrf: token, username: 'marat', password: PASSWORD, role: 'editor' });
    expect(res.status).to.equal(500);
    expectNoInternals(res.text);
    // The person was told it failed, so the user must not exist (a retry would say "taken").
    expect(t.services.users.repo.findByUsername('marat')).to.equal(undefined);
  });

  it('an internal error while changing a role leaves the role and the sessions as they were', async () => {
    const dana = await createUser(t, { username: 'dana', role: 'editor' });
    const danaAgent = (await signIn(t, 'dana')).agent;
    const token = await csrfToken(owner, '/settings/users');
    breakAuditLog(t);
    const res = await owner.post(`/settings/users/${dana.id}/role`).type('form').send({ _csrf: token, role: 'viewer' });
    expect(res.status).to.equal(500);
    expect(t.services.users.findById(dana.id)?.role).to.equal('editor');
    expect(t.services.sessions.countForUser(dana.id)).to.equal(1);
    expect((await danaAgent.get('/')).status).to.equal(200);
  });
});

describe('pages that do not exist', () => {
  let t: TestApp;
  let ownerRow: UserRow;
  beforeEach(async () => {
    t = createTestApp();
    ownerRow = await createUser(t, { username: 'aigerim', role: 'owner' });
  });
  afterEach(() => t.close());

  it('GET an unknown path answers a 404 page in English by default', async () => {
    const res = await agentFor(t).get('/no-such-page');
    expect(res.status).to.equal(404);
    const page = $(res.text);
    expect(page('html').attr('lang')).to.equal('en');
    expect(page('title').text()).to.equal('Page not found · Qanat');
    expect(page('h1').text()).to.equal('Page not found');
    expectNoInternals(res.text);
  });

  it('GET an unknown path with Accept-Language: ru answers a Russian 404 page', async () => {
    const res = await agentFor(t).get('/no-such-page').set('Accept-Language', 'ru');
    expect(res.status).to.equal(404);
    const page = $(res.text);
    expect(page('html').attr('lang')).to.equal('ru');
    expect(page('title').text()).to.equal('Страница не найдена · Qanat');
    expect(page('h1').text()).to.equal('Страница не найдена');
  });

  it('GET an unknown path for a signed-in person answers a 404 page in their language', async () => {
    t.services.users.setLanguage(ownerRow, 'kk');
    const { agent } = await signIn(t, 'aigerim');
    const res = await agent.get('/no-such-page').set('Accept-Language', 'ru');
    expect(res.status).to.equal(404);
    expect($(res.text)('html').attr('lang')).to.equal('kk');
  });

  it('GET /assets/x.css for a file that does not exist answers 404', async () => {
    const res = await agentFor(t).get('/assets/x.css');
    expect(res.status).to.equal(404);
    expectNoInternals(res.text);
  });

  it('GET /assets/css/app.css serves the stylesheet', async () => {
    const res = await agentFor(t).get('/assets/css/app.css');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/css/);
  });

  it('GET /assets with an encoded ../ does not serve files outside the assets folder', async () => {
    const res = await agentFor(t).get('/assets/%2e%2e/%2e%2e/package.json');
    expect(res.status).to.be.within(400, 404);
    expect(res.text).to.not.contain('"dependencies"');
    expectNoInternals(res.text);
  });

  it('GET /settings/users/:id/remove for an unknown id answers 404 with the reason', async () => {
    const { agent } = await signIn(t, 'aigerim');
    const res = await agent.get('/settings/users/999/remove');
    expect(res.status).to.equal(404);
    expect($(res.text)('main').text()).to.contain('This user does not exist');
  });

  it('GET /settings/users/:id/remove with a non-numeric id answers 404', async () => {
    const { agent } = await signIn(t, 'aigerim');
    for (const id of ['abc', '1e3', '-1', '0', '99999999999999999999']) {
      const res = await agent.get(`/settings/users/${id}/remove`);
      expect(res.status, id).to.equal(404);
    }
  });

  it('a malformed percent-encoding in the path answers a 4xx page without a stack trace', async () => {
    const res = await agentFor(t).get('/settings/users/%E0%A4%A/remove');
    expect(res.status).to.be.oneOf([400, 404]);
    expectNoInternals(res.text);
  });

  // The body parser fails before the page locals are set: the error handler must still render its page.
  it('a form body over the size limit answers 413 with the HTML error page, not a stack trace', async () => {
    const res = await agentFor(t)
      .post('/login')
      .type('form')
      .send(`username=${'a'.repeat(70 * 1024)}&password=x`);
    expect(res.status).to.equal(413);
    expect(res.headers['content-type']).to.match(/^text\/html/);
    expect($(res.text)('h1').text()).to.equal('Too large');
    expectNoInternals(res.text);
    expect(t.logs.text).to.not.contain('error page failed to render');
  });
});
