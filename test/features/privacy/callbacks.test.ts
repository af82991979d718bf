// Meta's two callbacks (instagram-api.md §8; security.md rows 27, 28, 32), played by the test as
// Meta would: a form POST with a signed_request. A forged or broken one changes nothing and is
// audited with its source address; a valid deletion request erases every row and file of that
// Instagram account (and nothing of another one), answers {url, confirmation_code}, and the url
// opens a public status page; a valid deauthorize erases the token and stops all work on the account.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { translatorFor } from '../../../src/i18n/index.js';
import { signRequest } from '../../../src/instagram/signed-request.js';
import { seedAdditionalAccount } from '../../../src/sandbox/seed.js';
import type { Simulator } from '../../../src/sandbox/simulator.js';
import { connectAccount, rowsOf } from '../../support/accounts.js';
import { $ } from '../../support/http.js';
import { schedulePost, simMediaWithCaption, stage, type Stage } from '../../support/publishing.js';
import { filesUnder } from '../../support/files.js';

const en = translatorFor('en');
const MINUTE = 60_000;
const ISSUED_AT = 1_291_836_800;

/** Text as a person reads it: whitespace collapsed. */
const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

function simOf(s: Stage): Simulator {
  const sim = s.t.simulator;
  if (!sim) throw new Error('the app runs without its simulator');
  return sim;
}

function secretOf(s: Stage): string {
  return s.t.services.instagram.appSecret;
}

function accountOf(s: Stage, accountId: number): { appScopedId: string; igUserId: string; username: string; token: string; status: string } {
  const row = s.t.services.accounts.repo.findById(accountId);
  if (!row) throw new Error(`no account ${accountId}`);
  return row;
}

/** What Meta sends for this person. */
function signedFor(s: Stage, userId: string, extra: Record<string, unknown> = {}): string {
  return signRequest({ algorithm: 'HMAC-SHA256', user_id: userId, issued_at: ISSUED_AT, ...extra }, secretOf(s));
}

/** A signed_request over an arbitrary payload segment (correct signature, whatever the payload says). */
function signSegment(payloadSegment: string, secret: string): string {
  return `${crypto.createHmac('sha256', secret).update(payloadSegment, 'ascii').digest('base64url')}.${payloadSegment}`;
}

const b64url = (text: string): string => Buffer.from(text, 'utf8').toString('base64url');

function callback(s: Stage, route: '/data-deletion' | '/deauthorize', signedRequest: string | undefined) {
  const req = request(s.live.url).post(route).type('form');
  return req.send(signedRequest === undefined ? {} : { signed_request: signedRequest });
}

function mediaDirOf(s: Stage, accountId: number): string {
  return path.join(s.t.dir, 'media', String(accountId));
}

function count(s: Stage, sql: string, ...params: unknown[]): number {
  return (s.t.db.sqlite.prepare(sql).get(...params) as { n: number }).n;
}

interface AuditRow {
  at: number;
  actor: string | null;
  kind: string;
  detail: Record<string, unknown>;
  sourceIp: string | null;
}

function auditOf(s: Stage, kind: string): AuditRow[] {
  const rows = s.t.db.sqlite.prepare('SELECT at, actor, kind, detail, source_ip AS sourceIp FROM audit_log WHERE kind = ? ORDER BY id').all(kind) as Array<Omit<AuditRow, 'detail'> & { detail: string }>;
  return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}

/** Everything a deletion could touch, for one or more accounts. */
function snapshot(s: Stage, accountIds: number[]) {
  return {
    accounts: Object.fromEntries(
      accountIds.map((id) => {
        const igUserId = s.t.db.sqlite.prepare('SELECT ig_user_id AS ig FROM accounts WHERE id = ?').get(id) as { ig: string } | undefined;
        return [
          id,
          {
            rows: rowsOf(s.live, id),
            children: childRows(s, childrenOf(s, id)),
            files: filesUnder(mediaDirOf(s, id)),
            webhookEvents: igUserId ? count(s, 'SELECT count(*) AS n FROM webhook_events WHERE ig_user_id = ?', igUserId.ig) : 0,
          },
        ];
      }),
    ),
    webhookEvents: count(s, 'SELECT count(*) AS n FROM webhook_events'),
    deletionRequests: count(s, 'SELECT count(*) AS n FROM deletion_requests'),
  };
}

