// "Download my data" (Settings → My data): a POST with the CSRF token streams a ZIP. The owner gets
// one JSON file per table of EXPORTED_TABLES, every media file byte for byte, encrypted columns
// opened and no secret; anyone else gets only their own login, audit entries and posts. The
// download is audited, the page itself changes nothing, and a large export streams with flat memory.
// The ZIPs are read with the small reader below (central directory, stored or deflated entries,
// CRC-32 checked), so a malformed archive fails here rather than in someone's unzip tool.
import crypto from 'node:crypto';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect } from 'chai';
import request, { type Response } from 'supertest';
import { EXPORTED_TABLES, NOT_EXPORTED_TABLES } from '../../../src/features/privacy/export.service.js';
import type { UserRow } from '../../../src/features/users/users.repo.js';
import { signRequest } from '../../../src/instagram/signed-request.js';
import type { Simulator } from '../../../src/sandbox/simulator.js';
import { signInLive, type Agent } from '../../support/accounts.js';
import type { TestApp } from '../../support/app.js';
import { startLiveApp, type LiveApp } from '../../support/browser.js';
import { createAccount, createUser, PASSWORD } from '../../support/factories.js';
import { $, csrfFrom } from '../../support/http.js';
import { schedulePost, stage, type Stage } from '../../support/publishing.js';
import { filesUnder } from '../../support/files.js';

type Row = Record<string, unknown>;

const MB = 1024 * 1024;
const COMMENT_TEXT = 'Есть ли доставка в Шымкент? "скидка" & <b>50%</b> 📦';
const COMMENT_USER = 'dana.shop_kz';
const DM_TEXT = 'Is the blue scarf still in stock? Сколько стоит? 🧣';
const DM_USER = 'aruzhan.k';
const OWNER_CAPTION = 'Owner caption: autumn collection';
const EDITOR_CAPTION = 'Editor caption: winter scarves';
const SECRET_KEYS = ['password_hash', 'totp_secret', 'token'];
/** Users' columns the export leaves out: the secrets, and the TOTP replay guard (machinery). */
const USER_COLUMNS_LEFT_OUT = ['password_hash', 'totp_secret', 'totp_last_step'];

// ---------------------------------------------------------------------------------------------
// A small ZIP reader: the End of Central Directory record, then the central directory, then each
// entry's local header and data. Enough for what yazl writes (no ZIP64 below 4 GiB).

interface ZipEntry {
  name: string;
  method: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

type ReadAt = (position: number, length: number) => Buffer;

function bufferReader(zip: Buffer): ReadAt {
  return (position, length) => {
    if (position < 0 || position + length > zip.length) throw new Error(`read past the end of the ZIP (${position}+${length} > ${zip.length})`);
    return zip.subarray(position, position + length);
  };
}

function fileReader(fd: number): ReadAt {
  return (position, length) => {
    const out = Buffer.alloc(length);
    const got = fs.readSync(fd, out, 0, length, position);
    if (got !== length) throw new Error(`short read at ${position}: ${got} of ${length}`);
    return out;
  };
}

function centralDirectory(read: ReadAt, total: number): ZipEntry[] {
  const tailLength = Math.min(total, 22 + 0xffff);
  const tail = read(total - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i -= 1) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new Error('no End of Central Directory record: not a ZIP');
  const count = tail.readUInt16LE(eocd + 10);
  const cdSize = tail.readUInt32LE(eocd + 12);
  const cdOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) throw new Error('ZIP64 archive: not expected here');
  const cd = read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let at = 0;
  for (let i = 0; i < count; i += 1) {
    if (cd.readUInt32LE(at) !== 0x02014b50) throw new Error(`bad central directory header #${i}`);
    const nameLength = cd.readUInt16LE(at + 28);
    const extraLength = cd.readUInt16LE(at + 30);
    const commentLength = cd.readUInt16LE(at + 32);
    entries.push({
      method: cd.readUInt16LE(at + 10),
      crc: cd.readUInt32LE(at + 16),
      compressedSize: cd.readUInt32LE(at + 20),
      size: cd.readUInt32LE(at + 24),
      localOffset: cd.readUInt32LE(at + 42),
      name: cd.toString('utf8', at + 46, at + 46 + nameLength),
    });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
}

/** The entry's bytes, inflated and checked against its CRC-32 and size. */
function entryData(read: ReadAt, entry: ZipEntry): Buffer {
  const local = read(entry.localOffset, 30);
  if (local.readUInt32LE(0) !== 0x04034b50) throw new Error(`bad local header for ${entry.name}`);
  const start = entry.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28);
  const raw = read(start, entry.compressedSize);
  let data: Buffer;
  if (entry.method === 0) data = Buffer.from(raw);
  else if (entry.method === 8) data = zlib.inflateRawSync(raw);
  else throw new Error(`${entry.name}: compression method ${entry.method}`);
  if (data.length !== entry.size) throw new Error(`${entry.name}: ${data.length} bytes, the directory says ${entry.size}`);
  if (zlib.crc32(data) >>> 0 !== entry.crc) throw new Error(`${entry.name}: CRC-32 mismatch`);
  return data;
}

