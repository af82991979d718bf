// security.md row 31: logs never carry passwords, session ids, CSRF tokens, access tokens, the
// app secret or signed requests — neither from requests nor from errors we log ourselves.
import { expect } from 'chai';
import { redactUrl } from '../../../src/log.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser, PASSWORD } from '../../support/factories.js';
import { agentFor, csrfToken, sessionCookie, signIn } from '../../support/http.js';

const NEW_PASSWORD = 'a brand new secret sentence';
const REDACTED = '[Redacted]';

/** The value of `name=value`, and the bare session id inside a signed `s:<sid>.<signature>` cookie. */
function cookieSecrets(pair: string): string[] {
  const value = pair.slice(pair.indexOf('=') + 1);
  const decoded = decodeURIComponent(value);
  const sid = decoded.startsWith('s:') ? decoded.slice(2, decoded.lastIndexOf('.')) : decoded;
  return [value, decoded, sid];
}

describe('logging without secrets (security row 31)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim', password: PASSWORD });
  });
  afterEach(() => t.close());

  it('signing in, a wrong current password and a password change log no password, session cookie or CSRF token', async () => {
    const { agent, res } = await signIn(t, 'aigerim');
    const cookie = sessionCookie(res);
    expect(cookie, 'the sign-in sets a session cookie').to.be.a('string');
    const token = await csrfToken(agent, '/settings');
    const wrong = await agent
      .post('/settings/password')
      .type('form')
      .send({ _csrf: token, currentPassword: 'not my password at all', newPassword: NEW_PASSWORD, newPasswordConfirm: NEW_PASSWORD });
    expect(wrong.status).to.equal(400);
    const changed = await agent
      .post('/settings/password')
      .type('form')
      .send({ _csrf: token, currentPassword: PASSWORD, newPassword: NEW_PASSWORD, newPasswordConfirm: NEW_PASSWORD });
    expect(changed.status).to.equal(303);
    await agent.get('/settings');

    const logs = t.logs.text;
    expect(logs).to.contain('user.password.changed');
    for (const secret of [PASSWORD, NEW_PASSWORD, 'not my password at all', token, ...cookieSecrets(cookie ?? '')]) {
      expect(logs).to.not.contain(secret);
    }
    expect(logs.toLowerCase()).to.not.contain('qanat.sid');
  });

  it('a failed sign-in logs neither the typed password nor the anonymous session cookie', async () => {
    const agent = agentFor(t);
    const page = await agent.get('/login');
    const cookie = sessionCookie(page);
    expect(cookie, 'the anonymous visit sets a session cookie').to.be.a('string');
    const token = await csrfToken(agent, '/login');
    const res = await agent.post('/login').type('form').send({ _csrf: token, username: 'aigerim', password: 'my typo password' });
    expect(res.status).to.equal(401);
    expect(t.logs.text).to.contain('auth.signin.failure');
    for (const secret of ['my typo password', token, ...cookieSecrets(cookie ?? '')]) expect(t.logs.text).to.not.contain(secret);
  });

  it('a request URL with ?access_token= is logged with the token redacted', async () => {
    await agentFor(t).get('/login?access_token=SECRET-IN-URL&code=SECRET-CODE&signed_request=SECRET-SR&fields=id');
    const line = t.logs.lines.find((l) => l.includes('"url":"/login?'));
    expect(line, 'the request is logged').to.not.equal(undefined);
    expect(t.logs.text).to.not.contain('SECRET-IN-URL');
    expect(t.logs.text).to.not.contain('SECRET-CODE');
    expect(t.logs.text).to.not.contain('SECRET-SR');
    expect(line).to.contain('fields=id');
  });

  it('logging token, access_token, appSecret, authorization, cookie and signed_request fields redacts every value', () => {
    t.log.warn(
      {
        token: 'SECRET-1',
        access_token: 'SECRET-2',
        appSecret: 'SECRET-3',
        authorization: 'Bearer SECRET-4',
        cookie: 'qanat.sid=SECRET-5',
        signed_request: 'SECRET-6.payload',
        password: 'SECRET-7',
        accountId: 'kept-17841400000000000',
      },
      'graph call failed',
    );
    const text = t.logs.text;
    for (let i = 1; i <= 7; i += 1) expect(text).to.not.contain(`SECRET-${i}`);
    const entry = JSON.parse(t.logs.lines.find((l) => l.includes('graph call failed')) ?? '{}') as Record<string, unknown>;
    for (const field of ['token', 'access_token', 'appSecret', 'authorization', 'cookie', 'signed_request', 'password']) {
      expect(entry[field], field).to.equal(REDACTED);
    }
    expect(entry['accountId']).to.equal('kept-17841400000000000');
  });

  it('the same fields one level down (e.g. inside a request description) are redacted', () => {
    t.log.warn({ request: { token: 'SECRET-1', access_token: 'SECRET-2', appSecret: 'SECRET-3', authorization: 'SECRET-4', cookie: 'SECRET-5', signed_request: 'SECRET-6' } }, 'nested');
    for (let i = 1; i <= 6; i += 1) expect(t.logs.text).to.not.contain(`SECRET-${i}`);
    expect(t.logs.text).to.contain(REDACTED);
  });

  it('an error object carrying config.headers.Authorization is logged with the header redacted', () => {
    t.log.error({ err: { config: { headers: { Authorization: 'Bearer X-SECRET' } } } }, 'graph error');
    const error = Object.assign(new Error('Graph said 400'), { config: { headers: { Authorization: 'Bearer Y-SECRET' } } });
    t.log.error({ err: error }, 'graph error object');
    expect(t.logs.text).to.not.contain('X-SECRET');
    expect(t.logs.text).to.not.contain('Y-SECRET');
    expect(t.logs.text).to.contain(REDACTED);
    // The useful part of the error stays.
    expect(t.logs.text).to.contain('Graph said 400');
  });

  it('a Graph error in fetch’s shape (lowercase header, token in params and URL) is logged without the token', () => {
    const error = Object.assign(new Error('Graph timeout'), {
      config: {
        url: 'https://graph.instagram.com/v21.0/me/media?access_token=Z-SECRET-URL&fields=id',
        headers: { authorization: 'Bearer Z-SECRET-HEADER' },
        params: { access_token: 'Z-SECRET-PARAM' },
      },
    });
    t.log.error({ err: error }, 'graph timeout');
    expect(t.logs.text).to.contain('Graph timeout');
    expect(t.logs.text).to.not.contain('Z-SECRET-HEADER');
    expect(t.logs.text).to.not.contain('Z-SECRET-PARAM');
    expect(t.logs.text).to.not.contain('Z-SECRET-URL');
  });
});

