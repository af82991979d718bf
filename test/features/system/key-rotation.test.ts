// Data key rotation (`key rotate`): every encrypted value, in every column of SEALED_COLUMNS, is
// opened with the current key and sealed again with the new one in one transaction; afterwards no
// value under the old key id is left anywhere in the database and the app runs on the new key (a
// person signed in before is still signed in, the inbox reads, the account token opens) while the
// old key is refused. A value that cannot be opened, or a sealed value in a column rotation does
// not know, stops it with nothing changed. The CLI writes the new key safely, refuses under a
// running server, and a rotation interrupted before the key file was renamed finishes at start-up.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type Database from 'better-sqlite3';
import { expect } from 'chai';
import * as OTPAuth from 'otpauth';
import request from 'supertest';
import { ManualClock } from '../../../src/clock.js';
import { loadConfig } from '../../../src/config.js';
import { openDatabase, type DbHandle } from '../../../src/db/client.js';
import { Cipher, generateKeyText, keyIdOf, parseKey, type ColumnRef } from '../../../src/db/crypto.js';
import { SEALED_COLUMNS, type SealedColumn } from '../../../src/db/sealed-columns.js';
import { InstanceMarker } from '../../../src/features/system/instance.js';
import { countSealedWith, RotationError, rotateDataKey } from '../../../src/features/system/key-rotation.js';
import { createLogger } from '../../../src/log.js';
import { KEY_CHECK, KEY_FILE, loadCipher, NEW_KEY_FILE, StartupError } from '../../../src/secrets.js';
import { connectAccount } from '../../support/accounts.js';
import { createTestApp, LogCapture, tempDir, type TestApp } from '../../support/app.js';
import type { LiveApp } from '../../support/browser.js';
import { createAccount, createUser, PASSWORD } from '../../support/factories.js';
import { $, csrfFrom, sessionCookie } from '../../support/http.js';
import { baseEnv, freePort, runCli } from '../../support/process.js';

const COMMENT_TEXT = 'Есть ли доставка в Шымкент? "скидка" & 50% 📦';
const COMMENT_USER = 'dana.shop_kz';
const DM_TEXT = 'Is the blue scarf still in stock? Сколько стоит? 🧣';
const DM_USER = 'aruzhan.k';
const WEBHOOK_EVENT_ID = 'rotation-test-event-1';
const WEBHOOK_PAYLOAD = JSON.stringify({ time: 1768478400, value: { id: '17900000000000001', text: 'pending webhook comment' } });

const quote = (name: string): string => `"${name.replace(/"/g, '""')}"`;
const columnName = (c: SealedColumn): string => `${c.table}.${c.column}`;

interface SealedValue {
  column: string;
  rowid: number;
  value: string;
  ref: ColumnRef;
}

/** Every sealed value (v1:…) in every SEALED_COLUMNS column, with the ColumnRef its row key gives. */
function sealedValues(db: Database.Database): SealedValue[] {
  const out: SealedValue[] = [];
  for (const sealed of SEALED_COLUMNS) {
    const rows = db
      .prepare(`SELECT rowid AS rowid, ${quote(sealed.column)} AS value, ${sealed.rowKey ?? 'NULL'} AS rowKey FROM ${quote(sealed.table)} WHERE ${quote(sealed.column)} LIKE 'v1:%' ORDER BY rowid`)
      .all() as Array<{ rowid: number; value: string; rowKey: string | number | null }>;
    for (const row of rows) {
      out.push({
        column: columnName(sealed),
        rowid: row.rowid,
        value: row.value,
        ref: { table: sealed.table, column: sealed.column, ...(row.rowKey === null ? {} : { row: String(row.rowKey) }) },
      });
    }
  }
  return out;
}

function countsPerColumn(values: SealedValue[]): Record<string, number> {
  const counts: Record<string, number> = Object.fromEntries(SEALED_COLUMNS.map((c) => [columnName(c), 0]));
  for (const v of values) counts[v.column] = (counts[v.column] ?? 0) + 1;
  return counts;
}

