// Encrypted backups and restore, in process. One seeded instance (posts with media files, a
// comment and a DM through the simulator, connected accounts with sealed tokens, a user with
// two-factor sign-in, audit rows) is backed up once; the backup is restored into fresh data
// folders and compared with the source row by row and byte by byte, then tampered with, opened
// with the wrong keys and restored where it must be refused. Smaller apps cover pruning, the
// scheduled job, and a backup taken while the instance is being written to.
import fs from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import zlib from 'node:zlib';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import * as OTPAuth from 'otpauth';
import tar from 'tar-stream';
import { ManualClock } from '../../../src/clock.js';
import { loadConfig, type Config } from '../../../src/config.js';
import { generateKeyText, keyIdOf, parseKey } from '../../../src/db/crypto.js';
import { SEALED_COLUMNS } from '../../../src/db/sealed-columns.js';
import { unpackBackup } from '../../../src/features/system/backup-check.js';
import { BackupError, HEADER_BYTES, openBackupStream } from '../../../src/features/system/backup-crypto.js';
import { restoreBackup } from '../../../src/features/system/backup-restore.js';
import { BackupService, verifyBackup } from '../../../src/features/system/backup.service.js';
import { InstanceMarker } from '../../../src/features/system/instance.js';
import type { Simulator } from '../../../src/sandbox/simulator.js';
import { findJob } from '../../../src/jobs/registry.js';
import { runJob } from '../../../src/jobs/scheduler.js';
import { createLogger } from '../../../src/log.js';
import { createTestApp, FAST_ARGON2, LogCapture, tempDir, type TestApp } from '../../support/app.js';
import { createAccount, createUser } from '../../support/factories.js';
import { signIn } from '../../support/http.js';
import { schedulePost, stage, type Stage } from '../../support/publishing.js';
import { filesUnder } from '../../support/files.js';

type Row = Record<string, unknown>;
type Snapshot = Record<string, string[]>;

const DAY = 86_400_000;
const COMMENT_TEXT = 'Есть ли доставка в Шымкент? 📦';
const DM_TEXT = 'Is the blue scarf still in stock? 🧣';
const CHANGED = /changed|damaged|not a Qanat backup/i;

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;

function tableNames(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as { name: string }[]).map((r) => r.name);
}

/** Every row of every table as JSON with sorted keys, sorted: equal snapshots mean identical rows. */
function snapshotOf(db: Database.Database): Snapshot {
  const out: Snapshot = {};
  for (const table of tableNames(db)) {
    const rows = db.prepare(`SELECT * FROM ${quote(table)}`).all() as Row[];
    out[table] = rows.map((row) => JSON.stringify(Object.fromEntries(Object.entries(row).sort(([a], [b]) => a.localeCompare(b))))).sort();
  }
  return out;
}

function snapshotOfFile(file: string): Snapshot {
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    return snapshotOf(db);
  } finally {
    db.close();
  }
}

/** Media as a backup carries it: uploads in progress (.incoming) are not part of it. */
function mediaFiles(dataDir: string): Map<string, Buffer> {
  const root = path.join(dataDir, 'media');
  const files = filesUnder(root).filter((file) => !file.split('/').some((segment) => segment.startsWith('.')));
  return new Map(files.map((file) => [file, fs.readFileSync(path.join(root, file))]));
}

function expectSameMedia(actual: Map<string, Buffer>, expected: Map<string, Buffer>): void {
  expect([...actual.keys()].sort(), 'media paths').to.deep.equal([...expected.keys()].sort());
  for (const [file, bytes] of expected) expect(actual.get(file)?.equals(bytes), `media/${file} byte for byte`).to.equal(true);
}

/** Every file and folder under dir with its bytes (folders as null): "left exactly as it was". */
function treeOf(dir: string): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const rel = path.relative(dir, path.join(entry.parentPath, entry.name));
    out[rel] = entry.isFile() ? fs.readFileSync(path.join(dir, rel)).toString('base64') : null;
  }
  return out;
}

function configFor(dataDir: string, keys: { data?: string; backup?: string }, extra: Record<string, string> = {}): Config {
  return loadConfig({
    NODE_ENV: 'test',
    DATA_DIR: dataDir,
    ...FAST_ARGON2,
    ...(keys.data ? { QANAT_DATA_KEY: keys.data } : {}),
    ...(keys.backup ? { QANAT_BACKUP_KEY: keys.backup } : {}),
    ...extra,
  });
}