class Zip {
  readonly entries: ZipEntry[];
  private readonly read: ReadAt;
  constructor(bytes: Buffer) {
    this.read = bufferReader(bytes);
    this.entries = centralDirectory(this.read, bytes.length);
  }
  get names(): string[] {
    return this.entries.map((e) => e.name);
  }
  has(name: string): boolean {
    return this.names.includes(name);
  }
  bytes(name: string): Buffer {
    const entry = this.entries.find((e) => e.name === name);
    if (!entry) throw new Error(`no ${name} in the ZIP (it has ${this.names.join(', ')})`);
    return entryData(this.read, entry);
  }
  text(name: string): string {
    return this.bytes(name).toString('utf8');
  }
  json(name: string): unknown {
    return JSON.parse(this.text(name)) as unknown;
  }
  rows(name: string): Row[] {
    const value = this.json(name);
    expect(value, `${name} is a JSON array`).to.be.an('array');
    return value as Row[];
  }
}

// ---------------------------------------------------------------------------------------------

/** Supertest keeps a binary body as a Buffer with this parser. */
function binary(res: Response, done: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => done(null, Buffer.concat(chunks)));
  res.on('error', (error: Error) => done(error, Buffer.alloc(0)));
}

async function exportPageCsrf(agent: Agent): Promise<string> {
  const page = await agent.get('/settings/export');
  expect(page.status, page.text.slice(0, 500)).to.equal(200);
  return csrfFrom(page.text);
}

async function postExport(agent: Agent, csrf: string | false) {
  const body: Record<string, string> = csrf === false ? {} : { _csrf: csrf };
  return agent.post('/settings/export').type('form').send(body).buffer(true).parse(binary);
}

/** POST /settings/export through the page's form; checks the answer is a ZIP attachment and opens it. */
async function download(agent: Agent): Promise<{ res: Response; zip: Zip }> {
  const res = await postExport(agent, await exportPageCsrf(agent));
  expect(res.status).to.equal(200);
  expect(res.headers['content-type']).to.match(/^application\/zip\b/);
  const body = res.body as unknown;
  expect(Buffer.isBuffer(body), 'a binary body').to.equal(true);
  return { res, zip: new Zip(body as Buffer) };
}

