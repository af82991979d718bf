// security.md P-sqlite and F-database-locked: the connection's pragmas, BEGIN IMMEDIATE claims that
// two connections racing for one due post can never both win, an engine pass that meets a lock held
// by another process (waits, fails, claims nothing, and publishes once after), and a backup whose
// copy fails integrity_check. Also row 32: the disconnect's audit row has its time and address.
//
// The race runs in two worker threads, each with its own connection and PublishingRepo (as two
// processes would), released together by a barrier on shared memory. This file is also the
// workers' entry: imported in a worker, it runs the claimer instead of defining tests.
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { openDatabase } from '../../src/db/client.js';
import { PublishingRepo } from '../../src/features/publishing/publishing.repo.js';
import { connectAccount, signInLive } from '../support/accounts.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { startLiveApp, type LiveApp } from '../support/browser.js';
import { createAccount, createUser } from '../support/factories.js';
import { $, csrfFrom, signIn } from '../support/http.js';
import { post, schedulePost, simMediaWithCaption, stage, steps, type Stage } from '../support/publishing.js';

interface ClaimerData {
  role: 'claimer';
  dbFile: string;
  postId: number;
  owner: string;
  now: number;
  rounds: number;
  /** Int32Array over it: [0] the round released by the main thread, [1] claimers arrived so far. */
  control: SharedArrayBuffer;
}

interface ClaimResult {
  round: number;
  owner: string;
  claimed: boolean;
  error?: string;
  /** performance.timeOrigin + performance.now() around the claim, for seeing that the two overlapped. */
  started: number;
  ended: number;
}

const CLAIMERS = 2;

/** One worker: for each round, wait for the release, meet the other claimer, claim at once. */
function runClaimer(data: ClaimerData): void {
  const handle = openDatabase(data.dbFile);
  const repo = new PublishingRepo(handle);
  const control = new Int32Array(data.control);
  for (let round = 1; round <= data.rounds; round += 1) {
    while (Atomics.load(control, 0) < round) Atomics.wait(control, 0, round - 1, 1000);
    Atomics.add(control, 1, 1);
    // Spin (microseconds) until every claimer arrived, so the claims start together.
    while (Atomics.load(control, 1) < CLAIMERS * round);
    const started = performance.timeOrigin + performance.now();
    let result: Omit<ClaimResult, 'ended' | 'started' | 'round' | 'owner'>;
    try {
      result = { claimed: repo.claim(data.postId, data.owner, data.now, 120_000) !== undefined };
    } catch (error) {
      result = { claimed: false, error: `${(error as { code?: string }).code ?? ''} ${(error as Error).message}` };
    }
    parentPort?.postMessage({ round, owner: data.owner, ...result, started, ended: performance.timeOrigin + performance.now() } satisfies ClaimResult);
  }
  handle.close();
}

/** Workers load TypeScript through tsx, registered inside the worker (Node 20 does not pass --import on). */
function startClaimer(data: ClaimerData): Worker {
  const boot = `const { workerData } = require('node:worker_threads');
(async () => { (await import('tsx/esm/api')).register(); await import(workerData.entry); })().catch((error) => { throw error; });`;
  return new Worker(boot, { eval: true, workerData: { ...data, entry: import.meta.url } });
}

const DUE_AT = Date.UTC(2026, 0, 15, 12, 5, 0);

if (!isMainThread && (workerData as { role?: string } | null)?.role === 'claimer') runClaimer(workerData as ClaimerData);
else defineTests();

