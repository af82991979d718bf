// security.md, faults: "webhook … receiver down for hours → duplicates processed once; state
// catches up from Meta's retries and the polling backstop". For six hours of app-clock time people
// comment (some replying to each other) and write DMs on the simulator while Qanat's webhook
// receiver cannot be reached: the simulator's deliveries go to a stand-in that answers 503 and
// keeps the signed bytes, as Meta keeps them for its retries. Then the receiver is back: Meta's
// redeliveries (the same bytes and signatures; some twice, some while the sync job runs, some
// after it) and the sync-inbox job (the polling backstop) together must leave every comment and
// message on GET /inbox/comments and /inbox/messages exactly once, with no duplicate rows.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import request from 'supertest';
import { findJob } from '../../src/jobs/registry.js';
import { runJob } from '../../src/jobs/scheduler.js';
import type { Simulator } from '../../src/sandbox/simulator.js';
import { $ } from '../support/http.js';
import { stage, type Stage } from '../support/publishing.js';
import { recordReliability } from '../support/reliability.js';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DOWN_HOURS = 6;
const EVERY_MS = 20 * MINUTE;
const LONG_SESSIONS = { SESSION_IDLE_MINUTES: '100000', SESSION_ABSOLUTE_HOURS: '10000' };
const COMMENTERS = ['aigerim.k', 'dauren_88', 'olga_v', 'marat.photo', 'saule.art'];
/** New people: none of them has a conversation in the simulator's seed. */
const WRITERS = ['asel_orders', 'ruslan.bakes', 'dana_cakes', 'yerlan.dev', 'kamila_reads', 'bek.travel'];

interface Captured {
  raw: Buffer;
  signature: string;
}

/** Plays Qanat's receiver while it is unreachable: every delivery answered 503, its bytes kept. */
class DownReceiver {
  readonly attempts: Captured[] = [];
  private server: http.Server | undefined;
  url = '';

