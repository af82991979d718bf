// security.md Parameters, argon2id: "at most a few hashes at once; throttle before hashing", and
// the settings floor (m=19456 KiB, t=2, p=1). Nothing is mocked: the real argon2 functions run,
// wrapped only to count how many run at the same moment and how many ran at all.
import argon2 from 'argon2';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../src/config.js';
import { PasswordHasher } from '../../src/features/auth/passwords.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createUser, PASSWORD } from '../support/factories.js';
import { agentFor, csrfToken, viaProxy } from '../support/http.js';

type AsyncFn = (...args: unknown[]) => Promise<unknown>;

/** Counts calls of async functions and the most that were running at once. */
class Meter {
  calls = 0;
  running = 0;
  peak = 0;

  wrap(original: AsyncFn): AsyncFn {
    return async (...args) => {
      this.calls += 1;
      this.running += 1;
      this.peak = Math.max(this.peak, this.running);
      try {
        return await original(...args);
      } finally {
        this.running -= 1;
      }
    };
  }
}

/** The argon2 module object passwords.ts calls through (`argon2.hash`, `argon2.verify`). */
const library = argon2 as unknown as { hash: AsyncFn; verify: AsyncFn };
const realHash = library.hash;
const realVerify = library.verify;

/**
 * `argon2`: every real argon2 computation (inside the hasher's semaphore).
 * `hasher`: every call into the app's PasswordHasher (before its semaphore), to show the burst
 * really reached the hasher all at once.
 */
function meterHashing(t: TestApp): { argon2: Meter; hasher: Meter; restore(): void } {
  const meters = { argon2: new Meter(), hasher: new Meter() };
  library.hash = meters.argon2.wrap(realHash);
  library.verify = meters.argon2.wrap(realVerify);
  const hasher = t.services.hasher as unknown as { hash: AsyncFn; verify: AsyncFn; burn: AsyncFn };
  const own = { hash: hasher.hash, verify: hasher.verify, burn: hasher.burn };
  hasher.hash = meters.hasher.wrap(own.hash.bind(hasher));
  hasher.verify = meters.hasher.wrap(own.verify.bind(hasher));
  hasher.burn = meters.hasher.wrap(own.burn.bind(hasher));
  return {
    ...meters,
    restore() {
      library.hash = realHash;
      library.verify = realVerify;
      // The instance falls back to the prototype's methods.
      delete (hasher as { hash?: AsyncFn }).hash;
      delete (hasher as { verify?: AsyncFn }).verify;
      delete (hasher as { burn?: AsyncFn }).burn;
    },
  };
}

interface Browser {
  post(username: string, password: string): Promise<{ status: number; retryAfter: string | undefined }>;
}

/** A browser with its CSRF token already read, posting the sign-in form from `ip` (via the one proxy hop). */
async function browserAt(t: TestApp, ip: string): Promise<Browser> {
  const agent = agentFor(t);
  const token = await csrfToken(agent, '/login');
  return {
    async post(username, password) {
      const res = await agent.post('/login').set('X-Forwarded-For', viaProxy(ip)).type('form').send({ _csrf: token, username, password });
      return { status: res.status, retryAfter: res.headers['retry-after'] as string | undefined };
    },
  };
}

describe('argon2id under load: at most ARGON2_MAX_CONCURRENT hashes at once (security.md P-argon2id)', function () {
  this.timeout(60_000);
  const BURST = 12;
  let t: TestApp;
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
    t.close();
  });

  for (const limit of [undefined, '3'] as const) {
    const name = limit === undefined ? 'the default (2)' : `ARGON2_MAX_CONCURRENT=${limit}`;
    it(`${name}: ${BURST} sign-ins sent at once, from ${BURST} addresses for ${BURST} people, never run more argon2 hashes at once than the limit`, async () => {
      t = createTestApp(limit === undefined ? {} : { ARGON2_MAX_CONCURRENT: limit });
      const max = t.config.argon2.maxConcurrent;
      expect(max).to.equal(limit === undefined ? 2 : 3);
      // Different people at different addresses: the per-key sign-in queue lets them all through together.
      for (let i = 0; i < BURST; i += 1) await createUser(t, { username: `person${i}` });
      const browsers = await Promise.all(Array.from({ length: BURST }, (_, i) => browserAt(t, `198.51.100.${i + 10}`)));
      const meters = meterHashing(t);
      restore = meters.restore;

      const answers = await Promise.all(browsers.map((b, i) => b.post(`person${i}`, PASSWORD)));

      expect(answers.map((a) => a.status)).to.deep.equal(Array<number>(BURST).fill(303));
      // Every sign-in verified its password once (no rehash: the parameters did not change).
      expect(meters.argon2.calls).to.equal(BURST);
      // The burst reached the hasher together (so the limit had something to hold back)…
      expect(meters.hasher.peak, 'sign-ins inside the hasher at once').to.be.greaterThan(max);
      // …and argon2 itself ran exactly up to the limit, never above it.
      expect(meters.argon2.peak, 'argon2 computations at once').to.equal(max);
    });
  }
});

