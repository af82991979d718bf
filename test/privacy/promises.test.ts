// The privacy policy is a specification (ARCHITECTURE.md): each promise the code already keeps is
// proved here by one test named after the promise's words. Everything runs on the app's manual
// clock; rows are made through the app's own paths (sign-in, OAuth connect, composer, webhooks)
// or plain SQL, and the proof looks at the database file, the media folder and the log folder.
//
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { findJob, type JobContext } from '../../src/jobs/registry.js';
import { runJob } from '../../src/jobs/scheduler.js';
import { signRequest } from '../../src/instagram/signed-request.js';
import { INBOX_RETENTION_MS } from '../../src/features/engagement/retention.js';
import type { Simulator } from '../../src/sandbox/simulator.js';
import type { AccountRow } from '../../src/features/accounts/accounts.repo.js';
import zlib from 'node:zlib';
import { loadConfig } from '../../src/config.js';
import { generateKeyText, parseKey } from '../../src/db/crypto.js';
import { verifyBackup } from '../../src/features/system/backup.service.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { rowsOf } from '../support/accounts.js';
import { createAccount, createUser, PASSWORD } from '../support/factories.js';
import { csrfFrom, signIn } from '../support/http.js';
import { schedulePost, stage, type Stage } from '../support/publishing.js';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const DAY = 86_400_000;
/** Long sessions, so the signed-in owner still reaches the pages after the clock moved. */
const LONG_SESSIONS = { SESSION_IDLE_MINUTES: '100000', SESSION_ABSOLUTE_HOURS: '10000' };
/** Far enough ahead that nothing publishes while a test moves the clock by hours. */
const IN_THREE_DAYS = 3 * 24 * 60;

function jobContext(t: TestApp): JobContext {
  return { config: t.config, db: t.db, cipher: t.cipher, clock: t.clock, log: t.log, services: t.services };
}

async function job(t: TestApp, name: 'retention' | 'purge-inbox' | 'rotate-logs' | 'sync-inbox'): Promise<Record<string, number>> {
  const found = findJob(name);
  if (!found) throw new Error(`no job named ${name}`);
  return runJob(found, jobContext(t));
}

function count(t: TestApp, query: string, ...params: unknown[]): number {
  return (t.db.sqlite.prepare(query).get(...params) as { n: number }).n;
}

/** Everything SQLite holds on disk for the app: the WAL is checkpointed into qanat.db first. */
function databaseBytes(t: TestApp): Buffer {
  t.db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
  const file = path.join(t.dir, 'qanat.db');
  const parts = [fs.readFileSync(file)];
  for (const extra of [`${file}-wal`, `${file}-journal`]) if (fs.existsSync(extra)) parts.push(fs.readFileSync(extra));
  return Buffer.concat(parts);
}

function containsText(bytes: Buffer, text: string): boolean {
  return bytes.includes(Buffer.from(text, 'utf8')) || bytes.includes(Buffer.from(text, 'utf16le'));
}

async function expectRejection(promise: Promise<unknown>, message: RegExp): Promise<void> {
  let failure: unknown;
  try {
    await promise;
  } catch (error) {
    failure = error;
  }
  expect(failure, 'it was refused').to.be.instanceOf(Error);
  expect((failure as Error).message).to.match(message);
}

function simOf(s: Stage): Simulator {
  const sim = s.t.simulator;
  if (!sim) throw new Error('the app runs without its simulator');
  return sim;
}

function accountOf(s: Stage): AccountRow {
  const row = s.t.services.accounts.repo.findById(s.accountId);
  if (!row) throw new Error('no connected account');
  return row;
}

/** Absolute paths of every file a post's media rows name. */
function filesOfPost(s: Stage, postId: number): string[] {
  return s.t.services.posts.repo.mediaOf(postId).flatMap((row) => s.t.services.media.filesOf(row));
}

/** Sets a file's modification time to `ms` on the app's clock (the orphan sweep compares against it). */
function setMtime(file: string, ms: number): void {
  fs.utimesSync(file, ms / 1000, ms / 1000);
}

/** A comment and a DM from people on the simulator, delivered by webhook and cached. */
async function inboundCommentAndMessage(s: Stage, who: string): Promise<{ commentId: string; messageId: string }> {
  const sim = simOf(s);
  const comment = await sim.people.comment({ text: `Do you deliver, ${who}?`, username: `${who}_c` });
  const message = await sim.people.message({ text: `Hello from ${who}`, username: `${who}_m` });
  await s.t.services.webhooks.idle();
  return { commentId: comment.id, messageId: message.messageId };
}

