// security.md row 13: state-changing requests need this session's CSRF token and must not come
// from another site; deletes are never GET.
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { $, agentFor, csrfToken, signIn, type Agent } from '../../support/http.js';

const NEW_USER = { username: 'marat', password: 'a long enough password', role: 'editor' };

describe('CSRF and cross-site requests (security row 13)', () => {
  let t: TestApp;
  let owner: Agent;
  let token: string;

  const userCount = (): number => (t.db.sqlite.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
  const marat = () => t.services.users.repo.findByUsername('marat');

  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim', role: 'owner' });
    owner = (await signIn(t, 'aigerim')).agent;
    token = await csrfToken(owner, '/settings/users');
  });
  afterEach(() => t.close());

  it('POST /settings/users answers 403 without a CSRF token and creates no user', async () => {
    const before = userCount();
    const res = await owner.post('/settings/users').type('form').send(NEW_USER);
    expect(res.status).to.equal(403);
    expect(userCount()).to.equal(before);
    expect(marat()).to.equal(undefined);
  });

  it('POST /settings/users answers 403 with an empty CSRF token', async () => {
    const res = await owner.post('/settings/users').type('form').send({ ...NEW_USER, _csrf: '' });
    expect(res.status).to.equal(403);
    expect(marat()).to.equal(undefined);
  });

  it("POST /settings/users answers 403 with another session's CSRF token", async () => {
    const stranger = agentFor(t);
    const strangerToken = await csrfToken(stranger, '/login');
    expect(strangerToken).to.not.equal(token);
    const res = await owner.post('/settings/users').type('form').send({ ...NEW_USER, _csrf: strangerToken });
    expect(res.status).to.equal(403);
    expect(marat()).to.equal(undefined);
  });

  it('POST /settings/users answers 403 with a token from before sign-in (the session was renewed)', async () => {
    const agent = agentFor(t);
    const oldToken = await csrfToken(agent, '/login');
    await signIn(t, 'aigerim', undefined, agent);
    const res = await agent.post('/settings/users').type('form').send({ ...NEW_USER, _csrf: oldToken });
    expect(res.status).to.equal(403);
    expect(marat()).to.equal(undefined);
  });

  it('POST /settings/users answers 403 from Origin https://evil.example even with the right token', async () => {
    const res = await owner.post('/settings/users').set('Origin', 'https://evil.example').type('form').send({ ...NEW_USER, _csrf: token });
    expect(res.status).to.equal(403);
    expect(marat()).to.equal(undefined);
  });

  it('POST /settings/users answers 403 from Origin null (a sandboxed or file page) even with the right token', async () => {
    const res = await owner.post('/settings/users').set('Origin', 'null').type('form').send({ ...NEW_USER, _csrf: token });
    expect(res.status).to.equal(403);
    expect(marat()).to.equal(undefined);
  });

  it('POST /settings/users answers 403 with Sec-Fetch-Site: cross-site even with the right token', async () => {
    const res = await owner.post('/settings/users').set('Sec-Fetch-Site', 'cross-site').type('form').send({ ...NEW_USER, _csrf: token });
    expect(res.status).to.equal(403);
    expect(marat()).to.equal(undefined);
  });

  it('POST /settings/users answers 403 with Sec-Fetch-Site: same-site (a sibling subdomain) even with the right token', async () => {
    const res = await owner.post('/settings/users').set('Sec-Fetch-Site', 'same-site').type('form').send({ ...NEW_USER, _csrf: token });
    expect(res.status).to.equal(403);
    expect(marat()).to.equal(undefined);
  });

  it('the 403 page explains that the form expired or came from another site, without a stack trace', async () => {
    const res = await owner.post('/settings/users').type('form').send(NEW_USER);
    expect(res.status).to.equal(403);
    expect(res.headers['content-type']).to.match(/^text\/html/);
    expect($(res.text)('main').text()).to.contain('This form has expired or was sent from another site');
    expect(res.text).to.not.match(/\n\s+at /);
  });

  it('POST /settings/users succeeds with the right token and Origin equal to PUBLIC_URL', async () => {
    expect(t.config.publicUrl).to.equal('http://localhost:3000');
    const res = await owner
      .post('/settings/users')
      .set('Origin', t.config.publicUrl)
      .set('Sec-Fetch-Site', 'same-origin')
      .type('form')
      .send({ ...NEW_USER, _csrf: token });
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/settings/users');
    expect(marat()?.role).to.equal('editor');
  });

  it('POST /settings/users succeeds with the right token and no Origin header at all', async () => {
    const res = await owner.post('/settings/users').type('form').send({ ...NEW_USER, _csrf: token });
    expect(res.status).to.equal(303);
    expect(marat()).to.not.equal(undefined);
  });

  it('POST /logout without a CSRF token does not sign the person out', async () => {
    const res = await owner.post('/logout').type('form').send({});
    expect(res.status).to.equal(403);
    const home = await owner.get('/');
    expect(home.status).to.equal(200);
  });

  it('POST /language from a foreign Origin does not change the language', async () => {
    const res = await owner.post('/language').set('Origin', 'https://evil.example').type('form').send({ _csrf: token, language: 'kk', returnTo: '/' });
    expect(res.status).to.equal(403);
    expect(t.services.users.repo.findByUsername('aigerim')?.language).to.equal('en');
  });
});