function tablesOf(t: TestApp): string[] {
  return (t.db.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
}

function countOf(t: TestApp, sql: string, ...params: unknown[]): number {
  return (t.db.sqlite.prepare(sql).get(...params) as { n: number }).n;
}

/** Rows as the export would write them for a table (insight_days without the '_checked' markers). */
function rowCount(t: TestApp, table: string): number {
  if (table === 'insight_days') return countOf(t, "SELECT count(*) AS n FROM insight_days WHERE metric != '_checked'");
  return countOf(t, `SELECT count(*) AS n FROM "${table}"`);
}

function countsOf(t: TestApp): Record<string, number> {
  return Object.fromEntries(tablesOf(t).map((table) => [table, countOf(t, `SELECT count(*) AS n FROM "${table}"`)]));
}

/** Rows as they come out of JSON (numbers, strings, null), sorted so the order does not matter. */
function normalised(rows: Row[]): string[] {
  return rows.map((row) => JSON.stringify(Object.fromEntries(Object.entries(JSON.parse(JSON.stringify(row)) as Row).sort(([a], [b]) => a.localeCompare(b))))).sort();
}

function dbRows(t: TestApp, sql: string, ...params: unknown[]): Row[] {
  return t.db.sqlite.prepare(sql).all(...params) as Row[];
}

function without(row: Row, ...keys: string[]): Row {
  return Object.fromEntries(Object.entries(row).filter(([key]) => !keys.includes(key)));
}

/** Every key of every object anywhere in a JSON value. */
function keysIn(value: unknown, into = new Set<string>()): Set<string> {
  if (Array.isArray(value)) for (const item of value) keysIn(item, into);
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      into.add(key);
      keysIn(inner, into);
    }
  }
  return into;
}

function simOf(s: Stage): Simulator {
  const sim = s.t.simulator;
  if (!sim) throw new Error('the app runs without its simulator');
  return sim;
}

function ownerOf(t: TestApp): UserRow {
  const owner = t.services.users.repo.findByUsername((t.db.sqlite.prepare("SELECT username FROM users WHERE role = 'owner' ORDER BY id LIMIT 1").get() as { username: string }).username);
  if (!owner) throw new Error('no owner');
  return owner;
}

interface AuditLine {
  id: number;
  user_id: number | null;
  actor: string | null;
  kind: string;
  source_ip: string | null;
  detail: Record<string, unknown>;
}

function auditSince(t: TestApp, afterId: number, kind?: string): AuditLine[] {
  const rows = t.db.sqlite.prepare(`SELECT id, user_id, actor, kind, source_ip, detail FROM audit_log WHERE id > ?${kind ? ' AND kind = ?' : ''} ORDER BY id`).all(...(kind ? [afterId, kind] : [afterId])) as Array<Omit<AuditLine, 'detail'> & { detail: string }>;
  return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}

function lastAuditId(t: TestApp): number {
  return (t.db.sqlite.prepare('SELECT coalesce(max(id), 0) AS n FROM audit_log').get() as { n: number }).n;
}

const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();
const today = (t: TestApp): string => new Date(t.clock.now()).toISOString().slice(0, 10);

