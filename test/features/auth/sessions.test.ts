// security.md rows 5, 6 and 8: the session cookie's flags, a fresh id at sign-in, logout that
// destroys the stored session, and a password change that ends the person's other sessions.
import { expect } from 'chai';
import request from 'supertest';
import { hashSid } from '../../../src/features/auth/sessions.repo.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser, PASSWORD } from '../../support/factories.js';
import { $, agentFor, csrfFrom, csrfToken, sessionCookie, signIn, type Agent } from '../../support/http.js';

type Headers = Record<string, unknown>;

function setCookies(res: { headers: Headers }): string[] {
  return (res.headers['set-cookie'] as string[] | undefined) ?? [];
}

/** The full Set-Cookie line for `name`, with its attributes. */
function setCookieLine(res: { headers: Headers }, name: string): string {
  const line = setCookies(res).find((c) => c.startsWith(`${name}=`));
  if (!line) throw new Error(`no Set-Cookie for ${name}; got ${JSON.stringify(setCookies(res))}`);
  return line;
}

function attributes(line: string): string[] {
  return line
    .split(';')
    .slice(1)
    .map((a) => a.trim().toLowerCase());
}

/** "qanat.sid=s%3A<sid>.<signature>" → "<sid>". */
function sidOf(cookie: string): string {
  const value = decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
  if (!value.startsWith('s:')) throw new Error(`not a signed session cookie: ${cookie}`);
  return value.slice(2).split('.')[0] ?? '';
}

function sessionRowExists(t: TestApp, sid: string): boolean {
  return t.db.sqlite.prepare('SELECT 1 FROM sessions WHERE sid_hash = ?').get(hashSid(sid)) !== undefined;
}

function sessionRowCount(t: TestApp): number {
  return (t.db.sqlite.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;
}

/** A request carrying only this cookie, like an attacker replaying it. */
function withOnlyCookie(t: TestApp, cookie: string) {
  return request(t.app).get('/').set('Cookie', cookie);
}

describe('session cookie flags', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('the sign-in Set-Cookie is qanat.sid with HttpOnly, SameSite=Lax and Path=/ over plain HTTP', async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim' });
    const { res } = await signIn(t, 'aigerim');
    expect(res.status).to.equal(303);
    const attrs = attributes(setCookieLine(res, 'qanat.sid'));
    expect(attrs).to.include('httponly');
    expect(attrs).to.include('samesite=lax');
    expect(attrs).to.include('path=/');
    expect(attrs.some((a) => a.startsWith('domain='))).to.equal(false);
  });

  it('with PUBLIC_URL=https://qanat.example.com the cookie is __Host-qanat.sid with Secure, HttpOnly, SameSite=Lax, Path=/ and no Domain', async () => {
    t = createTestApp({ PUBLIC_URL: 'https://qanat.example.com' });
    await createUser(t, { username: 'aigerim' });
    // Traefik terminates TLS and says so; the browser would only send a Secure cookie over HTTPS,
    // so the cookie is carried by hand here.
    const form = await request(t.app).get('/login').set('X-Forwarded-Proto', 'https');
    expect(form.status).to.equal(200);
    const preLogin = setCookieLine(form, '__Host-qanat.sid').split(';')[0] ?? '';
    const res = await request(t.app)
      .post('/login')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', preLogin)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), username: 'aigerim', password: PASSWORD });
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/');
    const line = setCookieLine(res, '__Host-qanat.sid');
    const attrs = attributes(line);
    expect(attrs).to.include('secure');
    expect(attrs).to.include('httponly');
    expect(attrs).to.include('samesite=lax');
    expect(attrs).to.include('path=/');
    expect(attrs.some((a) => a.startsWith('domain='))).to.equal(false);
    expect(setCookies(res).some((c) => c.startsWith('qanat.sid='))).to.equal(false);

    const home = await request(t.app).get('/').set('X-Forwarded-Proto', 'https').set('Cookie', line.split(';')[0] ?? '');
    expect(home.status).to.equal(200);
  });
});

