// npm run bench [-- --quick]: speed, memory and cost growth, measured side by side in one run on
// one machine, so the ratios hold even when the machine is noisy. Writes bench/results/<date>.json
// and .md and prints the table. --quick is the CI smoke run (small data, short runs, < 2 min).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { generateKeyText } from '../src/db/crypto.js';
import { loadConfig } from '../src/config.js';
import { projectRoot } from '../src/paths.js';
import { freePort } from '../test/support/process.js';
import { FULL, generateDataset, QUICK, type Dataset } from './dataset.js';
import { renderMarkdown, type BenchResult, type HttpRow, type Goal } from './report.js';

const quick = process.argv.includes('--quick');
/** --only=http,retention: run some sections (while working on them); the result then says what is missing. */
const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
const wanted = (section: 'media' | 'publishing'): boolean => !only || only.includes(section);
const say = (line: string): void => {
  process.stderr.write(`bench: ${line}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
const mb = (kb: number): number => Math.round(kb / 102.4) / 10;

/** Resident memory of a process from /proc (kB): now, and its peak so far. */
function memoryOf(pid: number): { rssKb: number; hwmKb: number } {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string): number => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0);
    return { rssKb: field('VmRSS'), hwmKb: field('VmHWM') };
  } catch {
    return { rssKb: 0, hwmKb: 0 };
  }
}

/** Samples a process's RSS every 50 ms until stopped; returns the peak (kB). */
function sampleRss(pid: number): { stop: () => number } {
  let peak = memoryOf(pid).rssKb;
  const timer = setInterval(() => {
    peak = Math.max(peak, memoryOf(pid).rssKb);
  }, 50);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, memoryOf(pid).rssKb);
    },
  };
}

async function waitFor(url: string, deadlineMs: number, child?: ChildProcess): Promise<number> {
  const started = performance.now();
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.ok) return performance.now() - started;
    } catch {
      // not listening yet
    }
    if (child && child.exitCode !== null) throw new Error(`${url}: the process exited (${String(child.exitCode)})`);
    if (performance.now() - started > deadlineMs) throw new Error(`${url} did not answer in ${deadlineMs} ms`);
    await sleep(5);
  }
}

function stop(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
    setTimeout(() => child.kill('SIGKILL'), 10_000).unref();
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

/** Signs in like a browser: the form's CSRF token and cookie, then the POST. Returns the session cookie. */
async function signIn(base: string, username: string, password: string): Promise<string> {
  const form = await fetch(`${base}/login`);
  const cookies = form.headers.getSetCookie().map((c) => c.split(';')[0]);
  const csrf = /name="_csrf" value="([^"]+)"/.exec(await form.text())?.[1];
  if (!csrf) throw new Error('no CSRF token on /login');
  const res = await fetch(`${base}/login`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie: cookies.join('; ') },
    body: new URLSearchParams({ _csrf: csrf, username, password }).toString(),
  });
  if (res.status !== 303 || res.headers.get('location') !== '/') throw new Error(`sign-in answered ${res.status} → ${String(res.headers.get('location'))}`);
  // Later cookies of the same name replace earlier ones (the session is renewed at sign-in).
  const jar = new Map<string, string>();
  for (const pair of [...cookies, ...res.headers.getSetCookie().map((c) => c.split(';')[0])]) if (pair) jar.set(pair.split('=')[0] ?? '', pair);
  const cookie = [...jar.values()].join('; ');
  const check = await fetch(`${base}/queue`, { headers: { cookie }, redirect: 'manual' });
  if (check.status !== 200) throw new Error(`signed in, but /queue answered ${check.status}`);
  return cookie;
}

async function load(url: string, seconds: number, cookie?: string): Promise<autocannon.Result> {
  return autocannon({ url, connections: 10, duration: seconds, headers: cookie ? { cookie } : {} });
}

interface ChildJson<T> {
  ok: boolean;
  result?: T;
  error?: string;
}

/** Runs a bench module (bench/<name>.ts) as a child process; its last stdout line is JSON. */
function runModule<T>(name: string): ChildJson<T> {
  const file = path.join(projectRoot, 'bench', `${name}.ts`);
  if (!fs.existsSync(file)) return { ok: false, error: `bench/${name}.ts is missing` };
  say(`${name}…`);
  // The same allocator setting as the Docker image (see the Dockerfile).
  const env = { ...process.env, MALLOC_ARENA_MAX: '2' };
  const run = spawnSync(process.execPath, ['--import', 'tsx', file, ...(quick ? ['--quick'] : [])], { cwd: projectRoot, env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 * 1024 * 1024 });
  const last = run.stdout.trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(last) as ChildJson<T>;
  } catch {
    return { ok: false, error: `bench/${name}.ts exited ${String(run.status)} without a result` };
  }
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'qanat-bench-'));
  const dataDir = path.join(work, 'data');
  const [port, ceilingPort, controlPort] = [await freePort(), await freePort(), await freePort()];
  const env: NodeJS.ProcessEnv = {
    PATH: process.env['PATH'],
    HOME: process.env['HOME'],
    NODE_ENV: 'production',
    DATA_DIR: dataDir,
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    TRUST_PROXY_HOPS: '0',
    LOG_LEVEL: 'info',
    QANAT_DATA_KEY: generateKeyText(),
    QANAT_BACKUP_KEY: generateKeyText(),
    SESSION_SECRET: generateKeyText() + generateKeyText(),
    // A long session, so a 10-second run never signs itself out.
    SESSION_IDLE_MINUTES: '600',
    // As in production: a Meta app configured, so no simulator is mounted (it would hold its own
    // two years of seeded data in memory). No page calls Instagram; the address is a dead end.
    INSTAGRAM_APP_ID: '1234567890123',
    INSTAGRAM_APP_SECRET: 'bench-app-secret-not-used-anywhere',
    GRAPH_BASE_URL: 'http://127.0.0.1:9',
    // As the Docker image sets it (see the Dockerfile).
    MALLOC_ARENA_MAX: '2',
  };
  // --quick only proves the harness still works: one-second runs, no warm-up, fewer rows.
  const seconds = quick ? 1 : 10;
  try {
    // --- data ---------------------------------------------------------------------------
    say(`generating the ${quick ? 'quick' : 'full'} data set…`);
    const dataset: Dataset = await generateDataset(loadConfig(env), quick ? QUICK : FULL);
    say(`data set: ${JSON.stringify(dataset.rows)} in ${(dataset.ms / 1000).toFixed(1)} s`);

    // --- start-up: the production entry point, node dist/src/main.js ---------------------
    // Measured as it runs in production: compiled JavaScript, not through tsx.
    say('building dist/ (tsc)…');
    const build = spawnSync('npx', ['tsc', '-p', 'tsconfig.bench.json'], { cwd: projectRoot, stdio: 'inherit' });
    if (build.status !== 0) throw new Error('tsc build failed');
    const startups: number[] = [];
    let idleRssKb = 0;
    for (let i = 0; i < (quick ? 1 : 3); i += 1) {
      const started = performance.now();
      const child = spawn(process.execPath, [path.join(projectRoot, 'dist/src/main.js')], { cwd: projectRoot, env, stdio: ['ignore', 'ignore', 'inherit'] });
      await waitFor(`http://127.0.0.1:${port}/healthz`, 30_000, child);
      startups.push(performance.now() - started);
      await sleep(quick ? 500 : 2000);
      idleRssKb = Math.max(idleRssKb, memoryOf(child.pid ?? 0).rssKb);
      await stop(child);
    }
    say(`start-up: ${startups.map((ms) => ms.toFixed(0)).join(', ')} ms; idle RSS ${mb(idleRssKb)} MB`);

    // --- HTTP under load ------------------------------------------------------------------
    const server = spawn(process.execPath, [path.join(projectRoot, 'dist/bench/server.js')], {
      cwd: projectRoot,
      env: { ...env, CEILING_PORT: String(ceilingPort), CONTROL_PORT: String(controlPort) },
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    const base = `http://127.0.0.1:${port}`;
    await waitFor(`${base}/healthz`, 60_000, server);
    await waitFor(`http://127.0.0.1:${ceilingPort}/hello`, 10_000, server);
    const pid = server.pid ?? 0;
    const cookie = await signIn(base, dataset.owner.username, dataset.owner.password);
    const targets: Array<{ name: string; url: string; cookie?: string }> = [
      { name: 'bare Express "hello" (ceiling)', url: `http://127.0.0.1:${ceilingPort}/hello` },
      { name: 'sign-in page', url: `${base}/login` },
      { name: 'analytics, 729-day range', url: `${base}/analytics?range=729`, cookie },
      { name: 'calendar month', url: `${base}/calendar`, cookie },
      { name: 'queue', url: `${base}/queue`, cookie },
      { name: 'comments inbox, "needs a reply"', url: `${base}/inbox/comments?filter=needs_reply`, cookie },
      { name: 'DM thread', url: `${base}/inbox/messages/${dataset.conversationId}`, cookie },
    ];
    const http: HttpRow[] = [];
    let httpPeakKb = 0;
    for (const target of targets) {
      // A short warm-up so the first requests' compilation is not what is measured.
      if (!quick) await load(target.url, 1, target.cookie);
      const sampler = sampleRss(pid);
      const result = await load(target.url, seconds, target.cookie);
      const peakKb = sampler.stop();
      httpPeakKb = Math.max(httpPeakKb, peakKb);
      const ceiling = http[0]?.reqPerSec ?? result.requests.average;
      http.push({
        name: target.name,
        path: new URL(target.url).pathname + new URL(target.url).search,
        reqPerSec: Math.round(result.requests.average),
        p50Ms: result.latency.p50,
        p99Ms: result.latency.p99,
        ofCeiling: Math.round((result.requests.average / ceiling) * 1000) / 10,
        non2xx: result.non2xx,
        errors: result.errors,
        peakRssMb: mb(peakKb),
      });
      say(`${target.name}: ${Math.round(result.requests.average)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, non-2xx ${result.non2xx}`);
    }

    // --- retention: purge expired comment rows while pages are served -------------------
    const expired = quick ? 20_000 : 1_000_000;
    say(`inserting ${expired} expired comment rows…`);
    const { default: Database } = await import('better-sqlite3');
    const db = new Database(path.join(dataDir, 'qanat.db'));
    db.pragma('busy_timeout = 10000');
    const media = db.prepare('SELECT account_id AS accountId, ig_media_id AS igMediaId FROM ig_media LIMIT 1').get() as { accountId: number; igMediaId: string };
    const old = Date.now() - 3 * 86_400_000;
    const insert = db.prepare('INSERT INTO comments (account_id, ig_comment_id, ig_media_id, parent_id, from_id, own, username, text, hidden, like_count, written_at, fetched_at) VALUES (?, ?, ?, NULL, ?, 0, ?, ?, 0, 0, ?, ?)');
    const sealedLooking = `v1:benchkey:${'A'.repeat(16)}:${'B'.repeat(60)}:${'C'.repeat(22)}`;
    for (let start = 0; start < expired; start += 50_000) {
      db.transaction(() => {
        for (let i = start; i < Math.min(expired, start + 50_000); i += 1) insert.run(media.accountId, `old_${i}`, media.igMediaId, `9${i}`, sealedLooking, sealedLooking, old, old);
      })();
    }
    db.close();
    let purgeResult: { counts: Record<string, number>; ms: number } | undefined;
    const purgeLoad = new Promise<autocannon.Result>((resolve) => {
      // Two people using the app while the nightly purge runs; stopped half a second after it ends.
      const instance = autocannon({ url: `${base}/queue`, connections: 2, duration: 900, headers: { cookie } }, (_error, result) => resolve(result));
      setTimeout(() => {
        void fetch(`http://127.0.0.1:${controlPort}/job/purge-inbox`, { method: 'POST' })
          .then((res) => res.json() as Promise<{ counts: Record<string, number>; ms: number }>)
          .then((purge) => {
            purgeResult = purge;
            setTimeout(() => instance.stop(), 500);
          });
      }, 1000);
    });
    const duringPurge = await purgeLoad;
    const retention = {
      rows: expired,
      purged: purgeResult?.counts['comments'] ?? 0,
      purgeMs: Math.round(purgeResult?.ms ?? 0),
      worstLatencyMs: duringPurge.latency.max,
      p99Ms: duringPurge.latency.p99,
      requests: duringPurge.requests.total,
    };
    say(`purge: ${retention.purged} rows in ${retention.purgeMs} ms; worst request ${retention.worstLatencyMs} ms`);
    await stop(server);

    // --- media and publishing run in their own processes ----------------------------------
    const skipped = { ok: false, error: 'skipped (--only)' };
    const media2: ChildJson<BenchResult['media']> = wanted('media') ? runModule<BenchResult['media']>('media') : skipped;
    const publishing: ChildJson<BenchResult['publishing']> = wanted('publishing') ? runModule<BenchResult['publishing']>('publishing') : skipped;

    const result: BenchResult = {
      date: startedAt.toISOString(),
      quick,
      machine: { cpu: os.cpus()[0]?.model ?? '?', cores: os.cpus().length, memoryGb: Math.round(os.totalmem() / 1e9), node: process.version, os: `${os.type()} ${os.release()}` },
      dataset: { ...dataset.size, rows: dataset.rows, ms: dataset.ms },
      startup: { runsMs: startups.map((ms) => Math.round(ms)), medianMs: Math.round(median(startups)), idleRssMb: mb(idleRssKb) },
      http,
      httpPeakRssMb: mb(httpPeakKb),
      retention,
      media: media2.ok ? media2.result : undefined,
      mediaError: media2.ok ? undefined : media2.error,
      publishing: publishing.ok ? publishing.result : undefined,
      publishingError: publishing.ok ? undefined : publishing.error,
      goals: [],
    };
    result.goals = goalsOf(result);
    const outDir = path.join(projectRoot, 'bench', 'results');
    fs.mkdirSync(outDir, { recursive: true });
    const stamp = startedAt.toISOString().slice(0, 16).replace(':', '');
    const name = `${stamp}${quick ? '-quick' : ''}`;
    fs.writeFileSync(path.join(outDir, `${name}.json`), JSON.stringify(result, null, 2) + '\n');
    const markdown = renderMarkdown(result);
    fs.writeFileSync(path.join(outDir, `${name}.md`), markdown);
    process.stdout.write(markdown);
    say(`wrote bench/results/${name}.json and .md in ${((Date.now() - startedAt.getTime()) / 1000).toFixed(0)} s`);
    const broken = http.filter((row) => row.non2xx > 0 || row.errors > 0);
    if (broken.length > 0 || !media2.ok || !publishing.ok) {
      say(`problems: ${[...broken.map((row) => `${row.name} answered non-2xx/errors`), media2.error, publishing.error].filter(Boolean).join('; ')}`);
      process.exitCode = 1;
    }
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

function goalsOf(r: BenchResult): Goal[] {
  const dashboard = r.http.find((row) => row.path.startsWith('/analytics'));
  const goals: Goal[] = [];
  if (dashboard) {
    goals.push({ goal: 'dashboard (729 days) throughput', target: '≥ 30 % of the ceiling', measured: `${dashboard.ofCeiling} %`, met: dashboard.ofCeiling >= 30 });
    goals.push({ goal: 'dashboard (729 days) p99 latency', target: '≤ 30 ms', measured: `${dashboard.p99Ms} ms`, met: dashboard.p99Ms <= 30 });
  }
  const zero = r.publishing?.runs.find((run) => run.latencyMs === 0);
  if (zero) goals.push({ goal: 'publishing fire lag p99 (0 ms latency)', target: '≤ 1 s', measured: `${zero.fireLagP99Ms} ms`, met: zero.fireLagP99Ms <= 1000 });
  for (const item of r.media?.items ?? []) goals.push({ goal: `media: ${item.name}`, target: '≤ 1.2 × bare library', measured: `${item.ratio} ×`, met: item.ratio <= 1.2 });
  goals.push({ goal: 'RSS under HTTP load', target: '≤ 150 MB', measured: `${r.httpPeakRssMb} MB`, met: r.httpPeakRssMb <= 150 });
  goals.push({ goal: 'start-up to /healthz', target: '≤ 1 s', measured: `${r.startup.medianMs} ms`, met: r.startup.medianMs <= 1000 });
  goals.push({ goal: 'worst request during the purge', target: '≤ 100 ms', measured: `${r.retention.worstLatencyMs} ms`, met: r.retention.worstLatencyMs <= 100 });
  return goals;
}

await main();