function defineTests(): void {
  describe('the app’s SQLite connection (security.md P-sqlite)', () => {
    let t: TestApp;
    before(() => {
      t = createTestApp();
    });
    after(() => t.close());

    it('runs with journal_mode=wal, synchronous=FULL (2), foreign_keys=ON, secure_delete=ON and a busy_timeout of 5 s', () => {
      const pragma = (name: string) => t.db.sqlite.pragma(name, { simple: true });
      expect({
        journal_mode: pragma('journal_mode'),
        synchronous: pragma('synchronous'),
        foreign_keys: pragma('foreign_keys'),
        secure_delete: pragma('secure_delete'),
        busy_timeout: pragma('busy_timeout'),
      }).to.deep.equal({ journal_mode: 'wal', synchronous: 2, foreign_keys: 1, secure_delete: 1, busy_timeout: 5000 });
      // WAL is a property of the file: any other connection (the CLI, a second process) finds it too.
      const other = new Database(path.join(t.dir, 'qanat.db'), { readonly: true });
      try {
        expect(other.pragma('journal_mode', { simple: true })).to.equal('wal');
      } finally {
        other.close();
      }
    });
  });

  describe('two connections race to claim the same due post: exactly one wins, every time (security.md P-sqlite, F-database-locked)', function () {
    this.timeout(120_000);
    const ROUNDS = 200;
    let t: TestApp;
    let postId: number;
    let workers: Worker[] = [];
    before(async () => {
      t = createTestApp();
      const user = await createUser(t);
      const account = createAccount(t);
      postId = t.services.posts.repo.insertPost({ accountId: account.id, type: 'feed', state: 'scheduled', timeZone: 'UTC', createdBy: user.id, createdAt: DUE_AT - 3_600_000, updatedAt: DUE_AT - 3_600_000 }).id;
      t.db.sqlite.prepare('UPDATE posts SET scheduled_at = ? WHERE id = ?').run(DUE_AT, postId);
    });
    after(async () => {
      await Promise.all(workers.map((w) => w.terminate()));
      t.close();
    });

    it(`${ROUNDS} rounds of two worker threads (own connection, own PublishingRepo) calling claim() at the same instant: one claim per round, the other answers "not yours" without an error`, async () => {
      const control = new SharedArrayBuffer(8);
      const flags = new Int32Array(control);
      const base = { role: 'claimer' as const, dbFile: path.join(t.dir, 'qanat.db'), postId, now: DUE_AT + 1000, rounds: ROUNDS, control };
      const results = new Map<number, ClaimResult[]>();
      let waiting: { round: number; resolve: () => void } | undefined;
      workers = ['engine-A', 'engine-B'].map((owner) => startClaimer({ ...base, owner }));
      const failures: Error[] = [];
      for (const worker of workers) {
        worker.on('error', (error) => failures.push(error));
        worker.on('message', (message: ClaimResult) => {
          const list = results.get(message.round) ?? [];
          list.push(message);
          results.set(message.round, list);
          if (waiting && list.length === CLAIMERS && message.round === waiting.round) waiting.resolve();
        });
      }
      const reset = t.db.sqlite.prepare("UPDATE posts SET state = 'scheduled', lease_owner = NULL, lease_until = NULL WHERE id = ?");
      for (let round = 1; round <= ROUNDS; round += 1) {
        reset.run(postId);
        const done = new Promise<void>((resolve) => (waiting = { round, resolve }));
        Atomics.store(flags, 0, round);
        Atomics.notify(flags, 0);
        await Promise.race([done, new Promise((_, reject) => setTimeout(() => reject(new Error(`round ${round} did not finish: ${failures.map((f) => f.message).join('; ')}`)), 20_000))]);
      }

      const rounds = [...results.values()];
      expect(failures).to.deep.equal([]);
      expect(rounds).to.have.length(ROUNDS);
      const errors = rounds.flat().filter((r) => r.error).map((r) => `round ${r.round} ${r.owner}: ${r.error}`);
      expect(errors, 'claims that failed with an error instead of answering').to.deep.equal([]);
      const winners = rounds.map((list) => list.filter((r) => r.claimed).length);
      expect(winners.filter((n) => n !== 1), 'rounds without exactly one claim').to.deep.equal([]);
      // The race was real: in most rounds the two claims ran at the same time.
      const overlapping = rounds.filter(([a, b]) => a && b && a.started < b.ended && b.started < a.ended).length;
      expect(overlapping, 'rounds in which both claims were running at once').to.be.greaterThan(ROUNDS / 4);
      // Both sides won sometimes: neither connection was simply always first.
      const byOwner = new Set(rounds.flat().filter((r) => r.claimed).map((r) => r.owner));
      expect([...byOwner].sort()).to.deep.equal(['engine-A', 'engine-B']);
      const row = t.db.sqlite.prepare('SELECT state, lease_owner AS owner FROM posts WHERE id = ?').get(postId) as { state: string; owner: string };
      expect(row.state).to.equal('claimed');
    });
  });

  describe('the publishing engine and a database locked by another process (security.md F-database-locked)', function () {
    this.timeout(120_000);
    let s: Stage;
    let other: Database.Database | undefined;
    let second: TestApp | undefined;
    beforeEach(async () => {
      s = await stage();
    });
    afterEach(async () => {
      if (other?.inTransaction) other.exec('ROLLBACK');
      other?.close();
      other = undefined;
      // The second instance shares the data folder: only its connection is closed.
      second?.db.close();
      second = undefined;
      await s.live.close();
    });

    it('while another connection holds BEGIN EXCLUSIVE, a pass waits busy_timeout, then fails with SQLITE_BUSY having claimed nothing; after the lock is gone the post is published once', async () => {
      const caption = 'Locked out for a moment';
      const id = await schedulePost(s, { caption });
      s.t.clock.advance(2 * 60_000);
      other = new Database(path.join(s.t.dir, 'qanat.db'));
      other.exec('BEGIN EXCLUSIVE');

      const started = Date.now();
      const outcome = await s.t.services.engine.runDue().then(
        (handled) => ({ handled, error: undefined }),
        (error: unknown) => ({ handled: undefined, error: error as { code?: string } }),
      );
      const waited = Date.now() - started;

      expect(outcome.error?.code, 'the pass fails with the lock error').to.equal('SQLITE_BUSY');
      expect(waited, 'waited for busy_timeout (5 s)').to.be.within(4_500, 15_000);
      const during = s.t.db.sqlite.prepare('SELECT state, lease_owner AS owner, attempts FROM posts WHERE id = ?').get(id);
      expect(during).to.deep.equal({ state: 'scheduled', owner: null, attempts: 0 });
      expect(simMediaWithCaption(s, caption)).to.equal(0);

      other.exec('ROLLBACK');
      // The engine's own loop: passes until nothing waits (container processing takes simulated time).
      for (let i = 0; i < 60 && post(s, id).state !== 'published'; i += 1) {
        await s.t.services.engine.runDue();
        s.t.clock.advance(5_000);
      }
      expect(post(s, id).state).to.equal('published');
      expect(simMediaWithCaption(s, caption)).to.equal(1);
      expect(steps(s, id).filter((step) => step === 'published')).to.have.length(1);
    });

    it('two app instances on the same data folder run their engines at the same moment: the due post is published once', async () => {
      const caption = 'Two engines, one post';
      const id = await schedulePost(s, { caption });
      // A second Qanat on the same folder and clock, calling the same simulator (PORT).
      second = createTestApp({ PUBLIC_URL: s.live.url, PORT: String(s.t.config.port), TRUST_PROXY_HOPS: '0' }, s.t.dir, s.t.clock);
      expect(second.services.engine.owner).not.to.equal(s.t.services.engine.owner);
      s.t.clock.advance(2 * 60_000);
      for (let i = 0; i < 60 && post(s, id).state !== 'published'; i += 1) {
        await Promise.all([s.t.services.engine.runDue(), (second as TestApp).services.engine.runDue()]);
        s.t.clock.advance(5_000);
      }
      expect(post(s, id).state).to.equal('published');
      expect(simMediaWithCaption(s, caption)).to.equal(1);
      expect(steps(s, id).filter((step) => step === 'published')).to.have.length(1);
    });
  });

  describe('a backup whose copy fails integrity_check is refused with nothing written (security.md P-sqlite)', function () {
    this.timeout(60_000);
    let t: TestApp;
    beforeEach(() => {
      t = createTestApp();
    });
    afterEach(() => t.close());

    /**
     * The online backup API copies pages faithfully, so a damaged copy comes from a damaged
     * database: another connection orphans an index's pages (its schema row removed while its
     * b-tree stays), which integrity_check reports as "never used" pages. The app still runs.
     */
    function damageDatabase(): void {
      const other = new Database(path.join(t.dir, 'qanat.db'));
      try {
        other.exec('CREATE TABLE scratch_damage (x TEXT); CREATE INDEX scratch_damage_x ON scratch_damage (x);');
        const insert = other.prepare('INSERT INTO scratch_damage VALUES (?)');
        other.transaction(() => {
          for (let i = 0; i < 2000; i += 1) insert.run(`row ${i} ${'-'.repeat(40)}`);
        })();
        other.unsafeMode(true);
        other.pragma('writable_schema = ON');
        other.exec("DELETE FROM sqlite_master WHERE name = 'scratch_damage_x'");
        const version = other.pragma('schema_version', { simple: true }) as number;
        other.pragma(`schema_version = ${version + 1}`);
        other.pragma('writable_schema = OFF');
      } finally {
        other.close();
      }
      const verdict = (t.db.sqlite.pragma('integrity_check') as Array<{ integrity_check: string }>).map((r) => r.integrity_check).join('\n');
      expect(verdict).to.match(/never used/);
    }

    const leftovers = () => (fs.existsSync(t.services.backups.dir) ? fs.readdirSync(t.services.backups.dir) : []);

    it('services.backups.create() refuses with the integrity_check verdict, writes no backup, no .partial and no copy, and the next backup after repair works', async () => {
      const good = await t.services.backups.create('test');
      expect(leftovers()).to.deep.equal([good.name]);
      damageDatabase();
      t.clock.advance(60_000);

      const error = await t.services.backups.create('test').then(
        () => undefined,
        (e: unknown) => e as Error,
      );
      expect(error?.name).to.equal('BackupError');
      expect(error?.message).to.match(/failed SQLite's integrity check: .*never used/s);
      expect(leftovers(), 'files in the backup folder').to.deep.equal([good.name]);
      expect(fs.readdirSync(t.dir).filter((name) => name.startsWith('.copy-'))).to.deep.equal([]);
      expect(t.db.sqlite.prepare("SELECT count(*) AS n FROM audit_log WHERE kind = 'backup.created'").get()).to.deep.equal({ n: 1 });

      // VACUUM rebuilds the file from the schema: the orphaned pages go, and backups work again.
      t.db.sqlite.exec('VACUUM');
      t.clock.advance(60_000);
      const again = await t.services.backups.create('test');
      expect(leftovers().sort()).to.deep.equal([good.name, again.name].sort());
    });

    it('the owner’s "Back up now" on a damaged database answers with a page saying the backup failed, without a stack trace, and writes nothing', async () => {
      await createUser(t, { username: 'owner' });
      const { agent } = await signIn(t, 'owner');
      const token = csrfFrom((await agent.get('/settings/system')).text);
      damageDatabase();
      const res = await agent.post('/settings/system/backup').type('form').send({ _csrf: token });
      expect(res.status).to.be.at.least(400);
      expect(res.text).not.to.match(/at [\w.<>]+ \(.*\.ts:\d+/);
      expect(leftovers().filter((name) => !name.startsWith('.'))).to.deep.equal([]);
      // The log keeps the detail for whoever runs the server…
      expect(t.logs.text).to.contain("failed SQLite's integrity check");
      // …and the owner, who pressed the button, is told what is wrong, not only "something went wrong".
      const text = $(res.text)('main').text();
      expect(text, 'the page says the check failed').to.match(/integrity|damaged|check/i);
    });
  });

  describe('the account.disconnected audit row has its time and source address (security.md row 32)', function () {
    this.timeout(60_000);
    let live: LiveApp;
    afterEach(() => live.close());

    it('disconnecting through the proxy records at = the app clock’s time and source_ip = the client address Traefik saw', async () => {
      live = await startLiveApp({ TRUST_PROXY_HOPS: '1' });
      // Far from the wall clock, so a row stamped with Date.now() could not pass.
      live.t.clock.set(Date.UTC(2031, 6, 15, 9, 41, 7, 250));
      await createUser(live.t, { username: 'owner' });
      const agent = await signInLive(live, 'owner');
      const accountId = await connectAccount(live, agent);
      live.t.clock.advance(1_234);
      const form = await agent.get(`/accounts/${accountId}/disconnect`);
      const res = await agent.post(`/accounts/${accountId}/disconnect`).set('X-Forwarded-For', '10.9.8.7, 203.0.113.45').type('form').send({ _csrf: csrfFrom(form.text) });
      expect(res.status).to.equal(303);

      const rows = live.t.db.sqlite.prepare("SELECT at, source_ip AS sourceIp, actor FROM audit_log WHERE kind = 'account.disconnected'").all();
      expect(rows).to.deep.equal([{ at: Date.UTC(2031, 6, 15, 9, 41, 8, 484), sourceIp: '203.0.113.45', actor: 'owner' }]);
    });
  });
}
