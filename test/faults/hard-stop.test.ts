// security.md, faults: "hard stop during writes → database opens, integrity_check ok, every
// acknowledged write present". The real server runs as a child process; four writers sign in and
// save forms as fast as it answers (hashtag sets, and drafts, which write a post and its status log
// in one transaction), and the server is killed with SIGKILL at a random moment. The database is
// then opened cold: integrity_check, foreign_key_check, and every write the server answered 303 to
// must be there, whole. The same folder serves the next trial, so damage would accumulate.
// QANAT_HARD_STOP_TRIALS (default 3; `npm run test:faults` runs 30), QANAT_HARD_STOP_SEED.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import request from 'supertest';
import { projectRoot } from '../../src/paths.js';
import { createTestApp, tempDir } from '../support/app.js';
import { CRASH_DATA_KEY, CRASH_SESSION_SECRET, serverCommand } from '../support/crash-harness.js';
import { createUser, PASSWORD } from '../support/factories.js';
import { csrfFrom } from '../support/http.js';
import { baseEnv, freePort } from '../support/process.js';
import { recordReliability } from '../support/reliability.js';
import { random } from '../../bench/random.js';

const TRIALS = Number(process.env['QANAT_HARD_STOP_TRIALS'] ?? 3);
const SEED = process.env['QANAT_HARD_STOP_SEED'] ? Number(process.env['QANAT_HARD_STOP_SEED']) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
const WRITERS = 4;

interface Acknowledged {
  hashtagSets: string[];
  drafts: Array<{ id: number; caption: string }>;
}

