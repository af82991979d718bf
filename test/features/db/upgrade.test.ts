// Upgrades: a database created by the first schema (0000_init), holding data, migrates to the
// current schema when the app starts; nothing it held is lost or changed, its people can sign in,
// and the result is the same schema a fresh install gets. Migrations only go forward: a database
// written by a newer Qanat is refused by start-up, `db migrate` and `config check` alike.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import argon2 from 'argon2';
import type Database from 'better-sqlite3';
import { expect } from 'chai';
import request from 'supertest';
import { boot } from '../../../src/boot.js';
import { openDatabase, runMigrations } from '../../../src/db/client.js';
import { Cipher, generateKeyText, parseKey } from '../../../src/db/crypto.js';
import { knownMigrations } from '../../../src/db/migration-level.js';
import { hashSid } from '../../../src/features/auth/sessions.repo.js';
import { migrationsDir } from '../../../src/paths.js';
import { KEY_CHECK, sealKeyCheck, StartupError } from '../../../src/secrets.js';
import { createTestApp, FAST_ARGON2, tempDir, type TestApp } from '../../support/app.js';
import { PASSWORD } from '../../support/factories.js';
import { csrfFrom } from '../../support/http.js';
import { baseEnv, runCli } from '../../support/process.js';

type Row = Record<string, unknown>;

interface JournalEntry {
  idx: number;
  version: string;
  when: number;
  tag: string;
  breakpoints: boolean;
}

const journal = JSON.parse(fs.readFileSync(path.join(migrationsDir, 'meta', '_journal.json'), 'utf8')) as { version: string; dialect: string; entries: JournalEntry[] };
const FIRST = journal.entries[0] as JournalEntry;

/** A migrations folder as the first release shipped it: 0000 only. */
function firstReleaseMigrations(into: string): string {
  const folder = path.join(into, 'migrations-0000');
  fs.mkdirSync(path.join(folder, 'meta'), { recursive: true });
  const sqlFiles = fs.readdirSync(migrationsDir).filter((name) => /^0000_.*\.sql$/.test(name));
  expect(sqlFiles, 'exactly one 0000 migration').to.deep.equal([`${FIRST.tag}.sql`]);
  fs.copyFileSync(path.join(migrationsDir, `${FIRST.tag}.sql`), path.join(folder, `${FIRST.tag}.sql`));
  fs.copyFileSync(path.join(migrationsDir, 'meta', '0000_snapshot.json'), path.join(folder, 'meta', '0000_snapshot.json'));
  fs.writeFileSync(path.join(folder, 'meta', '_journal.json'), JSON.stringify({ ...journal, entries: [FIRST] }, null, 2));
  return folder;
}

function tableNames(db: Database.Database): string[] {
  return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
}

