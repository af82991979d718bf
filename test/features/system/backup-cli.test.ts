// The sysadmin's backup, restore, config check, db migrate and job commands, as real processes
// (src/cli.ts through tsx). One source instance is made in before(): a user and a backup, with
// the data key and the backup key generated into the data folder as for local use.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { generateKeyText } from '../../../src/db/crypto.js';
import { projectRoot } from '../../../src/paths.js';
import { createTestApp, tempDir } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { baseEnv, freePort, runCli, startServer, type Server } from '../../support/process.js';
import { sizeText } from '../../../src/features/system/size-text.js';

type CliResult = ReturnType<typeof runCli>;

/** runCli without blocking, so independent commands can run side by side (each spawn costs seconds). */
function runCliAsync(args: string[], env: NodeJS.ProcessEnv): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(projectRoot, 'src/cli.ts'), ...args], { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

function usernames(dataDir: string): string[] {
  const db = new Database(path.join(dataDir, 'qanat.db'), { readonly: true, fileMustExist: true });
  try {
    return (db.prepare('SELECT username FROM users ORDER BY username').all() as { username: string }[]).map((r) => r.username);
  } finally {
    db.close();
  }
}

/** The "problem:" and "warning:" lines, and the closing "N problems, M warnings" line. */
function report(result: CliResult): { problems: string[]; warnings: string[]; last: string } {
  const lines = result.stderr.split('\n');
  const out = result.stdout.trim().split('\n');
  return {
    problems: lines.filter((l) => l.startsWith('problem: ')),
    warnings: lines.filter((l) => l.startsWith('warning: ')),
    last: out[out.length - 1] ?? '',
  };
}

function expectCounted(result: CliResult): void {
  const { problems, warnings, last } = report(result);
  expect(last, result.stdout).to.equal(`${problems.length} problems, ${warnings.length} warnings`);
}

const show = (r: CliResult): string => `exit ${String(r.status)}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`;

describe('command line: backups, restore, config check, db migrate', function () {
  this.timeout(120_000);
  let source: string;
  let created: CliResult;
  let backupName: string;
  let dataKey: string;
  let backupKey: string;
  const scratch: string[] = [];
  const fresh = (): string => {
    const dir = tempDir('qanat-cli-');
    scratch.push(dir);
    return dir;
  };

  before(async () => {
    source = fresh();
    // The source instance is seeded in process (one spawn less); qanat.key is generated into it.
    const seed = createTestApp({}, source);
    await createUser(seed, { username: 'alice' });
    seed.db.close();
    created = runCli(['backup', 'create'], baseEnv(source));
    backupName = /(qanat-\d{4}-\d{2}-\d{2}T\d{6}Z\.backup)/.exec(created.stdout)?.[1] ?? '';
    dataKey = fs.readFileSync(path.join(source, 'qanat.key'), 'utf8').trim();
    backupKey = fs.readFileSync(path.join(source, 'backup.key'), 'utf8').trim();
  });
  after(() => {
    for (const dir of scratch) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('backup create, list, verify; restore into the same data folder needs --force; after it the instance works (user create in both forms)', () => {
    expect(created.status, show(created)).to.equal(0);
    expect(backupName, created.stdout).to.not.equal('');
    const file = path.join(source, 'backups', backupName);
    expect(created.stdout).to.contain(`Wrote ${file}`);
    const size = fs.statSync(file).size;

    const list = runCli(['backup', 'list'], baseEnv(source));
    expect(list.status, show(list)).to.equal(0);
    const line = list.stdout.split('\n').find((l) => l.startsWith(backupName));
    expect(line, list.stdout).to.be.a('string');
    expect(line).to.contain(sizeText(size));

    const verify = runCli(['backup', 'verify', backupName], baseEnv(source));
    expect(verify.status, show(verify)).to.equal(0);
    expect(verify.stdout.startsWith('OK:'), verify.stdout).to.equal(true);
    expect(verify.stdout).to.contain(backupName);

    const refused = runCli(['backup', 'restore', backupName], baseEnv(source));
    expect(refused.status, show(refused)).to.equal(1);
    expect(refused.stderr).to.contain('--force');

    const forced = runCli(['backup', 'restore', backupName, '--force'], baseEnv(source));
    expect(forced.status, show(forced)).to.equal(0);
    expect(forced.stdout).to.contain(`Restored ${backupName}`).and.to.contain('replaced');

    const colon = runCli(['user:create', 'xenia', '--password-stdin'], baseEnv(source), 'a long enough password');
    expect(colon.status, show(colon)).to.equal(0);
    const space = runCli(['user', 'create', 'yerlan', '--password-stdin'], baseEnv(source), 'a long enough password');
    expect(space.status, show(space)).to.equal(0);
    expect(usernames(source)).to.deep.equal(['alice', 'xenia', 'yerlan']);
  });

  it('restore onto a fresh data folder with the backup file and both keys in the environment brings the users back; without QANAT_BACKUP_KEY it refuses and creates nothing', () => {
    const file = path.join(source, 'backups', backupName);
    const target = fresh();
    const restored = runCli(['backup', 'restore', file], baseEnv(target, { QANAT_DATA_KEY: dataKey, QANAT_BACKUP_KEY: backupKey }));
    expect(restored.status, show(restored)).to.equal(0);
    expect(restored.stdout).to.contain('There was no database before');
    expect(usernames(target)).to.include('alice');
    expect(fs.existsSync(path.join(target, 'qanat.key')), 'no key file written: the key came from the environment').to.equal(false);

    const keyless = fresh();
    const refused = runCli(['backup', 'restore', file], baseEnv(keyless, { QANAT_DATA_KEY: dataKey }));
    expect(refused.status, show(refused)).to.not.equal(0);
    expect(refused.stderr).to.contain('QANAT_BACKUP_KEY');
    for (const name of ['qanat.db', 'qanat.key', 'backup.key', 'session.secret']) expect(fs.existsSync(path.join(keyless, name)), name).to.equal(false);
    expect(fs.readdirSync(keyless).filter((n) => n.startsWith('.restore-'))).to.deep.equal([]);
  });

  it('backup restore while a server runs on the data folder is refused: stop it first', async () => {
    const port = await freePort();
    let server: Server | undefined;
    try {
      server = await startServer(baseEnv(source, { PUBLIC_URL: `http://127.0.0.1:${port}` }), port);
      const refused = runCli(['backup', 'restore', backupName, '--force'], baseEnv(source));
      expect(refused.status, show(refused)).to.equal(1);
      expect(refused.stderr).to.contain('A Qanat server is running').and.to.contain('Stop it first');
    } finally {
      if (server) {
        server.child.kill('SIGTERM');
        await server.exited;
      }
    }
  });

  it('config check: 0 on a fine development config; problem lines and exit 1 for http in production (with a warning for the unset QANAT_BACKUP_KEY), a bad BACKUP_SCHEDULE, a data key that does not open the database', async () => {
    const [fine, http, schedule, wrongKey] = await Promise.all([
      runCliAsync(['config', 'check'], baseEnv(fresh(), { NODE_ENV: 'development' })),
      runCliAsync(['config', 'check'], baseEnv(fresh(), { NODE_ENV: 'production', PUBLIC_URL: 'http://qanat.example.com', QANAT_DATA_KEY: generateKeyText() })),
      runCliAsync(['config', 'check'], baseEnv(fresh(), { BACKUP_SCHEDULE: 'not cron' })),
      runCliAsync(['config', 'check'], baseEnv(source, { QANAT_DATA_KEY: generateKeyText() })),
    ]);
    expect(fine.status, show(fine)).to.equal(0);
    expect(report(fine).problems).to.deep.equal([]);
    expectCounted(fine);

    // Production over http, with the data key set and no backup key: a problem and a warning.
    expect(http.status, show(http)).to.equal(1);
    expect(report(http).problems.some((l) => l.includes('PUBLIC_URL') && l.includes('not https')), http.stderr).to.equal(true);
    expect(report(http).warnings.some((l) => l.includes('QANAT_BACKUP_KEY is not set')), http.stderr).to.equal(true);
    expectCounted(http);

    expect(schedule.status, show(schedule)).to.equal(1);
    expect(report(schedule).problems.some((l) => l.includes('BACKUP_SCHEDULE')), schedule.stderr).to.equal(true);
    expectCounted(schedule);

    expect(wrongKey.status, show(wrongKey)).to.equal(1);
    expect(report(wrongKey).problems.some((l) => l.includes('QANAT_DATA_KEY') && l.includes('does not open')), wrongKey.stderr).to.equal(true);
    expectCounted(wrongKey);
  });

  it('db migrate applies every migration on a fresh data folder, and a second run is already up to date', () => {
    const journal = JSON.parse(fs.readFileSync(path.join(projectRoot, 'migrations', 'meta', '_journal.json'), 'utf8')) as { entries: { tag: string }[] };
    const dir = fresh();
    const first = runCli(['db', 'migrate'], baseEnv(dir));
    expect(first.status, show(first)).to.equal(0);
    expect(first.stdout).to.contain(`Applied ${journal.entries.length} migrations`);
    expect(first.stdout).to.contain(journal.entries[journal.entries.length - 1]?.tag ?? '?');
    const second = runCli(['db', 'migrate'], baseEnv(dir));
    expect(second.status, show(second)).to.equal(0);
    expect(second.stdout).to.contain('Already up to date');
  });

  it('job list includes the backup job with its schedule', () => {
    const list = runCli(['job', 'list'], baseEnv(fresh()));
    expect(list.status, show(list)).to.equal(0);
    expect(list.stdout).to.match(/^backup\s+30 3 \* \* \*\s+Writes an encrypted backup/m);
  });
});
