// security.md, faults: "webhook replay, flood, or receiver down for hours → duplicates processed
// once; state catches up". A flood of signed comment deliveries, 1,000 a second on loopback (10 s in
// `npm run test:faults`, QANAT_FLOOD_SECONDS; 3 s in npm test), one in ten a replay of an earlier
// delivery. Bounded means: every delivery is answered, and quickly (Meta retries slow answers and
// eventually disables the subscription), memory does not grow with the flood, the backlog drains
// soon after, and each comment is stored exactly once.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { expect } from 'chai';
import { projectRoot } from '../../src/paths.js';
import type { FloodResult } from '../support/flood-sender.js';
import { stage, type Stage } from '../support/publishing.js';
import { recordReliability } from '../support/reliability.js';

const RATE = Number(process.env['QANAT_FLOOD_RATE'] ?? 1000);
const SECONDS = Number(process.env['QANAT_FLOOD_SECONDS'] ?? 3);
const REPLAY_EVERY = 10;
/**
 * "Answered quickly", counted from the moment a request has one of the sender's 64 connections:
 * Meta's own timeout is far longer, but the server must not build a queue of its own.
 */
const P99_LIMIT_MS = 1_000;
/** A floor for the rate the server absorbs on a busy 2-core machine (it is reported, not a goal). */
const MIN_RATE = 200;
const RSS_GROWTH_LIMIT_MB = 150;
/** The backlog is worked off after the flood at its own pace (each event is several writes). */
const DRAIN_LIMIT_MS = 60_000;

function count(s: Stage, sql: string): number {
  return (s.t.db.sqlite.prepare(sql).get() as { n: number }).n;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? 0;
}

describe('fault: a webhook flood with replays', function () {
  this.timeout(SECONDS * 1000 + DRAIN_LIMIT_MS + 120_000);
  let s: Stage;
  before(async () => {
    s = await stage();
  });
  after(async () => {
    await s.live.close();
  });

  it(`${RATE} signed deliveries a second for ${SECONDS} s, one in ${REPLAY_EVERY} a replay: every one answered 200 quickly, memory bounded, each comment stored once`, async () => {
    const sim = s.t.simulator;
    if (!sim) throw new Error('no simulator');
    const igUserId = (s.t.db.sqlite.prepare('SELECT ig_user_id AS id FROM accounts WHERE id = ?').get(s.accountId) as { id: string }).id;
    const media = sim.state.mediaOf(igUserId).find((m) => m.productType === 'FEED');
    if (!media) throw new Error('the simulator account has no feed post');
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const baseline = count(s, 'SELECT count(*) AS n FROM comments');
    const sender = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'test', 'support', 'flood-sender.ts')], {
      cwd: projectRoot,
      env: {
        ...process.env,
        FLOOD_URL: new URL('/webhooks/instagram', s.live.url).href,
        FLOOD_SECRET: s.t.services.webhooks.settings.secret,
        FLOOD_IG_USER: igUserId,
        FLOOD_MEDIA: media.id,
        FLOOD_RATE: String(RATE),
        FLOOD_SECONDS: String(SECONDS),
        FLOOD_REPLAY_EVERY: String(REPLAY_EVERY),
        FLOOD_TIME: String(Math.floor(s.t.clock.now() / 1000)),
      },
    });
    let out = '';
    let err = '';
    sender.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    sender.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 100);
    const code = await new Promise<number | null>((resolve) => sender.on('exit', resolve));
    clearInterval(sampler);
    expect(code, err).to.equal(0);
    const flood = JSON.parse(out) as FloodResult;
    const { total, fresh, errors, latencies } = flood;
    const statuses = new Map(Object.entries(flood.statuses).map(([k, v]) => [Number(k), v]));
    const floodMs = flood.ms;

    const drainStart = performance.now();
    while (count(s, 'SELECT count(*) AS n FROM webhook_events WHERE processed_at IS NULL') > 0 && performance.now() - drainStart < DRAIN_LIMIT_MS) {
      await s.t.services.webhooks.idle();
      await new Promise((r) => setTimeout(r, 50));
    }
    await s.t.services.webhooks.idle();
    const drainMs = performance.now() - drainStart;
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);

    const sorted = [...latencies].sort((a, b) => a - b);
    const p50 = percentile(sorted, 50);
    const p99 = percentile(sorted, 99);
    const stored = count(s, "SELECT count(*) AS n FROM comments WHERE ig_comment_id LIKE 'flood-%'");
    const events = count(s, "SELECT count(*) AS n FROM webhook_events WHERE field = 'comments'");
    const growthMb = (rssPeak - rssBefore) / 1024 / 1024;
    const summary = `${total} deliveries in ${Math.round(floodMs)} ms (${Math.round((total * 1000) / floodMs)}/s), ${fresh} distinct, ${total - fresh} replays; p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms; statuses ${JSON.stringify(Object.fromEntries(statuses))}, errors ${errors}; drained in ${Math.round(drainMs)} ms; RSS +${growthMb.toFixed(0)} MB; comments stored ${stored}`;
    console.log(`    flood: ${summary}`);
    recordReliability('webhook-flood', {
      title: `Webhook flood: ${RATE} deliveries a second for ${SECONDS} s`,
      figures: {
        deliveries: total,
        'distinct events': fresh,
        replays: total - fresh,
        'answered 200': statuses.get(200) ?? 0,
        'other answers or dropped connections': total - (statuses.get(200) ?? 0),
        'deliveries absorbed per second': Math.round((total * 1000) / floodMs),
        'answer time p50 (ms)': Number(p50.toFixed(1)),
        'answer time p99 (ms)': Number(p99.toFixed(1)),
        'backlog drained in (ms)': Math.round(drainMs),
        'RSS growth (MB)': Math.round(growthMb),
        'comments stored': stored,
        'duplicates stored': Math.max(0, stored - fresh),
      },
    });

    expect(errors, summary).to.equal(0);
    expect(statuses.get(200), summary).to.equal(total);
    expect(p99, summary).to.be.below(P99_LIMIT_MS);
    expect((total * 1000) / floodMs, summary).to.be.above(Math.min(MIN_RATE, RATE * 0.9));
    expect(drainMs, summary).to.be.below(DRAIN_LIMIT_MS);
    expect(growthMb, summary).to.be.below(RSS_GROWTH_LIMIT_MB);
    expect(events, 'one stored event per distinct delivery').to.equal(fresh);
    expect(stored, 'each comment once').to.equal(fresh);
    expect(count(s, 'SELECT count(*) AS n FROM comments') - baseline).to.equal(fresh);
    const res = await s.agent.get('/inbox/comments');
    expect(res.status).to.equal(200);
  });
});
