// First run: until an owner exists every page leads to /setup, and only the holder of the
// one-time code from the server log can create the owner.
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { $, agentFor, csrfFrom, viaProxy, type Agent } from '../../support/http.js';

const OWNER_PASSWORD = 'Қанат owner password 2026';

interface SetupFields {
  code: string;
  username: string;
  password: string;
  passwordConfirm: string;
}

function userCount(t: TestApp): number {
  return (t.db.sqlite.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
}

describe('first-run setup', () => {
  let t: TestApp;
  let agent: Agent;
  beforeEach(() => {
    t = createTestApp();
    agent = agentFor(t);
  });
  afterEach(() => t.close());

  async function submit(fields: Partial<SetupFields>, forwardedFor?: string) {
    const form = await agent.get('/setup');
    const body = { code: t.services.setup.code, username: 'aigerim', password: OWNER_PASSWORD, passwordConfirm: OWNER_PASSWORD, ...fields };
    const req = agent.post('/setup').type('form');
    if (forwardedFor) req.set('X-Forwarded-For', forwardedFor);
    return req.send({ _csrf: csrfFrom(form.text), ...body });
  }

  it('GET / redirects to /setup with 303 while no user exists', async () => {
    const res = await agent.get('/');
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/setup');
  });

  it('GET /login redirects to /setup with 303 while no user exists', async () => {
    const res = await agent.get('/login');
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/setup');
  });

  it('GET /setup shows a form with a CSRF token and the code, username and password fields', async () => {
    const res = await agent.get('/setup');
    expect(res.status).to.equal(200);
    const page = $(res.text);
    const form = page('form[action="/setup"][method="post"]');
    expect(form).to.have.length(1);
    expect(form.find('input[name="_csrf"]').attr('value')).to.have.length.greaterThan(20);
    for (const name of ['code', 'username', 'password', 'passwordConfirm']) expect(form.find(`input[name="${name}"]`), name).to.have.length(1);
    expect(form.find('input[name="password"]').attr('type')).to.equal('password');
  });

  it('the setup code is not shown on the setup page', async () => {
    const res = await agent.get('/setup');
    expect(res.text).not.to.contain(t.services.setup.code);
  });

  it('POST /setup without the CSRF token is refused with 403 and creates no user', async () => {
    await agent.get('/setup');
    const res = await agent
      .post('/setup')
      .type('form')
      .send({ code: t.services.setup.code, username: 'aigerim', password: OWNER_PASSWORD, passwordConfirm: OWNER_PASSWORD });
    expect(res.status).to.equal(403);
    expect(userCount(t)).to.equal(0);
  });

  it('POST /setup with a wrong code re-renders the form (400) with the username kept and an error on the code field', async () => {
    const res = await submit({ code: 'AAAA-BBBB-CCCC' });
    expect(res.status).to.equal(400);
    const page = $(res.text);
    expect(page('input[name="username"]').attr('value')).to.equal('aigerim');
    expect(page('#field-code').attr('aria-invalid')).to.equal('true');
    expect(page('#field-code-error').text()).to.contain('not correct');
    expect(page('input[name="password"]').attr('value')).to.equal('');
    expect(userCount(t)).to.equal(0);
    expect((await agent.get('/')).headers['location']).to.equal('/setup');
  });

  it('POST /setup with the right code creates an owner, signs them in and then /setup redirects to /login', async () => {
    const res = await submit({});
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/');
    const rows = t.db.sqlite.prepare('SELECT username, role, password_hash FROM users').all() as Array<{ username: string; role: string; password_hash: string }>;
    expect(rows).to.have.length(1);
    expect(rows[0]?.username).to.equal('aigerim');
    expect(rows[0]?.role).to.equal('owner');
    expect(rows[0]?.password_hash.startsWith('$argon2id$')).to.equal(true);

    const home = await agent.get('/');
    expect(home.status).to.equal(200);
    expect($(home.text)('.usermenu__name').text()).to.equal('aigerim');

    const again = await agent.get('/setup');
    expect(again.status).to.equal(303);
    expect(again.headers['location']).to.equal('/login');
    const anonymous = await agentFor(t).get('/setup');
    expect(anonymous.status).to.equal(303);
    expect(anonymous.headers['location']).to.equal('/login');
  });

  it('POST /setup accepts the code in lower case, without dashes and with surrounding spaces', async () => {
    const sloppy = `  ${t.services.setup.code.replace(/-/g, '').toLowerCase()} `;
    const res = await submit({ code: sloppy });
    expect(res.status).to.equal(303);
    expect(userCount(t)).to.equal(1);
  });

  it('POST /setup issues a new session id when it signs the owner in', async () => {
    const form = await agent.get('/setup');
    const before = (form.headers['set-cookie'] as string[] | undefined)?.[0]?.split(';')[0];
    const res = await agent
      .post('/setup')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), code: t.services.setup.code, username: 'aigerim', password: OWNER_PASSWORD, passwordConfirm: OWNER_PASSWORD });
    const after = (res.headers['set-cookie'] as string[] | undefined)?.[0]?.split(';')[0];
    expect(before).to.be.a('string');
    expect(after).to.be.a('string');
    expect(after).not.to.equal(before);
  });

  it('POST /setup with mismatched passwords re-renders the form (400) with an error and creates no user', async () => {
    const res = await submit({ passwordConfirm: `${OWNER_PASSWORD}!` });
    expect(res.status).to.equal(400);
    const page = $(res.text);
    expect(page('#field-passwordConfirm').attr('aria-invalid')).to.equal('true');
    expect(page('#field-passwordConfirm-error').text()).to.contain('different');
    expect(page('input[name="username"]').attr('value')).to.equal('aigerim');
    expect(userCount(t)).to.equal(0);
  });

  it('POST /setup with an invalid username re-renders the form (400) with an error on the username', async () => {
    const res = await submit({ username: 'a b<script>' });
    expect(res.status).to.equal(400);
    const page = $(res.text);
    expect(page('#field-username-error').text()).not.to.equal('');
    expect(page('script:not([src])')).to.have.length(0);
    expect(userCount(t)).to.equal(0);
  });

  it('POST /setup answers 429 with Retry-After after 10 wrong codes from one address, even for the right code', async () => {
    for (let i = 0; i < 10; i += 1) {
      const res = await submit({ code: `WRNG-CODE-${String(i).padStart(4, '2')}` }, viaProxy('203.0.113.7'));
      expect(res.status, `wrong code ${i + 1}`).to.equal(400);
    }
    const locked = await submit({ code: 'WRNG-CODE-9999' }, viaProxy('203.0.113.7'));
    expect(locked.status).to.equal(429);
    expect(locked.headers['retry-after']).to.match(/^\d+$/);
    const right = await submit({}, viaProxy('203.0.113.7'));
    expect(right.status).to.equal(429);
    expect(userCount(t)).to.equal(0);
    // Another address can still finish setup.
    expect((await submit({}, viaProxy('198.51.100.20'))).status).to.equal(303);
  });

  it('wrong setup codes are audited with the source address and without the code', async () => {
    await submit({ code: 'ZZZZ-YYYY-XXXX' }, viaProxy('203.0.113.7'));
    const rows = t.db.sqlite.prepare("SELECT source_ip, detail FROM audit_log WHERE kind = 'setup.code.failure'").all() as Array<{ source_ip: string; detail: string }>;
    expect(rows).to.have.length(1);
    expect(rows[0]?.source_ip).to.equal('203.0.113.7');
    expect(rows[0]?.detail).not.to.contain('ZZZZ');
    await submit({}, viaProxy('203.0.113.7'));
    const all = JSON.stringify(t.db.sqlite.prepare('SELECT * FROM audit_log').all());
    expect(all).to.contain('setup.completed');
    expect(all).not.to.contain(t.services.setup.code);
    expect(all).not.to.contain(OWNER_PASSWORD);
  });
});

describe('setup after an owner exists', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'owner1' });
  });
  afterEach(() => t.close());

  it('GET /setup redirects to /login once a user exists', async () => {
    const res = await agentFor(t).get('/setup');
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/login');
  });

  it('POST /setup with the right code does not create a second owner once a user exists', async () => {
    const agent = agentFor(t);
    const login = await agent.get('/login');
    const res = await agent
      .post('/setup')
      .type('form')
      .send({ _csrf: csrfFrom(login.text), code: t.services.setup.code, username: 'intruder', password: OWNER_PASSWORD, passwordConfirm: OWNER_PASSWORD });
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/login');
    expect(userCount(t)).to.equal(1);
  });

  it('GET /login shows the sign-in form once a user exists', async () => {
    const res = await agentFor(t).get('/login');
    expect(res.status).to.equal(200);
    expect($(res.text)('form[action="/login"]')).to.have.length(1);
  });
});