const keyIdOfValue = (value: string): string => value.split(':')[1] ?? '';

/** Every row of every table, as JSON: the "nothing changed" comparison. */
function fullDump(db: Database.Database): string {
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
  return JSON.stringify(Object.fromEntries(tables.map((table) => [table, db.prepare(`SELECT rowid AS __rowid, * FROM ${quote(table)} ORDER BY rowid`).all()])));
}

/** Every value of any text column of any table that starts with v1:<keyId>: (found independently of the code under test). */
function valuesUnderKey(db: Database.Database, keyId: string): string[] {
  const found: string[] = [];
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as Array<{ name: string }>).map((r) => r.name);
  for (const table of tables) {
    for (const column of db.prepare(`PRAGMA table_info(${quote(table)})`).all() as Array<{ name: string }>) {
      const rows = db.prepare(`SELECT rowid AS id, ${quote(column.name)} AS value FROM ${quote(table)}`).all() as Array<{ id: number; value: unknown }>;
      for (const row of rows) {
        if (typeof row.value === 'string' && row.value.includes(`v1:${keyId}:`)) found.push(`${table}.${column.name}#${row.id}`);
      }
    }
  }
  return found;
}

function copyDir(from: string): string {
  const to = tempDir('qanat-rotation-copy-');
  fs.cpSync(from, to, { recursive: true });
  return to;
}

function openIn(dir: string): DbHandle {
  return openDatabase(path.join(dir, 'qanat.db'));
}

function readKey(dir: string, file = KEY_FILE): string {
  return fs.readFileSync(path.join(dir, file), 'utf8').trim();
}

function cipherOf(keyText: string): Cipher {
  return new Cipher(parseKey(keyText));
}

/** loadCipher as start-up runs it, on a data folder, with or without QANAT_DATA_KEY. */
function startWith(dir: string, dataKey: string | undefined): { cipher?: Cipher; error?: unknown; logs: LogCapture } {
  const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: dir, ...(dataKey === undefined ? {} : { QANAT_DATA_KEY: dataKey }) });
  const logs = new LogCapture();
  const handle = openIn(dir);
  try {
    return { cipher: loadCipher(config, handle, createLogger({ level: 'debug', destination: logs }), Date.now()), logs };
  } catch (error) {
    return { error, logs };
  } finally {
    handle.close();
  }
}

function rotationErrorOf(run: () => unknown): RotationError {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'rotation throws').to.be.instanceOf(RotationError);
  return caught as RotationError;
}

/** The app on a real port over a kept data folder (the simulator is fetched over HTTP in sandbox mode). */
async function startLive(clock: ManualClock, dir?: string): Promise<{ live: LiveApp; stop: () => Promise<void> }> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = createTestApp({ PUBLIC_URL: url, PORT: String(port), TRUST_PROXY_HOPS: '0' }, dir, clock);
  const server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const stop = async (): Promise<void> => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    t.db.close();
  };
  return { live: { t, url, close: stop }, stop };
}