describe('redactUrl', () => {
  it('replaces access_token in a URL with [Redacted] and keeps the other parameters', () => {
    const url = redactUrl('/auth/callback?access_token=SECRET&fields=id,username');
    expect(url).to.not.contain('SECRET');
    const params = new URLSearchParams(url.slice(url.indexOf('?') + 1));
    expect(params.get('access_token')).to.equal(REDACTED);
    expect(params.get('fields')).to.equal('id,username');
    expect(url.startsWith('/auth/callback?')).to.equal(true);
  });

  it('redacts code, client_secret, signed_request, appsecret_proof, hub.verify_token and password parameters', () => {
    const url = redactUrl('/x?code=S1&client_secret=S2&signed_request=S3&appsecret_proof=S4&hub.verify_token=S5&password=S6&fb_exchange_token=S7&hub.mode=subscribe');
    for (let i = 1; i <= 7; i += 1) expect(url).to.not.contain(`S${i}`);
    const params = new URLSearchParams(url.slice(url.indexOf('?') + 1));
    for (const key of ['code', 'client_secret', 'signed_request', 'appsecret_proof', 'hub.verify_token', 'password', 'fb_exchange_token']) {
      expect(params.get(key), key).to.equal(REDACTED);
    }
    expect(params.get('hub.mode')).to.equal('subscribe');
  });

  it('redacts parameter names regardless of case', () => {
    const url = redactUrl('/x?Access_Token=SECRET');
    expect(url).to.not.contain('SECRET');
  });

  it('leaves a URL without a query string unchanged', () => {
    expect(redactUrl('/settings/users')).to.equal('/settings/users');
  });
});