/** A comment on the account's feed post and, for the primary account, a DM; both arrive by webhook. */
async function engage(s: Stage, igUserId: string, primary: boolean): Promise<void> {
  const sim = simOf(s);
  const media = sim.state.mediaOf(igUserId).find((m) => m.productType === 'FEED');
  if (!media) throw new Error(`no feed media for ${igUserId}`);
  const comment = await sim.people.comment({ text: `Lovely beans ${igUserId.slice(-4)}`, username: 'coffee_fan', mediaId: media.id });
  expect(comment.webhook, 'comment webhook').to.equal('sent');
  if (primary) {
    const message = await sim.people.message({ text: 'Are you open on Sunday?', username: 'early_bird' });
    expect(message.webhook, 'message webhook').to.equal('sent');
  }
  await s.t.services.webhooks.idle();
}

/** Rows in every table for both accounts, files for both, pending webhook rows for both. */
async function fillBoth(s: Stage): Promise<{ other: number; captions: { mine: string; theirs: string } }> {
  const seeded = seedAdditionalAccount(simOf(s).state, 9, 'nan_bakery', 'Nan Bakery');
  const other = await connectAccount(s.live, s.agent, { igId: seeded.igId });
  const captions = { mine: `Mine ${Math.random().toString(36).slice(2, 8)}`, theirs: `Theirs ${Math.random().toString(36).slice(2, 8)}` };
  const minePost = await schedulePost(s, { caption: captions.mine, inMinutes: 30 });
  const theirPost = await schedulePost({ ...s, accountId: other }, { caption: captions.theirs, inMinutes: 30 });
  // The bell: one notification for each account.
  s.t.services.notifications.add('post_attention', s.accountId, minePost);
  s.t.services.notifications.add('post_attention', other, theirPost);
  await engage(s, accountOf(s, s.accountId).igUserId, true);
  await engage(s, seeded.igId, false);
  const synced = await s.t.services.inboxSync.syncAll();
  expect(synced.failed, 'inbox sync failures').to.equal(0);
  const collected = await s.t.services.insights.collectAll({ daily: true, audience: true });
  expect(collected.failed, 'insights failures').to.equal(0);
  await s.t.services.profileSync.syncAll();
  // A stray file of the other account's own, outside what the composer made.
  fs.mkdirSync(path.join(mediaDirOf(s, other), 'originals'), { recursive: true });
  fs.writeFileSync(path.join(mediaDirOf(s, other), 'originals', 'keep.bin'), 'other account');
  return { other, captions };
}

/** Every table with account_id must hold rows of the account before, so "all zero afterwards" means something. */
function expectFilled(rows: Record<string, number>, who: string): void {
  expect(Object.keys(rows).length, `${who}: tables with account_id`).to.be.greaterThan(5);
  for (const [table, n] of Object.entries(rows)) expect(n, `${who}: rows in ${table} before the callback`).to.be.greaterThan(0);
}

/** Rows one step further away (no account_id of their own): messages by conversation, post events by post. */
interface Children {
  conversationIds: number[];
  postIds: number[];
}

function childrenOf(s: Stage, accountId: number): Children {
  const ids = (sql: string) => (s.t.db.sqlite.prepare(sql).all(accountId) as Array<{ id: number }>).map((r) => r.id);
  return { conversationIds: ids('SELECT id FROM conversations WHERE account_id = ?'), postIds: ids('SELECT id FROM posts WHERE account_id = ?') };
}

function childRows(s: Stage, children: Children): { messages: number; post_events: number } {
  const countIn = (table: string, column: string, ids: number[]) => (ids.length === 0 ? 0 : count(s, `SELECT count(*) AS n FROM ${table} WHERE ${column} IN (${ids.map(() => '?').join(', ')})`, ...ids));
  return { messages: countIn('messages', 'conversation_id', children.conversationIds), post_events: countIn('post_events', 'post_id', children.postIds) };
}

