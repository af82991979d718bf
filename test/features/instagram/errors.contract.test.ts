import { expect } from 'chai';
import { LANGUAGES } from '../../../src/db/schema.js';
import { translatorFor } from '../../../src/i18n/index.js';
import { classify, ERROR_CLASSES, GraphError } from '../../../src/instagram/graph-error.js';
import { parseUsage } from '../../../src/instagram/usage.js';
import { longLivedToken, startSimulator, type SimHarness } from '../../support/simulator.js';

async function control(h: SimHarness, path: string, body: unknown): Promise<void> {
  const res = await fetch(`${h.base}/__control${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  expect(res.status, path).to.be.oneOf([200, 201]);
}

async function failure(promise: Promise<unknown>): Promise<GraphError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).to.be.instanceOf(GraphError);
  return error as GraphError;
}

describe('error classes over real HTTP (contract §6)', () => {
  let h: SimHarness;
  let token: string;
  beforeEach(async () => {
    h = await startSimulator({}, { timeoutMs: 800 });
    token = await longLivedToken(h);
  });
  afterEach(() => h.close());

  for (const code of [4, 17, 32, 613, 80002]) {
    it(`code ${code} is classified throttled and retryable`, async () => {
      await control(h, '/faults', { kind: 'throttle', code, remaining: 1, regainMinutes: 0 });
      const error = await failure(h.client.publishing.me(token));
      expect(error.code).to.equal(code);
      expect(error.errorClass).to.equal('throttled');
      expect(error.retryable).to.equal(true);
      // The fault was used up: the next call succeeds.
      expect((await h.client.publishing.me(token)).username).to.equal('steppe_coffee');
    });
  }

  it('80002 honours estimated_time_to_regain_access from X-Business-Use-Case-Usage', async () => {
    await control(h, '/faults', { kind: 'throttle', code: 80002, regainMinutes: 7, remaining: 1 });
    const res = await fetch(`${h.base}/graph/v25.0/me`, { headers: { authorization: `Bearer ${token}` } });
    expect(parseUsage(res.headers)).to.deep.equal({ percent: 100, regainAccessMinutes: 7 });
    await control(h, '/faults', { kind: 'throttle', code: 80002, regainMinutes: 7, remaining: 1 });
    const error = await failure(h.client.publishing.me(token));
    expect(error.retryAfterMs).to.equal(7 * 60_000);
    // Until then the client does not call Instagram at all: it answers throttled at once.
    const sent = h.requests.length;
    const waiting = await failure(h.client.publishing.me(token));
    expect(waiting.errorClass).to.equal('throttled');
    expect(waiting.retryAfterMs).to.be.within(6 * 60_000, 7 * 60_000);
    expect(h.requests.length).to.equal(sent);
  });

  it('a 5xx with code 2 is transient', async () => {
    await control(h, '/faults', { kind: 'server-error', code: 2, remaining: 1 });
    const error = await failure(h.client.publishing.me(token));
    expect(error.httpStatus).to.equal(500);
    expect(error.errorClass).to.equal('transient');
  });

  it('a connection reset is transient', async () => {
    await control(h, '/faults', { kind: 'reset', remaining: 1 });
    const error = await failure(h.client.publishing.me(token));
    expect(error.httpStatus).to.equal(0);
    expect(error.errorClass).to.equal('transient');
  });

  it('a timeout is transient and names the limit', async () => {
    await control(h, '/faults', { kind: 'latency', ms: 2_000, remaining: 1 });
    const error = await failure(h.client.publishing.me(token));
    expect(error.errorClass).to.equal('transient');
    expect(error.message).to.contain('800 ms');
  });

  it('an invalidated token (password change) is 190/460 and classified reconnect', async () => {
    await control(h, '/tokens/invalidate', { subcode: 460 });
    const error = await failure(h.client.publishing.me(token));
    expect([error.code, error.subcode, error.errorClass]).to.deep.equal([190, 460, 'reconnect']);
  });

  it('a missing permission is classified permission', async () => {
    const narrow = await longLivedToken(h, ['instagram_business_basic']);
    const error = await failure(h.client.insights.account(narrow, 'me', { metrics: ['reach'], period: 'day', metricType: 'total_value' }));
    expect(error.errorClass).to.equal('permission');
  });

  it('the client never puts the token in a URL, on any request it made', async () => {
    await h.client.publishing.me(token);
    await h.client.engagement.conversations(token);
    await h.client.oauth.refresh(token).catch(() => undefined);
    expect(h.requests.length).to.be.greaterThan(4);
    for (const request of h.requests) {
      expect(request.url.searchParams.has('access_token'), request.url.pathname).to.equal(false);
      expect(request.url.toString()).not.to.contain(token);
    }
  });
});

describe('classification table', () => {
  const cases: Array<[number | undefined, number | undefined, string]> = [
    [1, undefined, 'transient'],
    [2, undefined, 'transient'],
    [-1, 2207001, 'transient'],
    [-2, 2207003, 'transient'],
    [190, 463, 'reconnect'],
    [190, 460, 'reconnect'],
    [10, undefined, 'permission'],
    [200, undefined, 'permission'],
    [299, undefined, 'permission'],
    [4, undefined, 'throttled'],
    [4, 2207051, 'permanent'],
    [9007, 2207027, 'notReady'],
    [9, 2207042, 'quota'],
    [36001, 2207005, 'invalidMedia'],
    [36003, 2207009, 'invalidMedia'],
    [100, 2207028, 'invalidMedia'],
    [36004, 2207010, 'invalidCaption'],
    [100, 2207040, 'invalidCaption'],
    [10, 2534022, 'permanent'],
    [24, 2207008, 'permanent'],
    [100, undefined, 'permanent'],
  ];
  for (const [code, subcode, expected] of cases) {
    it(`code ${String(code)} / subcode ${String(subcode)} → ${expected}`, () => {
      expect(classify(code, subcode)).to.equal(expected);
    });
  }

  it('a bare HTTP 503 without a Graph code is transient; the status alone never decides otherwise', () => {
    expect(classify(undefined, undefined, 503)).to.equal('transient');
    expect(classify(190, 463, 500)).to.equal('reconnect');
  });

  it('every class has a title and an explanation in en, ru and kk', () => {
    for (const lang of LANGUAGES) {
      const t = translatorFor(lang);
      for (const c of ERROR_CLASSES) {
        for (const part of ['title', 'text']) {
          const key = `instagram.errorClass.${c}.${part}`;
          expect(t(key), `${lang} ${key}`).not.to.equal(key);
        }
      }
      expect(t('instagram.errorClass.throttled.textWithWait', { minutes: 7 })).to.contain('7');
    }
  });

  it('an error explains itself with its own code when it has one, else with its class', () => {
    const specific = new GraphError('x', 400, 36003, 2207009);
    expect(specific.explanationKeys()).to.deep.equal({ title: 'instagram.errorClass.invalidMedia.title', text: 'instagram.code.2207009', params: {} });
    const generic = new GraphError('x', 400, 100, 12345);
    expect(generic.explanationKeys()).to.deep.equal({ title: 'instagram.errorClass.permanent.title', text: 'instagram.errorClass.permanent.text', params: {} });
    const waiting = new GraphError('x', 400, 80002, undefined, {}, 7 * 60_000);
    expect(waiting.explanationKeys()).to.deep.equal({ title: 'instagram.errorClass.throttled.title', text: 'instagram.errorClass.throttled.textWithWait', params: { minutes: 7 } });
  });
});