async function waitForOutput(child: ChildProcess, pattern: RegExp, ms: number): Promise<string> {
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const end = Date.now() + ms;
  while (!pattern.test(out)) {
    if (Date.now() > end || child.exitCode !== null) throw new Error(`server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return out;
}

describe('fault: hard stop (SIGKILL) while forms are being saved', function () {
  this.timeout(TRIALS * 30_000 + 60_000);
  const dir = tempDir('qanat-hard-stop-');
  let port: number;
  let env: NodeJS.ProcessEnv;
  let accountId: number;
  const acknowledged: Acknowledged = { hashtagSets: [], drafts: [] };
  const problems: string[] = [];
  let kills = 0;
  let failedAnswers = 0;

  before(async () => {
    port = await freePort();
    const settings = { QANAT_DATA_KEY: CRASH_DATA_KEY, SESSION_SECRET: CRASH_SESSION_SECRET, PUBLIC_URL: `http://127.0.0.1:${port}` };
    // The owner and an account, written by an in-process app on the same folder, then closed.
    const seed = createTestApp(settings, dir);
    await createUser(seed, { username: 'owner' });
    const now = Date.now();
    accountId = seed.services.accounts.repo.insert({ igUserId: '17841400000000001', appScopedId: 'app-1', username: 'shop', token: seed.cipher.seal('token', { table: 'accounts', column: 'token', row: '17841400000000001' }), tokenExpiresAt: now + 86_400_000 * 60, tokenRefreshedAt: now, scopes: [], sandbox: false, connectedAt: now, createdAt: now }).id;
    seed.db.close();
    env = baseEnv(dir, { ...settings, PORT: String(port), HOST: '127.0.0.1' });
  });

  after(() => {
    recordReliability('hard-stop', {
      title: 'Hard stop (SIGKILL) during writes',
      figures: {
        trials: TRIALS,
        seed: SEED,
        'servers killed mid-write': kills,
        'acknowledged writes': acknowledged.hashtagSets.length + acknowledged.drafts.length,
        'acknowledged writes missing after restart': problems.filter((p) => p.startsWith('missing')).length,
        'integrity_check failures': problems.filter((p) => p.startsWith('integrity')).length,
        'requests cut off by the kill': failedAnswers,
      },
      notes: ['Four writers save hashtag sets and drafts against the real server (a child process) until it is killed with SIGKILL at a random moment; the database is then opened cold and checked, and the next trial runs on the same folder.'],
    });
  });

  /** A signed-in browser with the form token, before the clock for the kill starts. */
  async function signedIn(base: string): Promise<{ agent: ReturnType<typeof request.agent>; csrf: string }> {
    const agent = request.agent(base);
    const login = await agent.get('/login');
    const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(login.text), username: 'owner', password: PASSWORD });
    if (res.status !== 303) throw new Error(`sign-in answered ${res.status}`);
    return { agent, csrf: csrfFrom((await agent.get('/hashtags')).text) };
  }

  async function writer({ agent, csrf }: Awaited<ReturnType<typeof signedIn>>, index: number, trial: number, stop: { stopped: boolean }): Promise<void> {
    for (let n = 0; !stop.stopped; n += 1) {
      const name = `t${trial}w${index}n${n}`;
      try {
        if (n % 2 === 0) {
          const res = await agent.post('/hashtags').type('form').send({ _csrf: csrf, name, tags: `#${name} #qanat` });
          if (res.status === 303) acknowledged.hashtagSets.push(name);
        } else {
          const caption = `Draft ${name} ${'ż'.repeat(n % 50)}`;
          const res = await agent.post('/compose').field('_csrf', csrf).field('accountId', String(accountId)).field('type', 'feed').field('caption', caption).field('action', 'draft');
          const id = /^\/posts\/(\d+)$/.exec(String(res.headers['location']))?.[1];
          if (res.status === 303 && id) acknowledged.drafts.push({ id: Number(id), caption });
        }
      } catch {
        // The connection died with the server: not acknowledged, so not owed.
        failedAnswers += 1;
        return;
      }
    }
  }

  function check(trial: number): void {
    const db = new Database(path.join(dir, 'qanat.db'));
    try {
      const integrity = db.pragma('integrity_check', { simple: true });
      if (integrity !== 'ok') problems.push(`integrity: trial ${trial}: ${String(integrity)}`);
      const orphans = db.pragma('foreign_key_check') as unknown[];
      if (orphans.length > 0) problems.push(`integrity: trial ${trial}: foreign_key_check ${JSON.stringify(orphans.slice(0, 5))}`);
      const sets = new Set((db.prepare('SELECT name FROM hashtag_sets').all() as Array<{ name: string }>).map((r) => r.name));
      for (const name of acknowledged.hashtagSets) if (!sets.has(name)) problems.push(`missing: trial ${trial}: hashtag set ${name}`);
      const posts = new Map((db.prepare('SELECT id, caption FROM posts').all() as Array<{ id: number; caption: string }>).map((r) => [r.id, r.caption]));
      const logged = new Set((db.prepare('SELECT DISTINCT post_id AS id FROM post_events').all() as Array<{ id: number }>).map((r) => r.id));
      for (const draft of acknowledged.drafts) {
        if (posts.get(draft.id) !== draft.caption) problems.push(`missing: trial ${trial}: draft ${draft.id} (${posts.has(draft.id) ? 'caption changed' : 'no row'})`);
        else if (!logged.has(draft.id)) problems.push(`missing: trial ${trial}: draft ${draft.id} has no status log`);
      }
    } finally {
      db.close();
    }
  }

  it(`after each SIGKILL the database opens, integrity_check is ok, and every acknowledged write is there (${TRIALS} trials)`, async () => {
    const command = await serverCommand();
    const next = random(SEED);
    for (let trial = 0; trial < TRIALS; trial += 1) {
      const child = spawn(process.execPath, command, { cwd: projectRoot, env });
      const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
      await waitForOutput(child, /Qanat is listening/, 30_000);
      const stop = { stopped: false };
      const base = `http://127.0.0.1:${port}`;
      const browsers = await Promise.all(Array.from({ length: WRITERS }, () => signedIn(base)));
      const writers = browsers.map((browser, i) => writer(browser, i, trial, stop));
      await new Promise((r) => setTimeout(r, 300 + Math.floor(next() * 1200)));
      child.kill('SIGKILL');
      kills += 1;
      expect(await exited, `trial ${trial} (QANAT_HARD_STOP_SEED=${SEED})`).to.equal('SIGKILL');
      stop.stopped = true;
      await Promise.all(writers);
      check(trial);
    }
    console.log(`    hard stop: ${TRIALS} trials, seed ${SEED}, ${acknowledged.hashtagSets.length + acknowledged.drafts.length} acknowledged writes, ${failedAnswers} requests cut off`);
    expect(problems, `QANAT_HARD_STOP_SEED=${SEED}\n${problems.slice(0, 20).join('\n')}`).to.deep.equal([]);
    expect(acknowledged.drafts.length, 'drafts were written at all').to.be.greaterThan(TRIALS);
    expect(acknowledged.hashtagSets.length, 'hashtag sets were written at all').to.be.greaterThan(TRIALS);
  });
});