describe('privacy promises', function () {
  this.timeout(60_000);
  const cleanups: Array<() => Promise<void> | void> = [];

  afterEach(async () => {
    while (cleanups.length > 0) await cleanups.pop()?.();
  });

  function app(env: Record<string, string> = {}): TestApp {
    const t = createTestApp(env);
    cleanups.push(() => t.close());
    return t;
  }

  async function live(env: Record<string, string> = {}): Promise<Stage> {
    const s = await stage({ ...LONG_SESSIONS, ...env });
    cleanups.push(async () => {
      await s.t.services.webhooks.idle();
      await s.live.close();
    });
    return s;
  }

  it('passwords hashed, never stored in plain text', async () => {
    const t = app();
    const password = 'Plain-Text-Canary-Zebra-4711';
    const user = await createUser(t, { username: 'hashme', password });
    const { res } = await signIn(t, 'hashme', password);
    expect(res.status, 'sign-in with the password works').to.equal(303);

    const stored = t.db.sqlite.prepare('SELECT password_hash FROM users WHERE id = ?').get(user.id) as { password_hash: string };
    expect(stored.password_hash.startsWith('$argon2id$'), stored.password_hash.slice(0, 12)).to.equal(true);
    expect(stored.password_hash.split('$')[3]).to.match(/^(?=.*\bm=\d+)(?=.*\bt=\d+)(?=.*\bp=\d+)/);
    expect(stored.password_hash).to.not.contain(password);
    expect(await t.services.hasher.verify(stored.password_hash, password)).to.equal(true);

    // Not in any table, index, free page or the WAL, nor in the logs.
    expect(containsText(databaseBytes(t), password), 'password in qanat.db').to.equal(false);
    expect(t.logs.text, 'password in the logs').to.not.contain(password);
  });

  it('Instagram access tokens encrypted at rest', async () => {
    const s = await live();
    const account = accountOf(s);
    const sealed = (s.t.db.sqlite.prepare('SELECT token FROM accounts WHERE id = ?').get(s.accountId) as { token: string }).token;
    // v1:<keyId>:<nonce>:<ciphertext>:<tag> (src/db/crypto.ts), sealed with the current key.
    expect(sealed.startsWith(`v1:${s.t.cipher.currentKeyId}:`), sealed.slice(0, 16)).to.equal(true);
    expect(sealed.split(':')).to.have.length(5);

    const plain = s.t.services.accounts.tokenOf(account);
    expect(plain).to.match(/^IGAA/);
    expect(sealed).to.not.contain(plain);
    expect(containsText(databaseBytes(s.t), plain), 'token in qanat.db').to.equal(false);
    expect(s.t.logs.text, 'token in the logs').to.not.contain(plain);
  });

  it('cached comments and DMs kept at most 24 h, then refreshed from Instagram', async () => {
    const s = await live();
    const t = s.t;
    expect(INBOX_RETENTION_MS).to.equal(24 * HOUR);
    const start = t.clock.now();
    const old = await inboundCommentAndMessage(s, 'early');
    const commentRow = (id: string) => count(t, 'SELECT count(*) AS n FROM comments WHERE ig_comment_id = ?', id);
    const messageRow = (id: string) => count(t, 'SELECT count(*) AS n FROM messages WHERE ig_message_id = ?', id);
    expect([commentRow(old.commentId), messageRow(old.messageId)], 'cached by webhook').to.deep.equal([1, 1]);

    t.clock.set(start + 12 * HOUR);
    const fresh = await inboundCommentAndMessage(s, 'later');
    expect([commentRow(fresh.commentId), messageRow(fresh.messageId)]).to.deep.equal([1, 1]);

    // Just under a day after the first ones: nothing goes yet.
    t.clock.set(start + 24 * HOUR - MINUTE);
    const early = await job(t, 'purge-inbox');
    expect([early['comments'], early['messages']]).to.deep.equal([0, 0]);

    // 25 h after the first ones, 13 h after the second ones.
    t.clock.set(start + 25 * HOUR);
    const purged = await job(t, 'purge-inbox');
    expect(purged['comments'], 'comments purged').to.be.greaterThan(0);
    expect(purged['messages'], 'messages purged').to.be.greaterThan(0);
    expect([commentRow(old.commentId), messageRow(old.messageId)], 'older than 24 h').to.deep.equal([0, 0]);
    expect([commentRow(fresh.commentId), messageRow(fresh.messageId)], 'younger than 24 h').to.deep.equal([1, 1]);
    const cutoff = t.clock.now() - 24 * HOUR;
    for (const table of ['comments', 'messages', 'conversations']) {
      expect(count(t, `SELECT count(*) AS n FROM ${table} WHERE fetched_at < ?`, cutoff), `${table} older than 24 h`).to.equal(0);
    }

    // Instagram still has them: the next sync brings the comment back, fetched now.
    expect((await job(t, 'sync-inbox'))['failed']).to.equal(0);
    const refreshed = t.db.sqlite.prepare('SELECT fetched_at FROM comments WHERE ig_comment_id = ?').get(old.commentId) as { fetched_at: number } | undefined;
    expect(refreshed?.fetched_at, 'refreshed from Instagram').to.equal(t.clock.now());
  });

  it('profile snapshots kept at most 30 days', async () => {
    const t = app();
    const account = createAccount(t);
    const now = t.clock.now();
    const insert = t.db.sqlite.prepare('INSERT INTO profile_snapshots (account_id, taken_at, followers, username) VALUES (?, ?, ?, ?)');
    insert.run(account.id, now - 31 * DAY, 100, account.username);
    insert.run(account.id, now - 30 * DAY - MINUTE, 101, account.username);
    insert.run(account.id, now - 29 * DAY, 102, account.username);
    insert.run(account.id, now - HOUR, 103, account.username);

    const counts = await job(t, 'retention');
    expect(counts['snapshots']).to.equal(2);
    const left = (t.db.sqlite.prepare('SELECT followers FROM profile_snapshots WHERE account_id = ? ORDER BY taken_at').all(account.id) as Array<{ followers: number }>).map((r) => r.followers);
    expect(left).to.deep.equal([102, 103]);
    expect(count(t, 'SELECT count(*) AS n FROM profile_snapshots WHERE taken_at < ?', now - 30 * DAY)).to.equal(0);
  });

  it('daily follower stats kept at most 729 days', async () => {
    const t = app();
    const account = createAccount(t);
    const now = t.clock.now();
    const day = (daysAgo: number) => new Date(now - daysAgo * DAY).toISOString().slice(0, 10);
    const insert = t.db.sqlite.prepare('INSERT INTO follower_days (account_id, day, followers) VALUES (?, ?, ?)');
    for (const daysAgo of [1000, 730, 728, 1, 0]) insert.run(account.id, day(daysAgo), daysAgo);

    const counts = await job(t, 'retention');
    expect(counts['followerDays']).to.equal(2);
    const left = (t.db.sqlite.prepare('SELECT day FROM follower_days WHERE account_id = ? ORDER BY day').all(account.id) as Array<{ day: string }>).map((r) => r.day);
    expect(left).to.deep.equal([day(728), day(1), day(0)]);
  });

  it('uploaded media kept until its queue entry is deleted; deleting the entry deletes the file', async () => {
    const s = await live();
    const t = s.t;
    const gone = await schedulePost(s, { inMinutes: IN_THREE_DAYS });
    const kept = await schedulePost(s, { inMinutes: IN_THREE_DAYS + 60 });
    const goneFiles = filesOfPost(s, gone);
    const keptFiles = filesOfPost(s, kept);
    expect(goneFiles.length, 'files of the deleted post').to.be.greaterThan(0);
    expect(keptFiles.length, 'files of the kept post').to.be.greaterThan(0);
    for (const file of [...goneFiles, ...keptFiles]) expect(fs.existsSync(file), file).to.equal(true);

    const res = await s.agent.post(`/posts/${gone}/delete`).type('form').send({ _csrf: s.csrf });
    expect(res.status).to.equal(303);
    expect(count(t, 'SELECT count(*) AS n FROM posts WHERE id = ?', gone)).to.equal(0);
    for (const file of goneFiles) expect(fs.existsSync(file), `deleted with its entry: ${file}`).to.equal(false);
    for (const file of keptFiles) expect(fs.existsSync(file), `another entry's file: ${file}`).to.equal(true);

    // Files no entry refers to (an abandoned upload) go once older than the 24 h grace.
    const dir = t.services.accounts.mediaDir(s.accountId);
    const now = t.clock.now();
    const strayOld = path.join(dir, 'stray-old.jpg');
    const strayYoung = path.join(dir, 'stray-young.jpg');
    fs.writeFileSync(strayOld, 'left behind');
    fs.writeFileSync(strayYoung, 'still uploading');
    setMtime(strayOld, now - 25 * HOUR);
    setMtime(strayYoung, now - 23 * HOUR);
    // A referenced file is kept however old it is.
    for (const file of keptFiles) setMtime(file, now - 400 * DAY);

    const counts = await job(t, 'retention');
    expect(counts['orphanFiles']).to.equal(1);
    expect(fs.existsSync(strayOld), 'orphan older than 24 h').to.equal(false);
    expect(fs.existsSync(strayYoung), 'orphan younger than 24 h').to.equal(true);
    for (const file of keptFiles) expect(fs.existsSync(file), `referenced: ${file}`).to.equal(true);
  });

  it('tokens kept until disconnect or expiry (60 days, refreshed while in use)', async () => {
    const s = await live();
    const t = s.t;
    const account = accountOf(s);
    expect(account.tokenExpiresAt - account.connectedAt, 'token lifetime').to.be.closeTo(60 * DAY, 5 * MINUTE);
    expect(account.tokenRefreshedAt).to.equal(account.connectedAt);
    const sealed = account.token;
    expect(count(t, 'SELECT count(*) AS n FROM accounts WHERE token = ?', sealed)).to.equal(1);

    const form = await s.agent.get(`/accounts/${s.accountId}/disconnect`);
    expect(form.status).to.equal(200);
    const res = await s.agent.post(`/accounts/${s.accountId}/disconnect`).type('form').send({ _csrf: csrfFrom(form.text) });
    expect(res.status).to.equal(303);
    expect(count(t, 'SELECT count(*) AS n FROM accounts WHERE id = ?', s.accountId), 'account row').to.equal(0);
    expect(count(t, 'SELECT count(*) AS n FROM accounts WHERE token = ?', sealed), 'token kept').to.equal(0);
  });

  it('server logs rotated and removed within 30 days', async () => {
    const t = app();
    expect(t.config.log.retentionDays, 'default LOG_RETENTION_DAYS').to.equal(30);
    expect(() => loadConfig({ NODE_ENV: 'test', DATA_DIR: t.dir, LOG_RETENTION_DAYS: '31' }), 'more than 30 days is refused').to.throw(/at most 30 days/);
    // The job runs at 00:05 UTC (its schedule '5 0 * * *').
    const today = Date.UTC(2026, 0, 15);
    t.clock.set(today + 5 * MINUTE);
    const now = t.clock.now();
    const dir = path.join(t.dir, 'logs');
    fs.mkdirSync(dir, { recursive: true });
    const file = (daysAgo: number) => `qanat-${new Date(today - daysAgo * DAY).toISOString().slice(0, 10)}.log`;
    for (const name of [file(0), file(1), file(29), file(30), file(31), file(365), 'notes.txt']) fs.writeFileSync(path.join(dir, name), 'x');

    await job(t, 'rotate-logs');
    const left = fs.readdirSync(dir).sort();
    // No file may still hold lines written more than 30 days ago; a day's file starts at its midnight.
    const tooOld = left.filter((name) => {
      const day = /^qanat-(\d{4}-\d{2}-\d{2})\.log(\.gz)?$/.exec(name)?.[1];
      return day !== undefined && now - Date.parse(`${day}T00:00:00Z`) > 30 * DAY;
    });
    // Today's file is still being written; finished days are kept gzipped.
    expect(left).to.include.members([file(0), `${file(1)}.gz`, `${file(29)}.gz`, 'notes.txt']);
    expect(left.filter((name) => name.startsWith(file(31)) || name.startsWith(file(365)))).to.deep.equal([]);
    expect(tooOld, 'log files with lines older than 30 days').to.deep.equal([]);
  });

  it('backups encrypted at rest', async () => {
    const backupKey = generateKeyText();
    const s = await live({ QANAT_BACKUP_KEY: backupKey });
    const t = s.t;
    const caption = 'Backup canary caption Qyzyl-7731';
    const postId = await schedulePost(s, { caption, inMinutes: IN_THREE_DAYS });
    const { commentId, messageId } = await inboundCommentAndMessage(s, 'backupcanary');
    const commentText = 'Do you deliver, backupcanary?';
    const dmText = 'Hello from backupcanary';
    expect(count(t, 'SELECT count(*) AS n FROM comments WHERE ig_comment_id = ?', commentId), 'the comment is cached').to.equal(1);
    expect(count(t, 'SELECT count(*) AS n FROM messages WHERE ig_message_id = ?', messageId)).to.equal(1);
    const token = t.services.accounts.tokenOf(accountOf(s));
    const mediaFile = filesOfPost(s, postId)[0];
    expect(mediaFile, 'the post has a media file').to.be.a('string');

    const counts = await runJob(findJob('backup')!, jobContext(t));
    expect(counts['files'], 'the database and the media files').to.be.greaterThan(1);
    const [made] = t.services.backups.list();
    expect(made, 'a backup was written').to.not.equal(undefined);
    const file = path.join(t.config.backup.dir, made!.name);
    const bytes = fs.readFileSync(file);

    // The envelope: our header, then AES-256-GCM; nothing of the plain archive shows.
    expect(bytes.subarray(0, 8).toString('ascii')).to.equal('QANATBAK');
    for (const plain of [caption, commentText, dmText, 'backupcanary_c', 'backupcanary_m', token, 'SQLite format 3', 'ustar', 'manifest.json']) {
      expect(containsText(bytes, plain), `"${plain.slice(0, 20)}" readable in the backup`).to.equal(false);
    }
    const media = fs.readFileSync(mediaFile!);
    expect(bytes.includes(media.subarray(Math.floor(media.length / 2), Math.floor(media.length / 2) + 64)), 'media bytes readable in the backup').to.equal(false);
    expect(() => zlib.gunzipSync(bytes.subarray(29)), 'the body is not a plain gzip stream').to.throw();

    // Neither key is inside: not as text, not as raw bytes, not hex or base64.
    const dataKeyText = fs.readFileSync(path.join(t.dir, 'qanat.key'), 'utf8').trim();
    for (const text of [dataKeyText, backupKey]) {
      const raw = parseKey(text);
      for (const form of [Buffer.from(text), raw, Buffer.from(raw.toString('hex')), Buffer.from(raw.toString('base64')), Buffer.from(raw.toString('base64url'))]) {
        expect(bytes.includes(form), 'a key inside the backup').to.equal(false);
      }
    }

    // Only the backup key opens it, and then everything is there.
    await expectRejection(verifyBackup(file, parseKey(generateKeyText()), t.config.backup.dir), /encrypted with backup key/);
    const manifest = await verifyBackup(file, parseKey(backupKey), t.config.backup.dir);
    expect(manifest.files.map((f) => f.path)).to.include('qanat.db');
    expect(manifest.files.some((f) => f.path.endsWith(path.basename(mediaFile!)))).to.equal(true);
    expect(manifest.tables['messages']).to.be.greaterThan(0);
    expect(fs.statSync(file).mode & 0o077, 'readable by the app user only').to.equal(0);

    // The policy says so, with the number of backups kept.
    const policy = await s.agent.get('/privacy');
    expect(policy.text).to.contain('encrypted (AES-256-GCM) with a key that is never stored inside them; the newest 14 are kept');
  });

  it('user can disconnect an account (its data is removed)', async () => {
    const s = await live();
    const t = s.t;
    const postId = await schedulePost(s, { inMinutes: IN_THREE_DAYS });
    const files = filesOfPost(s, postId);
    await inboundCommentAndMessage(s, 'customer');
    const before = rowsOf(s.live, s.accountId);
    for (const table of ['accounts', 'profile_snapshots', 'follower_days', 'posts', 'post_media', 'comments', 'conversations']) {
      expect(before[table], `${table} before`).to.be.greaterThan(0);
    }
    const dir = t.services.accounts.mediaDir(s.accountId);
    expect(fs.existsSync(dir), 'media folder before').to.equal(true);
    for (const file of files) expect(path.dirname(file)).to.equal(dir);

    const form = await s.agent.get(`/accounts/${s.accountId}/disconnect`);
    const res = await s.agent.post(`/accounts/${s.accountId}/disconnect`).type('form').send({ _csrf: csrfFrom(form.text) });
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/accounts');

    const after = rowsOf(s.live, s.accountId);
    expect(Object.entries(after).filter(([, n]) => n !== 0), 'rows left').to.deep.equal([]);
    expect(count(t, 'SELECT count(*) AS n FROM messages'), 'messages (they hang off conversations)').to.equal(0);
    expect(fs.existsSync(dir), 'media folder').to.equal(false);
    for (const file of files) expect(fs.existsSync(file), file).to.equal(false);
  });

  it('user can export a copy of their data', async () => {
    const s = await live({ INSIGHTS_BACKFILL_DAYS: '3' });
    await schedulePost(s, { inMinutes: IN_THREE_DAYS });
    await inboundCommentAndMessage(s, 'export');
    const page = await s.agent.get('/settings/export');
    expect(page.status).to.equal(200);
    const res = await s.agent
      .post('/settings/export')
      .type('form')
      .send({ _csrf: csrfFrom(page.text) })
      .buffer(true)
      .parse((stream, done) => {
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/zip/);
    const zip = res.body as Buffer;
    // A ZIP names its entries in plain ASCII: every kind of data and the post's photo are in it.
    for (const entry of ['README.json', 'data/accounts.json', 'data/posts.json', 'data/comments.json', 'data/messages.json', 'data/audit_log.json', `media/${s.accountId}/`]) {
      expect(zip.includes(Buffer.from(entry, 'ascii')), entry).to.equal(true);
    }
    expect(count(s.t, "SELECT count(*) AS n FROM audit_log WHERE kind = 'data.exported'")).to.equal(1);
  });

  it('user can delete their own account', async () => {
    const t = app();
    await createUser(t, { username: 'owner1' });
    const leaving = await createUser(t, { username: 'leaving', role: 'editor' });
    const { agent } = await signIn(t, 'leaving');
    const page = await agent.get('/settings');
    const res = await agent.post('/settings/delete-login').type('form').send({ _csrf: csrfFrom(page.text), deletePassword: PASSWORD });
    expect(res.status).to.equal(303);
    expect(count(t, 'SELECT count(*) AS n FROM users WHERE id = ?', leaving.id), 'login gone').to.equal(0);
    expect(count(t, 'SELECT count(*) AS n FROM sessions WHERE user_id = ?', leaving.id), 'sessions gone').to.equal(0);
    expect((await agent.get('/')).headers['location'], 'signed out').to.equal('/login');
  });

  it("Meta's data-deletion callback deletes the person's data and returns a status URL and code", async () => {
    const s = await live();
    const t = s.t;
    await schedulePost(s, { inMinutes: IN_THREE_DAYS });
    await inboundCommentAndMessage(s, 'erase');
    const account = accountOf(s);
    const dir = t.services.accounts.mediaDir(s.accountId);
    expect(rowsOf(s.live, s.accountId)['post_media']).to.be.greaterThan(0);
    expect(fs.readdirSync(dir).length, 'files before').to.be.greaterThan(0);

    const signed = signRequest({ algorithm: 'HMAC-SHA256', user_id: account.appScopedId, issued_at: Math.floor(t.clock.now() / 1000) }, t.services.instagram.appSecret);
    const res = await request(s.live.url).post('/data-deletion').type('form').send({ signed_request: signed });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    const body = res.body as { url: string; confirmation_code: string };
    expect(Object.keys(body).sort()).to.deep.equal(['confirmation_code', 'url']);
    expect(body.confirmation_code).to.match(/^[\w-]{8,64}$/);
    expect(body.url).to.equal(`${t.config.publicUrl}/data-deletion/status?code=${encodeURIComponent(body.confirmation_code)}`);

    expect(Object.entries(rowsOf(s.live, s.accountId)).filter(([, n]) => n !== 0), 'rows left').to.deep.equal([]);
    expect(count(t, 'SELECT count(*) AS n FROM messages'), 'messages').to.equal(0);
    expect(fs.existsSync(dir), 'media folder').to.equal(false);
    // Gone from the file too, not only from the tables (secure_delete; audit entries lose the name).
    t.db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const bytes = fs.readFileSync(path.join(t.dir, 'qanat.db'));
    for (const trace of [account.username, account.igUserId, account.appScopedId, account.biography ?? account.username]) {
      expect(bytes.includes(Buffer.from(trace, 'utf8')), `"${trace}" left in qanat.db`).to.equal(false);
    }
    const statusPath = new URL(body.url).pathname + new URL(body.url).search;
    expect((await request(s.live.url).get(statusPath)).status, 'status page').to.equal(200);

    // The status record itself (counts only) is kept 90 days.
    const received = t.clock.now();
    t.clock.set(received + 89 * DAY);
    expect((await job(t, 'retention'))['deletionRecords']).to.equal(0);
    expect((await request(s.live.url).get(statusPath)).status, 'status after 89 days').to.equal(200);
    t.clock.set(received + 91 * DAY);
    expect((await job(t, 'retention'))['deletionRecords']).to.equal(1);
    expect(count(t, 'SELECT count(*) AS n FROM deletion_requests')).to.equal(0);
    expect((await request(s.live.url).get(statusPath)).status, 'status after 91 days').to.equal(404);
  });

  it('audit events logged for sign-ins, configuration changes and publishing', async () => {
    const s = await live();
    const t = s.t;
    const kinds = () => (t.db.sqlite.prepare('SELECT kind FROM audit_log ORDER BY id').all() as Array<{ kind: string }>).map((r) => r.kind);
    const rowsOfKind = (kind: string) => t.db.sqlite.prepare('SELECT user_id, actor, detail FROM audit_log WHERE kind = ?').all(kind) as Array<{ user_id: number | null; actor: string | null; detail: string }>;

    // Sign-in (stage signed the owner in through the form).
    const signins = rowsOfKind('auth.signin.success');
    expect(signins, 'sign-in').to.have.length(1);
    const owner = t.db.sqlite.prepare('SELECT id, username FROM users WHERE id = ?').get(signins[0]?.user_id) as { id: number; username: string } | undefined;
    expect(owner, 'the sign-in names the user').to.not.equal(undefined);
    expect(signins[0]?.actor).to.equal(owner?.username);

    // Publishing.
    const postId = await schedulePost(s, { inMinutes: IN_THREE_DAYS });
    const scheduled = rowsOfKind('post.scheduled');
    expect(scheduled, 'post scheduled').to.have.length(1);
    expect(JSON.parse(scheduled[0]?.detail ?? '{}')).to.deep.include({ post: postId });

    // Configuration: the Human Agent setting (owner only), then a password change.
    const inbox = await s.agent.get('/settings/inbox');
    expect(inbox.status).to.equal(200);
    const saved = await s.agent.post('/settings/inbox').type('form').send({ _csrf: csrfFrom(inbox.text), humanAgent: '1' });
    expect(saved.status).to.equal(303);
    expect(rowsOfKind('settings.human_agent').map((r) => JSON.parse(r.detail) as Record<string, unknown>), 'human agent setting').to.deep.equal([{ enabled: true }]);

    const settings = await s.agent.get('/settings');
    const changed = await s.agent
      .post('/settings/password')
      .type('form')
      .send({ _csrf: csrfFrom(settings.text), currentPassword: PASSWORD, newPassword: 'another long passphrase 42', newPasswordConfirm: 'another long passphrase 42' });
    expect(changed.status).to.equal(303);
    expect(rowsOfKind('user.password.changed'), 'password change').to.have.length(1);
    expect(kinds()).to.include.members(['auth.signin.success', 'post.scheduled', 'settings.human_agent', 'user.password.changed']);
    // Facts only: the new password is not in the trail.
    expect(JSON.stringify(t.db.sqlite.prepare('SELECT * FROM audit_log').all())).to.not.contain('another long passphrase');

    // Entries are kept AUDIT_RETENTION_DAYS (365 by default), then removed by the retention job.
    expect(t.config.auditRetentionDays).to.equal(365);
    const loggedAt = t.clock.now();
    const total = kinds().length;
    t.clock.set(loggedAt + 364 * DAY);
    expect((await job(t, 'retention'))['audit']).to.equal(0);
    // Nothing removed; the retention run itself is one more entry.
    expect(kinds()).to.have.length(total + 1);
    expect(kinds()[total]).to.equal('retention.run');
    t.clock.set(loggedAt + 366 * DAY);
    t.services.audit.record({ kind: 'settings.human_agent', actor: 'test', detail: { enabled: false } });
    expect((await job(t, 'retention'))['audit']).to.equal(total);
    // Left: the first retention run's entry (a day old), the fresh entry, and this run's own entry.
    expect(kinds(), 'only the entries younger than a year').to.deep.equal(['retention.run', 'settings.human_agent', 'retention.run']);
  });
});