const quietLog = () => createLogger({ level: 'info', destination: new LogCapture() });

/** The message of the BackupError a promise rejects with (fails the test for anything else). */
async function backupErrorOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error, String(error)).to.be.instanceOf(BackupError);
    return (error as Error).message;
  }
  expect.fail('expected a BackupError, but it succeeded');
}

/** The decrypted, gunzipped contents of a backup: the tar stream. */
async function plainTar(file: string, key: Buffer): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of openBackupStream(file, key).pipe(zlib.createGunzip())) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function tarEntryNames(archive: Buffer): Promise<string[]> {
  const extract = tar.extract();
  const names: string[] = [];
  const reading = (async () => {
    for await (const entry of extract) {
      names.push(entry.header.name);
      entry.resume();
    }
  })();
  Readable.from([archive]).pipe(extract as unknown as NodeJS.WritableStream);
  await reading;
  return names;
}

/** The ways a key could leak into bytes: its text, the raw 32 bytes, base64, base64url, hex. */
function keyForms(text: string): { form: string; bytes: Buffer }[] {
  const raw = parseKey(text);
  return [
    { form: 'key text', bytes: Buffer.from(text, 'utf8') },
    { form: 'raw bytes', bytes: raw },
    { form: 'base64', bytes: Buffer.from(raw.toString('base64'), 'utf8') },
    { form: 'base64url', bytes: Buffer.from(raw.toString('base64url'), 'utf8') },
    { form: 'hex', bytes: Buffer.from(raw.toString('hex'), 'utf8') },
    { form: 'HEX', bytes: Buffer.from(raw.toString('hex').toUpperCase(), 'utf8') },
  ];
}

function expectedNameAt(now: number): string {
  const iso = new Date(now).toISOString();
  return `qanat-${iso.slice(0, 10)}T${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z.backup`;
}

function simOf(s: Stage): Simulator {
  const sim = s.t.simulator;
  if (!sim) throw new Error('the app runs without its simulator');
  return sim;
}

