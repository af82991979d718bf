// Publishing fire lag (issue 11): 300 posts due in the same second across 3 accounts, published by
// the REAL server (a child process, as `npm start` runs it) against a standalone simulator, once
// with no added latency and once with 200 ms added to every Graph call.
//
//   node --import tsx bench/publishing.ts [--quick]
//
// Fire lag of a post = when the engine claimed it (its 'claimed' step in post_events) minus the
// second T it was scheduled for; "all published" = the last 'published' step minus T. The world is
// the crash test's (test/support/crash-harness.ts): a Lane (data folder + seeding app on the same
// SQLite file), simulator accounts connected through OAuth, and feed photos composed and prepared
// through the real composer. Two small pieces are written here because the harness has no such
// helper: moving the posts to one instant T (Lane.makeDue only knows "now"), and reading the
// child's memory from /proc.
//
// Progress goes to stderr; the last line of stdout is {"ok": true, "result": PublishingBenchResult}.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import Database from 'better-sqlite3';
import { Lane, mediaWithCaption, newSimAccount, serverCommand, simViewOf, startCrashSimulator, stopChild, waitForPosts, type ChildRun } from '../test/support/crash-harness.js';
import { fixtures } from '../test/support/media-fixtures.js';
import type { SimHarness } from '../test/support/simulator.js';

export interface PublishingRun {
  latencyMs: 0 | 200;
  posts: number;
  accounts: 3;
  /** Claim time minus the scheduled second, over every claimed post (ms). */
  fireLagP50Ms: number;
  fireLagP99Ms: number;
  fireLagMaxMs: number;
  /** The last post's 'published' step minus the scheduled second (ms). */
  allPublishedMs: number;
  /** Posts not published (or published in Qanat but absent on the simulator). */
  failed: number;
  /** Extra media on the simulator beyond one per post. */
  duplicates: number;
  /** The server child's peak resident memory (VmHWM), MB. */
  serverPeakRssMb: number;
  /** One line per post counted in `failed`: id, state and reason. Empty when all went out. */
  failureReasons: string[];
}

export interface PublishingBenchResult {
  quick: boolean;
  runs: PublishingRun[];
}

const ACCOUNTS = 3;
const LATENCIES = [0, 200] as const;
/**
 * Posts are due this long after the child is spawned (it starts in ~1.3 s here, compiled). The
 * next run's lead is fitted to the start-up just seen, so the quick mode does not idle for nothing.
 */
const FIRST_LEAD_MS = 3_500;
/** The child must be listening at least this long before T, or the run would measure start-up. */
const MIN_IDLE_MS = 500;
/** Quick mode: 5 posts per account (the bench must stay well under 40 s on 2 cores; 10 took 46 s). */
const QUICK_PER_ACCOUNT = 5;
const FULL_PER_ACCOUNT = 100;

const log = (line: string): void => {
  process.stderr.write(`[publishing] ${line}\n`);
};

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] as number;
}

/** Resident memory of a process from /proc (Linux): the kernel's high-water mark and the current size, in kB. */
function memoryOf(pid: number): { hwmKb: number; rssKb: number } | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { hwmKb: field('VmHWM'), rssKb: field('VmRSS') };
  } catch {
    return undefined;
  }
}

/** Samples VmRSS every 100 ms (a fallback should VmHWM be unreadable at the end). */
function rssSampler(pid: number): { peakKb(): number; stop(): void } {
  let peak = 0;
  const sample = () => {
    const m = memoryOf(pid);
    if (m) peak = Math.max(peak, m.rssKb, m.hwmKb);
  };
  const timer = setInterval(sample, 100);
  return {
    peakKb: () => {
      sample();
      return peak;
    },
    stop: () => clearInterval(timer),
  };
}

/** Every post due at the same instant (the harness's makeDue writes "now" instead). */
function scheduleAll(lane: Lane, ids: number[], at: number): void {
  const db = new Database(path.join(lane.dir, 'qanat.db'));
  try {
    db.pragma('busy_timeout = 5000');
    const update = db.prepare('UPDATE posts SET scheduled_at = ? WHERE id = ?');
    db.transaction(() => {
      for (const id of ids) update.run(at, id);
    })();
  } finally {
    db.close();
  }
}