describe('session id at sign-in', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim' });
  });
  afterEach(() => t.close());

  it('POST /login issues a new session id, different from the one set before sign-in', async () => {
    const agent = agentFor(t);
    const form = await agent.get('/login');
    const before = sessionCookie(form);
    expect(before, 'GET /login sets a pre-login cookie (it carries the CSRF token)').to.be.a('string');
    const { res } = await signIn(t, 'aigerim', PASSWORD, agent);
    const after = sessionCookie(res);
    expect(after).to.be.a('string');
    expect(after).not.to.equal(before);
    expect(sidOf(after ?? '')).not.to.equal(sidOf(before ?? ''));
  });

  it('the pre-login session id is dead after sign-in: its row is gone and replaying it is anonymous', async () => {
    const agent = agentFor(t);
    const before = sessionCookie(await agent.get('/login')) ?? '';
    expect(sessionRowExists(t, sidOf(before))).to.equal(true);
    const { res } = await signIn(t, 'aigerim', PASSWORD, agent);
    expect(res.status).to.equal(303);
    expect(sessionRowExists(t, sidOf(before))).to.equal(false);

    const replay = await withOnlyCookie(t, before);
    expect(replay.status).to.equal(303);
    expect(replay.headers['location']).to.equal('/login');
    // The signed-in browser itself is unaffected.
    expect((await agent.get('/')).status).to.equal(200);
  });

  it('a session id planted before sign-in is worth nothing to the planter afterwards', async () => {
    // The attacker gets a session, hands its cookie to the victim, the victim signs in with it.
    const attacker = await request(t.app).get('/login');
    const planted = sessionCookie(attacker) ?? '';
    const victim = agentFor(t);
    victim.jar.setCookie(planted);
    expect(sessionRowExists(t, sidOf(planted))).to.equal(true);
    const { res } = await signIn(t, 'aigerim', PASSWORD, victim);
    expect(res.status).to.equal(303);
    expect(sessionCookie(res)).not.to.equal(planted);
    // The row is gone, which also proves the victim's browser really signed in with the planted id.
    expect(sessionRowExists(t, sidOf(planted))).to.equal(false);
    const replay = await withOnlyCookie(t, planted);
    expect(replay.status).to.equal(303);
    expect(replay.headers['location']).to.equal('/login');
  });
});

describe('logout', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim' });
  });
  afterEach(() => t.close());

  async function logOut(agent: Agent) {
    const token = await csrfToken(agent, '/');
    return agent.post('/logout').type('form').send({ _csrf: token });
  }

  it('POST /logout redirects to /login, and replaying the old cookie afterwards is anonymous', async () => {
    const { agent, res } = await signIn(t, 'aigerim');
    const signedIn = sessionCookie(res) ?? '';
    expect((await withOnlyCookie(t, signedIn)).status).to.equal(200);

    const out = await logOut(agent);
    expect(out.status).to.equal(303);
    expect(out.headers['location']).to.equal('/login');

    const replay = await withOnlyCookie(t, signedIn);
    expect(replay.status).to.equal(303);
    expect(replay.headers['location']).to.equal('/login');
    const again = await agent.get('/');
    expect(again.status).to.equal(303);
    expect(again.headers['location']).to.equal('/login');
  });

  it('POST /logout deletes the session row from the store', async () => {
    const { agent, res } = await signIn(t, 'aigerim');
    const sid = sidOf(sessionCookie(res) ?? '');
    expect(sessionRowExists(t, sid)).to.equal(true);
    const user = t.services.users.repo.findByUsername('aigerim');
    expect(t.services.sessions.countForUser(user?.id ?? -1)).to.equal(1);

    await logOut(agent);
    expect(sessionRowExists(t, sid)).to.equal(false);
    expect(t.services.sessions.countForUser(user?.id ?? -1)).to.equal(0);
  });

  it('POST /logout without the CSRF token is refused and keeps the session', async () => {
    const { agent } = await signIn(t, 'aigerim');
    const res = await agent.post('/logout').type('form').send({});
    expect(res.status).to.equal(403);
    expect((await agent.get('/')).status).to.equal(200);
  });

  it('the login page after logout says the person has signed out', async () => {
    const { agent } = await signIn(t, 'aigerim');
    await logOut(agent);
    const page = $((await agent.get('/login')).text);
    expect(page('.flashes [role="status"]').text()).not.to.equal('');
  });
});

