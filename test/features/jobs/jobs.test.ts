import { expect } from 'chai';
import { jobs, findJob, scheduleOf } from '../../../src/jobs/registry.js';
import { runJob } from '../../../src/jobs/scheduler.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { signIn } from '../../support/http.js';
import cron from 'node-cron';
import { EXPIRED_SESSION_GRACE_MS } from '../../../src/http/session-store.js';

describe('jobs', () => {
  let t: TestApp;
  beforeEach(() => {
    t = createTestApp();
  });
  afterEach(() => t.close());

  const ctx = () => ({ config: t.config, db: t.db, cipher: t.cipher, clock: t.clock, log: t.log, services: t.services });

  it('every job in the registry has a unique name, a valid cron schedule and a description', () => {
    expect(new Set(jobs.map((j) => j.name)).size).to.equal(jobs.length);
    for (const job of jobs) {
      expect(cron.validate(scheduleOf(job, t.config)), job.name).to.equal(true);
      expect(job.description.length, job.name).to.be.greaterThan(10);
    }
  });

  it('no job is scheduled by createApp (jobs never run in tests)', () => {
    expect(cron.getTasks().size).to.equal(0);
  });

  it('purge-sessions deletes sessions a day past their timeout and keeps live ones', async () => {
    await createUser(t, { username: 'idle' });
    await signIn(t, 'idle');
    t.clock.advance(31 * 60_000 + EXPIRED_SESSION_GRACE_MS);
    await createUser(t, { username: 'active' });
    await signIn(t, 'active');
    const count = () => (t.db.sqlite.prepare('SELECT count(*) AS n FROM sessions WHERE user_id IS NOT NULL').get() as { n: number }).n;
    expect(count()).to.equal(2);
    const counts = await runJob(findJob('purge-sessions')!, ctx());
    expect(counts['deleted']).to.be.greaterThan(0);
    expect(count()).to.equal(1);
    expect(t.logs.text).to.contain('"job":"purge-sessions"');
  });
});
