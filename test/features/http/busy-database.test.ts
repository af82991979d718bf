import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { $, csrfFrom, signIn } from '../../support/http.js';

describe('a database locked by another process', function () {
  this.timeout(20_000);
  let t: TestApp;
  let other: Database.Database;
  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim' });
    other = new Database(path.join(t.dir, 'qanat.db'));
  });
  afterEach(() => {
    if (other.inTransaction) other.exec('ROLLBACK');
    other.close();
    t.close();
  });

  it('waits for busy_timeout, then answers a clear 503 page with Retry-After, and serves again once the lock is gone', async () => {
    const { agent } = await signIn(t, 'aigerim');
    const token = csrfFrom((await agent.get('/settings')).text);
    other.exec('BEGIN EXCLUSIVE');
    const started = Date.now();
    const res = await agent.post('/language').type('form').send({ _csrf: token, language: 'ru', returnTo: '/settings' });
    // One busy_timeout (5 s), not two: the error page does not try to save the session again.
    expect(Date.now() - started).to.be.within(4_000, 9_000);
    expect(res.status).to.equal(503);
    expect(res.headers['retry-after']).to.equal('30');
    expect($(res.text)('main').text()).to.contain('Nothing was saved');
    other.exec('ROLLBACK');
    expect((t.db.sqlite.prepare('SELECT language FROM users').get() as { language: string }).language).to.equal('en');
    const again = await agent.get('/settings');
    expect(again.status).to.equal(200);
  });
});