describe('privacy: download my data (a streamed ZIP)', function () {
  this.timeout(120_000);
  let s: Stage;
  let owner: UserRow;
  let editor: UserRow;
  let editorAgent: Agent;
  let ownerPostId: number;
  let editorPostId: number;

  before(async () => {
    s = await stage({ INSIGHTS_BACKFILL_DAYS: '10' });
    owner = ownerOf(s.t);
    const sim = simOf(s);

    ownerPostId = await schedulePost(s, { caption: OWNER_CAPTION });
    const comment = await sim.people.comment({ text: COMMENT_TEXT, username: COMMENT_USER });
    const dm = await sim.people.message({ text: DM_TEXT, username: DM_USER });
    expect([comment.webhook, dm.webhook]).to.deep.equal(['sent', 'sent']);
    await s.t.services.webhooks.idle();
    const synced = await s.t.services.inboxSync.syncAll();
    expect(synced.failed).to.equal(0);
    await s.t.services.insights.collectAll({ daily: true, audience: true });
    await s.t.services.profileSync.syncAll();

    // The kinds the simulator does not produce on its own: a hashtag set, a notification, a
    // deletion request from Meta for someone who has no data here.
    s.t.services.hashtags.create({ id: owner.id, username: owner.username, role: 'owner' }, 'Autumn', '#autumn #scarves #almaty');
    s.t.services.notifications.add('post_held', s.accountId, ownerPostId);
    const deletion = s.t.services.callbacks.requestDeletion(signRequest({ algorithm: 'HMAC-SHA256', user_id: '17841499999999999', issued_at: Math.floor(s.t.clock.now() / 1000) }, s.t.services.instagram.appSecret), '203.0.113.9');
    expect(deletion.ok, 'the deletion request is recorded').to.equal(true);

    editor = await createUser(s.t, { username: 'dana_editor', role: 'editor' });
    editorAgent = await signInLive(s.live, editor.username);
    const editorCsrf = csrfFrom((await editorAgent.get('/queue')).text);
    editorPostId = await schedulePost({ ...s, agent: editorAgent, csrf: editorCsrf }, { caption: EDITOR_CAPTION, inMinutes: 5 });
    expect(s.t.services.posts.get(editorPostId).createdBy).to.equal(editor.id);
  });
  after(async () => {
    await s?.live.close();
  });

  it('the owner gets a ZIP attachment with README.json, one JSON array per exported table (every row) and every media file byte for byte', async () => {
    // Data of every kind is there, so a part that exports nothing would show.
    for (const table of EXPORTED_TABLES) expect(rowCount(s.t, table), `rows in ${table} before the export`).to.be.greaterThan(0);
    const mediaRoot = path.join(s.t.dir, 'media');
    const accountMedia = filesUnder(path.join(mediaRoot, String(s.accountId)));
    expect(accountMedia.length, 'the scheduled post left media files').to.be.greaterThan(0);

    const { res, zip } = await download(s.agent);
    expect(res.headers['content-disposition']).to.be.oneOf([`attachment; filename="qanat-all-${today(s.t)}.zip"`, `attachment; filename=qanat-all-${today(s.t)}.zip`]);

    const readme = zip.json('README.json') as Row;
    expect(readme['by']).to.equal(owner.username);
    expect(readme['scope']).to.equal('everything');
    expect(readme['exportedAt']).to.equal(new Date(s.t.clock.now()).toISOString());
    expect(readme['files']).to.deep.equal(EXPORTED_TABLES.map((table) => `data/${table}.json`));

    // The counts are taken after the download: the export's own audit entry is in audit_log.json.
    for (const table of EXPORTED_TABLES) {
      const rows = zip.rows(`data/${table}.json`);
      expect(rows.length, `data/${table}.json rows`).to.equal(rowCount(s.t, table));
    }
    expect(zip.rows('data/insight_days.json').some((r) => r['metric'] === '_checked'), "insight_days has no '_checked' markers").to.equal(false);

    // Tables exported as stored are exactly the database's rows.
    const special = new Set(['users', 'accounts', 'comments', 'conversations', 'messages', 'insight_days', 'post_media']);
    for (const table of EXPORTED_TABLES.filter((name) => !special.has(name))) {
      expect(normalised(zip.rows(`data/${table}.json`)), `data/${table}.json equals the table`).to.deep.equal(normalised(dbRows(s.t, `SELECT * FROM "${table}"`)));
    }
    expect(normalised(zip.rows('data/insight_days.json'))).to.deep.equal(normalised(dbRows(s.t, "SELECT * FROM insight_days WHERE metric != '_checked'")));
    expect(normalised(zip.rows('data/users.json'))).to.deep.equal(normalised(dbRows(s.t, 'SELECT * FROM users').map((r) => without(r, ...USER_COLUMNS_LEFT_OUT))));
    expect(normalised(zip.rows('data/accounts.json'))).to.deep.equal(normalised(dbRows(s.t, 'SELECT * FROM accounts').map((r) => without(r, 'token'))));
    // The public token of a post's media still opens /m/<token> while the post is unpublished: it stays on the server.
    expect(normalised(zip.rows('data/post_media.json'))).to.deep.equal(normalised(dbRows(s.t, 'SELECT * FROM post_media').map((r) => without(r, 'public_token'))));

    // Media: every file under data/media/<accountId>/, identical, and nothing else.
    const mediaEntries = zip.names.filter((name) => name.startsWith('media/')).sort();
    expect(mediaEntries).to.deep.equal(filesUnder(mediaRoot).map((file) => `media/${file}`));
    for (const file of accountMedia) {
      const original = fs.readFileSync(path.join(mediaRoot, String(s.accountId), file));
      expect(zip.bytes(`media/${s.accountId}/${file}`).equals(original), `media/${s.accountId}/${file} is byte-identical`).to.equal(true);
    }
    expect([...zip.names].sort()).to.deep.equal(['README.json', ...EXPORTED_TABLES.map((table) => `data/${table}.json`), ...mediaEntries].sort());
    expect(new Set(zip.names).size, 'no entry twice').to.equal(zip.names.length);
  });

  it('comments, commenters, DMs and conversation usernames are opened (the plain text sent), and no secret or machinery table is in the ZIP', async () => {
    const { zip } = await download(s.agent);

    const comments = zip.rows('data/comments.json');
    expect(comments.filter((c) => c['text'] === COMMENT_TEXT && c['username'] === COMMENT_USER), 'the webhook comment, opened').to.have.length(1);
    for (const c of comments) {
      expect(c['text'], `comment ${String(c['ig_comment_id'])} text`).to.be.a('string').and.not.match(/^v1:/);
      expect(c['username'], `comment ${String(c['ig_comment_id'])} username`).to.be.a('string').and.not.match(/^v1:/);
    }
    const messages = zip.rows('data/messages.json');
    expect(messages.filter((m) => m['text'] === DM_TEXT), 'the DM, opened').to.have.length(1);
    const conversations = zip.rows('data/conversations.json');
    const withDana = conversations.filter((c) => c['participant_username'] === DM_USER);
    expect(withDana, 'the conversation, its username opened').to.have.length(1);
    expect(messages.find((m) => m['text'] === DM_TEXT)?.['conversation_id']).to.equal(withDana[0]?.['id']);
    for (const c of conversations) expect(c['participant_username'] === null || !String(c['participant_username']).startsWith('v1:')).to.equal(true);

    // What must never leave: keys, hashes, tokens, session data, sealed values.
    const sealedPrefix = `v1:${s.t.cipher.currentKeyId}:`;
    const account = s.t.services.accounts.repo.findById(s.accountId);
    if (!account) throw new Error('no account');
    const plainToken = s.t.cipher.open(account.token, { table: 'accounts', column: 'token', row: account.igUserId });
    const hashes = dbRows(s.t, 'SELECT password_hash FROM users').map((r) => String(r['password_hash']));
    const sidHashes = dbRows(s.t, 'SELECT sid_hash FROM sessions').map((r) => String(r['sid_hash']));
    expect(sidHashes.length, 'there are sessions to leak').to.be.greaterThan(0);
    for (const entry of zip.names.filter((name) => name.endsWith('.json'))) {
      const text = zip.text(entry);
      const keys = keysIn(JSON.parse(text) as unknown);
      for (const key of SECRET_KEYS) expect(keys.has(key), `${entry} has no "${key}" field`).to.equal(false);
      for (const marker of ['password_hash', 'totp_secret', '$argon2', sealedPrefix, plainToken, account.token, ...hashes, ...sidHashes]) {
        expect(text.includes(marker), `${entry} does not contain ${marker.slice(0, 24)}…`).to.equal(false);
      }
    }
    for (const table of NOT_EXPORTED_TABLES) {
      expect(zip.names.filter((name) => path.posix.basename(name).replace(/\.json$/, '') === table), `no ${table} file`).to.deep.equal([]);
    }
  });

  it('every table of the database is either exported or listed as never exported, and both lists name real tables', () => {
    const tables = tablesOf(s.t);
    const listed = new Set<string>([...EXPORTED_TABLES, ...NOT_EXPORTED_TABLES]);
    expect(tables.filter((table) => !listed.has(table)), 'tables neither exported nor excluded').to.deep.equal([]);
    expect([...listed].filter((table) => !tables.includes(table)), 'listed names that are not tables').to.deep.equal([]);
    expect(EXPORTED_TABLES.filter((table) => (NOT_EXPORTED_TABLES as readonly string[]).includes(table)), 'in both lists').to.deep.equal([]);
  });

  it('an editor gets only their own data: data/me.json without the password hash, their audit entries and their posts; no other user, no account, no media', async () => {
    const { res, zip } = await download(editorAgent);
    const filename = `qanat-${editor.username}-${today(s.t)}.zip`;
    expect(res.headers['content-disposition']).to.be.oneOf([`attachment; filename="${filename}"`, `attachment; filename=${filename}`]);
    expect([...zip.names].sort()).to.deep.equal(['README.json', 'data/audit_log.json', 'data/me.json', 'data/posts.json']);
    const readme = zip.json('README.json') as Row;
    expect(readme['scope']).to.equal('own');
    expect(readme['by']).to.equal(editor.username);

    const me = zip.rows('data/me.json');
    expect(normalised(me)).to.deep.equal(normalised(dbRows(s.t, 'SELECT * FROM users WHERE id = ?', editor.id).map((r) => without(r, ...USER_COLUMNS_LEFT_OUT))));
    expect(me[0]?.['username']).to.equal(editor.username);
    expect(me[0]?.['role']).to.equal('editor');

    const audit = zip.rows('data/audit_log.json');
    expect(audit.length).to.be.greaterThan(0);
    expect(audit.every((r) => r['user_id'] === editor.id), 'only audit entries of the editor').to.equal(true);
    expect(audit.length).to.equal(countOf(s.t, 'SELECT count(*) AS n FROM audit_log WHERE user_id = ?', editor.id));
    expect(audit.some((r) => r['kind'] === 'data.exported'), 'this export itself').to.equal(true);

    const posts = zip.rows('data/posts.json');
    expect(posts.map((p) => p['id'])).to.deep.equal([editorPostId]);
    expect(posts[0]?.['caption']).to.equal(EDITOR_CAPTION);
    expect(normalised(posts)).to.deep.equal(normalised(dbRows(s.t, 'SELECT * FROM posts WHERE created_by = ?', editor.id)));

    const everything = zip.names.filter((name) => name.endsWith('.json')).map((name) => zip.text(name)).join('\n');
    expect(everything.includes(`"${owner.username}"`), "the owner's name appears nowhere").to.equal(false);
    expect(everything.includes(OWNER_CAPTION), "the owner's post is not there").to.equal(false);
    expect(everything.includes(COMMENT_TEXT) || everything.includes(DM_TEXT), 'no inbox data').to.equal(false);
    for (const key of SECRET_KEYS) expect(keysIn(JSON.parse(`[${zip.text('data/me.json')}]`) as unknown).has(key)).to.equal(false);
  });

  it('the page (GET) changes nothing; each download writes one data.exported audit entry with its scope; a POST without or with a wrong CSRF token is refused with 403', async () => {
    const countsBefore = countsOf(s.t);
    const auditBefore = lastAuditId(s.t);
    const mediaBefore = filesUnder(path.join(s.t.dir, 'media'));
    const ownerPage = await s.agent.get('/settings/export');
    const editorPage = await editorAgent.get('/settings/export');
    expect(ownerPage.status).to.equal(200);
    expect(editorPage.status).to.equal(200);
    expect(countsOf(s.t), 'row counts after GET').to.deep.equal(countsBefore);
    expect(lastAuditId(s.t), 'no audit entry for the page').to.equal(auditBefore);
    expect(filesUnder(path.join(s.t.dir, 'media'))).to.deep.equal(mediaBefore);

    const form = $(ownerPage.text)('form[action="/settings/export"]');
    expect(form.attr('method')).to.equal('post');
    expect(form.find('input[name="_csrf"]').attr('value')).to.be.a('string').and.not.equal('');
    expect(squash($(ownerPage.text)('main').text() || ownerPage.text)).to.include('As the owner you get everything');
    expect(squash($(editorPage.text)('main').text() || editorPage.text)).to.include('You get your own data');

    // Without and with a wrong token: 403, no ZIP, nothing audited as exported.
    const missing = await postExport(s.agent, false);
    expect(missing.status).to.equal(403);
    expect(String(missing.headers['content-type'])).to.not.match(/zip/);
    const wrong = await postExport(s.agent, 'not-the-token');
    expect(wrong.status).to.equal(403);
    const foreign = await postExport(s.agent, csrfFrom(editorPage.text));
    expect(foreign.status, "the editor's token in the owner's session").to.equal(403);
    expect(auditSince(s.t, auditBefore, 'data.exported'), 'no data.exported after refused POSTs').to.deep.equal([]);

    const start = lastAuditId(s.t);
    await download(s.agent);
    const ownerLines = auditSince(s.t, start, 'data.exported');
    expect(ownerLines).to.have.length(1);
    expect(ownerLines[0]).to.include({ user_id: owner.id, actor: owner.username });
    expect(ownerLines[0]?.detail).to.deep.equal({ scope: 'everything' });
    expect(ownerLines[0]?.source_ip).to.be.a('string').and.not.equal('');

    const next = lastAuditId(s.t);
    await download(editorAgent);
    const editorLines = auditSince(s.t, next, 'data.exported');
    expect(editorLines).to.have.length(1);
    expect(editorLines[0]).to.include({ user_id: editor.id, actor: editor.username });
    expect(editorLines[0]?.detail).to.deep.equal({ scope: 'own' });
  });
});

