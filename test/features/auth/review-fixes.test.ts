import { expect } from 'chai';
import { hashSid } from '../../../src/features/auth/sessions.repo.js';
import { SqliteSessionStore } from '../../../src/http/session-store.js';
import { classify } from '../../../src/instagram/graph-error.js';
import { Graph } from '../../../src/instagram/graph.js';
import { parseJsonKeepingIds } from '../../../src/instagram/http.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { agentFor, csrfFrom, signIn, viaProxy } from '../../support/http.js';

describe('sessions ended while a request is running stay ended', () => {
  let t: TestApp;
  beforeEach(() => {
    t = createTestApp();
  });
  afterEach(() => t.close());

  it('a save after the row was deleted (logout, password change) does not recreate a signed-in session', async () => {
    const user = await createUser(t, { username: 'dana' });
    const store = new SqliteSessionStore(t.services.sessions, t.cipher, t.clock, t.config.session);
    const now = t.clock.now();
    const cookie = { originalMaxAge: null, path: '/' } as never;
    store.set('sid-1', { cookie, userId: user.id, authenticatedAt: now, lastSeenAt: now } as never);
    expect(t.services.sessions.find(hashSid('sid-1'))).not.to.equal(undefined);
    t.services.sessions.remove(hashSid('sid-1'));
    // The request that was in flight finishes and saves its (updated) session.
    store.set('sid-1', { cookie, userId: user.id, authenticatedAt: now, lastSeenAt: now + 1000 } as never);
    expect(t.services.sessions.find(hashSid('sid-1'))).to.equal(undefined);
  });
});

describe('parallel sign-in guesses are counted one by one', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = createTestApp({ LOGIN_MAX_FAILURES_PER_USERNAME: '5' });
    await createUser(t, { username: 'aigerim' });
  });
  afterEach(() => t.close());

  it('ten wrong passwords sent at once: five are checked, the other five answer 429', async () => {
    const agents = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const agent = agentFor(t);
        return { agent, token: csrfFrom((await agent.get('/login')).text) };
      }),
    );
    const answers = await Promise.all(
      agents.map(({ agent, token }, i) =>
        agent.post('/login').set('X-Forwarded-For', viaProxy(`198.51.100.${i + 1}`)).type('form').send({ _csrf: token, username: 'aigerim', password: `wrong guess number ${i}` }),
      ),
    );
    const statuses = answers.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 401)).to.have.length(5);
    expect(statuses.filter((s) => s === 429)).to.have.length(5);
  });

  it('the current password on the password form is throttled too', async () => {
    const { agent } = await signIn(t, 'aigerim');
    let last = 0;
    for (let i = 0; i < 6; i += 1) {
      const token = csrfFrom((await agent.get('/settings')).text);
      last = (await agent.post('/settings/password').type('form').send({ _csrf: token, currentPassword: `nope ${i}`, newPassword: 'a brand new long password', newPasswordConfirm: 'a brand new long password' })).status;
    }
    expect(last).to.equal(429);
  });
});

describe('Instagram answers read safely', () => {
  it('digits inside text stay text, bare big numbers become exact strings', () => {
    const body = parseJsonKeepingIds('{"text":"order no:1234567890123456, thanks","id":17841405822304914,"n":[12345678901234567],"small":42}');
    expect(body).to.deep.equal({ text: 'order no:1234567890123456, thanks', id: '17841405822304914', n: ['12345678901234567'], small: 42 });
  });

  it('code 341 (app limit) is throttling, not a permanent refusal', () => {
    expect(classify(341, undefined)).to.equal('throttled');
  });

  it('paging.next to another host is refused, so the token never leaves the Graph host', () => {
    const graph = new Graph('https://graph.instagram.com', 'v25.0', { timeoutMs: 1000 });
    expect(() => graph.next('IGAA-token', 'https://evil.example/v25.0/me/media?after=x')).to.throw(/another host/);
  });
});