describe('privacy callbacks: refused signed_requests change nothing (security.md 27, 32)', function () {
  this.timeout(120_000);
  let s: Stage;
  let other: number;

  before(async () => {
    s = await stage({ INSIGHTS_BACKFILL_DAYS: '10' });
    ({ other } = await fillBoth(s));
    expectFilled(rowsOf(s.live, s.accountId), 'account');
    expect(filesUnder(mediaDirOf(s, s.accountId)), 'account files').not.to.deep.equal([]);
  });
  after(() => s.live.close());

  type Case = { name: string; value: (s: Stage) => string | undefined; reason: 'malformed' | 'signature' | 'algorithm' };

  const cases: Case[] = [
    { name: 'signed with another secret', value: (s) => signRequest({ algorithm: 'HMAC-SHA256', user_id: accountOf(s, s.accountId).appScopedId, issued_at: ISSUED_AT }, 'not-the-app-secret'), reason: 'signature' },
    {
      name: 'one character of the signature changed',
      value: (s) => {
        const good = signedFor(s, accountOf(s, s.accountId).appScopedId);
        return (good[0] === 'A' ? 'B' : 'A') + good.slice(1);
      },
      reason: 'signature',
    },
    {
      name: "another payload under this payload's signature",
      value: (s) => {
        const [signature] = signedFor(s, 'someone-else').split('.');
        return `${signature}.${b64url(JSON.stringify({ algorithm: 'HMAC-SHA256', user_id: accountOf(s, s.accountId).appScopedId, issued_at: ISSUED_AT }))}`;
      },
      reason: 'signature',
    },
    {
      name: 'a signature with extra bytes appended',
      value: (s) => {
        const [signature, payload] = signedFor(s, accountOf(s, s.accountId).appScopedId).split('.');
        return `${signature}AAAA.${payload}`;
      },
      reason: 'signature',
    },
    { name: "algorithm 'HMAC-SHA1' (correctly signed)", value: (s) => signRequest({ algorithm: 'HMAC-SHA1', user_id: accountOf(s, s.accountId).appScopedId, issued_at: ISSUED_AT }, secretOf(s)), reason: 'algorithm' },
    { name: "algorithm 'none' (correctly signed)", value: (s) => signRequest({ algorithm: 'none', user_id: accountOf(s, s.accountId).appScopedId, issued_at: ISSUED_AT }, secretOf(s)), reason: 'algorithm' },
    { name: 'no algorithm at all (correctly signed)', value: (s) => signRequest({ user_id: accountOf(s, s.accountId).appScopedId, issued_at: ISSUED_AT }, secretOf(s)), reason: 'malformed' },
    {
      name: 'a character outside base64url in the signature',
      value: (s) => {
        const good = signedFor(s, accountOf(s, s.accountId).appScopedId);
        return `${good.slice(0, 5)}!${good.slice(6)}`;
      },
      reason: 'malformed',
    },
    {
      name: 'a character outside base64url in the payload',
      value: (s) => {
        const [signature, payload] = signedFor(s, accountOf(s, s.accountId).appScopedId).split('.');
        return `${signature}.${payload!.slice(0, 4)}*${payload!.slice(5)}`;
      },
      reason: 'malformed',
    },
    { name: 'standard base64 (+ and /) instead of base64url', value: (s) => signSegment(b64url(JSON.stringify({ algorithm: 'HMAC-SHA256', user_id: accountOf(s, s.accountId).appScopedId })), secretOf(s)).replace(/^(.)/, '+'), reason: 'malformed' },
    { name: 'no dot', value: (s) => signedFor(s, accountOf(s, s.accountId).appScopedId).replace('.', ''), reason: 'malformed' },
    { name: 'an empty signature part', value: (s) => `.${signedFor(s, accountOf(s, s.accountId).appScopedId).split('.')[1]!}`, reason: 'malformed' },
    { name: 'an empty payload part', value: (s) => `${signedFor(s, accountOf(s, s.accountId).appScopedId).split('.')[0]!}.`, reason: 'malformed' },
    { name: 'only a dot', value: () => '.', reason: 'malformed' },
    { name: 'an empty value', value: () => '', reason: 'malformed' },
    { name: 'no signed_request field', value: () => undefined, reason: 'malformed' },
    { name: 'a third segment', value: (s) => `${signedFor(s, accountOf(s, s.accountId).appScopedId)}.${b64url('{}')}`, reason: 'malformed' },
    { name: 'a payload that is not JSON (correctly signed)', value: (s) => signSegment(b64url('{"algorithm":"HMAC-SHA256","user_id":'), secretOf(s)), reason: 'malformed' },
    { name: 'a payload that is a JSON string (correctly signed)', value: (s) => signSegment(b64url(JSON.stringify(accountOf(s, s.accountId).appScopedId)), secretOf(s)), reason: 'malformed' },
    { name: 'no user_id (correctly signed)', value: (s) => signRequest({ algorithm: 'HMAC-SHA256', issued_at: ISSUED_AT }, secretOf(s)), reason: 'malformed' },
    { name: 'an empty user_id (correctly signed)', value: (s) => signedFor(s, ''), reason: 'malformed' },
    { name: 'a null user_id (correctly signed)', value: (s) => signRequest({ algorithm: 'HMAC-SHA256', user_id: null, issued_at: ISSUED_AT }, secretOf(s)), reason: 'malformed' },
    { name: 'an oversized value (correctly signed)', value: (s) => signedFor(s, accountOf(s, s.accountId).appScopedId, { padding: 'x'.repeat(9000) }), reason: 'malformed' },
  ];

  for (const c of cases) {
    it(`POST /data-deletion with ${c.name} → 400 JSON (${c.reason}), nothing deleted, refusal audited with the source address`, async () => {
      const before = snapshot(s, [s.accountId, other]);
      const refusedBefore = auditOf(s, 'callback.refused').length;
      const res = await callback(s, '/data-deletion', c.value(s));
      expect(res.status, res.text).to.equal(400);
      expect(res.headers['content-type']).to.match(/^application\/json/);
      expect(res.body).to.deep.equal({ error: `signed_request refused: ${c.reason}` });
      expect(res.headers['cache-control']).to.equal('no-store');
      expect(snapshot(s, [s.accountId, other])).to.deep.equal(before);
      expect(fs.existsSync(mediaDirOf(s, s.accountId))).to.equal(true);
      expect(auditOf(s, 'callback.data_deletion')).to.deep.equal([]);
      const refused = auditOf(s, 'callback.refused');
      expect(refused).to.have.length(refusedBefore + 1);
      expect(refused.at(-1)).to.deep.include({ at: s.t.clock.now(), sourceIp: '127.0.0.1' });
      expect(refused.at(-1)!.detail).to.deep.equal({ callback: 'data-deletion', reason: c.reason });
    });
  }

  it('POST /data-deletion with a signed_request as JSON (not a form) is refused and deletes nothing', async () => {
    const before = snapshot(s, [s.accountId, other]);
    const res = await request(s.live.url).post('/data-deletion').send({ signed_request: signedFor(s, accountOf(s, s.accountId).appScopedId) });
    expect(res.status).to.equal(400);
    expect(snapshot(s, [s.accountId, other])).to.deep.equal(before);
  });

  for (const c of cases.filter((x) => ['signed with another secret', "algorithm 'none' (correctly signed)", 'no dot', 'no user_id (correctly signed)'].includes(x.name))) {
    it(`POST /deauthorize with ${c.name} → 400 JSON, the token and status are unchanged, refusal audited`, async () => {
      const before = accountOf(s, s.accountId);
      const refusedBefore = auditOf(s, 'callback.refused').length;
      const res = await callback(s, '/deauthorize', c.value(s));
      expect(res.status, res.text).to.equal(400);
      expect(res.headers['content-type']).to.match(/^application\/json/);
      expect(res.body).to.deep.equal({ error: `signed_request refused: ${c.reason}` });
      const after = accountOf(s, s.accountId);
      expect(after.token).to.equal(before.token);
      expect(after.token).to.match(/^v1:/);
      expect(after.status).to.equal('ok');
      expect(auditOf(s, 'callback.deauthorize')).to.deep.equal([]);
      const refused = auditOf(s, 'callback.refused');
      expect(refused).to.have.length(refusedBefore + 1);
      expect(refused.at(-1)).to.deep.include({ sourceIp: '127.0.0.1' });
      expect(refused.at(-1)!.detail).to.deep.equal({ callback: 'deauthorize', reason: c.reason });
    });
  }
});