describe('password change ends other sessions', () => {
  let t: TestApp;
  const NEW_PASSWORD = 'жаңа пароль very long 2026';
  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim' });
  });
  afterEach(() => t.close());

  async function changePassword(agent: Agent, fields: { currentPassword: string; newPassword: string; newPasswordConfirm: string }) {
    const token = await csrfToken(agent, '/settings');
    return agent
      .post('/settings/password')
      .type('form')
      .send({ _csrf: token, ...fields });
  }

  function storedHash(): string {
    return (t.db.sqlite.prepare('SELECT password_hash AS h FROM users WHERE username = ?').get('aigerim') as { h: string }).h;
  }

  it('POST /settings/password in one browser signs the other browser out and keeps the changing browser signed in', async () => {
    const { agent: laptop } = await signIn(t, 'aigerim');
    const { agent: phone } = await signIn(t, 'aigerim');
    expect((await phone.get('/')).status).to.equal(200);

    const res = await changePassword(laptop, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, newPasswordConfirm: NEW_PASSWORD });
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/settings');

    const phoneHome = await phone.get('/');
    expect(phoneHome.status).to.equal(303);
    expect(phoneHome.headers['location']).to.equal('/login');
    expect((await laptop.get('/')).status).to.equal(200);
    const user = t.services.users.repo.findByUsername('aigerim');
    expect(t.services.sessions.countForUser(user?.id ?? -1)).to.equal(1);
  });

  it('after a password change the new password signs in and the old one does not', async () => {
    const { agent } = await signIn(t, 'aigerim');
    await changePassword(agent, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, newPasswordConfirm: NEW_PASSWORD });
    expect((await signIn(t, 'aigerim', PASSWORD)).res.status).to.equal(401);
    expect((await signIn(t, 'aigerim', NEW_PASSWORD)).res.status).to.equal(303);
  });

  it('POST /settings/password with a wrong current password re-renders the form with an error and changes nothing', async () => {
    const { agent: laptop } = await signIn(t, 'aigerim');
    const { agent: phone } = await signIn(t, 'aigerim');
    const hashBefore = storedHash();

    const res = await changePassword(laptop, { currentPassword: 'not my password at all', newPassword: NEW_PASSWORD, newPasswordConfirm: NEW_PASSWORD });
    expect(res.status).to.equal(400);
    const page = $(res.text);
    expect(page('#field-currentPassword').attr('aria-invalid')).to.equal('true');
    expect(page('#field-currentPassword-error').text()).to.contain('not correct');
    expect(page('input[type="password"]').toArray().every((el) => (el.attribs['value'] ?? '') === '')).to.equal(true);

    expect(storedHash()).to.equal(hashBefore);
    expect((await phone.get('/')).status).to.equal(200);
    expect((await laptop.get('/')).status).to.equal(200);
    expect((await signIn(t, 'aigerim', PASSWORD)).res.status).to.equal(303);
  });

  it('POST /settings/password with a too-short new password re-renders with an error and keeps the other sessions', async () => {
    const { agent: laptop } = await signIn(t, 'aigerim');
    const { agent: phone } = await signIn(t, 'aigerim');
    const hashBefore = storedHash();
    const res = await changePassword(laptop, { currentPassword: PASSWORD, newPassword: 'short', newPasswordConfirm: 'short' });
    expect(res.status).to.equal(400);
    expect($(res.text)('#field-newPassword-error').text()).to.contain('too short');
    expect(storedHash()).to.equal(hashBefore);
    expect((await phone.get('/')).status).to.equal(200);
  });

  it('POST /settings/password with mismatched new passwords re-renders with an error and changes nothing', async () => {
    const { agent } = await signIn(t, 'aigerim');
    const hashBefore = storedHash();
    const res = await changePassword(agent, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, newPasswordConfirm: `${NEW_PASSWORD}!` });
    expect(res.status).to.equal(400);
    expect($(res.text)('#field-newPasswordConfirm-error').text()).not.to.equal('');
    expect(storedHash()).to.equal(hashBefore);
  });

  it('sessions of other users survive a password change', async () => {
    await createUser(t, { username: 'dana' });
    const { agent: aigerim } = await signIn(t, 'aigerim');
    const { agent: dana } = await signIn(t, 'dana');
    const before = sessionRowCount(t);
    await changePassword(aigerim, { currentPassword: PASSWORD, newPassword: NEW_PASSWORD, newPasswordConfirm: NEW_PASSWORD });
    expect((await dana.get('/')).status).to.equal(200);
    expect(sessionRowCount(t)).to.equal(before);
  });
});