/** Everything about the schema that matters: objects and their SQL, columns, indexes, foreign keys. */
function schemaOf(db: Database.Database): Row {
  const master = db.prepare("SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all();
  const tables: Row = {};
  for (const table of tableNames(db)) {
    const indexes = (db.prepare(`PRAGMA index_list("${table}")`).all() as Array<{ name: string; unique: number; origin: string; partial: number }>).map((index) => ({
      ...index,
      columns: db.prepare(`PRAGMA index_info("${index.name}")`).all(),
    }));
    tables[table] = {
      columns: db.prepare(`PRAGMA table_info("${table}")`).all(),
      indexes: indexes.sort((a, b) => a.name.localeCompare(b.name)),
      foreignKeys: db.prepare(`PRAGMA foreign_key_list("${table}")`).all(),
    };
  }
  return { master, tables };
}

function rowsOf(db: Database.Database, table: string, orderBy: string): Row[] {
  return db.prepare(`SELECT * FROM "${table}" ORDER BY ${orderBy}`).all() as Row[];
}

const DAY = 86_400_000;

describe('database upgrades', function () {
  this.timeout(60_000);

  describe('a database created by the first schema (0000_init), with data, migrates to the current schema', () => {
    let dir: string;
    let keyText: string;
    let oldCipher: Cipher;
    /** What the 0000 database held, table by table, as inserted. */
    let seeded: Record<string, Row[]>;
    let sid: string;
    let t: TestApp | undefined;

    // The app's default clock (ManualClock) is 2026-01-15 12:00 UTC; the old data is from before.
    const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
    const ORDER: Record<string, string> = { users: 'id', settings: 'key', sessions: 'sid_hash', audit_log: 'id', login_throttle: 'key' };

    beforeEach(async () => {
      dir = tempDir('qanat-upgrade-');
      // The first release had a data key too (generated into data/qanat.key).
      keyText = generateKeyText();
      fs.writeFileSync(path.join(dir, 'qanat.key'), `${keyText}\n`, { mode: 0o600 });
      oldCipher = new Cipher(parseKey(keyText));

      const handle = openDatabase(path.join(dir, 'qanat.db'));
      runMigrations(handle, firstReleaseMigrations(dir));
      const db = handle.sqlite;
      expect(tableNames(db)).to.deep.equal(['__drizzle_migrations', 'audit_log', 'login_throttle', 'sessions', 'settings', 'users']);

      const hashOptions: argon2.HashOptions & { raw?: false } = { type: argon2.argon2id, memoryCost: Number(FAST_ARGON2.ARGON2_MEMORY_KIB), timeCost: Number(FAST_ARGON2.ARGON2_TIME_COST), parallelism: Number(FAST_ARGON2.ARGON2_PARALLELISM) };
      const ownerHash = await argon2.hash(PASSWORD, hashOptions);
      const editorHash = await argon2.hash('another long password for Dana', hashOptions);
      const created = NOW - 90 * DAY;
      const insertUser = db.prepare('INSERT INTO users (id, username, username_key, password_hash, role, language, totp_secret, password_changed_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)');
      insertUser.run(1, 'Aigerim', 'aigerim', ownerHash, 'owner', 'en', null, created, created);
      insertUser.run(2, 'Dana', 'dana', editorHash, 'editor', 'ru', null, created + DAY, created + DAY);
      insertUser.run(3, 'Ерлан', 'ерлан', editorHash, 'viewer', 'kk', null, created + 2 * DAY, created + 2 * DAY);

      const insertSetting = db.prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)');
      insertSetting.run(KEY_CHECK, sealKeyCheck(oldCipher), created);
      insertSetting.run('auth.require_totp', '0', created + 3 * DAY);

      // A session of Dana's from before the upgrade; its body is sealed for its row.
      sid = crypto.randomBytes(24).toString('base64url');
      const sidHash = hashSid(sid);
      const body = JSON.stringify({ cookie: { originalMaxAge: null, httpOnly: true, sameSite: 'lax', path: '/' }, userId: 2, authenticatedAt: NOW - 60_000, lastSeenAt: NOW - 60_000, csrfToken: 'old-csrf-token' });
      db.prepare('INSERT INTO sessions (sid_hash, user_id, data, expires_at, created_at) VALUES (?, ?, ?, ?, ?)').run(
        sidHash,
        2,
        oldCipher.seal(body, { table: 'sessions', column: 'data', row: sidHash }),
        NOW + 29 * 60_000,
        NOW - 60_000,
      );

      const insertAudit = db.prepare('INSERT INTO audit_log (at, user_id, actor, kind, detail, source_ip) VALUES (?, ?, ?, ?, ?, ?)');
      insertAudit.run(created, 1, 'cli', 'user.created', JSON.stringify({ username: 'Aigerim', role: 'owner' }), null);
      insertAudit.run(created + DAY, 2, 'Aigerim', 'user.created', JSON.stringify({ username: 'Dana', role: 'editor' }), '203.0.113.7');
      insertAudit.run(NOW - 2 * DAY, 1, 'Aigerim', 'auth.signin.success', '{}', '198.51.100.20');
      insertAudit.run(NOW - DAY, null, 'intruder', 'auth.signin.failure', JSON.stringify({ username: 'admin' }), '192.0.2.66');

      db.prepare('INSERT INTO login_throttle (key, failures, window_started_at, locked_until) VALUES (?, ?, ?, ?)').run('user:admin', 3, NOW - DAY, null);
      db.prepare('INSERT INTO login_throttle (key, failures, window_started_at, locked_until) VALUES (?, ?, ?, ?)').run('ip:192.0.2.66', 20, NOW - DAY, NOW + DAY);

      seeded = Object.fromEntries(Object.entries(ORDER).map(([table, order]) => [table, rowsOf(db, table, order)]));
      for (const [table, rows] of Object.entries(seeded)) expect(rows.length, `rows seeded into ${table}`).to.be.greaterThan(0);
      expect((db.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n).to.equal(1);
      handle.close();
    });

    afterEach(() => {
      t?.db.close();
      t = undefined;
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it('booting the app runs the later migrations: every later table exists and every earlier row is intact', () => {
      t = createTestApp({}, dir);
      const db = t.db.sqlite;

      const fresh = openDatabase(':memory:');
      runMigrations(fresh);
      const expectedTables = tableNames(fresh.sqlite);
      fresh.close();
      expect(expectedTables.length, 'the current schema has more tables than 0000').to.be.greaterThan(6);
      expect(tableNames(db)).to.deep.equal(expectedTables);
      for (const table of ['accounts', 'posts', 'post_media', 'comments', 'conversations', 'messages', 'webhook_events', 'recovery_codes']) {
        expect(expectedTables, `${table} is in the current schema`).to.include(table);
      }
      const applied = (db.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n;
      expect(applied).to.equal(journal.entries.length);

      // Every row is still there with the same values; the columns added later are empty.
      for (const [table, rows] of Object.entries(seeded)) {
        const now = rowsOf(db, table, ORDER[table] as string);
        expect(now.length, `${table} row count`).to.equal(rows.length);
        now.forEach((row, i) => {
          const before = rows[i] as Row;
          for (const [column, value] of Object.entries(before)) expect(row[column], `${table}.${column} of row ${i}`).to.deep.equal(value);
        });
      }
      const added = db.prepare('SELECT id, time_zone, policy_seen, totp_last_step FROM users ORDER BY id').all();
      expect(added).to.deep.equal([1, 2, 3].map((id) => ({ id, time_zone: null, policy_seen: null, totp_last_step: null })));

      // The key the first release generated still opens its data: no new key was made.
      expect(fs.readFileSync(path.join(dir, 'qanat.key'), 'utf8').trim()).to.equal(keyText);
      expect(t.cipher.currentKeyId).to.equal(oldCipher.currentKeyId);
      const session = db.prepare('SELECT sid_hash, data FROM sessions').get() as { sid_hash: string; data: string };
      expect(JSON.parse(t.cipher.open(session.data, { table: 'sessions', column: 'data', row: session.sid_hash })) as Row).to.include({ userId: 2, csrfToken: 'old-csrf-token' });
    });

    it('a person from the first release signs in through the form with their old password', async () => {
      t = createTestApp({}, dir);
      const agent = request.agent(t.app);
      const form = await agent.get('/login');
      expect(form.status).to.equal(200);
      const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(form.text), username: 'aigerim', password: PASSWORD });
      expect(res.status, res.text.slice(0, 500)).to.equal(303);
      expect(res.headers['location']).to.not.match(/\/login/);

      const home = await agent.get('/');
      expect(home.status, 'signed in, not sent back to /login').to.equal(200);
      expect(home.text).to.contain('Aigerim');
      const sessions = t.db.sqlite.prepare('SELECT user_id FROM sessions WHERE user_id = 1').all();
      expect(sessions, 'a session of the old owner').to.have.length(1);
      const login = t.db.sqlite.prepare("SELECT user_id, kind FROM audit_log WHERE kind = 'auth.signin.success' AND at = ?").all(t.clock.now());
      expect(login).to.deep.equal([{ user_id: 1, kind: 'auth.signin.success' }]);

      // A wrong password is still refused: the hash was checked, not ignored.
      const other = request.agent(t.app);
      const form2 = await other.get('/login');
      const wrong = await other.post('/login').type('form').send({ _csrf: csrfFrom(form2.text), username: 'Dana', password: PASSWORD });
      expect(wrong.status).to.equal(401);
    });

    it('the upgraded database has exactly the schema of a fresh install (tables, columns, indexes, foreign keys, applied migrations)', () => {
      t = createTestApp({}, dir);
      const upgraded = schemaOf(t.db.sqlite);
      const appliedUpgraded = t.db.sqlite.prepare('SELECT hash, created_at FROM __drizzle_migrations ORDER BY created_at').all();
      const freshDir = tempDir('qanat-fresh-');
      try {
        const fresh = openDatabase(path.join(freshDir, 'qanat.db'));
        runMigrations(fresh);
        const expected = schemaOf(fresh.sqlite);
        const appliedFresh = fresh.sqlite.prepare('SELECT hash, created_at FROM __drizzle_migrations ORDER BY created_at').all();
        fresh.close();
        expect(Object.keys(upgraded['tables'] as Row)).to.deep.equal(Object.keys(expected['tables'] as Row));
        for (const table of Object.keys(expected['tables'] as Row)) {
          expect((upgraded['tables'] as Row)[table], `schema of ${table}`).to.deep.equal((expected['tables'] as Row)[table]);
        }
        expect(upgraded['master']).to.deep.equal(expected['master']);
        expect(appliedUpgraded).to.deep.equal(appliedFresh);
      } finally {
        fs.rmSync(freshDir, { recursive: true, force: true });
      }
    });

    it('`db migrate` upgrades it too, says how far, and a second run has nothing to do', () => {
      const env = baseEnv(dir);
      const first = runCli(['db', 'migrate'], env);
      expect(first.status, first.stderr).to.equal(0);
      expect(first.stdout).to.contain(`Applied ${journal.entries.length - 1} migrations; the schema is at ${knownMigrations().lastTag}.`);
      const second = runCli(['db', 'migrate'], env);
      expect(second.status, second.stderr).to.equal(0);
      expect(second.stdout).to.contain(`Already up to date (${knownMigrations().lastTag}).`);
      const handle = openDatabase(path.join(dir, 'qanat.db'));
      try {
        expect(rowsOf(handle.sqlite, 'users', 'id')).to.have.length(3);
        expect((handle.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n).to.equal(journal.entries.length);
      } finally {
        handle.close();
      }
    });
  });

  describe('forward only: a database written by a newer version is refused', () => {
    let dir: string;
    const known = knownMigrations();
    const future = known.lastAt + 40 * DAY;
    const futureDay = new Date(future).toISOString().slice(0, 10);
    const countMigrations = (): number => {
      const handle = openDatabase(path.join(dir, 'qanat.db'));
      try {
        return (handle.sqlite.prepare('SELECT count(*) AS n FROM __drizzle_migrations').get() as { n: number }).n;
      } finally {
        handle.close();
      }
    };

    beforeEach(() => {
      // A current database with a user in it, then a migration from a later release recorded.
      const t = createTestApp();
      dir = t.dir;
      t.db.sqlite.prepare("INSERT INTO __drizzle_migrations (hash, created_at) VALUES ('f00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeedf00dfeed', ?)").run(future);
      t.db.close();
      expect(countMigrations()).to.equal(known.count + 1);
    });
    afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

    it('start-up (boot) throws StartupError: written by a newer version, and changes nothing', () => {
      let caught: unknown;
      try {
        const booted = boot({ logToFile: false }, { NODE_ENV: 'test', DATA_DIR: dir, LOG_LEVEL: 'silent', ...FAST_ARGON2 });
        booted.db.close();
      } catch (error) {
        caught = error;
      }
      expect(caught).to.be.instanceOf(StartupError);
      const message = (caught as StartupError).message;
      expect(message).to.contain('written by a newer version of Qanat');
      expect(message).to.contain(futureDay);
      expect(message).to.contain(known.lastTag);
      expect(countMigrations()).to.equal(known.count + 1);
    });

    it('`db migrate` exits 1 with that message and applies nothing', () => {
      const result = runCli(['db', 'migrate'], baseEnv(dir));
      expect(result.status).to.equal(1);
      expect(result.stderr).to.contain('written by a newer version of Qanat');
      expect(result.stderr).to.contain(known.lastTag);
      expect(result.stdout).to.not.contain('Applied');
      expect(countMigrations()).to.equal(known.count + 1);
    });

    it('`config check` reports it as a problem and exits 1', () => {
      const result = runCli(['config', 'check'], baseEnv(dir));
      expect(result.status).to.equal(1);
      expect(result.stderr).to.match(/problem: This database was written by a newer version of Qanat/);
      expect(result.stdout).to.match(/[1-9]\d* problems?/);
    });

    it('any other command refuses to start with the same message', () => {
      const result = runCli(['user', 'create', 'zhanna'], baseEnv(dir));
      expect(result.status).to.equal(1);
      expect(result.stderr).to.contain('qanat: This database was written by a newer version of Qanat');
      const handle = openDatabase(path.join(dir, 'qanat.db'));
      try {
        expect(handle.sqlite.prepare("SELECT 1 FROM users WHERE username = 'zhanna'").get()).to.equal(undefined);
      } finally {
        handle.close();
      }
    });
  });
});