describe('data key rotation', function () {
  this.timeout(60_000);

  describe('a database with a value in every encrypted column', () => {
    const clock = new ManualClock();
    let seedDir: string;
    let url: string;
    let oldKeyText: string;
    let oldCipher: Cipher;
    let cookie: string;
    let accountId: number;
    let igUserId: string;
    let accountToken: string;
    let ownerId: number;
    let seededCount: number;
    let seededPerColumn: Record<string, number>;

    before(async function () {
      this.timeout(60_000);
      const { live, stop } = await startLive(clock);
      const t: TestApp = live.t;
      seedDir = t.dir;
      url = live.url;
      try {
        // sessions.data: the owner signs in through the form; the cookie is kept for after the rotation.
        const owner = await createUser(t, { username: 'aigerim' });
        ownerId = owner.id;
        const agent = request.agent(url);
        const form = await agent.get('/login');
        const signedIn = await agent.post('/login').type('form').send({ _csrf: csrfFrom(form.text), username: owner.username, password: PASSWORD });
        expect(signedIn.status, 'sign-in').to.equal(303);
        const sid = sessionCookie(signedIn);
        if (!sid) throw new Error('no session cookie after signing in');
        cookie = sid;

        // accounts.token: a simulator account connected through the real OAuth path.
        accountId = await connectAccount(live, agent);
        const account = t.services.accounts.repo.findById(accountId);
        if (!account) throw new Error('no account');
        igUserId = account.igUserId;
        accountToken = t.cipher.open(account.token, { table: 'accounts', column: 'token', row: igUserId });

        // comments.text/username, conversations.participant_username, messages.text: through webhooks.
        const sim = t.simulator;
        if (!sim) throw new Error('the app runs without its simulator');
        const comment = await sim.people.comment({ text: COMMENT_TEXT, username: COMMENT_USER });
        const dm = await sim.people.message({ text: DM_TEXT, username: DM_USER });
        expect([comment.webhook, dm.webhook]).to.deep.equal(['sent', 'sent']);
        await t.services.webhooks.idle();
        const synced = await t.services.inboxSync.syncAll();
        expect(synced.failed).to.equal(0);

        // users.totp_secret: an editor switches two-factor sign-in on through the service.
        const editor = await createUser(t, { username: 'dana_editor', role: 'editor' });
        const actor = { id: editor.id, username: editor.username, role: editor.role };
        const setup = await t.services.totp.begin(actor);
        const code = new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(setup.secret), digits: 6, period: 30 }).generate({ timestamp: clock.now() });
        t.services.totp.enable(actor, setup.secret, code, { ip: null });

        // webhook_events.payload: an event received but not processed yet (the server stopped first).
        t.db.sqlite
          .prepare('INSERT INTO webhook_events (id, received_at, ig_user_id, field, payload) VALUES (?, ?, ?, ?, ?)')
          .run(WEBHOOK_EVENT_ID, clock.now(), igUserId, 'comments', t.cipher.seal(WEBHOOK_PAYLOAD, { table: 'webhook_events', column: 'payload', row: WEBHOOK_EVENT_ID }));

        oldCipher = t.cipher;
      } finally {
        await stop();
      }
      oldKeyText = readKey(seedDir);
      expect(keyIdOf(parseKey(oldKeyText))).to.equal(oldCipher.currentKeyId);
      const handle = openIn(seedDir);
      try {
        const values = sealedValues(handle.sqlite);
        seededCount = values.length;
        seededPerColumn = countsPerColumn(values);
      } finally {
        handle.close();
      }
    });

    after(() => {
      if (seedDir) fs.rmSync(seedDir, { recursive: true, force: true });
    });

    it('before rotating, every column of SEALED_COLUMNS holds sealed values, all under the current key and opening with it', () => {
      const handle = openIn(seedDir);
      try {
        const db = handle.sqlite;
        for (const sealed of SEALED_COLUMNS) expect(seededPerColumn[columnName(sealed)], `sealed values in ${columnName(sealed)}`).to.be.greaterThan(0);
        const values = sealedValues(db);
        for (const v of values) {
          expect(keyIdOfValue(v.value), `${v.column}#${v.rowid} key id`).to.equal(oldCipher.currentKeyId);
          expect(() => oldCipher.open(v.value, v.ref), `${v.column}#${v.rowid} opens`).to.not.throw();
        }
        // The seeded plain values are what was sent.
        const plain = (column: string) => values.filter((v) => v.column === column).map((v) => oldCipher.open(v.value, v.ref));
        expect(plain('comments.text')).to.include(COMMENT_TEXT);
        expect(plain('comments.username')).to.include(COMMENT_USER);
        expect(plain('messages.text')).to.include(DM_TEXT);
        expect(plain('conversations.participant_username')).to.include(DM_USER);
        expect(plain('webhook_events.payload')).to.include(WEBHOOK_PAYLOAD);
        expect(plain('accounts.token')).to.deep.equal([accountToken]);
        expect(countSealedWith(db, oldCipher.currentKeyId).count).to.equal(seededCount);
      } finally {
        handle.close();
      }
    });

    it('a tampered comments.text value stops the rotation with RotationError naming comments.text, and nothing changes', () => {
      const dir = copyDir(seedDir);
      const handle = openIn(dir);
      try {
        const db = handle.sqlite;
        const target = db.prepare("SELECT rowid AS id, text FROM comments WHERE text LIKE 'v1:%' ORDER BY rowid LIMIT 1").get() as { id: number; text: string };
        const parts = target.text.split(':');
        const body = parts[3] as string;
        parts[3] = (body[0] === 'A' ? 'B' : 'A') + body.slice(1);
        db.prepare('UPDATE comments SET text = ? WHERE rowid = ?').run(parts.join(':'), target.id);
        const before = fullDump(db);

        const error = rotationErrorOf(() => rotateDataKey(db, oldCipher, cipherOf(generateKeyText())));
        expect(error.message).to.contain('comments.text');
        expect(error.message).to.contain('Nothing was rotated');

        expect(fullDump(db), 'every row as it was').to.equal(before);
        for (const v of sealedValues(db)) expect(keyIdOfValue(v.value), `${v.column}#${v.rowid}`).to.equal(oldCipher.currentKeyId);
        expect(countSealedWith(db, oldCipher.currentKeyId).count).to.equal(seededCount);
      } finally {
        handle.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    it('a sealed value in a column rotation does not know (posts.caption) stops it: values under the old key remain in posts.caption; nothing changes', () => {
      const dir = copyDir(seedDir);
      const handle = openIn(dir);
      try {
        const db = handle.sqlite;
        const at = clock.now();
        const sealedCaption = oldCipher.seal('x', { table: 'posts', column: 'caption' });
        db.prepare("INSERT INTO posts (account_id, type, state, caption, time_zone, created_at, updated_at) VALUES (?, 'feed', 'draft', ?, 'UTC', ?, ?)").run(accountId, sealedCaption, at, at);
        const before = fullDump(db);

        const error = rotationErrorOf(() => rotateDataKey(db, oldCipher, cipherOf(generateKeyText())));
        expect(error.message).to.match(/values under the old key remain in posts\.caption\b/);
        expect(error.message).to.contain('Nothing was rotated');

        expect(fullDump(db), 'every row as it was').to.equal(before);
        expect((db.prepare('SELECT caption FROM posts').get() as { caption: string }).caption).to.equal(sealedCaption);
        for (const v of sealedValues(db)) expect(keyIdOfValue(v.value), `${v.column}#${v.rowid}`).to.equal(oldCipher.currentKeyId);
      } finally {
        handle.close();
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });

    describe('after rotateDataKey(db, old, new)', () => {
      let dir: string;
      let newKeyText: string;
      let newCipher: Cipher;
      let plainBefore: Map<string, string>;
      let result: ReturnType<typeof rotateDataKey>;

      before(() => {
        dir = copyDir(seedDir);
        newKeyText = generateKeyText();
        newCipher = cipherOf(newKeyText);
        const handle = openIn(dir);
        try {
          plainBefore = new Map(sealedValues(handle.sqlite).map((v) => [`${v.column}#${v.rowid}`, oldCipher.open(v.value, v.ref)]));
          expect(plainBefore.size).to.equal(seededCount);
          result = rotateDataKey(handle.sqlite, oldCipher, newCipher);
        } finally {
          handle.close();
        }
      });
      after(() => fs.rmSync(dir, { recursive: true, force: true }));

      it('every sealed value in every column carries the new key id and opens with the new key, for its own row, to the same plain text', () => {
        const handle = openIn(dir);
        try {
          const values = sealedValues(handle.sqlite);
          expect(values.length).to.equal(seededCount);
          expect(countsPerColumn(values)).to.deep.equal(seededPerColumn);
          for (const v of values) {
            const where = `${v.column}#${v.rowid}`;
            expect(v.value.startsWith(`v1:${newCipher.currentKeyId}:`), `${where} is under the new key`).to.equal(true);
            expect(newCipher.open(v.value, v.ref), `${where} opens to its old plain text`).to.equal(plainBefore.get(where));
            expect(() => oldCipher.open(v.value, v.ref), `${where} no longer opens with the old key`).to.throw();
          }
        } finally {
          handle.close();
        }
      });

      it('no value under the old key id is left in any text column of any table, and the result counts what was seeded', () => {
        const handle = openIn(dir);
        try {
          expect(countSealedWith(handle.sqlite, oldCipher.currentKeyId).count).to.equal(0);
          expect(valuesUnderKey(handle.sqlite, oldCipher.currentKeyId)).to.deep.equal([]);
          expect(valuesUnderKey(handle.sqlite, newCipher.currentKeyId).length).to.equal(seededCount);
        } finally {
          handle.close();
        }
        expect(result.values).to.equal(seededCount);
        expect(result.perColumn).to.deep.equal(seededPerColumn);
        expect(result.fromKeyId).to.equal(oldCipher.currentKeyId);
        expect(result.toKeyId).to.equal(newCipher.currentKeyId);
        // Old page images left the write-ahead log too.
        const wal = path.join(dir, 'qanat.db-wal');
        expect(fs.existsSync(wal) ? fs.readFileSync(wal).includes(`v1:${oldCipher.currentKeyId}:`) : false, 'no old value in the WAL').to.equal(false);
      });

      it('the app restarted with QANAT_DATA_KEY=<new key> works: the person signed in before still is, the inbox shows the comment, the token opens', async () => {
        const t = createTestApp({ QANAT_DATA_KEY: newKeyText, PUBLIC_URL: url, TRUST_PROXY_HOPS: '0' }, dir, clock);
        try {
          expect(t.cipher.currentKeyId).to.equal(newCipher.currentKeyId);
          const home = await request(t.app).get('/').set('Cookie', cookie);
          expect(home.status, 'still signed in (not sent to /login)').to.equal(200);
          expect(home.text).to.contain('aigerim');

          const inbox = await request(t.app).get('/inbox/comments').set('Cookie', cookie);
          expect(inbox.status, inbox.text.slice(0, 500)).to.equal(200);
          expect($(inbox.text)('body').text()).to.contain(COMMENT_TEXT);
          expect($(inbox.text)('body').text()).to.contain(COMMENT_USER);

          const account = t.services.accounts.repo.findById(accountId);
          if (!account) throw new Error('no account');
          expect(t.cipher.open(account.token, { table: 'accounts', column: 'token', row: igUserId })).to.equal(accountToken);

          // The sessions row is still the owner's.
          const sessions = t.db.sqlite.prepare('SELECT user_id FROM sessions WHERE user_id = ?').all(ownerId);
          expect(sessions.length).to.be.greaterThan(0);
        } finally {
          t.db.close();
        }
      });

      it('the old key no longer starts the app: StartupError naming the key id the data is under', () => {
        // Given as QANAT_DATA_KEY…
        const given = startWith(dir, oldKeyText);
        expect(given.error).to.be.instanceOf(StartupError);
        expect((given.error as StartupError).message).to.contain(`key id ${newCipher.currentKeyId}`);
        expect((given.error as StartupError).message).to.contain('does not match');
        // …or still in data/qanat.key (this copy's file was not replaced, and there is no qanat.key.new).
        expect(readKey(dir)).to.equal(oldKeyText);
        const fromFile = startWith(dir, undefined);
        expect(fromFile.error).to.be.instanceOf(StartupError);
        expect((fromFile.error as StartupError).message).to.contain(`key id ${newCipher.currentKeyId}`);
        // And the new key does start it.
        const fresh = startWith(dir, newKeyText);
        expect(fresh.error).to.equal(undefined);
        expect(fresh.cipher?.currentKeyId).to.equal(newCipher.currentKeyId);
      });
    });
  });

  describe('`key rotate` on the command line', function () {
    this.timeout(60_000);
    let dir: string;
    beforeEach(() => {
      dir = tempDir('qanat-key-rotate-');
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    const keyCheckId = (): string => {
      const handle = openIn(dir);
      try {
        const row = handle.sqlite.prepare('SELECT value FROM settings WHERE key = ?').get(KEY_CHECK) as { value: string };
        return keyIdOfValue(row.value);
      } finally {
        handle.close();
      }
    };

    it('with the generated data/qanat.key: exit 0, qanat.key holds a new key, no qanat.key.new, and the app starts with it', () => {
      const env = baseEnv(dir);
      const created = runCli(['user', 'create', 'aigerim'], env);
      expect(created.status, created.stderr).to.equal(0);
      const oldKey = readKey(dir);
      const oldId = keyIdOf(parseKey(oldKey));
      expect(keyCheckId()).to.equal(oldId);

      const rotated = runCli(['key', 'rotate'], env);
      expect(rotated.status, rotated.stderr).to.equal(0);
      const newKey = readKey(dir);
      const newId = keyIdOf(parseKey(newKey));
      expect(newKey).to.not.equal(oldKey);
      expect(newId).to.not.equal(oldId);
      expect(fs.existsSync(path.join(dir, NEW_KEY_FILE))).to.equal(false);
      expect((fs.statSync(path.join(dir, KEY_FILE)).mode & 0o777).toString(8)).to.equal('600');
      expect(rotated.stdout).to.contain(`from key ${oldId} to key ${newId}`);
      expect(rotated.stdout).to.contain('now holds the new key');
      expect(rotated.stdout).to.not.contain(newKey);
      expect(keyCheckId()).to.equal(newId);

      const handle = openIn(dir);
      try {
        expect(countSealedWith(handle.sqlite, oldId).count).to.equal(0);
        const audit = handle.sqlite.prepare("SELECT actor, detail FROM audit_log WHERE kind = 'key.rotated'").all() as Array<{ actor: string; detail: string }>;
        expect(audit).to.have.length(1);
        expect(audit[0]?.actor).to.equal('cli');
        expect(JSON.parse(audit[0]?.detail ?? '{}')).to.include({ from: oldId, to: newId });
      } finally {
        handle.close();
      }

      const after = runCli(['user', 'create', 'zhanna'], env);
      expect(after.status, after.stderr).to.equal(0);
      expect(after.stdout).to.contain('Created owner "zhanna"');
      expect(readKey(dir)).to.equal(newKey);
    });

    it('with QANAT_DATA_KEY and --new-key-stdin: exit 0, says to set QANAT_DATA_KEY without printing the key; the new key works, the old one is refused', () => {
      const oldKey = generateKeyText();
      const newKey = generateKeyText();
      const oldEnv = baseEnv(dir, { QANAT_DATA_KEY: oldKey });
      const newEnv = baseEnv(dir, { QANAT_DATA_KEY: newKey });
      expect(runCli(['user', 'create', 'aigerim'], oldEnv).status).to.equal(0);

      const rotated = runCli(['key', 'rotate', '--new-key-stdin'], oldEnv, `${newKey}\n`);
      expect(rotated.status, rotated.stderr).to.equal(0);
      expect(rotated.stdout).to.contain('set QANAT_DATA_KEY');
      expect(rotated.stdout).to.not.contain(newKey);
      expect(rotated.stderr).to.not.contain(newKey);
      expect(rotated.stdout).to.contain(`to key ${keyIdOf(parseKey(newKey))}`);
      expect(fs.existsSync(path.join(dir, KEY_FILE)), 'no key file is written when the key comes from the environment').to.equal(false);
      expect(fs.existsSync(path.join(dir, NEW_KEY_FILE))).to.equal(false);
      expect(keyCheckId()).to.equal(keyIdOf(parseKey(newKey)));

      const withNew = runCli(['user', 'create', 'zhanna'], newEnv);
      expect(withNew.status, withNew.stderr).to.equal(0);
      const withOld = runCli(['user', 'create', 'yerlan'], oldEnv);
      expect(withOld.status).to.equal(1);
      expect(withOld.stderr).to.contain('does not match the key this database was encrypted with');
      expect(withOld.stderr).to.contain(`key id ${keyIdOf(parseKey(newKey))}`);
      expect(withOld.stderr).to.contain('key rotate');
    });

    it('refuses while a server marker is fresh: exit 1, "running", and the key is unchanged', () => {
      const env = baseEnv(dir);
      expect(runCli(['user', 'create', 'aigerim'], env).status).to.equal(0);
      const oldKey = readKey(dir);
      const marker = new InstanceMarker(dir);
      marker.start('qanat-test-host');
      try {
        const result = runCli(['key', 'rotate'], env);
        expect(result.status).to.equal(1);
        expect(result.stderr).to.contain('running');
        expect(result.stderr).to.contain('qanat-test-host');
        expect(result.stdout).to.not.contain('Re-encrypted');
      } finally {
        marker.stop();
      }
      expect(readKey(dir)).to.equal(oldKey);
      expect(fs.existsSync(path.join(dir, NEW_KEY_FILE))).to.equal(false);
      expect(keyCheckId()).to.equal(keyIdOf(parseKey(oldKey)));
    });
  });

  describe('a rotation interrupted after its commit, before qanat.key.new was renamed', () => {
    let dir: string;
    let oldKey: string;
    let newKey: string;
    let igUserId: string;
    let plainToken: string;

    beforeEach(async () => {
      const t = createTestApp();
      dir = t.dir;
      await createUser(t, { username: 'aigerim' });
      const account = createAccount(t);
      igUserId = account.igUserId;
      plainToken = t.cipher.open(account.token, { table: 'accounts', column: 'token', row: igUserId });
      t.db.close();

      oldKey = readKey(dir);
      newKey = generateKeyText();
      // What `key rotate` does, stopped (a crash) between the commit and the rename.
      fs.writeFileSync(path.join(dir, NEW_KEY_FILE), `${newKey}\n`, { mode: 0o600 });
      const handle = openIn(dir);
      try {
        const result = rotateDataKey(handle.sqlite, cipherOf(oldKey), cipherOf(newKey));
        expect(result.values).to.be.greaterThanOrEqual(2);
      } finally {
        handle.close();
      }
      expect(readKey(dir)).to.equal(oldKey);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('the next start (in-process, no QANAT_DATA_KEY) finishes it: qanat.key holds the new key, qanat.key.new is gone', () => {
      const t = createTestApp({}, dir);
      try {
        expect(t.cipher.currentKeyId).to.equal(keyIdOf(parseKey(newKey)));
        expect(readKey(dir)).to.equal(newKey);
        expect(fs.existsSync(path.join(dir, NEW_KEY_FILE))).to.equal(false);
        expect(t.logs.text).to.contain('finished a key rotation that was interrupted');
        const account = t.db.sqlite.prepare('SELECT token FROM accounts WHERE ig_user_id = ?').get(igUserId) as { token: string };
        expect(t.cipher.open(account.token, { table: 'accounts', column: 'token', row: igUserId })).to.equal(plainToken);
      } finally {
        t.db.close();
      }
    });

    it('the next CLI command (user create) finishes it too and succeeds', () => {
      const result = runCli(['user', 'create', 'zhanna'], baseEnv(dir));
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.contain('Created owner "zhanna"');
      expect(readKey(dir)).to.equal(newKey);
      expect(fs.existsSync(path.join(dir, NEW_KEY_FILE))).to.equal(false);
      // And it keeps working from the renamed file alone.
      const again = runCli(['user', 'create', 'yerlan'], baseEnv(dir));
      expect(again.status, again.stderr).to.equal(0);
    });
  });
});