describe('system: encrypted backups and restore of a seeded instance', function () {
  this.timeout(120_000);
  const DATA_KEY = generateKeyText();
  const BACKUP_KEY = generateKeyText();
  const keys = { data: DATA_KEY, backup: BACKUP_KEY };
  let s: Stage;
  let backupFile: string;
  let snapshot: Snapshot;
  let sourceMedia: Map<string, Buffer>;
  let plainToken: string;
  let totpUserId: number;
  let totpSecret: string;
  const scratch: string[] = [];

  const freshDir = (): string => {
    const dir = tempDir('qanat-restore-');
    scratch.push(dir);
    return dir;
  };

  before(async () => {
    s = await stage({ QANAT_DATA_KEY: DATA_KEY, QANAT_BACKUP_KEY: BACKUP_KEY, INSIGHTS_BACKFILL_DAYS: '5' });
    const sim = simOf(s);
    await schedulePost(s, { caption: 'Autumn collection' });
    await schedulePost(s, { caption: 'Winter scarves', inMinutes: 10 });
    const comment = await sim.people.comment({ text: COMMENT_TEXT, username: 'dana.shop_kz' });
    const dm = await sim.people.message({ text: DM_TEXT, username: 'aruzhan.k' });
    expect([comment.webhook, dm.webhook]).to.deep.equal(['sent', 'sent']);
    await s.t.services.webhooks.idle();
    expect((await s.t.services.inboxSync.syncAll()).failed).to.equal(0);
    await s.t.services.insights.collectAll({ daily: true, audience: true });

    // A second account, its token sealed for its row, and an editor with two-factor sign-in on.
    createAccount(s.t, { username: 'second_shop' });
    const editor = await createUser(s.t, { username: 'dana_editor', role: 'editor' });
    const actor = { id: editor.id, username: editor.username, role: editor.role };
    const setup = await s.t.services.totp.begin(actor);
    const code = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(setup.secret), digits: 6, period: 30 }).generate({ timestamp: s.t.clock.now() });
    expect(s.t.services.totp.enable(actor, setup.secret, code, { ip: '198.51.100.7' })).to.have.length(10);
    totpUserId = editor.id;
    totpSecret = setup.secret;
    const account = s.t.services.accounts.repo.findById(s.accountId);
    if (!account) throw new Error('no account');
    plainToken = s.t.services.accounts.tokenOf(account);

    // Things that live in the data folder but must never be in a backup.
    fs.writeFileSync(path.join(s.t.dir, 'qanat.key'), `${DATA_KEY}\n`);
    fs.writeFileSync(path.join(s.t.dir, 'backup.key'), `${BACKUP_KEY}\n`);
    fs.writeFileSync(path.join(s.t.dir, 'session.secret'), 'a-session-secret-that-must-stay-home-0123456789\n');
    fs.mkdirSync(path.join(s.t.dir, 'logs'), { recursive: true });
    fs.writeFileSync(path.join(s.t.dir, 'logs', 'qanat-2026-01-15.log'), '{"msg":"a log line"}\n');

    // Every kind of data is there, so a part of the restore that drops one would show.
    const counts = Object.fromEntries(Object.entries(snapshotOf(s.t.db.sqlite)).map(([table, rows]) => [table, rows.length]));
    for (const table of ['users', 'accounts', 'posts', 'post_media', 'comments', 'conversations', 'messages', 'audit_log', 'sessions', 'recovery_codes', 'webhook_events', 'insight_days']) {
      expect(counts[table], `rows in ${table}`).to.be.greaterThan(0);
    }
    sourceMedia = mediaFiles(s.t.dir);
    expect(sourceMedia.size, 'the posts left media files').to.be.greaterThan(1);

    snapshot = snapshotOf(s.t.db.sqlite);
    const expectedName = expectedNameAt(s.t.clock.now());
    const made = await s.t.services.backups.create('test');
    expect(made.name).to.equal(expectedName);
    backupFile = path.join(s.t.config.backup.dir, made.name);
  });

  after(async () => {
    await s?.live.close();
    for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('create writes BACKUP_DIR/qanat-<date>T<hhmmss>Z.backup; restored into a new data folder it has every row of every table and every media file byte for byte, and the instance boots and opens its encrypted values', async () => {
    expect(path.dirname(backupFile)).to.equal(path.join(s.t.dir, 'backups'));
    expect(path.basename(backupFile)).to.match(/^qanat-\d{4}-\d{2}-\d{2}T\d{6}Z\.backup$/);
    expect(fs.statSync(backupFile).size).to.be.greaterThan(HEADER_BYTES + 16);
    expect(fs.readdirSync(path.dirname(backupFile)).filter((name) => name.includes('.partial') || name.startsWith('.copy-')), 'no leftovers').to.deep.equal([]);

    const target = freshDir();
    const result = await restoreBackup({ config: configFor(target, keys), file: backupFile, backupKey: parseKey(BACKUP_KEY), force: false, clock: new ManualClock(), log: quietLog() });
    expect(result.replaced).to.equal(false);
    expect(result.manifest.dataKeyId).to.equal(keyIdOf(parseKey(DATA_KEY)));

    const restored = snapshotOfFile(path.join(target, 'qanat.db'));
    const restoredEntries = (restored['audit_log'] ?? []).filter((row) => (JSON.parse(row) as Row)['kind'] === 'backup.restored');
    expect(restoredEntries, "the restore's own audit entry").to.have.length(1);
    expect(JSON.parse(restoredEntries[0] ?? '{}')).to.include({ kind: 'backup.restored', actor: 'cli' });
    restored['audit_log'] = (restored['audit_log'] ?? []).filter((row) => !restoredEntries.includes(row));
    expect(Object.keys(restored)).to.deep.equal(Object.keys(snapshot));
    for (const table of Object.keys(snapshot)) expect(restored[table], `rows of ${table}`).to.deep.equal(snapshot[table]);

    expectSameMedia(mediaFiles(target), sourceMedia);
    expect(fs.readdirSync(target).filter((name) => name.startsWith('.restore-')), 'no temporary folder left').to.deep.equal([]);

    // The restored instance boots with the same data key and opens every encrypted value.
    const t2 = createTestApp({ QANAT_DATA_KEY: DATA_KEY, QANAT_BACKUP_KEY: BACKUP_KEY }, target);
    try {
      const account = t2.services.accounts.repo.findById(s.accountId);
      if (!account) throw new Error('the account is not in the restored database');
      expect(t2.services.accounts.tokenOf(account)).to.equal(plainToken);
      const user = t2.db.sqlite.prepare('SELECT totp_secret FROM users WHERE id = ?').get(totpUserId) as { totp_secret: string };
      expect(t2.cipher.open(user.totp_secret, { table: 'users', column: 'totp_secret', row: String(totpUserId) })).to.equal(totpSecret);
      let opened = 0;
      const plain: string[] = [];
      for (const sealed of SEALED_COLUMNS) {
        const rows = t2.db.sqlite.prepare(`SELECT ${quote(sealed.column)} AS value, ${sealed.rowKey ?? 'NULL'} AS rowKey FROM ${quote(sealed.table)} WHERE substr(${quote(sealed.column)}, 1, 3) = 'v1:'`).all() as { value: string; rowKey: string | null }[];
        for (const row of rows) {
          plain.push(t2.cipher.open(row.value, { table: sealed.table, column: sealed.column, ...(row.rowKey === null ? {} : { row: row.rowKey }) }));
          opened += 1;
        }
      }
      expect(opened, 'sealed values opened').to.be.greaterThan(10);
      expect(plain).to.include(COMMENT_TEXT).and.to.include(DM_TEXT);
    } finally {
      t2.db.close();
    }
  });

  it('a backup with one byte changed (in the middle, in the header) or with its end cut off is refused by verify and restore as changed or damaged, and the target folder is left exactly as it was', async () => {
    const original = fs.readFileSync(backupFile);
    // Larger than one read of the file (64 KiB), so the decryption does not reach its end before unpacking starts.
    expect(original.length).to.be.greaterThan(64 * 1024);
    const flip = (at: number): Buffer => {
      const copy = Buffer.from(original);
      copy[at] = (copy[at] ?? 0) ^ 0x01;
      return copy;
    };
    const cases: { name: string; bytes: Buffer }[] = [
      { name: 'a byte in the middle', bytes: flip(Math.floor(original.length / 2)) },
      { name: 'a byte of the magic in the header', bytes: flip(2) },
      { name: 'a byte of the nonce in the header', bytes: flip(HEADER_BYTES - 1) },
      { name: 'the first byte after the header', bytes: flip(HEADER_BYTES) },
      { name: 'a byte of the authentication tag', bytes: flip(original.length - 1) },
      { name: 'the last 10 bytes cut off', bytes: original.subarray(0, original.length - 10) },
    ];
    const work = freshDir();
    const target = freshDir();
    // An existing instance in the target: its database must keep its bytes.
    fs.writeFileSync(path.join(target, 'qanat.db'), fs.readFileSync(path.join(s.t.dir, 'qanat.db')));
    const before = treeOf(target);
    const failures: string[] = [];
    for (const { name, bytes } of cases) {
      const file = path.join(work, `${name.replace(/\W+/g, '-')}.backup`);
      fs.writeFileSync(file, bytes);
      const verified = await backupErrorOf(verifyBackup(file, parseKey(BACKUP_KEY), work));
      const restored = await backupErrorOf(restoreBackup({ config: configFor(target, keys), file, backupKey: parseKey(BACKUP_KEY), force: true, clock: new ManualClock(), log: quietLog() }));
      if (!CHANGED.test(verified)) failures.push(`${name}, verify said: ${verified}`);
      if (!CHANGED.test(restored)) failures.push(`${name}, restore said: ${restored}`);
      expect(treeOf(target), `${name}: the target folder is untouched`).to.deep.equal(before);
      expect(fs.readdirSync(work).filter((n) => n.startsWith('.verify-')), `${name}: no .verify- folder left`).to.deep.equal([]);
    }
    expect(fs.existsSync(path.join(target, 'media')), 'no media folder appeared').to.equal(false);
    expect(fs.readdirSync(target).filter((n) => n.startsWith('.restore-')), 'no .restore- folder left').to.deep.equal([]);
    expect(failures, 'messages that do not say the backup was changed or damaged').to.deep.equal([]);
  });

  it('neither the data key nor the backup key is in the backup file, in any encoding; inside there is only qanat.db, media/... and manifest.json (no keys, secrets, logs or older backups)', async () => {
    const fileBytes = fs.readFileSync(backupFile);
    const inside = await plainTar(backupFile, parseKey(BACKUP_KEY));
    for (const [which, text] of [
      ['data key', DATA_KEY],
      ['backup key', BACKUP_KEY],
    ] as const) {
      for (const { form, bytes } of keyForms(text)) {
        expect(fileBytes.includes(bytes), `the ${which} as ${form} in the backup file`).to.equal(false);
        expect(inside.includes(bytes), `the ${which} as ${form} in the decrypted contents`).to.equal(false);
      }
    }
    const names = await tarEntryNames(inside);
    expect(names[0]).to.equal('qanat.db');
    expect(names[names.length - 1]).to.equal('manifest.json');
    const media = names.slice(1, -1);
    expect(media.every((name) => name.startsWith('media/')), names.join(', ')).to.equal(true);
    expect(media.map((name) => name.slice('media/'.length)).sort()).to.deep.equal([...sourceMedia.keys()].sort());
    for (const name of names) expect(name).to.not.match(/qanat\.key|backup\.key|session\.secret|logs\/|backups\/|\.backup$/);
  });

  it('a backup made with another backup key is refused naming both key ids, by verify and restore', async () => {
    const otherKey = parseKey(generateKeyText());
    const other = new BackupService(s.t.db, s.t.config, s.t.cipher, () => otherKey, s.t.clock, s.t.services.audit, s.t.log);
    const made = await other.create('test');
    const file = path.join(other.dir, made.name);
    try {
      const configured = parseKey(BACKUP_KEY);
      const target = freshDir();
      const restored = await backupErrorOf(restoreBackup({ config: configFor(target, keys), file, backupKey: configured, force: false, clock: new ManualClock(), log: quietLog() }));
      expect(restored).to.contain(`encrypted with backup key ${keyIdOf(otherKey)}`).and.to.contain(`configured backup key is ${keyIdOf(configured)}`);
      const verified = await backupErrorOf(verifyBackup(file, configured, freshDir()));
      expect(verified).to.contain(keyIdOf(otherKey)).and.to.contain(keyIdOf(configured));
      expect(fs.existsSync(path.join(target, 'qanat.db'))).to.equal(false);
      // And the right key opens it.
      expect((await verifyBackup(file, otherKey, freshDir())).dataKeyId).to.equal(s.t.cipher.currentKeyId);
    } finally {
      fs.rmSync(file, { force: true });
    }
  });

  it('restore refuses while a server marker is fresh, even with --force', async () => {
    const target = freshDir();
    const marker = new InstanceMarker(target);
    marker.start('test-host');
    try {
      const message = await backupErrorOf(restoreBackup({ config: configFor(target, keys), file: backupFile, backupKey: parseKey(BACKUP_KEY), force: true, clock: new ManualClock(), log: quietLog() }));
      expect(message).to.contain('A Qanat server is running').and.to.contain('test-host').and.to.contain('Stop it first');
    } finally {
      marker.stop();
    }
    expect(fs.readdirSync(target)).to.deep.equal([]);
  });

  it('restore over an existing database needs --force; with it, rows and media are replaced by the backup (a file only the target had is gone)', async () => {
    const target = freshDir();
    const other = createTestApp({ QANAT_DATA_KEY: DATA_KEY }, target);
    await createUser(other, { username: 'only_in_target' });
    other.db.close();
    const stray = path.join(target, 'media', '999', 'only-here.jpg');
    fs.mkdirSync(path.dirname(stray), { recursive: true });
    fs.writeFileSync(stray, 'not in the backup');
    const before = treeOf(target);

    const refused = await backupErrorOf(restoreBackup({ config: configFor(target, keys), file: backupFile, backupKey: parseKey(BACKUP_KEY), force: false, clock: new ManualClock(), log: quietLog() }));
    expect(refused).to.contain('--force');
    expect(treeOf(target), 'nothing changed without --force').to.deep.equal(before);

    const result = await restoreBackup({ config: configFor(target, keys), file: backupFile, backupKey: parseKey(BACKUP_KEY), force: true, clock: new ManualClock(), log: quietLog() });
    expect(result.replaced).to.equal(true);
    const restored = snapshotOfFile(path.join(target, 'qanat.db'));
    restored['audit_log'] = (restored['audit_log'] ?? []).filter((row) => (JSON.parse(row) as Row)['kind'] !== 'backup.restored');
    for (const table of Object.keys(snapshot)) expect(restored[table], `rows of ${table}`).to.deep.equal(snapshot[table]);
    expect(fs.existsSync(stray), 'the media file only the target had').to.equal(false);
    expectSameMedia(mediaFiles(target), sourceMedia);
    expect(fs.readdirSync(target).filter((n) => n.startsWith('.restore-'))).to.deep.equal([]);
  });

  it('restore refuses when the target has another data key, or none, naming the key ids and QANAT_DATA_KEY', async () => {
    const sourceId = keyIdOf(parseKey(DATA_KEY));
    const otherKey = generateKeyText();
    const wrongTarget = freshDir();
    const wrong = await backupErrorOf(restoreBackup({ config: configFor(wrongTarget, { data: otherKey, backup: BACKUP_KEY }), file: backupFile, backupKey: parseKey(BACKUP_KEY), force: false, clock: new ManualClock(), log: quietLog() }));
    expect(wrong).to.contain(`data key ${sourceId}`).and.to.contain(`configured data key is ${keyIdOf(parseKey(otherKey))}`);
    expect(fs.readdirSync(wrongTarget), 'nothing written').to.deep.equal([]);

    const keylessTarget = freshDir();
    const keyless = await backupErrorOf(restoreBackup({ config: configFor(keylessTarget, { backup: BACKUP_KEY }), file: backupFile, backupKey: parseKey(BACKUP_KEY), force: false, clock: new ManualClock(), log: quietLog() }));
    expect(keyless).to.contain('Set QANAT_DATA_KEY').and.to.contain(sourceId);
    expect(fs.readdirSync(keylessTarget), 'nothing written').to.deep.equal([]);
  });

  it("the 'backup' job writes a backup, prunes, returns its counts and leaves a backup.created audit entry", async () => {
    const before = new Set(s.t.services.backups.list().map((b) => b.name));
    const ctx = { config: s.t.config, db: s.t.db, cipher: s.t.cipher, clock: s.t.clock, log: s.t.log, services: s.t.services };
    const counts = await runJob(findJob('backup')!, ctx);
    const made = s.t.services.backups.list().filter((b) => !before.has(b.name));
    expect(made, 'one new backup').to.have.length(1);
    const file = path.join(s.t.config.backup.dir, made[0]?.name ?? '');
    const rows = Object.values(snapshotOf(s.t.db.sqlite)).reduce((sum, r) => sum + r.length, 0);
    expect(counts['bytes']).to.equal(fs.statSync(file).size);
    expect(counts['files']).to.equal(sourceMedia.size + 1);
    expect(counts['pruned']).to.equal(0);
    // The backup's own audit entry is written after the copy, so the copy has one row fewer.
    expect(counts['rows']).to.equal(rows - 1);
    const audit = s.t.db.sqlite.prepare("SELECT actor, detail FROM audit_log WHERE kind = 'backup.created' ORDER BY id DESC LIMIT 1").get() as { actor: string; detail: string } | undefined;
    expect(audit?.actor).to.equal('job:backup');
    expect(JSON.parse(audit?.detail ?? '{}')).to.deep.equal({ name: made[0]?.name, bytes: counts['bytes'], files: counts['files'] });
    const manifest = await verifyBackup(file, parseKey(BACKUP_KEY), freshDir());
    expect(Object.values(manifest.tables).reduce((a, b) => a + b, 0)).to.equal(counts['rows']);
  });
});

