// security.md row 7: idle and absolute session limits, driven by the ManualClock.
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { $, signIn, type Agent } from '../../support/http.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

async function expectSignedIn(agent: Agent, when: string): Promise<void> {
  const res = await agent.get('/');
  expect(res.status, `signed in ${when}`).to.equal(200);
}

async function expectSentToLogin(agent: Agent): Promise<void> {
  const res = await agent.get('/');
  expect(res.status).to.equal(303);
  expect(res.headers['location']).to.equal('/login');
}

/** Makes one request every `everyMs` until `untilMs` after sign-in, each one still signed in. */
async function stayActive(t: TestApp, agent: Agent, everyMs: number, untilMs: number): Promise<number> {
  let elapsed = 0;
  while (elapsed + everyMs <= untilMs) {
    t.clock.advance(everyMs);
    elapsed += everyMs;
    await expectSignedIn(agent, `after ${elapsed / MINUTE} minutes`);
  }
  return elapsed;
}

describe('session timeouts with the default limits (idle 30 min, absolute 12 h)', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim' });
  });
  afterEach(() => t.close());

  it('GET / redirects to /login after 31 idle minutes', async () => {
    const { agent } = await signIn(t, 'aigerim');
    await expectSignedIn(agent, 'right away');
    t.clock.advance(31 * MINUTE);
    await expectSentToLogin(agent);
  });

  it('after an idle timeout the sign-in page tells the person their session has ended', async () => {
    const { agent } = await signIn(t, 'aigerim');
    t.clock.advance(31 * MINUTE);
    await expectSentToLogin(agent);
    const login = await agent.get('/login');
    expect(login.status).to.equal(200);
    expect($(login.text)('.flashes').text()).to.contain('session has ended');
  });

  it('after an idle timeout, signing in again returns the person to the page they asked for', async () => {
    const { agent } = await signIn(t, 'aigerim');
    t.clock.advance(31 * MINUTE);
    const asked = await agent.get('/settings');
    expect(asked.headers['location']).to.equal('/login');
    const again = await signIn(t, 'aigerim', undefined, agent);
    expect(again.res.headers['location']).to.equal('/settings');
  });

  it('GET / still shows the dashboard after 29 idle minutes', async () => {
    const { agent } = await signIn(t, 'aigerim');
    t.clock.advance(29 * MINUTE);
    await expectSignedIn(agent, 'after 29 minutes');
  });

  it('an idle-expired session stays expired when the person comes back and the clock is the same', async () => {
    const { agent } = await signIn(t, 'aigerim');
    t.clock.advance(31 * MINUTE);
    await expectSentToLogin(agent);
    await expectSentToLogin(agent);
  });

  it('a person active every 20 minutes stays signed in for 11 h 40 min', async () => {
    const { agent } = await signIn(t, 'aigerim');
    const elapsed = await stayActive(t, agent, 20 * MINUTE, 11 * HOUR + 40 * MINUTE);
    expect(elapsed).to.equal(11 * HOUR + 40 * MINUTE);
  });

  it('a person active every 20 minutes is sent to /login once the 12 h absolute limit has passed', async () => {
    const { agent } = await signIn(t, 'aigerim');
    await stayActive(t, agent, 20 * MINUTE, 11 * HOUR + 40 * MINUTE);
    t.clock.advance(21 * MINUTE); // 12 h 01 min after sign-in, only 21 minutes idle
    await expectSentToLogin(agent);
  });

  it('signing in again after the absolute limit starts a new 12 h period', async () => {
    const { agent } = await signIn(t, 'aigerim');
    await stayActive(t, agent, 20 * MINUTE, 11 * HOUR + 40 * MINUTE);
    t.clock.advance(21 * MINUTE);
    await expectSentToLogin(agent);
    const again = await signIn(t, 'aigerim', undefined, agent);
    expect(again.res.status).to.equal(303);
    await stayActive(t, agent, 20 * MINUTE, 2 * HOUR);
  });
});

describe('session timeouts with SESSION_IDLE_MINUTES=5 and SESSION_ABSOLUTE_HOURS=1', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = createTestApp({ SESSION_IDLE_MINUTES: '5', SESSION_ABSOLUTE_HOURS: '1' });
    await createUser(t, { username: 'aigerim' });
  });
  afterEach(() => t.close());

  it('the config reads the non-default limits', () => {
    expect(t.config.session).to.deep.equal({ idleMs: 5 * MINUTE, absoluteMs: HOUR });
  });

  it('GET / redirects to /login after 6 idle minutes but not after 4', async () => {
    const { agent } = await signIn(t, 'aigerim');
    t.clock.advance(4 * MINUTE);
    await expectSignedIn(agent, 'after 4 minutes');
    t.clock.advance(6 * MINUTE);
    await expectSentToLogin(agent);
  });

  it('a person active every 4 minutes is sent to /login once 1 h has passed', async () => {
    const { agent } = await signIn(t, 'aigerim');
    await stayActive(t, agent, 4 * MINUTE, 56 * MINUTE);
    t.clock.advance(5 * MINUTE); // 1 h 01 min after sign-in
    await expectSentToLogin(agent);
  });
});