describe('privacy callbacks: a valid data-deletion request (security.md 27, 28)', function () {
  this.timeout(120_000);
  let s: Stage;
  let other: number;

  beforeEach(async () => {
    s = await stage({ INSIGHTS_BACKFILL_DAYS: '10' });
    ({ other } = await fillBoth(s));
  });
  afterEach(() => s.live.close());

  it('answers 200 {url, confirmation_code}, erases every row and file of that account, and nothing of the other', async () => {
    const mine = accountOf(s, s.accountId);
    const mineBefore = rowsOf(s.live, s.accountId);
    const filesBefore = filesUnder(mediaDirOf(s, s.accountId));
    const otherBefore = snapshot(s, [other]).accounts[other]!;
    const mineChildren = childrenOf(s, s.accountId);
    const otherChildren = childrenOf(s, other);
    const mineChildRowsBefore = childRows(s, mineChildren);
    const otherChildRowsBefore = childRows(s, otherChildren);
    expect(mineChildRowsBefore.messages, 'messages of the account').to.be.greaterThan(0);
    expect(mineChildRowsBefore.post_events, 'post events of the account').to.be.greaterThan(0);
    expect(otherChildRowsBefore.messages, 'messages of the other account').to.be.greaterThan(0);
    expectFilled(mineBefore, 'account');
    expectFilled(otherBefore.rows, 'other account');
    expect(filesBefore, 'account files').not.to.deep.equal([]);
    expect(otherBefore.files, 'other account files').to.include(path.join('originals', 'keep.bin'));
    expect(count(s, 'SELECT count(*) AS n FROM webhook_events WHERE ig_user_id = ?', mine.igUserId), 'webhook rows of the account').to.be.greaterThan(0);
    expect(otherBefore.webhookEvents, 'webhook rows of the other account').to.be.greaterThan(0);

    const res = await callback(s, '/data-deletion', signedFor(s, mine.appScopedId, { expires: ISSUED_AT + 3600 }));
    expect(res.status, res.text).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(Object.keys(body).sort()).to.deep.equal(['confirmation_code', 'url']);
    const code = body['confirmation_code'];
    expect(code).to.be.a('string').and.to.match(/^[\w-]{8,64}$/);
    expect(body['url']).to.equal(`${s.live.url}/data-deletion/status?code=${encodeURIComponent(String(code))}`);

    // Row 28: every table with account_id is empty for it, the accounts row is gone, the files too.
    const after = rowsOf(s.live, s.accountId);
    expect(Object.keys(after).sort()).to.deep.equal(Object.keys(mineBefore).sort());
    expect(Object.entries(after).filter(([, n]) => n !== 0), 'rows left of the deleted account').to.deep.equal([]);
    expect(s.t.services.accounts.repo.findById(s.accountId)).to.equal(undefined);
    expect(fs.existsSync(mediaDirOf(s, s.accountId)), 'media folder').to.equal(false);
    expect(count(s, 'SELECT count(*) AS n FROM webhook_events WHERE ig_user_id = ?', mine.igUserId), 'webhook rows of the account').to.equal(0);
    expect(childRows(s, mineChildren), 'messages and post events of the account').to.deep.equal({ messages: 0, post_events: 0 });

    // The other account: exactly as before.
    expect(snapshot(s, [other]).accounts[other]).to.deep.equal(otherBefore);
    expect(childRows(s, otherChildren)).to.deep.equal(otherChildRowsBefore);
    expect(accountOf(s, other).status).to.equal('ok');

    // The record keeps counts only: nothing that identifies the person.
    const rows = s.t.db.sqlite.prepare('SELECT * FROM deletion_requests').all() as Array<Record<string, unknown>>;
    expect(rows).to.have.length(1);
    const row = rows[0]!;
    expect(Object.keys(row).sort()).to.deep.equal(['code', 'completed_at', 'detail', 'outcome', 'received_at', 'user_key']);
    expect(row).to.deep.include({ code, outcome: 'deleted', received_at: s.t.clock.now(), completed_at: s.t.clock.now() });
    for (const clear of [mine.appScopedId, mine.igUserId, mine.username]) {
      for (const [column, value] of Object.entries(row)) expect(String(value), `${column} holds ${clear}`).not.to.contain(clear);
    }
    expect(row['user_key']).to.match(/^[0-9a-f]{64}$/);
    expect(row['user_key']).not.to.equal(crypto.createHash('sha256').update(mine.appScopedId).digest('hex'));
    const detail = JSON.parse(String(row['detail'])) as Record<string, unknown>;
    expect(Object.values(detail).every((n) => typeof n === 'number'), 'detail is counts only').to.equal(true);
    const expected: Record<string, number> = Object.fromEntries(Object.entries(mineBefore).filter(([, n]) => n > 0));
    expected['files'] = filesBefore.length;
    expect(detail).to.deep.equal(expected);

    // Row 32: the callback is in the audit log with time and source address.
    const audit = auditOf(s, 'callback.data_deletion');
    expect(audit).to.have.length(1);
    expect(audit[0]).to.deep.include({ at: s.t.clock.now(), actor: 'meta', sourceIp: '127.0.0.1' });
    expect(audit[0]!.detail).to.deep.include({ code, outcome: 'deleted' });
    expect(auditOf(s, 'callback.refused')).to.deep.equal([]);
  });

  it('the status url opens a public page with the code and the "deleted" explanation', async () => {
    const res = await callback(s, '/data-deletion', signedFor(s, accountOf(s, s.accountId).appScopedId));
    expect(res.status).to.equal(200);
    const { url, confirmation_code: code } = res.body as { url: string; confirmation_code: string };
    const target = new URL(url);
    expect(target.origin).to.equal(s.live.url);
    expect(target.pathname).to.equal('/data-deletion/status');
    expect(target.searchParams.get('code')).to.equal(code);

    // A person's browser: no cookie, not signed in.
    const status = await request(s.live.url).get(target.pathname + target.search);
    expect(status.status, status.text.slice(0, 500)).to.equal(200);
    const page = $(status.text);
    expect(squash(page('h1').text())).to.equal(en('privacy.status.heading'));
    expect(squash(page('main').text())).to.contain(code);
    expect(page('dd code').text()).to.equal(code);
    expect(squash(page('main').text())).to.contain(en('privacy.status.deleted'));
    expect(squash(page('main').text())).to.contain(en('privacy.status.done'));
    expect(squash(page('main').text())).not.to.contain(en('privacy.status.noData'));
    expect(squash(page('main').text())).not.to.contain(en('privacy.status.unknown'));
    expect(status.text).not.to.contain('steppe_coffee');
  });

  it('a repeated request for the same person answers the same code and url, and deletes nothing more', async () => {
    const mine = accountOf(s, s.accountId);
    const otherBefore = snapshot(s, [other]).accounts[other]!;
    const first = await callback(s, '/data-deletion', signedFor(s, mine.appScopedId));
    expect(first.status).to.equal(200);
    const firstRow = s.t.db.sqlite.prepare('SELECT * FROM deletion_requests').get() as Record<string, unknown>;
    s.t.clock.advance(5 * MINUTE);
    const again = await callback(s, '/data-deletion', signedFor(s, mine.appScopedId, { issued_at: ISSUED_AT + 300 }));
    expect(again.status, again.text).to.equal(200);
    expect(again.body).to.deep.equal(first.body);
    expect(s.t.db.sqlite.prepare('SELECT * FROM deletion_requests').all()).to.deep.equal([firstRow]);
    expect(snapshot(s, [other]).accounts[other]).to.deep.equal(otherBefore);
    // The status page still says "deleted".
    const page = $((await request(s.live.url).get(new URL((again.body as { url: string }).url).pathname + new URL((again.body as { url: string }).url).search)).text);
    expect(squash(page('main').text())).to.contain(en('privacy.status.deleted'));
  });

  it('an unknown user_id answers 200 with a code, outcome no_data, deletes nothing, and its page says so', async () => {
    const before = snapshot(s, [s.accountId, other]);
    const res = await callback(s, '/data-deletion', signedFor(s, '9999999999999999'));
    expect(res.status, res.text).to.equal(200);
    const body = res.body as { url: string; confirmation_code: string };
    expect(Object.keys(body).sort()).to.deep.equal(['confirmation_code', 'url']);
    expect(body.url).to.equal(`${s.live.url}/data-deletion/status?code=${encodeURIComponent(body.confirmation_code)}`);
    const after = snapshot(s, [s.accountId, other]);
    expect(after.accounts).to.deep.equal(before.accounts);
    expect(after.webhookEvents).to.equal(before.webhookEvents);
    expect(after.deletionRequests).to.equal(1);
    const row = s.t.db.sqlite.prepare('SELECT outcome, detail FROM deletion_requests WHERE code = ?').get(body.confirmation_code) as { outcome: string; detail: string };
    expect(row.outcome).to.equal('no_data');
    expect(JSON.parse(row.detail)).to.deep.equal({});
    expect(auditOf(s, 'callback.data_deletion').map((a) => a.detail)).to.deep.equal([{ code: body.confirmation_code, outcome: 'no_data' }]);

    const again = await callback(s, '/data-deletion', signedFor(s, '9999999999999999'));
    expect(again.body).to.deep.equal(body);

    const url = new URL(body.url);
    const status = await request(s.live.url).get(url.pathname + url.search);
    expect(status.status).to.equal(200);
    const page = $(status.text);
    expect(page('dd code').text()).to.equal(body.confirmation_code);
    expect(squash(page('main').text())).to.contain(en('privacy.status.noData'));
    expect(squash(page('main').text())).not.to.contain(en('privacy.status.deleted'));
  });

  it('an unknown or malformed code is a 404 page saying there is no such request', async () => {
    await callback(s, '/data-deletion', signedFor(s, accountOf(s, s.accountId).appScopedId));
    for (const query of ['?code=AAAAAAAAAAAAAAAAAAAAAAAA', '?code=x', '?code=%3Cscript%3E', '?code=', '']) {
      const res = await request(s.live.url).get(`/data-deletion/status${query}`);
      expect(res.status, `status${query}`).to.equal(404);
      const page = $(res.text);
      expect(squash(page('h1').text())).to.equal(en('privacy.status.heading'));
      expect(squash(page('main').text()), `status${query}`).to.contain(en('privacy.status.unknown'));
      expect(page('dd code').length).to.equal(0);
      expect(res.text).not.to.contain('<script>');
    }
  });

  it('GET /data-deletion explains deletion to anyone, without signing in', async () => {
    const res = await request(s.live.url).get('/data-deletion');
    expect(res.status).to.equal(200);
    const page = $(res.text);
    expect(squash(page('h1').text())).to.equal(en('privacy.deletion.heading'));
    const main = squash(page('main').text());
    for (const key of ['intro', 'howTitle', 'how1', 'how2', 'how3', 'whatTitle', 'what', 'whenTitle', 'when']) expect(main, key).to.contain(en(`privacy.deletion.${key}`));
    expect(page('form[action="/login"]').length, 'not the sign-in page').to.equal(0);
  });
});

