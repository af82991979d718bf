// The engine's own timer (not the cron tick, not a test calling runDue) fires a due post, on the
// real clock, never before its time. How late it fires is measured by the benchmark, not here.
import http from 'node:http';
import { expect } from 'chai';
import { ManualClock } from '../../../src/clock.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { connectAccount, signInLive } from '../../support/accounts.js';
import type { LiveApp } from '../../support/browser.js';
import { photo, postIdFrom, submit } from '../../support/content.js';
import { createUser } from '../../support/factories.js';
import { csrfFrom } from '../../support/http.js';
import { freePort } from '../../support/process.js';

/** The wall clock, typed as the test app's clock (nothing here sets or advances it). */
class WallClock extends ManualClock {
  override now(): number {
    return Date.now();
  }
}

describe('publishing timer (real clock)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let server: http.Server;

  afterEach(async () => {
    await t.services.engine.stop();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    t.close();
  });

  it('a post due in two seconds is published by the engine’s timer alone, not before its time, and its lateness is recorded', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    t = createTestApp({ PUBLIC_URL: url, PORT: String(port), TRUST_PROXY_HOPS: '0' }, undefined, new WallClock());
    server = http.createServer(t.app);
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    const live: LiveApp = { t, url, close: async () => undefined };
    const owner = await createUser(t);
    const agent = await signInLive(live, owner.username);
    const accountId = await connectAccount(live, agent);
    const csrf = csrfFrom((await agent.get('/queue')).text);
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const res = await submit({ t, agent, accountId, csrf }, '/compose', {
      fields: { type: 'feed', caption: 'On the second', date: later.slice(0, 10), time: later.slice(11, 16), timeZone: 'UTC', action: 'schedule' },
      files: [{ name: 'a.jpg', bytes: await photo(1080, 1080) }],
    });
    const id = postIdFrom(res.headers['location']);
    t.services.engine.start();
    // Bring it forward to two seconds from now, as a reschedule would, and tell the engine.
    const due = Date.now() + 2_000;
    t.db.sqlite.prepare('UPDATE posts SET scheduled_at = ? WHERE id = ?').run(due, id);
    t.services.engine.poke();

    const deadline = Date.now() + 20_000;
    while (t.services.posts.get(id).state !== 'published' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(t.services.posts.get(id).state).to.equal('published');
    const claimed = t.services.posts.repo.eventsOf(id).find((e) => e.step === 'claimed');
    expect(claimed?.at).to.be.at.least(due);
    expect(Number(claimed?.detail['lateMs'])).to.be.at.least(0);
  });
});
