// The webhook receiver (security.md row 26, issue acceptance 1 and 2): Meta's handshake, the
// signature over the raw bytes (non-ASCII too), de-duplication, batched deliveries, unknown
// accounts, bodies that are not JSON or too large; then the simulator's people commenting and
// writing over real HTTP (with and without webhooks), and the 24 h purge of the inbox cache.
import { expect } from 'chai';
import crypto from 'node:crypto';
import request from 'supertest';
import { findJob } from '../../../src/jobs/registry.js';
import { runJob } from '../../../src/jobs/scheduler.js';
import { signatureOf } from '../../../src/features/engagement/webhooks.service.js';
import type { Simulator } from '../../../src/sandbox/simulator.js';
import { $ } from '../../support/http.js';
import { stage, type Stage } from '../../support/publishing.js';

const HOUR = 3_600_000;
const MAX_DELIVERY_BYTES = 4 * 1024 * 1024;
/** Long sessions, so a signed-in agent still sees the pages after the clock moved a day or two. */
const LONG_SESSIONS = { SESSION_IDLE_MINUTES: '100000', SESSION_ABSOLUTE_HOURS: '10000' };
const CACHE_TABLES = ['webhook_events', 'comments', 'ig_media', 'conversations', 'messages'] as const;

type Response = request.Response;

interface CommentValue {
  id: string;
  text: string;
  parent_id?: string;
  from: { id: string; username: string };
  media: { id: string; media_product_type: string };
}

interface MessagingItem {
  sender: { id: string };
  recipient: { id: string };
  timestamp: number;
  message?: { mid: string; text?: string; is_echo?: boolean };
  read?: { mid: string };
}

interface Entry {
  id: string;
  time: number;
  changes?: Array<{ field: string; value: CommentValue }>;
  messaging?: MessagingItem[];
}

function simOf(s: Stage): Simulator {
  const sim = s.t.simulator;
  if (!sim) throw new Error('the app runs without its simulator');
  return sim;
}

/** The connected account's Instagram id, as Qanat stored it (what Meta puts in entry[].id). */
function igUserIdOf(s: Stage): string {
  const row = s.t.db.sqlite.prepare('SELECT ig_user_id FROM accounts WHERE id = ?').get(s.accountId) as { ig_user_id: string } | undefined;
  if (!row) throw new Error('no connected account');
  return row.ig_user_id;
}

/** The newest FEED post of the simulator's account (a real media id). */
function feedMediaId(s: Stage): string {
  const media = simOf(s).state.mediaOf(igUserIdOf(s)).find((m) => m.productType === 'FEED');
  if (!media) throw new Error('the simulator account has no feed post');
  return media.id;
}

function count(s: Stage, table: string, where = '1 = 1', ...params: unknown[]): number {
  return (s.t.db.sqlite.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${where}`).get(...params) as { n: number }).n;
}

function cacheCounts(s: Stage): Record<string, number> {
  return Object.fromEntries(CACHE_TABLES.map((table) => [table, count(s, table)]));
}

const NOTHING = Object.fromEntries(CACHE_TABLES.map((table) => [table, 0]));

function bytes(payload: unknown): Buffer {
  return Buffer.from(JSON.stringify(payload), 'utf8');
}

function delivery(...entry: Entry[]): { object: 'instagram'; entry: Entry[] } {
  return { object: 'instagram', entry };
}

/** One `comments` change for the account, as §7.5 draws it (entry.time in seconds). */
function commentEntry(s: Stage, value: CommentValue, igUserId = igUserIdOf(s)): Entry {
  return { id: igUserId, time: Math.floor(s.t.clock.now() / 1000), changes: [{ field: 'comments', value }] };
}

function comment(s: Stage, id: string, text: string, from: { id: string; username: string }, extra: { parent_id?: string } = {}): CommentValue {
  return { id, text, ...extra, from, media: { id: feedMediaId(s), media_product_type: 'FEED' } };
}

/**
 * POSTs exactly these bytes to the receiver. superagent would JSON-serialize a Buffer sent as
 * application/json ({"type":"Buffer",…}); the identity serializer leaves the bytes untouched.
 */
function post(s: Stage, raw: Buffer, signature: string | undefined): Promise<Response> {
  let req = request(s.live.url).post('/webhooks/instagram').set('content-type', 'application/json');
  if (signature !== undefined) req = req.set('x-hub-signature-256', signature);
  return req.serialize((body: Buffer) => body as unknown as string).send(raw);
}

/** POSTs a delivery signed with the secret the app checks, over the bytes as sent. */
function deliver(s: Stage, raw: Buffer): Promise<Response> {
  return post(s, raw, signatureOf(s.t.services.webhooks.settings.secret, raw));
}

function jobContext(s: Stage) {
  return { config: s.t.config, db: s.t.db, cipher: s.t.cipher, clock: s.t.clock, log: s.t.log, services: s.t.services };
}

async function runNamedJob(s: Stage, name: 'sync-inbox' | 'purge-inbox'): Promise<Record<string, number>> {
  const job = findJob(name);
  if (!job) throw new Error(`no job named ${name}`);
  return runJob(job, jobContext(s));
}

/** The comment's text on GET /inbox/comments, or undefined when the page does not show it. */
async function commentOnPage(s: Stage, igCommentId: string, path = '/inbox/comments'): Promise<string | undefined> {
  const res = await s.agent.get(path);
  expect(res.status).to.equal(200);
  const el = $(res.text)(`#c-${igCommentId} .comment__text`);
  return el.length > 0 ? el.text().trim() : undefined;
}

/** The conversation list entry on GET /inbox/messages whose last message is `text`. */
async function conversationOnPage(s: Stage, text: string): Promise<{ who: string; last: string } | undefined> {
  const res = await s.agent.get('/inbox/messages');
  expect(res.status).to.equal(200);
  const page = $(res.text);
  const found = page('.conversation__link')
    .toArray()
    .map((el) => ({ who: page(el).find('.conversation__who').text().trim(), last: page(el).find('.conversation__last').text().trim() }))
    .find((c) => c.last === text);
  return found;
}

/** Polls `seen` at most every 100 ms for up to `limitMs`; returns the elapsed time since `started`, or undefined. */
async function elapsedUntil(started: number, seen: () => Promise<boolean>, limitMs = 4000): Promise<number | undefined> {
  for (;;) {
    const before = Date.now();
    if (await seen()) return Date.now() - started;
    if (Date.now() - started > limitMs) return undefined;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, 100 - (Date.now() - before))));
  }
}