async function addLatency(h: SimHarness, ms: number): Promise<void> {
  const res = await fetch(`${h.base}/__control/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'latency', ms }) });
  if (res.status !== 201) throw new Error(`the simulator refused the latency fault: ${res.status} ${await res.text()}`);
}

/**
 * One latency setting on a fresh simulator and data folder. Exported so a one-off script can run
 * the same scenario against another build of the server (`command`: node's arguments, or a promise
 * of them: the build then runs while the posts are seeded).
 */
export async function publishingScenario(
  command: string[] | Promise<string[]>,
  latencyMs: 0 | 200,
  perAccount: number,
  quick: boolean,
  leadMs = FIRST_LEAD_MS,
): Promise<PublishingRun & { startupMs: number }> {
  const h = await startCrashSimulator();
  let lane: Lane | undefined;
  let run: ChildRun | undefined;
  let sampler: ReturnType<typeof rssSampler> | undefined;
  // Lane reads its command when it spawns the child, so the array is filled once the build is done.
  const args: string[] = [];
  const built = Promise.resolve(command).then((resolved) => void args.push(...resolved));
  built.catch(() => undefined);
  try {
    lane = await Lane.open(h, args);
    const accounts: Array<{ id: number; igId: string }> = [];
    for (let k = 0; k < ACCOUNTS; k += 1) {
      const login = await newSimAccount(h, 700_000 + k);
      accounts.push({ id: lane.addAccount(login), igId: login.igId });
    }

    // Round-robin over the accounts, as three calendars filling up the same evening would.
    const seedStarted = Date.now();
    const posts: Array<{ id: number; igId: string; caption: string }> = [];
    for (let i = 0; i < perAccount; i += 1) {
      for (const [k, account] of accounts.entries()) {
        const caption = `Bench ${latencyMs}ms account ${k} post ${i} #qanat`;
        posts.push({ id: await lane.seedPost(account.id, { type: 'feed', caption, firstComment: '', files: ['feed.jpg'] }), igId: account.igId, caption });
      }
      if ((i + 1) % 25 === 0) log(`  ${latencyMs} ms: seeded ${posts.length}/${perAccount * ACCOUNTS}`);
    }
    const ids = posts.map((p) => p.id);
    log(`${latencyMs} ms: ${ids.length} feed photos composed and prepared in ${((Date.now() - seedStarted) / 1000).toFixed(1)} s`);

    await built;
    if (args.length === 0) throw new Error('no command to start the server with');
    if (latencyMs > 0) await addLatency(h, latencyMs);
    // Every post due at the same millisecond T, leadMs after the spawn.
    const spawnAt = Date.now();
    const T = spawnAt + leadMs;
    scheduleAll(lane, ids, T);
    run = lane.startChild();
    const pid = run.child.pid;
    if (pid === undefined) throw new Error('the server child has no pid');
    sampler = rssSampler(pid);
    if (!(await run.listening)) throw new Error(`the server exited before listening:\n${run.output().slice(-4000)}`);
    const upAt = Date.now();
    log(`${latencyMs} ms: server listening after ${upAt - spawnAt} ms; ${ids.length} posts due in ${T - upAt} ms`);
    if (T - upAt < MIN_IDLE_MS) throw new Error(`the server took ${upAt - spawnAt} ms to start, leaving ${T - upAt} ms before the posts are due (need ${MIN_IDLE_MS}); raise FIRST_LEAD_MS`);

    const deadlineMs = (T - Date.now()) + (quick ? 60_000 : 240_000);
    const until = await waitForPosts(lane, ids, run, deadlineMs);
    const finishedAt = Date.now();
    if (until === 'exited') throw new Error(`the server died while publishing:\n${run.output().slice(-4000)}`);
    const hwm = memoryOf(pid)?.hwmKb ?? 0;
    const peakKb = Math.max(hwm, sampler.peakKb());
    sampler.stop();
    const stopped = await stopChild(run);
    if (stopped.forced || stopped.code !== 0) log(`${latencyMs} ms: warning: the server did not stop cleanly (${stopped.forced ? 'forced' : `exit ${stopped.code ?? stopped.signal}`})`);
    log(`${latencyMs} ms: ${until === 'final' ? 'every post final' : 'timed out'} ${finishedAt - T} ms after T`);

    // Outcomes: fire lag from the 'claimed' step, publish time from the 'published' step.
    const lags: number[] = [];
    let lastPublished = T;
    const failureReasons: string[] = [];
    let duplicates = 0;
    const rows = lane.posts(ids);
    for (const [j, row] of rows.entries()) {
      const post = posts[j] as (typeof posts)[number];
      const events = lane.events(row.id);
      const claimed = events.find((e) => e.step === 'claimed');
      if (claimed) lags.push(claimed.at - T);
      const published = events.find((e) => e.step === 'published');
      if (published) lastPublished = Math.max(lastPublished, published.at);
      const view = await simViewOf(h, post.igId, lane.publicTokens(row.id), '');
      const onInstagram = Math.max(view.media.length, mediaWithCaption(h, post.igId, post.caption));
      duplicates += Math.max(0, onInstagram - 1);
      if (row.state !== 'published') {
        const last = events.at(-1);
        failureReasons.push(`post ${row.id}: ${row.state}${row.reason_key ? ` (${row.reason_key})` : ''}${last ? `, last step ${last.step} ${last.detail}` : ''}`);
      } else if (onInstagram === 0) {
        failureReasons.push(`post ${row.id}: published in Qanat (media ${row.ig_media_id ?? '?'}) but not on the simulator`);
      }
    }
    lags.sort((a, b) => a - b);
    const result: PublishingRun & { startupMs: number } = {
      latencyMs,
      posts: ids.length,
      accounts: ACCOUNTS,
      fireLagP50Ms: percentile(lags, 50),
      fireLagP99Ms: percentile(lags, 99),
      fireLagMaxMs: lags.at(-1) ?? 0,
      allPublishedMs: lastPublished - T,
      failed: failureReasons.length,
      duplicates,
      serverPeakRssMb: Math.round((peakKb / 1024) * 10) / 10,
      failureReasons,
      startupMs: upAt - spawnAt,
    };
    log(
      `${latencyMs} ms: fire lag p50 ${result.fireLagP50Ms} / p99 ${result.fireLagP99Ms} / max ${result.fireLagMaxMs} ms (goal p99 <= 1000), all published +${result.allPublishedMs} ms, ` +
        `failed ${result.failed}, duplicates ${result.duplicates}, server peak RSS ${result.serverPeakRssMb} MB`,
    );
    for (const reason of failureReasons.slice(0, 10)) log(`  ${reason}`);
    return result;
  } finally {
    sampler?.stop();
    if (run) await stopChild(run, 2_000);
    lane?.close();
    await h.close();
  }
}