  async start(): Promise<void> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.attempts.push({ raw: Buffer.concat(chunks), signature: String(req.headers['x-hub-signature-256'] ?? '') });
        res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '3600' }).end('down for maintenance');
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/webhooks/instagram`;
  }

  /** Each delivery once, in the order first sent (the sender's own retries repeat the same bytes). */
  distinct(): Captured[] {
    const seen = new Map<string, Captured>();
    for (const a of this.attempts) if (!seen.has(a.raw.toString('base64'))) seen.set(a.raw.toString('base64'), a);
    return [...seen.values()];
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}

interface Made {
  comments: Array<{ id: string; text: string; parentId: string | null; mediaId: string }>;
  messages: Array<{ id: string; text: string; username: string }>;
}

function simOf(s: Stage): Simulator {
  const sim = s.t.simulator;
  if (!sim) throw new Error('the app runs without its simulator');
  return sim;
}

function count(s: Stage, sql: string, ...params: unknown[]): number {
  return (s.t.db.sqlite.prepare(sql).get(...params) as { n: number }).n;
}

function jobContext(s: Stage) {
  return { config: s.t.config, db: s.t.db, cipher: s.t.cipher, clock: s.t.clock, log: s.t.log, services: s.t.services };
}

async function syncInbox(s: Stage): Promise<Record<string, number>> {
  const job = findJob('sync-inbox');
  if (!job) throw new Error('no sync-inbox job');
  return runJob(job, jobContext(s));
}

/** Meta's redelivery: the same bytes with the same signature, to Qanat's real receiver. */
async function redeliver(s: Stage, delivery: Captured): Promise<{ status: number; fresh: number }> {
  const res = await request(s.live.url)
    .post('/webhooks/instagram')
    .set('content-type', 'application/json')
    .set('x-hub-signature-256', delivery.signature)
    .serialize((body: Buffer) => body as unknown as string)
    .send(delivery.raw);
  return { status: res.status, fresh: Number((res.body as { new?: number }).new ?? 0) };
}

/** How many times each comment id appears on /inbox/comments?media=…, over every page of it. */
async function commentsShown(s: Stage, mediaId: string): Promise<Map<string, { times: number; text: string }>> {
  const shown = new Map<string, { times: number; text: string }>();
  let previous = '';
  for (let page = 1; page <= 50; page += 1) {
    const res = await s.agent.get(`/inbox/comments?media=${mediaId}&page=${page}`);
    expect(res.status).to.equal(200);
    const html = $(res.text);
    const ids = html('[id^="c-"]')
      .toArray()
      .map((el) => html(el).attr('id') ?? '');
    // Past the last page the list clamps to it: the same ids again mean we have read them all.
    if (ids.join() === previous) break;
    previous = ids.join();
    for (const el of html('[id^="c-"]').toArray()) {
      const id = (html(el).attr('id') ?? '').slice(2);
      const entry = shown.get(id) ?? { times: 0, text: html(el).find('.comment__text').first().text().trim() };
      entry.times += 1;
      shown.set(id, entry);
    }
  }
  return shown;
}

describe('fault: the webhook receiver is down for hours, then Meta’s retries and the sync job catch up', function () {
  this.timeout(180_000);
  let s: Stage;
  const receiver = new DownReceiver();

  before(async () => {
    s = await stage(LONG_SESSIONS);
    await receiver.start();
  });
  after(async () => {
    simOf(s).webhooks.stop();
    await s.t.services.webhooks.idle();
    await receiver.stop();
    await s.live.close();
  });

  it(`${DOWN_HOURS} h of comments and DMs while the receiver answers 503; then redeliveries (some twice, some during and after the sync job) and the sync job leave each one on the inbox pages exactly once, with no duplicate rows`, async () => {
    const sim = simOf(s);
    expect(sim.webhooks.url, 'the simulator delivers to Qanat').to.equal(`${s.live.url.replace('localhost', '127.0.0.1')}/webhooks/instagram`);
    sim.webhooks.url = receiver.url;
    const made: Made = { comments: [], messages: [] };
    const start = s.t.clock.now();
    const baseline = { comments: count(s, 'SELECT count(*) AS n FROM comments'), messages: count(s, 'SELECT count(*) AS n FROM messages'), events: count(s, 'SELECT count(*) AS n FROM webhook_events') };

    // The outage: every 20 minutes a comment (every third a reply to an earlier one) and a DM.
    for (let i = 0; (i + 1) * EVERY_MS <= DOWN_HOURS * HOUR; i += 1) {
      s.t.clock.set(start + (i + 1) * EVERY_MS);
      const parent = i % 3 === 2 ? made.comments[i - 1] : undefined;
      const text = `Comment ${i + 1} while Qanat was unreachable (${new Date(s.t.clock.now()).toISOString().slice(11, 16)} UTC)`;
      const c = await sim.people.comment({ text, username: COMMENTERS[i % COMMENTERS.length], ...(parent ? { parentId: parent.id } : {}) });
      expect(c.webhook, `comment ${i + 1}`).to.equal('failed');
      made.comments.push({ id: c.id, text, parentId: c.parentId, mediaId: c.mediaId });
      const username = WRITERS[i % WRITERS.length] as string;
      const message = `DM ${i + 1} from @${username}: are you open today?`;
      const m = await sim.people.message({ text: message, username });
      expect(m.webhook, `message ${i + 1}`).to.equal('failed');
      made.messages.push({ id: m.messageId, text: message, username });
    }
    // The simulator's own retry timers run on the real clock, so they are stopped and the retries are
    // played below; its URL stays on the stand-in, where a retry already in flight lands harmlessly.
    sim.webhooks.stop();
    const deliveries = receiver.distinct();
    const events = made.comments.length + made.messages.length;
    expect(deliveries, 'one delivery per comment and per message reached the stand-in').to.have.length(events);
    expect(deliveries.every((d) => d.signature.startsWith('sha256=')), 'each delivery was signed').to.equal(true);
    await s.t.services.webhooks.idle();
    expect(count(s, 'SELECT count(*) AS n FROM comments'), 'nothing reached Qanat while it was down').to.equal(baseline.comments);
    expect(count(s, 'SELECT count(*) AS n FROM messages')).to.equal(baseline.messages);
    expect(count(s, 'SELECT count(*) AS n FROM webhook_events')).to.equal(baseline.events);

    // The receiver is back.
    s.t.clock.set(start + DOWN_HOURS * HOUR + 5 * MINUTE);
    const answers: Array<{ status: number; fresh: number }> = [];
    const half = Math.ceil(deliveries.length / 2);
    // Meta retries the first half; every third of them twice in a row.
    for (const [i, d] of deliveries.slice(0, half).entries()) {
      answers.push(await redeliver(s, d));
      if (i % 3 === 0) answers.push(await redeliver(s, d));
    }
    // The sync job runs while the rest arrive.
    const [synced, during] = await Promise.all([
      syncInbox(s),
      (async () => {
        const out: Array<{ status: number; fresh: number }> = [];
        for (const d of deliveries.slice(half)) out.push(await redeliver(s, d));
        return out;
      })(),
    ]);
    answers.push(...during);
    expect(synced['failed'], 'the sync job read Instagram').to.equal(0);
    // Meta retries some again after all that (a lost acknowledgement), and the job runs once more.
    for (const d of deliveries.filter((_, i) => i % 4 === 1)) answers.push(await redeliver(s, d));
    await s.t.services.webhooks.idle();
    expect((await syncInbox(s))['failed']).to.equal(0);
    await s.t.services.webhooks.idle();

    expect(answers.filter((a) => a.status !== 200), 'every redelivery answered 200').to.deep.equal([]);
    expect(answers.reduce((n, a) => n + a.fresh, 0), 'each delivery was new exactly once').to.equal(deliveries.length);

    // Rows: each comment and message once, nothing duplicated anywhere, every event processed.
    for (const c of made.comments) {
      const stored = s.t.services.ingest.comments.find(s.accountId, c.id);
      expect(count(s, 'SELECT count(*) AS n FROM comments WHERE ig_comment_id = ?', c.id), c.text).to.equal(1);
      expect(stored?.text).to.equal(c.text);
      expect(stored?.parentId ?? null, `${c.text}: its parent`).to.equal(c.parentId);
    }
    for (const m of made.messages) expect(count(s, "SELECT count(*) AS n FROM messages WHERE ig_message_id = ? AND direction = 'in'", m.id), m.text).to.equal(1);
    const duplicates = {
      comments: count(s, 'SELECT count(*) AS n FROM (SELECT ig_comment_id FROM comments GROUP BY account_id, ig_comment_id HAVING count(*) > 1)'),
      messages: count(s, 'SELECT count(*) AS n FROM (SELECT ig_message_id FROM messages GROUP BY ig_message_id HAVING count(*) > 1)'),
      conversations: count(s, 'SELECT count(*) AS n FROM (SELECT participant_id FROM conversations GROUP BY account_id, participant_id HAVING count(*) > 1)'),
      media: count(s, 'SELECT count(*) AS n FROM (SELECT ig_media_id FROM ig_media GROUP BY account_id, ig_media_id HAVING count(*) > 1)'),
    };
    expect(duplicates).to.deep.equal({ comments: 0, messages: 0, conversations: 0, media: 0 });
    expect(count(s, 'SELECT count(*) AS n FROM webhook_events') - baseline.events, 'one webhook id per delivery').to.equal(deliveries.length);
    expect(count(s, 'SELECT count(*) AS n FROM webhook_events WHERE processed_at IS NULL'), 'nothing left unprocessed').to.equal(0);

    // Pages: every comment exactly once on /inbox/comments (all pages of its post), with its text.
    const mediaIds = [...new Set(made.comments.map((c) => c.mediaId))];
    const shown = new Map<string, { times: number; text: string }>();
    for (const mediaId of mediaIds) for (const [id, entry] of await commentsShown(s, mediaId)) shown.set(id, entry);
    for (const c of made.comments) expect(shown.get(c.id), `${c.text} on /inbox/comments`).to.deep.equal({ times: 1, text: c.text });
    expect([...shown.values()].filter((e) => e.times !== 1), 'no comment shown twice').to.deep.equal([]);

    // Every writer once on /inbox/messages, and each of their messages once, in order, in the conversation.
    const list = await s.agent.get('/inbox/messages');
    expect(list.status).to.equal(200);
    const page = $(list.text);
    const conversations = page('.conversation__link')
      .toArray()
      .map((el) => ({ who: page(el).find('.conversation__who').text().trim(), href: page(el).attr('href') ?? '' }));
    let messagesShown = 0;
    for (const username of WRITERS) {
      const mine = conversations.filter((c) => c.who === `@${username}`);
      expect(mine, `@${username} on /inbox/messages`).to.have.length(1);
      const thread = $((await s.agent.get(mine[0]?.href ?? '')).text);
      const texts = thread('ol.messages > li.message .message__text')
        .toArray()
        .map((el) => thread(el).text().trim());
      const expected = made.messages.filter((m) => m.username === username).map((m) => m.text);
      expect(texts, `the conversation with @${username}`).to.deep.equal(expected);
      messagesShown += texts.length;
    }

    const refusedAttempts = receiver.attempts.length;
    recordReliability('receiver-down', {
      title: `Webhook receiver down for ${DOWN_HOURS} h, then Meta’s retries and the sync job`,
      figures: {
        'hours down (app clock)': DOWN_HOURS,
        'comments made': made.comments.length,
        'messages made': made.messages.length,
        'deliveries refused while down (503)': refusedAttempts,
        'distinct deliveries': deliveries.length,
        'redeliveries sent': answers.length,
        'redeliveries answered 200': answers.filter((a) => a.status === 200).length,
        'redeliveries stored as new': answers.reduce((n, a) => n + a.fresh, 0),
        'sync-inbox runs': 2,
        'comments shown exactly once': made.comments.filter((c) => shown.get(c.id)?.times === 1).length,
        'messages shown exactly once': messagesShown,
        'duplicate rows': Object.values(duplicates).reduce((n, x) => n + x, 0),
      },
      notes: [
        `Every ${EVERY_MS / MINUTE} min for ${DOWN_HOURS} h a person commented (every third a reply) and another wrote a DM; the simulator’s deliveries went to a stand-in answering 503.`,
        'Back up: half the deliveries redelivered (every third twice), the rest during a sync-inbox run, every fourth again afterwards, then sync-inbox once more.',
      ],
    });
  });
});