function messageRow(s: Stage, igMessageId: string): { direction: string; conversation_id: number; participant_id: string } | undefined {
  return s.t.db.sqlite
    .prepare('SELECT m.direction, m.conversation_id, c.participant_id FROM messages m JOIN conversations c ON c.id = m.conversation_id WHERE m.ig_message_id = ?')
    .get(igMessageId) as { direction: string; conversation_id: number; participant_id: string } | undefined;
}

describe('Engagement: webhook receiver', function () {
  this.timeout(60_000);
  let current: Stage | undefined;

  /** The real app on a real port with the simulator's account connected; closed after the test. */
  async function fresh(env: Record<string, string> = {}): Promise<Stage> {
    current = await stage(env);
    return current;
  }

  afterEach(async () => {
    await current?.t.services.webhooks.idle();
    await current?.live.close();
    current = undefined;
  });

  describe('handshake (GET /webhooks/instagram)', () => {
    it('answers the challenge as text/plain when the verify token matches, and sets no cookie', async () => {
      const s = await fresh();
      const challenge = '1158201444-challenge_Ab9';
      const query = { 'hub.mode': 'subscribe', 'hub.verify_token': s.t.services.webhooks.settings.verifyToken, 'hub.challenge': challenge };
      expect(s.t.services.webhooks.settings.verifyToken.length, 'a verify token is configured').to.be.greaterThan(0);

      const res = await request(s.live.url).get('/webhooks/instagram').query(query);
      expect(res.status).to.equal(200);
      expect(res.headers['content-type']).to.match(/^text\/plain\b/);
      expect(res.text).to.equal(challenge);
      expect(res.headers['set-cookie']).to.equal(undefined);

      // A browser with a session gets the same answer and no cookie either.
      const signedIn = await s.agent.get('/webhooks/instagram').query(query);
      expect(signedIn.status).to.equal(200);
      expect(signedIn.text).to.equal(challenge);
      expect(signedIn.headers['set-cookie']).to.equal(undefined);
    });

    it('refuses a wrong verify token with 403 and does not echo the challenge', async () => {
      const s = await fresh();
      const token = s.t.services.webhooks.settings.verifyToken;
      for (const wrong of ['wrong-token', token + 'x', token.slice(0, -1), ' ' + token, '']) {
        const res = await request(s.live.url).get('/webhooks/instagram').query({ 'hub.mode': 'subscribe', 'hub.verify_token': wrong, 'hub.challenge': 'echo-me-not' });
        expect(res.status, wrong).to.equal(403);
        expect(res.text).to.not.include('echo-me-not');
        expect(res.headers['set-cookie']).to.equal(undefined);
      }
      const none = await request(s.live.url).get('/webhooks/instagram').query({ 'hub.mode': 'subscribe', 'hub.challenge': 'echo-me-not' });
      expect(none.status).to.equal(403);
      expect(none.text).to.not.include('echo-me-not');
    });

    it('answers 400 when hub.mode or hub.challenge is missing (or the mode is not subscribe)', async () => {
      const s = await fresh();
      const token = s.t.services.webhooks.settings.verifyToken;
      const cases: Array<Record<string, string>> = [
        { 'hub.verify_token': token, 'hub.challenge': 'c1' },
        { 'hub.mode': 'subscribe', 'hub.verify_token': token },
        { 'hub.mode': 'subscribe', 'hub.verify_token': token, 'hub.challenge': '' },
        { 'hub.mode': 'unsubscribe', 'hub.verify_token': token, 'hub.challenge': 'c1' },
        {},
      ];
      for (const query of cases) {
        const res = await request(s.live.url).get('/webhooks/instagram').query(query);
        expect(res.status, JSON.stringify(query)).to.equal(400);
        expect(res.text).to.not.equal('c1');
        expect(res.headers['set-cookie']).to.equal(undefined);
      }
    });
  });

  describe('signature (POST /webhooks/instagram)', () => {
    it('refuses a delivery without X-Hub-Signature-256 (401) and stores nothing', async () => {
      const s = await fresh();
      const text = 'Is this available for delivery?';
      const raw = bytes(delivery(commentEntry(s, comment(s, '17900000000000001', text, { id: '6100000000000001', username: 'aigerim.k' }))));

      const res = await post(s, raw, undefined);
      expect(res.status).to.equal(401);
      expect(res.headers['set-cookie']).to.equal(undefined);
      const empty = await post(s, raw, '');
      expect(empty.status).to.equal(401);
      await s.t.services.webhooks.idle();
      expect(cacheCounts(s)).to.deep.equal(NOTHING);
      expect(await commentOnPage(s, '17900000000000001')).to.equal(undefined);

      // The same bytes, signed, do create the comment: what was refused was the missing signature.
      const ok = await deliver(s, raw);
      expect(ok.status).to.equal(200);
      await s.t.services.webhooks.idle();
      expect(s.t.services.ingest.comments.find(s.accountId, '17900000000000001')?.text).to.equal(text);
    });

    it('refuses a wrong signature (another secret, a byte changed after signing, sha256=garbage) with 401 and stores nothing', async () => {
      const s = await fresh();
      const secret = s.t.services.webhooks.settings.secret;
      const text = 'What time do you open on Sunday?';
      const raw = bytes(delivery(commentEntry(s, comment(s, '17900000000000002', text, { id: '6100000000000002', username: 'dauren_88' }))));
      const tampered = Buffer.from(raw);
      const at = tampered.indexOf('Sunday');
      expect(at).to.be.greaterThan(0);
      tampered[at] = 'M'.charCodeAt(0); // "Munday": still valid JSON, one byte different

      const attempts: Array<[string, Buffer, string]> = [
        ['another secret', raw, signatureOf(secret + '-other', raw)],
        ['a random secret', raw, signatureOf(crypto.randomBytes(16).toString('hex'), raw)],
        ['one byte changed after signing', tampered, signatureOf(secret, raw)],
        ['sha256= and garbage', raw, 'sha256=' + 'zz'.repeat(32)],
        ['sha256= and nothing', raw, 'sha256='],
        ['the right digest without sha256=', raw, signatureOf(secret, raw).slice('sha256='.length)],
        ['the right digest as sha1=', raw, 'sha1=' + signatureOf(secret, raw).slice('sha256='.length)],
        ['the digest truncated', raw, signatureOf(secret, raw).slice(0, -2)],
      ];
      for (const [what, body, signature] of attempts) {
        const res = await post(s, body, signature);
        expect(res.status, what).to.equal(401);
        expect(res.headers['set-cookie'], what).to.equal(undefined);
      }
      await s.t.services.webhooks.idle();
      expect(cacheCounts(s)).to.deep.equal(NOTHING);
      expect(s.t.services.ingest.comments.find(s.accountId, '17900000000000002')).to.equal(undefined);
      expect(await commentOnPage(s, '17900000000000002')).to.equal(undefined);

      // Control: the untouched bytes with the right signature are accepted and cached.
      const ok = await deliver(s, raw);
      expect(ok.status).to.equal(200);
      expect(ok.body).to.deep.equal({ received: 1, new: 1 });
      await s.t.services.webhooks.idle();
      expect(s.t.services.ingest.comments.find(s.accountId, '17900000000000002')?.text).to.equal(text);
    });

    it('accepts a valid signature over a non-ASCII body (Cyrillic, Kazakh, emoji) and keeps the text intact', async () => {
      const s = await fresh();
      const text = 'Сәлеметсіз бе! Қай жерде орналасқансыздар? Очень вкусно 😍☕🇰🇿 — ғ ү ұ қ ө һ і ң';
      const username = 'жанна_кофе';
      const id = '17900000000000003';
      const raw = bytes(delivery(commentEntry(s, comment(s, id, text, { id: '6100000000000003', username }))));
      expect(raw.length, 'the body carries multi-byte UTF-8').to.be.greaterThan(raw.toString('utf8').length);
      expect(raw.includes(Buffer.from('😍', 'utf8')), 'not \\u-escaped').to.equal(true);

      // A signature over another encoding of the same JSON (\u escapes) is not a signature over these bytes.
      const escaped = Buffer.from(raw.toString('utf8').replace(/[\u0080-\uffff]/g, (c) => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0')), 'utf8');
      expect(JSON.parse(escaped.toString('utf8'))).to.deep.equal(JSON.parse(raw.toString('utf8')));
      const refused = await post(s, raw, signatureOf(s.t.services.webhooks.settings.secret, escaped));
      expect(refused.status).to.equal(401);
      const latin1 = await post(s, raw, signatureOf(s.t.services.webhooks.settings.secret, Buffer.from(raw.toString('latin1'), 'utf8')));
      expect(latin1.status).to.equal(401);
      await s.t.services.webhooks.idle();
      expect(cacheCounts(s)).to.deep.equal(NOTHING);

      const res = await deliver(s, raw);
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ received: 1, new: 1 });
      expect(res.headers['set-cookie']).to.equal(undefined);
      await s.t.services.webhooks.idle();

      const cached = s.t.services.ingest.comments.find(s.accountId, id);
      expect(cached?.text).to.equal(text);
      expect(cached?.username).to.equal(username);
      expect(cached?.unreadable).to.equal(false);
      // Stored encrypted, not as the plain text.
      const stored = s.t.db.sqlite.prepare('SELECT text FROM comments WHERE ig_comment_id = ?').get(id) as { text: string };
      expect(stored.text).to.not.include('Сәлеметсіз');

      expect(await commentOnPage(s, id)).to.equal(text);
      const thread = await s.agent.get(`/inbox/comments/${id}`);
      expect(thread.status).to.equal(200);
      const page = $(thread.text);
      expect(page(`#c-${id} .comment__text`).text().trim()).to.equal(text);
      expect(page(`#c-${id} .comment__who`).text().trim()).to.equal('@' + username);
    });
  });

  describe('de-duplication and batches', () => {
    it('processes the same delivery once', async () => {
      const s = await fresh();
      const id = '17900000000000004';
      const raw = bytes(delivery(commentEntry(s, comment(s, id, 'Best coffee in town ☕', { id: '6100000000000004', username: 'marat.photo' }))));

      const first = await deliver(s, raw);
      expect(first.status).to.equal(200);
      expect(first.body).to.deep.equal({ received: 1, new: 1 });
      await s.t.services.webhooks.idle();
      // Someone marks it done in Qanat; a redelivery must not bring it back as a new comment.
      s.t.services.ingest.comments.setDone(s.accountId, id, s.t.clock.now());

      const again = await deliver(s, raw);
      expect(again.status).to.equal(200);
      expect(again.body).to.deep.equal({ received: 1, new: 0 });
      await s.t.services.webhooks.idle();

      expect(count(s, 'webhook_events')).to.equal(1);
      expect(count(s, 'webhook_events', 'processed_at IS NOT NULL AND payload IS NULL AND outcome = ?', 'done')).to.equal(1);
      expect(count(s, 'comments')).to.equal(1);
      expect(s.t.services.ingest.comments.find(s.accountId, id)?.doneAt).to.be.a('number');

      // Meta's retry arriving while the first one is still being processed: still once.
      const id2 = '17900000000000005';
      const raw2 = bytes(delivery(commentEntry(s, comment(s, id2, 'Love the new menu!', { id: '6100000000000005', username: 'olga_v' }))));
      const [a, b] = await Promise.all([deliver(s, raw2), deliver(s, raw2)]);
      expect([a.status, b.status]).to.deep.equal([200, 200]);
      expect([(a.body as { new: number }).new, (b.body as { new: number }).new].sort()).to.deep.equal([0, 1]);
      await s.t.services.webhooks.idle();
      expect(count(s, 'webhook_events')).to.equal(2);
      expect(count(s, 'comments')).to.equal(2);
    });

    it('stores and processes every event of a batched delivery (comments, messages, an echo, a read receipt)', async () => {
      const s = await fresh();
      const ig = igUserIdOf(s);
      const now = s.t.clock.now();
      const seconds = Math.floor(now / 1000);
      const alice = { id: '6200000000000001', username: 'alina.almaty' };
      const bob = { id: '6200000000000002', username: 'timur_runs' };
      const carol = { id: '6200000000000003', username: 'saule.art' };
      const p1 = '5300000000000001';
      const p2 = '5300000000000002';
      const me = { id: ig, username: 'steppe_coffee' };
      const payload = delivery(
        {
          id: ig,
          time: seconds,
          changes: [
            { field: 'comments', value: comment(s, '17910000000000001', 'Can I book a table for 6?', alice) },
            { field: 'comments', value: comment(s, '17910000000000002', 'Сколько стоит?', bob) },
            { field: 'comments', value: comment(s, '17910000000000003', 'Yes, call us at 9:00!', me, { parent_id: '17910000000000001' }) },
          ],
          messaging: [
            { sender: { id: p1 }, recipient: { id: ig }, timestamp: now - 3000, message: { mid: 'aWdGGm-in-1', text: 'Hi! Do you sell beans by the kilo?' } },
            { sender: { id: ig }, recipient: { id: p1 }, timestamp: now - 2000, message: { mid: 'aWdGGm-echo-2', text: 'Yes, 1 kg bags ☕', is_echo: true } },
            { sender: { id: p1 }, recipient: { id: ig }, timestamp: now - 1000, read: { mid: 'aWdGGm-echo-2' } },
          ],
        },
        {
          id: ig,
          time: seconds,
          changes: [{ field: 'comments', value: comment(s, '17910000000000004', 'Керемет! 👏', carol) }],
          messaging: [
            { sender: { id: p2 }, recipient: { id: ig }, timestamp: now - 500, message: { mid: 'aWdGGm-in-3', text: 'Жеткізу бар ма?' } },
            { sender: { id: p1 }, recipient: { id: ig }, timestamp: now - 100, message: { mid: 'aWdGGm-in-4', text: 'Great, I will come by' } },
          ],
        },
      );
      const res = await deliver(s, bytes(payload));
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ received: 9, new: 9 });
      await s.t.services.webhooks.idle();

      // Every event stored once and processed; the payload dropped once used.
      expect(count(s, 'webhook_events')).to.equal(9);
      expect(count(s, 'webhook_events', 'processed_at IS NULL OR payload IS NOT NULL')).to.equal(0);
      const outcomes = s.t.db.sqlite.prepare('SELECT field, outcome, count(*) AS n FROM webhook_events GROUP BY field, outcome ORDER BY field, outcome').all();
      expect(outcomes).to.deep.equal([
        { field: 'comments', outcome: 'done', n: 4 },
        { field: 'messages', outcome: 'done', n: 4 },
        { field: 'messaging_seen', outcome: 'ignored', n: 1 },
      ]);

      // Comments: the account's own reply is marked own and answers Alina's thread.
      expect(count(s, 'comments')).to.equal(4);
      const own = s.t.services.ingest.comments.find(s.accountId, '17910000000000003');
      expect(own?.own).to.equal(true);
      expect(own?.parentId).to.equal('17910000000000001');
      expect(s.t.db.sqlite.prepare('SELECT own FROM comments WHERE ig_comment_id = ?').get('17910000000000003')).to.deep.equal({ own: 1 });
      expect(s.t.services.ingest.comments.find(s.accountId, '17910000000000001')?.own).to.equal(false);
      const threads = new Map(s.t.services.comments.threads(s.accountId).map((t) => [t.comment.igCommentId, t]));
      expect([...threads.keys()].sort()).to.deep.equal(['17910000000000001', '17910000000000002', '17910000000000004']);
      expect(threads.get('17910000000000001')?.needsReply).to.equal(false);
      expect(threads.get('17910000000000001')?.replies.map((r) => r.igCommentId)).to.deep.equal(['17910000000000003']);
      expect(threads.get('17910000000000002')?.needsReply).to.equal(true);
      expect(threads.get('17910000000000004')?.needsReply).to.equal(true);
      expect(s.t.services.comments.needsReplyCount(s.accountId)).to.equal(2);

      // What the person sees: the "needs a reply" filter leaves out the answered thread.
      const needs = $((await s.agent.get('/inbox/comments?filter=needs_reply')).text);
      expect(needs('#c-17910000000000001').length).to.equal(0);
      expect(needs('#c-17910000000000002 .comment__text').text().trim()).to.equal('Сколько стоит?');
      expect(needs('#c-17910000000000004 .comment__text').text().trim()).to.equal('Керемет! 👏');
      const all = $((await s.agent.get('/inbox/comments')).text);
      expect(all('#c-17910000000000003').hasClass('comment--own')).to.equal(true);
      expect(all('#c-17910000000000003 .comment__text').text().trim()).to.equal('Yes, call us at 9:00!');

      // Messages: the echo is outbound in the participant's conversation, next to their messages.
      expect(count(s, 'conversations')).to.equal(2);
      expect(count(s, 'messages')).to.equal(4);
      expect(messageRow(s, 'aWdGGm-in-1')).to.include({ direction: 'in', participant_id: p1 });
      expect(messageRow(s, 'aWdGGm-echo-2')).to.include({ direction: 'out', participant_id: p1 });
      expect(messageRow(s, 'aWdGGm-in-4')).to.include({ direction: 'in', participant_id: p1 });
      expect(messageRow(s, 'aWdGGm-in-3')).to.include({ direction: 'in', participant_id: p2 });
      expect(messageRow(s, 'aWdGGm-echo-2')?.conversation_id).to.equal(messageRow(s, 'aWdGGm-in-1')?.conversation_id);
      expect(count(s, 'conversations', 'participant_id = ?', ig), 'no conversation with the account itself').to.equal(0);
      const conversationId = messageRow(s, 'aWdGGm-in-1')?.conversation_id;
      if (conversationId === undefined) throw new Error('no conversation for the first participant');
      const thread = s.t.services.ingest.conversations.messagesOf(conversationId);
      expect(thread.map((m) => [m.igMessageId, m.direction, m.text])).to.deep.equal([
        ['aWdGGm-in-1', 'in', 'Hi! Do you sell beans by the kilo?'],
        ['aWdGGm-echo-2', 'out', 'Yes, 1 kg bags ☕'],
        ['aWdGGm-in-4', 'in', 'Great, I will come by'],
      ]);
      const opened = await s.agent.get(`/inbox/messages/${conversationId}`);
      expect(opened.status).to.equal(200);
      // The person sees the echo as sent by the business, between the participant's messages.
      const shown = $(opened.text);
      expect(
        shown('ol.messages > li.message')
          .toArray()
          .map((el) => [shown(el).hasClass('message--out') ? 'out' : shown(el).hasClass('message--in') ? 'in' : '?', shown(el).find('.message__text').text().trim()]),
      ).to.deep.equal([
        ['in', 'Hi! Do you sell beans by the kilo?'],
        ['out', 'Yes, 1 kg bags ☕'],
        ['in', 'Great, I will come by'],
      ]);
    });
  });

  describe('ignored and refused deliveries', () => {
    it('acknowledges an event for an account that is not connected (200) and ignores it', async () => {
      const s = await fresh();
      const stranger = '17841499999999999';
      expect(stranger).to.not.equal(igUserIdOf(s));
      const now = s.t.clock.now();
      const entry = commentEntry(s, comment(s, '17900000000000006', 'Not for you', { id: '6100000000000006', username: 'nurlan.dev' }), stranger);
      entry.messaging = [{ sender: { id: '5300000000000009' }, recipient: { id: stranger }, timestamp: now, message: { mid: 'aWdGGm-stranger', text: 'Hello?' } }];
      const res = await deliver(s, bytes(delivery(entry)));
      expect(res.status).to.equal(200);
      expect(res.body).to.deep.equal({ received: 2, new: 2 });
      await s.t.services.webhooks.idle();

      expect(s.t.db.sqlite.prepare('SELECT ig_user_id, outcome, payload IS NULL AS dropped, processed_at IS NOT NULL AS processed FROM webhook_events ORDER BY field').all()).to.deep.equal([
        { ig_user_id: stranger, outcome: 'ignored', dropped: 1, processed: 1 },
        { ig_user_id: stranger, outcome: 'ignored', dropped: 1, processed: 1 },
      ]);
      expect({ ...cacheCounts(s), webhook_events: 0 }).to.deep.equal(NOTHING);
      expect(await commentOnPage(s, '17900000000000006')).to.equal(undefined);
      expect(await conversationOnPage(s, 'Hello?')).to.equal(undefined);
    });

    it('refuses a correctly signed body that is not JSON (400) and stores nothing', async () => {
      const s = await fresh();
      const bodies = ['{"object":"instagram","entry":[', 'object=instagram&entry=1', '', Buffer.from([0xff, 0xfe, 0x7b]).toString('latin1')];
      for (const text of bodies) {
        const res = await deliver(s, Buffer.from(text, 'utf8'));
        expect(res.status, JSON.stringify(text)).to.equal(400);
        expect(res.headers['set-cookie']).to.equal(undefined);
      }
      await s.t.services.webhooks.idle();
      expect(cacheCounts(s)).to.deep.equal(NOTHING);
    });

    it('refuses a delivery over 4 MB (413) and stores nothing; exactly 4 MB is read', async () => {
      const s = await fresh();
      const value = comment(s, '17900000000000007', 'Padded', { id: '6100000000000007', username: 'asel_travel' });
      const padded = (size: number): Buffer => {
        const base = bytes({ ...delivery(commentEntry(s, value)), pad: '' });
        const out = bytes({ ...delivery(commentEntry(s, value)), pad: 'x'.repeat(size - base.length) });
        expect(out.length).to.equal(size);
        return out;
      };

      const tooLarge = await deliver(s, padded(MAX_DELIVERY_BYTES + 1));
      expect(tooLarge.status).to.equal(413);
      await s.t.services.webhooks.idle();
      expect(cacheCounts(s)).to.deep.equal(NOTHING);

      const atLimit = await deliver(s, padded(MAX_DELIVERY_BYTES));
      expect(atLimit.status).to.equal(200);
      expect(atLimit.body).to.deep.equal({ received: 1, new: 1 });
      await s.t.services.webhooks.idle();
      expect(s.t.services.ingest.comments.find(s.accountId, '17900000000000007')?.text).to.equal('Padded');
    });
  });

  describe('acceptance 2: the simulator over real HTTP', () => {
    it('shows a new comment and a new message within 2 s of the webhook', async () => {
      const s = await fresh();
      const sim = simOf(s);
      const text = 'Сәлем! Do you have oat milk? 🥛';
      let started = Date.now();
      const made = await sim.people.comment({ text, username: 'zhanna_cafe_lover' });
      expect(made.webhook).to.equal('sent');
      expect(sim.state.comments.get(made.id)?.text).to.equal(text);
      const commentAfter = await elapsedUntil(started, async () => (await commentOnPage(s, made.id)) === text);
      expect(commentAfter, 'the comment never appeared on /inbox/comments').to.be.a('number');
      expect(commentAfter).to.be.below(2000);

      const message = 'Здравствуйте, можно заказать торт? 🎂';
      started = Date.now();
      const sent = await sim.people.message({ text: message, username: 'dana_orders' });
      expect(sent.webhook).to.equal('sent');
      expect(sim.state.messages.get(sent.messageId)?.text).to.equal(message);
      const messageAfter = await elapsedUntil(started, async () => (await conversationOnPage(s, message)) !== undefined);
      expect(messageAfter, 'the message never appeared on /inbox/messages').to.be.a('number');
      expect(messageAfter).to.be.below(2000);

      // Once the follow-up read the conversation, the person is named.
      await s.t.services.webhooks.idle();
      expect((await conversationOnPage(s, message))?.who).to.equal('@dana_orders');
      expect(messageRow(s, sent.messageId)).to.include({ direction: 'in', participant_id: sent.participantId });
      expect(count(s, 'webhook_events', 'outcome = ?', 'done')).to.equal(2);
    });

    it('with webhooks off, shows nothing until the sync job runs, then both', async () => {
      const s = await fresh();
      const sim = simOf(s);
      sim.webhooks.url = undefined;
      const text = 'Webhooks are off, but I still wrote this 🙂';
      const made = await sim.people.comment({ text, username: 'saule.art' });
      expect(made.webhook).to.equal('no-url');
      const message = 'Сәлеметсіз бе! Ашықсыздар ма?';
      const sent = await sim.people.message({ text: message, username: 'quiet_customer' });
      expect(sent.webhook).to.equal('no-url');
      expect(sim.state.comments.get(made.id)?.text).to.equal(text);

      await s.t.services.webhooks.idle();
      expect(await commentOnPage(s, made.id)).to.equal(undefined);
      expect(await conversationOnPage(s, message)).to.equal(undefined);
      expect(cacheCounts(s)).to.deep.equal(NOTHING);

      const counts = await runNamedJob(s, 'sync-inbox');
      expect(counts['failed']).to.equal(0);
      expect(counts['comments']).to.be.greaterThan(0);
      expect(counts['messages']).to.be.greaterThan(0);
      expect(await commentOnPage(s, made.id)).to.equal(text);
      expect(await conversationOnPage(s, message)).to.deep.equal({ who: '@quiet_customer', last: message });
      expect(s.t.services.ingest.comments.find(s.accountId, made.id)?.text).to.equal(text);
      expect(messageRow(s, sent.messageId)).to.include({ direction: 'in', participant_id: sent.participantId });
      expect(count(s, 'webhook_events')).to.equal(0);
    });
  });

  describe('the 24 h retention (purge-inbox)', () => {
    /** A comment and a message by people on the simulator, cached by the sync job. */
    async function syncedCommentAndMessage(st: Stage): Promise<{ commentId: string; commentText: string; messageId: string; messageText: string }> {
      const sim = simOf(st);
      sim.webhooks.url = undefined;
      const commentText = 'Keep me only a day, please';
      const messageText = 'This message should not outlive a day';
      const made = await sim.people.comment({ text: commentText, username: 'olga_v' });
      const sent = await sim.people.message({ text: messageText, username: 'day_only' });
      expect((await runNamedJob(st, 'sync-inbox'))['failed']).to.equal(0);
      expect(st.t.services.ingest.comments.find(st.accountId, made.id)?.text).to.equal(commentText);
      expect(messageRow(st, sent.messageId)).to.not.equal(undefined);
      return { commentId: made.id, commentText, messageId: sent.messageId, messageText };
    }

    it('deletes comments and messages 24 h after the last sync confirmed them', async () => {
      const s = await fresh(LONG_SESSIONS);
      const synced = await syncedCommentAndMessage(s);
      const syncedAt = s.t.clock.now();

      // Just under a day: nothing goes.
      s.t.clock.set(syncedAt + 24 * HOUR - 60_000);
      const early = await runNamedJob(s, 'purge-inbox');
      expect(early['comments']).to.equal(0);
      expect(early['messages']).to.equal(0);
      expect(await commentOnPage(s, synced.commentId)).to.equal(synced.commentText);

      s.t.clock.set(syncedAt + 25 * HOUR);
      const purged = await runNamedJob(s, 'purge-inbox');
      expect(purged['comments']).to.be.greaterThan(0);
      expect(purged['messages']).to.be.greaterThan(0);
      expect(s.t.services.ingest.comments.find(s.accountId, synced.commentId)).to.equal(undefined);
      expect(messageRow(s, synced.messageId)).to.equal(undefined);
      expect(count(s, 'messages', 'ig_message_id = ?', synced.messageId)).to.equal(0);
      expect({ ...cacheCounts(s) }).to.deep.equal(NOTHING);
      expect(await commentOnPage(s, synced.commentId)).to.equal(undefined);
      expect(await conversationOnPage(s, synced.messageText)).to.equal(undefined);
      // Instagram still has them: the purge is the cache's promise, not a deletion there.
      expect(simOf(s).state.comments.get(synced.commentId)?.text).to.equal(synced.commentText);
    });

    it('keeps rows a later sync refreshed (+23 h) through a purge at +25 h, until a day after that sync', async () => {
      const s = await fresh(LONG_SESSIONS);
      const synced = await syncedCommentAndMessage(s);
      const firstSync = s.t.clock.now();

      s.t.clock.set(firstSync + 23 * HOUR);
      expect((await runNamedJob(s, 'sync-inbox'))['failed']).to.equal(0);
      const secondSync = s.t.clock.now();

      s.t.clock.set(firstSync + 25 * HOUR);
      await runNamedJob(s, 'purge-inbox');
      expect(s.t.services.ingest.comments.find(s.accountId, synced.commentId)?.text).to.equal(synced.commentText);
      expect(messageRow(s, synced.messageId)).to.not.equal(undefined);
      expect(await commentOnPage(s, synced.commentId)).to.equal(synced.commentText);
      expect(await conversationOnPage(s, synced.messageText)).to.not.equal(undefined);

      s.t.clock.set(secondSync + 24 * HOUR + 60_000);
      await runNamedJob(s, 'purge-inbox');
      expect(s.t.services.ingest.comments.find(s.accountId, synced.commentId)).to.equal(undefined);
      expect(messageRow(s, synced.messageId)).to.equal(undefined);
    });

    it('forgets processed webhook ids after 48 h, not before', async () => {
      const s = await fresh(LONG_SESSIONS);
      const id = '17900000000000008';
      const raw = bytes(delivery(commentEntry(s, comment(s, id, 'Remember me for two days', { id: '6100000000000008', username: 'aigerim.k' }))));
      const deliveredAt = s.t.clock.now();
      expect((await deliver(s, raw)).body).to.deep.equal({ received: 1, new: 1 });
      await s.t.services.webhooks.idle();
      expect(s.t.services.ingest.comments.find(s.accountId, id)).to.not.equal(undefined);

      // The comment goes after a day; the id stays, so Meta's retry is still recognized.
      s.t.clock.set(deliveredAt + 47 * HOUR);
      const first = await runNamedJob(s, 'purge-inbox');
      expect(first['webhookIds']).to.equal(0);
      expect(first['comments']).to.equal(1);
      expect(count(s, 'webhook_events')).to.equal(1);
      expect(s.t.services.ingest.comments.find(s.accountId, id)).to.equal(undefined);
      const retry = await deliver(s, raw);
      expect(retry.body).to.deep.equal({ received: 1, new: 0 });
      await s.t.services.webhooks.idle();
      expect(count(s, 'comments')).to.equal(0);

      s.t.clock.set(deliveredAt + 49 * HOUR);
      const second = await runNamedJob(s, 'purge-inbox');
      expect(second['webhookIds']).to.equal(1);
      expect(count(s, 'webhook_events')).to.equal(0);
    });
  });
});
