// security.md rows 3 and 9: sign-in throttling per address and per username, stored in SQLite,
// answered with 429 + Retry-After, and keyed on the address Traefik saw (the last
// X-Forwarded-For entry), whatever a client writes in front of it.
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser, PASSWORD } from '../../support/factories.js';
import { $, agentFor, csrfToken, viaProxy, type Agent } from '../../support/http.js';

const LOCK_MINUTES = 15;

interface Attempt {
  status: number;
  retryAfter: string | undefined;
  alert: string;
  location: string | undefined;
}

/** One browser posting the sign-in form through the proxy, as `forwardedFor` (an X-Forwarded-For value). */
class LoginForm {
  private token: string | undefined;
  private readonly agent: Agent;

  constructor(t: TestApp) {
    this.agent = agentFor(t);
  }

  async post(username: string, password: string, forwardedFor: string): Promise<Attempt> {
    this.token ??= await csrfToken(this.agent, '/login');
    const res = await this.agent.post('/login').set('X-Forwarded-For', forwardedFor).type('form').send({ _csrf: this.token, username, password });
    const retryAfter = res.headers['retry-after'] as string | undefined;
    const location = res.headers['location'] as string | undefined;
    return { status: res.status, retryAfter, alert: $(res.text)('[role="alert"]').text().trim(), location };
  }
}

function expectLocked(attempt: Attempt, maxSeconds = LOCK_MINUTES * 60): void {
  expect(attempt.status).to.equal(429);
  expect(attempt.retryAfter, 'Retry-After header').to.match(/^\d+$/);
  const seconds = Number(attempt.retryAfter);
  expect(seconds).to.be.greaterThan(0);
  expect(seconds).to.be.at.most(maxSeconds);
  expect(attempt.alert).not.to.equal('');
}

function auditKinds(t: TestApp, kind: string): Array<{ actor: string | null; source_ip: string | null; detail: string }> {
  return t.db.sqlite.prepare('SELECT actor, source_ip, detail FROM audit_log WHERE kind = ? ORDER BY id').all(kind) as Array<{
    actor: string | null;
    source_ip: string | null;
    detail: string;
  }>;
}

describe('sign-in throttling per address', () => {
  let t: TestApp;
  beforeEach(async () => {
    // Usernames allow many failures here, so only the per-address counter can lock.
    t = createTestApp({ LOGIN_MAX_FAILURES_PER_IP: '5', LOGIN_MAX_FAILURES_PER_USERNAME: '100', LOGIN_LOCK_MINUTES: String(LOCK_MINUTES) });
    await createUser(t, { username: 'aigerim' });
  });
  afterEach(() => t.close());

  async function failFromAddress(form: LoginForm, ip: string, times: number): Promise<void> {
    for (let i = 0; i < times; i += 1) {
      const attempt = await form.post(`nobody${i}`, 'wrong password here', viaProxy(ip));
      expect(attempt.status, `failure ${i + 1}`).to.equal(401);
    }
  }

  it('POST /login answers 429 with Retry-After after 5 wrong passwords from one address', async () => {
    const form = new LoginForm(t);
    await failFromAddress(form, '203.0.113.7', 5);
    expectLocked(await form.post('nobody-else', 'wrong password here', viaProxy('203.0.113.7')));
  });

  it('POST /login with the right password during an address lockout still answers 429', async () => {
    const form = new LoginForm(t);
    await failFromAddress(form, '203.0.113.7', 5);
    const attempt = await form.post('aigerim', PASSWORD, viaProxy('203.0.113.7'));
    expectLocked(attempt);
    expect(attempt.location).to.equal(undefined);
  });

  it('an address lockout does not affect a different client address', async () => {
    const form = new LoginForm(t);
    await failFromAddress(form, '203.0.113.7', 5);
    const other = await form.post('aigerim', PASSWORD, viaProxy('198.51.100.20'));
    expect(other.status).to.equal(303);
  });

  it('an address lockout survives a restart on the same data folder', async () => {
    await failFromAddress(new LoginForm(t), '203.0.113.7', 5);
    t = t.restart();
    expectLocked(await new LoginForm(t).post('aigerim', PASSWORD, viaProxy('203.0.113.7')));
  });

  it('Retry-After counts down with the clock and the right password works once LOGIN_LOCK_MINUTES have passed', async () => {
    const form = new LoginForm(t);
    await failFromAddress(form, '203.0.113.7', 5);
    const first = await form.post('aigerim', PASSWORD, viaProxy('203.0.113.7'));
    expectLocked(first);
    expect(Number(first.retryAfter)).to.equal(LOCK_MINUTES * 60);

    t.clock.advance(10 * 60_000);
    const later = await form.post('aigerim', PASSWORD, viaProxy('203.0.113.7'));
    expectLocked(later);
    expect(Number(later.retryAfter)).to.equal((LOCK_MINUTES - 10) * 60);

    t.clock.advance(5 * 60_000 + 1000);
    const after = await form.post('aigerim', PASSWORD, viaProxy('203.0.113.7'));
    expect(after.status).to.equal(303);
    expect(after.location).to.equal('/');
  });

  it('a lockout is audited with the source address, and failures are audited one by one', async () => {
    await failFromAddress(new LoginForm(t), '203.0.113.7', 5);
    const failures = auditKinds(t, 'auth.signin.failure');
    expect(failures).to.have.length(5);
    expect(failures.every((row) => row.source_ip === '203.0.113.7')).to.equal(true);
    const lockouts = auditKinds(t, 'auth.lockout');
    expect(lockouts).to.have.length(1);
    expect(lockouts[0]?.source_ip).to.equal('203.0.113.7');
    expect(lockouts[0]?.detail).to.contain('address');
    expect(lockouts[0]?.detail).not.to.contain('wrong password here');
  });
});