describe('throttle before hashing: a locked-out attempt answers 429 without computing a hash (security.md P-argon2id)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
    t.close();
  });

  it('a username locked after 3 failures: the right password, once and then 8 times at once from 8 addresses, answers 429 and argon2 never runs', async () => {
    t = createTestApp({ LOGIN_MAX_FAILURES_PER_USERNAME: '3', LOGIN_MAX_FAILURES_PER_IP: '100' });
    await createUser(t, { username: 'aigerim' });
    const first = await browserAt(t, '203.0.113.1');
    const statuses = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await first.post('aigerim', `wrong password ${i}`)).status);
    expect(statuses).to.deep.equal([401, 401, 401]);
    const others = await Promise.all(Array.from({ length: 8 }, (_, i) => browserAt(t, `203.0.113.${i + 20}`)));
    const meters = meterHashing(t);
    restore = meters.restore;

    const locked = await first.post('aigerim', PASSWORD);
    const burst = await Promise.all(others.map((b) => b.post('aigerim', PASSWORD)));

    expect(locked.status).to.equal(429);
    expect(locked.retryAfter).to.match(/^\d+$/);
    expect(burst.map((a) => a.status)).to.deep.equal(Array<number>(8).fill(429));
    expect(meters.hasher.calls, 'calls into the PasswordHasher').to.equal(0);
    expect(meters.argon2.calls, 'argon2 computations').to.equal(0);
  });

  it('an address locked after 4 failures with unknown usernames (each of which costs a dummy hash) answers 429 for any username without hashing', async () => {
    t = createTestApp({ LOGIN_MAX_FAILURES_PER_USERNAME: '100', LOGIN_MAX_FAILURES_PER_IP: '4' });
    await createUser(t, { username: 'aigerim' });
    const guesser = await browserAt(t, '203.0.113.7');
    const meters = meterHashing(t);
    restore = meters.restore;
    for (let i = 0; i < 4; i += 1) expect((await guesser.post(`nobody${i}`, 'some password')).status).to.equal(401);
    // The unknown usernames were not cheaper than wrong passwords: each one ran argon2.
    const beforeLock = meters.argon2.calls;
    expect(beforeLock).to.be.at.least(4);
    const hasherBefore = meters.hasher.calls;

    const answers = [await guesser.post('nobody-else', 'x'), await guesser.post('aigerim', PASSWORD)];

    expect(answers.map((a) => a.status)).to.deep.equal([429, 429]);
    expect(meters.argon2.calls - beforeLock, 'argon2 computations after the lock').to.equal(0);
    expect(meters.hasher.calls - hasherBefore, 'calls into the PasswordHasher after the lock').to.equal(0);
  });
});

describe('argon2id settings floor: m=19456 KiB, t=2, p=1 (security.md P-argon2id)', () => {
  const problemsOf = (env: Record<string, string>): string => {
    try {
      loadConfig(env);
    } catch (error) {
      expect(error).to.be.instanceOf(ConfigError);
      return (error as ConfigError).problems.join('\n');
    }
    return expect.fail(`loadConfig accepted ${JSON.stringify(env)}`);
  };

  it('refuses ARGON2_TIME_COST=1, ARGON2_PARALLELISM=0 and ARGON2_MEMORY_KIB=19455, each with a message naming the setting and its minimum', () => {
    expect(problemsOf({ ARGON2_TIME_COST: '1' })).to.equal('ARGON2_TIME_COST: must be at least 2');
    expect(problemsOf({ ARGON2_PARALLELISM: '0' })).to.match(/^ARGON2_PARALLELISM: .*(>=\s*1|at least 1)/);
    expect(problemsOf({ ARGON2_MEMORY_KIB: '19455' })).to.equal('ARGON2_MEMORY_KIB: must be at least 19456');
    // All three at once are all named, in one error.
    const all = problemsOf({ ARGON2_TIME_COST: '1', ARGON2_PARALLELISM: '0', ARGON2_MEMORY_KIB: '1024' });
    for (const name of ['ARGON2_TIME_COST', 'ARGON2_PARALLELISM', 'ARGON2_MEMORY_KIB']) expect(all).to.contain(name);
  });

  it('accepts exactly the minimum, m=19456 KiB, t=2, p=1', () => {
    expect(loadConfig({ ARGON2_MEMORY_KIB: '19456', ARGON2_TIME_COST: '2', ARGON2_PARALLELISM: '1' }).argon2).to.deep.include({ memoryKiB: 19456, timeCost: 2, parallelism: 1 });
  });

  it('the production defaults are at or above the minimum (m=65536 KiB, t=3, p=1, 2 at once), and a production hash carries them', async function () {
    this.timeout(30_000);
    const { argon2: params } = loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://qanat.example.com' });
    expect(params).to.deep.equal({ memoryKiB: 65536, timeCost: 3, parallelism: 1, maxConcurrent: 2 });
    expect(params.memoryKiB).to.be.at.least(19456);
    expect(params.timeCost).to.be.at.least(2);
    expect(params.parallelism).to.be.at.least(1);
    const hash = await new PasswordHasher(params).hash('a production password');
    expect(hash.startsWith('$argon2id$v=19$')).to.equal(true);
    // The PHC string's parameter segment, e.g. "m=65536,p=1,t=3" (the order is the library's).
    const segment = hash.split('$')[3] ?? '';
    expect(Object.fromEntries(segment.split(',').map((kv) => kv.split('=')))).to.deep.equal({ m: '65536', t: '3', p: '1' });
  });
});
