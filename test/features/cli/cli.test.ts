import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { tempDir } from '../../support/app.js';
import { baseEnv, runCli } from '../../support/process.js';
import { openDatabase } from '../../../src/db/client.js';

describe('command line', function () {
  this.timeout(60_000);
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  const query = <T>(sql: string, ...params: unknown[]): T => {
    const db = openDatabase(path.join(dir, 'qanat.db'));
    try {
      return db.sqlite.prepare(sql).get(...params) as T;
    } finally {
      db.close();
    }
  };

  it('user:create with --password-stdin creates the user with that password, hashed', () => {
    const result = runCli(['user:create', 'dana', '--role', 'editor', '--password-stdin'], baseEnv(dir), 'a password from stdin\n');
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.contain('Created editor "dana"');
    expect(result.stdout).not.to.contain('a password from stdin');
    const row = query<{ role: string; password_hash: string }>('SELECT role, password_hash FROM users WHERE username = ?', 'dana');
    expect(row.role).to.equal('editor');
    expect(row.password_hash).to.match(/^\$argon2id\$/);
  });

  it('user:create without a password prints a generated one once', () => {
    const result = runCli(['user:create', 'owner'], baseEnv(dir));
    expect(result.status, result.stderr).to.equal(0);
    expect(result.stdout).to.match(/Password \(shown once\): \S{20,}/);
  });

  it('user:create explains a bad password or username in words and exits 1', () => {
    const short = runCli(['user:create', 'dana', '--password-stdin'], baseEnv(dir), 'short');
    expect(short.status).to.equal(1);
    expect(short.stderr).to.contain('too short');
    const badName = runCli(['user:create', 'a b', '--password-stdin'], baseEnv(dir), 'long enough password');
    expect(badName.status).to.equal(1);
    expect(badName.stderr).to.contain('letters, digits');
    const badRole = runCli(['user:create', 'dana', '--role', 'admin'], baseEnv(dir));
    expect(badRole.status).to.equal(2);
  });

  it('user:reset-password sets the new password, ends sessions and lifts the sign-in lock', () => {
    expect(runCli(['user:create', 'owner', '--password-stdin'], baseEnv(dir), 'the first password').status).to.equal(0);
    const db = openDatabase(path.join(dir, 'qanat.db'));
    const before = db.sqlite.prepare('SELECT id, password_hash FROM users').get() as { id: number; password_hash: string };
    db.sqlite.prepare('INSERT INTO login_throttle (key, failures, window_started_at, locked_until) VALUES (?, 0, ?, ?)').run('user:owner', Date.now(), Date.now() + 3_600_000);
    db.sqlite.prepare('INSERT INTO sessions (sid_hash, user_id, data, expires_at, created_at) VALUES (?, ?, ?, ?, ?)').run('x', before.id, 'v1:x', Date.now() + 60_000, Date.now());
    db.close();
    const result = runCli(['user:reset-password', 'OWNER', '--password-stdin'], baseEnv(dir), 'the second password');
    expect(result.status, result.stderr).to.equal(0);
    expect(query<{ password_hash: string }>('SELECT password_hash FROM users').password_hash).not.to.equal(before.password_hash);
    expect(query<{ n: number }>('SELECT count(*) AS n FROM login_throttle').n).to.equal(0);
    expect(query<{ n: number }>('SELECT count(*) AS n FROM sessions').n).to.equal(0);
    expect(query<{ n: number }>("SELECT count(*) AS n FROM audit_log WHERE kind = 'user.password.reset' AND actor = 'cli'").n).to.equal(1);
  });

  it('user:reset-password of an unknown user says so and exits 1', () => {
    const result = runCli(['user:reset-password', 'nobody'], baseEnv(dir));
    expect(result.status).to.equal(1);
    expect(result.stderr).to.contain('does not exist');
  });

  it('job:list names every job and job:run runs one by name with its counts', () => {
    const list = runCli(['job:list'], baseEnv(dir));
    expect(list.stdout).to.contain('purge-sessions').and.to.contain('rotate-logs');
    const run = runCli(['job:run', 'purge-sessions'], baseEnv(dir));
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout).to.contain('purge-sessions: {"deleted":0}');
    const unknown = runCli(['job:run', 'nope'], baseEnv(dir));
    expect(unknown.status).to.equal(2);
    expect(unknown.stderr).to.match(/Known jobs: publish-tick, purge-sessions/);
  });

  it('an unknown command prints the usage and exits 2, creating nothing', () => {
    const result = runCli(['frobnicate'], baseEnv(dir));
    expect(result.status).to.equal(2);
    expect(result.stderr).to.contain('Usage: qanat <command>');
    expect(result.stderr).to.contain('backup restore <file> [--force]');
    expect(fs.readdirSync(dir), 'no database or key was created').to.deep.equal([]);
  });
});