describe('sign-in throttling per username', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = createTestApp({ LOGIN_MAX_FAILURES_PER_USERNAME: '5', LOGIN_MAX_FAILURES_PER_IP: '100', LOGIN_LOCK_MINUTES: String(LOCK_MINUTES) });
    await createUser(t, { username: 'aigerim' });
  });
  afterEach(() => t.close());

  async function failFromManyAddresses(form: LoginForm, username: string, times: number): Promise<void> {
    for (let i = 0; i < times; i += 1) {
      const attempt = await form.post(username, 'wrong password here', viaProxy(`198.51.100.${10 + i}`));
      expect(attempt.status, `failure ${i + 1}`).to.equal(401);
    }
  }

  it('POST /login answers 429 with Retry-After after 5 wrong passwords for one username from 5 addresses', async () => {
    const form = new LoginForm(t);
    await failFromManyAddresses(form, 'aigerim', 5);
    expectLocked(await form.post('aigerim', 'wrong password here', viaProxy('192.0.2.99')));
  });

  it('the right password from a fresh address during a username lockout still answers 429', async () => {
    const form = new LoginForm(t);
    await failFromManyAddresses(form, 'aigerim', 5);
    expectLocked(await form.post('aigerim', PASSWORD, viaProxy('192.0.2.99')));
  });

  it('the username lock ignores case, so AIGERIM is locked too', async () => {
    const form = new LoginForm(t);
    await failFromManyAddresses(form, 'aigerim', 5);
    expectLocked(await form.post('AIGERIM', PASSWORD, viaProxy('192.0.2.99')));
  });

  it('a username lockout survives a restart and ends after LOGIN_LOCK_MINUTES', async () => {
    await failFromManyAddresses(new LoginForm(t), 'aigerim', 5);
    t = t.restart();
    expectLocked(await new LoginForm(t).post('aigerim', PASSWORD, viaProxy('192.0.2.99')));
    t.clock.advance(LOCK_MINUTES * 60_000 + 1000);
    const after = await new LoginForm(t).post('aigerim', PASSWORD, viaProxy('192.0.2.99'));
    expect(after.status).to.equal(303);
  });

  it('a username lockout leaves other usernames free to sign in', async () => {
    await createUser(t, { username: 'dana' });
    const form = new LoginForm(t);
    await failFromManyAddresses(form, 'aigerim', 5);
    expect((await form.post('dana', PASSWORD, viaProxy('192.0.2.99'))).status).to.equal(303);
  });
});

describe('sign-in throttling behind the proxy', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = createTestApp({ LOGIN_MAX_FAILURES_PER_IP: '5', LOGIN_MAX_FAILURES_PER_USERNAME: '100' });
    await createUser(t, { username: 'aigerim' });
  });
  afterEach(() => t.close());

  it('a different spoofed first X-Forwarded-For entry with the same real last entry is still 429', async () => {
    const form = new LoginForm(t);
    for (let i = 0; i < 5; i += 1) expect((await form.post(`nobody${i}`, 'wrong password here', viaProxy('203.0.113.7'))).status).to.equal(401);
    expectLocked(await form.post('aigerim', PASSWORD, viaProxy('203.0.113.7', '10.0.0.1')));
    expectLocked(await form.post('aigerim', PASSWORD, viaProxy('203.0.113.7', '198.51.100.77, 127.0.0.1')));
  });

  it('rotating spoofed first entries does not escape the counter of the real address', async () => {
    const form = new LoginForm(t);
    for (let i = 0; i < 5; i += 1) {
      const attempt = await form.post(`nobody${i}`, 'wrong password here', viaProxy('203.0.113.7', `10.9.8.${i}`));
      expect(attempt.status).to.equal(401);
    }
    expectLocked(await form.post('aigerim', PASSWORD, viaProxy('203.0.113.7', '10.9.8.200')));
    const failures = auditKinds(t, 'auth.signin.failure');
    expect(failures.map((row) => row.source_ip)).to.deep.equal(Array(5).fill('203.0.113.7'));
  });

  it('a request whose last X-Forwarded-For entry is another client is not locked, even if it names the locked address first', async () => {
    const form = new LoginForm(t);
    for (let i = 0; i < 5; i += 1) expect((await form.post(`nobody${i}`, 'wrong password here', viaProxy('203.0.113.7'))).status).to.equal(401);
    const other = await form.post('aigerim', PASSWORD, viaProxy('198.51.100.20', '203.0.113.7'));
    expect(other.status).to.equal(303);
    expect(other.location).to.equal('/');
  });
});