describe('system: pruning backups, and a backup taken while the instance is written to', function () {
  this.timeout(60_000);
  const BACKUP_KEY = generateKeyText();
  let t: TestApp;
  afterEach(() => t?.close());

  it('with BACKUP_KEEP=3, after five daily backups list() has the newest three, prune() removed two, and leftover .partial files are gone', async () => {
    t = createTestApp({ QANAT_BACKUP_KEY: BACKUP_KEY, BACKUP_KEEP: '3' });
    await createUser(t, { username: 'owner' });
    const names: string[] = [];
    for (let i = 0; i < 5; i += 1) {
      if (i > 0) t.clock.advance(DAY);
      names.push((await t.services.backups.create('test')).name);
    }
    expect(new Set(names).size).to.equal(5);
    const partial = path.join(t.services.backups.dir, `${expectedNameAt(t.clock.now() + DAY)}.partial`);
    fs.writeFileSync(partial, 'an interrupted run');
    expect(t.services.backups.list().map((b) => b.name)).to.deep.equal([...names].reverse());

    expect(t.services.backups.prune()).to.equal(2);
    const kept = t.services.backups.list();
    expect(kept.map((b) => b.name)).to.deep.equal(names.slice(2).reverse());
    expect(kept.every((b) => b.readable && b.keyId === keyIdOf(parseKey(BACKUP_KEY)))).to.equal(true);
    expect(fs.existsSync(partial), 'the .partial file').to.equal(false);
    expect(fs.readdirSync(t.services.backups.dir).sort()).to.deep.equal(names.slice(2).sort());
  });

  it('a backup started while rows are inserted and a person signs in still verifies: the copy is consistent', async () => {
    t = createTestApp({ QANAT_BACKUP_KEY: BACKUP_KEY });
    const owner = await createUser(t, { username: 'owner' });
    // Enough data that the online backup copies it in many steps.
    const insert = t.db.sqlite.prepare('INSERT INTO audit_log (at, user_id, actor, kind, detail, source_ip) VALUES (?, ?, ?, ?, ?, ?)');
    t.db.sqlite.transaction(() => {
      for (let i = 0; i < 30_000; i += 1) insert.run(t.clock.now() - i, owner.id, owner.username, 'test.bulk', JSON.stringify({ n: i, note: 'x'.repeat(200) }), '198.51.100.7');
    })();
    const count = (): number => (t.db.sqlite.prepare('SELECT count(*) AS n FROM audit_log').get() as { n: number }).n;
    const rowsBefore = count();

    let backupDone = false;
    const creating = t.services.backups.create('test').finally(() => {
      backupDone = true;
    });
    let writesDuringBackup = 0;
    const writing = (async () => {
      for (let i = 0; i < 200 && !backupDone; i += 1) {
        t.db.sqlite.transaction(() => {
          for (let j = 0; j < 20; j += 1) insert.run(t.clock.now(), owner.id, owner.username, 'test.concurrent', JSON.stringify({ i, j }), null);
          t.db.sqlite.prepare('UPDATE audit_log SET detail = ? WHERE id = ?').run(JSON.stringify({ changed: i }), i + 1);
        })();
        writesDuringBackup += 1;
        await new Promise((resolve) => setImmediate(resolve));
      }
    })();
    const signingIn = signIn(t, 'owner');
    const [made, , signedIn] = await Promise.all([creating, writing, signingIn]);
    expect(signedIn.res.status, 'the sign-in during the backup').to.equal(303);
    expect(writesDuringBackup, 'writes happened while the backup ran').to.be.greaterThan(0);

    const file = path.join(t.services.backups.dir, made.name);
    const work = tempDir('qanat-verify-');
    try {
      const manifest = await verifyBackup(file, parseKey(BACKUP_KEY), work);
      const copied = manifest.tables['audit_log'] ?? 0;
      expect(copied).to.be.at.least(rowsBefore);
      expect(copied).to.be.at.most(count());
      // Inside the copy: each write transaction is there whole or not at all.
      await unpackBackup(file, parseKey(BACKUP_KEY), work);
      const copy = new Database(path.join(work, 'qanat.db'), { readonly: true });
      try {
        const inserted = copy.prepare("SELECT json_extract(detail, '$.i') AS i, count(*) AS n FROM audit_log WHERE kind = 'test.concurrent' GROUP BY 1 ORDER BY 1").all() as { i: number; n: number }[];
        expect(inserted.every((r) => r.n === 20), 'every transaction with all 20 rows').to.equal(true);
        expect(inserted.map((r) => r.i), 'a prefix of the transactions').to.deep.equal(inserted.map((_, k) => k));
        const updated = copy.prepare("SELECT id FROM audit_log WHERE json_extract(detail, '$.changed') IS NOT NULL ORDER BY id").all() as { id: number }[];
        expect(updated.map((r) => r.id - 1), 'the updates of exactly those transactions').to.deep.equal(inserted.map((r) => r.i));
      } finally {
        copy.close();
      }
    } finally {
      fs.rmSync(work, { recursive: true, force: true });
    }
  });
});