describe('deletes are never GET (security row 13)', () => {
  let t: TestApp;
  let owner: Agent;
  let targetId: number;

  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim', role: 'owner' });
    targetId = (await createUser(t, { username: 'dana', role: 'editor' })).id;
    owner = (await signIn(t, 'aigerim')).agent;
  });
  afterEach(() => t.close());

  it('GET /settings/users/:id/remove only shows a confirmation page that posts back, and removes nothing', async () => {
    const res = await owner.get(`/settings/users/${targetId}/remove`);
    expect(res.status).to.equal(200);
    const form = $(res.text)(`form[action="/settings/users/${targetId}/remove"]`);
    expect(form.length).to.equal(1);
    expect(form.attr('method')).to.equal('post');
    expect(form.find('input[name="_csrf"]').attr('value')).to.be.a('string').and.not.equal('');
    expect($(res.text)('h1').text()).to.contain('dana');
    expect(t.services.users.findById(targetId)?.username).to.equal('dana');
  });

  it('POST /settings/users/:id/remove with the token from the confirmation page removes the user', async () => {
    const token = await csrfToken(owner, `/settings/users/${targetId}/remove`);
    const res = await owner.post(`/settings/users/${targetId}/remove`).type('form').send({ _csrf: token });
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/settings/users');
    expect(t.services.users.findById(targetId)).to.equal(undefined);
  });

  it('POST /settings/users/:id/remove without a token answers 403 and removes nothing', async () => {
    const res = await owner.post(`/settings/users/${targetId}/remove`).type('form').send({});
    expect(res.status).to.equal(403);
    expect(t.services.users.findById(targetId)?.username).to.equal('dana');
  });

  it('an owner visiting every GET route in the table changes no user, signed-in session or audit row', async () => {
    const state = () =>
      JSON.stringify({
        users: t.db.sqlite.prepare('SELECT * FROM users ORDER BY id').all(),
        sessions: t.db.sqlite.prepare('SELECT sid_hash, user_id FROM sessions WHERE user_id IS NOT NULL ORDER BY sid_hash').all(),
        audit: t.db.sqlite.prepare('SELECT id, kind FROM audit_log ORDER BY id').all(),
      });
    const before = state();
    for (const route of t.routes.filter((r) => r.method === 'get')) {
      const res = await owner.get(route.path.replace(':id', String(targetId)));
      // /accounts/callback without a state is refused with a page (400); it must change nothing either.
      // No Instagram account exists in this test, so /accounts/:id pages answer 404.
      // Nor do posts (/posts/:id…), and /m/:token with no live token answers 404.
      // The webhook handshake without hub.* parameters is refused (400); inbox pages of a comment,
      // conversation or post that does not exist answer 404; the event stream without an account 204;
      // a deletion status without a code 404; a backup download of a name that is no backup 404.
      const expected =
        route.path === '/accounts/callback' || route.path === '/webhooks/instagram'
          ? [400]
          : /^\/(accounts\/:id|posts\/:id|m\/|inbox\/\w+\/:|analytics\/export\/:|settings\/system\/backups\/:)/.test(route.path)
            ? [404]
            : route.path === '/inbox/events'
              ? [204]
              : route.path === '/data-deletion/status'
                ? [404]
                : [200, 303];
      expect(res.status, route.path).to.be.oneOf(expected);
    }
    expect(state()).to.equal(before);
  });
});