async function main(): Promise<PublishingBenchResult> {
  const quick = process.argv.includes('--quick');
  const perAccount = quick ? QUICK_PER_ACCOUNT : FULL_PER_ACCOUNT;
  const started = Date.now();
  log(`${quick ? 'quick' : 'full'}: ${perAccount * ACCOUNTS} posts over ${ACCOUNTS} accounts, latency ${LATENCIES.join(' and ')} ms`);
  // The server is compiled (test-artifacts/crash-build, incremental) while the first posts are seeded.
  const command = serverCommand();
  command.catch(() => undefined);
  await fixtures();
  const runs: PublishingRun[] = [];
  let leadMs = FIRST_LEAD_MS;
  for (const latencyMs of LATENCIES) {
    const { startupMs, ...run } = await publishingScenario(command, latencyMs, perAccount, quick, leadMs);
    runs.push(run);
    leadMs = Math.min(6_000, Math.max(2_500, Math.round(startupMs * 1.5) + 1_000));
  }
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return { quick, runs };
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;

if (invokedDirectly) {
  main()
    .then(
      (result) => {
        process.stdout.write(`${JSON.stringify({ ok: true, result })}\n`);
        process.exitCode = 0;
      },
      (error: unknown) => {
        log(error instanceof Error ? (error.stack ?? error.message) : String(error));
        process.stdout.write(`${JSON.stringify({ ok: false, error: error instanceof Error ? error.message : String(error) })}\n`);
        process.exitCode = 1;
      },
    )
    .finally(() => {
      // Anything left holding the event loop (a keep-alive socket) must not hold the bench.
      setTimeout(() => process.exit(), 1_000).unref();
    });
}