describe('privacy callbacks: deauthorize (§8.2)', function () {
  this.timeout(120_000);
  let s: Stage;

  beforeEach(async () => {
    s = await stage({ INSIGHTS_BACKFILL_DAYS: '10' });
  });
  afterEach(() => s.live.close());

  it('a valid deauthorize erases the token, marks the account disconnected, keeps its data, and stops all work on it', async () => {
    const caption = `Deauth ${Math.random().toString(36).slice(2, 8)}`;
    const postId = await schedulePost(s, { caption, inMinutes: 2 });
    const rowsBefore = rowsOf(s.live, s.accountId);
    const filesBefore = filesUnder(mediaDirOf(s, s.accountId));
    const mine = accountOf(s, s.accountId);
    expect(mine.token).to.match(/^v1:/);

    const res = await callback(s, '/deauthorize', signedFor(s, mine.appScopedId));
    expect(res.status, res.text).to.equal(200);

    const after = accountOf(s, s.accountId);
    expect(after.token).to.equal('');
    expect(after.status).to.equal('disconnected');
    expect(rowsOf(s.live, s.accountId), 'data stays until deleted').to.deep.equal(rowsBefore);
    expect(filesUnder(mediaDirOf(s, s.accountId))).to.deep.equal(filesBefore);
    const audit = auditOf(s, 'callback.deauthorize');
    expect(audit).to.have.length(1);
    expect(audit[0]).to.deep.include({ actor: 'meta', sourceIp: '127.0.0.1', at: s.t.clock.now() });

    // The owner sees why.
    const page = await s.agent.get(`/accounts/${s.accountId}`);
    expect(page.status).to.equal(200);
    const $page = $(page.text);
    expect(squash($page('.badge').text())).to.contain(en('accounts.status.disconnected'));
    expect(squash($page('main').text())).to.contain(en('accounts.health.deauthorizedExplain'));

    // Nothing is published any more.
    s.t.clock.advance(5 * MINUTE);
    await s.t.services.engine.runDue();
    expect(s.t.services.posts.get(postId).state).to.equal('scheduled');
    expect(simMediaWithCaption(s, caption)).to.equal(0);

    // Nor synced, nor read for insights.
    expect((await s.t.services.inboxSync.syncAll()).accounts).to.equal(0);
    expect((await s.t.services.insights.collectAll({ daily: true, audience: true })).accounts).to.equal(0);
    expect(accountOf(s, s.accountId).status, 'still disconnected after the jobs').to.equal('disconnected');
  });

  it('a deletion request after the deauthorize (Meta sends both) still erases the account and its files', async () => {
    await schedulePost(s, { inMinutes: 30 });
    const mine = accountOf(s, s.accountId);
    expect((await callback(s, '/deauthorize', signedFor(s, mine.appScopedId))).status).to.equal(200);
    expect(accountOf(s, s.accountId).status).to.equal('disconnected');
    const res = await callback(s, '/data-deletion', signedFor(s, mine.appScopedId));
    expect(res.status, res.text).to.equal(200);
    expect(Object.entries(rowsOf(s.live, s.accountId)).filter(([, n]) => n !== 0)).to.deep.equal([]);
    expect(fs.existsSync(mediaDirOf(s, s.accountId))).to.equal(false);
    const row = s.t.db.sqlite.prepare('SELECT outcome FROM deletion_requests WHERE code = ?').get((res.body as { confirmation_code: string }).confirmation_code) as { outcome: string };
    expect(row.outcome).to.equal('deleted');
  });

  it('a deauthorize for an unknown user answers 200 and changes nothing', async () => {
    const before = accountOf(s, s.accountId);
    const res = await callback(s, '/deauthorize', signedFor(s, '9999999999999999'));
    expect(res.status).to.equal(200);
    expect(accountOf(s, s.accountId)).to.deep.equal(before);
  });

  it('a forged deauthorize (right payload, wrong secret) answers 400 and the account keeps publishing', async () => {
    const caption = `Forged ${Math.random().toString(36).slice(2, 8)}`;
    const postId = await schedulePost(s, { caption, inMinutes: 2 });
    const before = accountOf(s, s.accountId);
    const res = await callback(s, '/deauthorize', signRequest({ algorithm: 'HMAC-SHA256', user_id: before.appScopedId, issued_at: ISSUED_AT }, `${secretOf(s)}x`));
    expect(res.status).to.equal(400);
    expect(res.body).to.deep.equal({ error: 'signed_request refused: signature' });
    expect(accountOf(s, s.accountId)).to.deep.equal(before);
    s.t.clock.advance(5 * MINUTE);
    for (let i = 0; i < 40 && s.t.services.posts.get(postId).state !== 'published'; i += 1) {
      await s.t.services.engine.runDue();
      s.t.clock.advance(5_000);
    }
    expect(s.t.services.posts.get(postId).state).to.equal('published');
  });
});