describe('privacy: a large export streams with flat memory', function () {
  this.timeout(120_000);
  const FILES = 40;
  const FILE_BYTES = 5 * MB;
  const AUDIT_ROWS = 50_000;
  let live: LiveApp;
  let agent: Agent;
  let owner: UserRow;
  let accountId: number;
  let outDir: string;

  before(async () => {
    live = await startLiveApp();
    owner = await createUser(live.t, { role: 'owner' });
    agent = await signInLive(live, owner.username);
    accountId = createAccount(live.t).id;
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'qanat-export-'));

    // ~200 MB of random (incompressible) media, written 1 MB at a time so the test itself stays small.
    const dir = path.join(live.t.dir, 'media', String(accountId));
    fs.mkdirSync(dir, { recursive: true });
    const chunk = Buffer.alloc(MB);
    for (let i = 0; i < FILES; i += 1) {
      const fd = fs.openSync(path.join(dir, `file-${String(i).padStart(2, '0')}.bin`), 'w');
      for (let written = 0; written < FILE_BYTES; written += MB) fs.writeSync(fd, crypto.randomFillSync(chunk));
      fs.closeSync(fd);
    }
    // 50,000 audit entries with random detail, so audit_log.json is large and hardly compresses.
    const insert = live.t.db.sqlite.prepare('INSERT INTO audit_log (at, user_id, actor, kind, detail, source_ip) VALUES (?, ?, ?, ?, ?, ?)');
    live.t.db.sqlite.transaction(() => {
      for (let i = 0; i < AUDIT_ROWS; i += 1) insert.run(live.t.clock.now() - i * 1000, owner.id, owner.username, 'test.bulk', JSON.stringify({ n: i, note: crypto.randomBytes(48).toString('base64') }), '198.51.100.7');
    })();
  });
  after(async () => {
    await live?.close();
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('a > 200 MB export grows the resident memory by far less than its size, and the ZIP holds every file and row', async () => {
    const csrf = await exportPageCsrf(agent);
    const file = path.join(outDir, 'export.zip');
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, process.memoryUsage().rss);
    }, 50);
    let res: Response;
    try {
      res = await agent
        .post('/settings/export')
        .type('form')
        .send({ _csrf: csrf })
        .maxResponseSize(1024 * MB)
        .buffer(true)
        .parse((res: Response, done: (error: Error | null, body: number) => void) => {
          // Straight to disk: the test holds no more of the ZIP than the app does.
          const incoming = res as unknown as IncomingMessage;
          const out = fs.createWriteStream(file);
          let size = 0;
          incoming.on('data', (c: Buffer) => {
            size += c.length;
            if (!out.write(c)) {
              incoming.pause();
              out.once('drain', () => incoming.resume());
            }
          });
          incoming.on('end', () => out.end(() => done(null, size)));
          incoming.on('error', (error: Error) => done(error, size));
        });
    } finally {
      clearInterval(sampler);
    }
    peak = Math.max(peak, process.memoryUsage().rss);
    const growth = peak - before;

    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/zip\b/);
    const size = fs.statSync(file).size;
    expect(res.body as unknown).to.equal(size);
    expect(size, 'ZIP size').to.be.greaterThan(200 * MB);
    expect(growth, `rss grew by ${(growth / MB).toFixed(1)} MB for a ${(size / MB).toFixed(1)} MB ZIP`).to.be.lessThan(120 * MB);

    // The ZIP is whole: every media file (sizes, CRCs; two compared byte for byte) and every audit row.
    const fd = fs.openSync(file, 'r');
    try {
      const read = fileReader(fd);
      const entries = centralDirectory(read, size);
      const media = entries.filter((e) => e.name.startsWith(`media/${accountId}/`));
      expect(media.map((e) => e.name).sort()).to.deep.equal(filesUnder(path.join(live.t.dir, 'media', String(accountId))).map((f) => `media/${accountId}/${f}`));
      for (const entry of media) expect(entry.size, entry.name).to.equal(FILE_BYTES);
      for (const entry of [media[0], media[media.length - 1]]) {
        if (!entry) throw new Error('no media entry');
        const original = fs.readFileSync(path.join(live.t.dir, 'media', entry.name.slice('media/'.length)));
        expect(entryData(read, entry).equals(original), `${entry.name} byte-identical`).to.equal(true);
      }
      const auditEntry = entries.find((e) => e.name === 'data/audit_log.json');
      if (!auditEntry) throw new Error('no data/audit_log.json');
      const rows = JSON.parse(entryData(read, auditEntry).toString('utf8')) as Row[];
      expect(rows.length).to.equal(countOf(live.t, 'SELECT count(*) AS n FROM audit_log'));
      expect(rows.length).to.be.greaterThan(AUDIT_ROWS);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('while a slow download is in the middle of audit_log.json, the app can still write (sign-ins, audit entries)', async () => {
    // The export's rows come from an open better-sqlite3 iterator; a client that reads slowly holds
    // it open. Here the "client" stops reading once the ZIP is inside data/audit_log.json.
    const actor = { id: owner.id, username: owner.username, role: 'owner' as const };
    const { stream } = live.t.services.exports.zip(actor, { ip: '127.0.0.1' });
    const marker = Buffer.from('data/audit_log.json');
    let seen = Buffer.alloc(0);
    let after = -1;
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer): void => {
        seen = Buffer.concat([seen.subarray(Math.max(0, seen.length - marker.length)), chunk]);
        if (after < 0 && seen.includes(marker)) after = 0;
        else if (after >= 0) after += chunk.length;
        if (after >= 256 * 1024) {
          stream.removeListener('data', onData);
          stream.pause();
          resolve();
        }
      };
      stream.on('data', onData);
      stream.on('error', reject);
      stream.on('end', () => reject(new Error('the ZIP ended before 256 KB of audit_log.json')));
    });
    // Meanwhile: an audit entry, a person signing in (session and audit rows), a page view.
    const outcomes: Record<string, string> = {};
    try {
      try {
        live.t.services.audit.record({ kind: 'auth.signout', userId: owner.id, actor: owner.username, sourceIp: null, detail: {} });
        outcomes['audit entry'] = 'ok';
      } catch (error) {
        outcomes['audit entry'] = String(error);
      }
      const other = request.agent(live.url);
      const form = await other.get('/login');
      const signIn = form.status === 200 ? await other.post('/login').type('form').send({ _csrf: csrfFrom(form.text), username: owner.username, password: PASSWORD }) : form;
      outcomes['sign-in'] = signIn.status === 303 ? 'ok' : `${signIn.status}: ${squash(signIn.text).slice(0, 200)}`;
      const queue = await agent.get('/queue');
      outcomes['page view'] = queue.status === 200 ? 'ok' : `${queue.status}: ${squash(queue.text).slice(0, 200)}`;
    } finally {
      // Let the export finish so its iterator closes.
      await new Promise<void>((resolve) => {
        stream.on('end', resolve);
        stream.resume();
      });
    }
    expect(outcomes).to.deep.equal({ 'audit entry': 'ok', 'sign-in': 'ok', 'page view': 'ok' });
  });
});
