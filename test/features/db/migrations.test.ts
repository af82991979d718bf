import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { openDatabase, runMigrations } from '../../../src/db/client.js';
import { migrationsDir, projectRoot } from '../../../src/paths.js';
import { tempDir } from '../../support/app.js';

function schemaDump(file: string): string {
  const db = openDatabase(file);
  const rows = db.sqlite.prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").all();
  const applied = db.sqlite.prepare('SELECT hash FROM __drizzle_migrations ORDER BY id').all();
  db.close();
  return JSON.stringify({ rows, applied });
}

describe('migrations', () => {
  let dir: string;
  beforeEach(() => {
    dir = tempDir();
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('a fresh database migrates to every table of the schema', () => {
    const db = openDatabase(path.join(dir, 'q.db'));
    runMigrations(db);
    const tables = (db.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name);
    expect(tables).to.include.members(['users', 'sessions', 'login_throttle', 'audit_log', 'settings']);
    expect(db.sqlite.pragma('journal_mode', { simple: true })).to.equal('wal');
    expect(db.sqlite.pragma('foreign_keys', { simple: true })).to.equal(1);
    expect(db.sqlite.pragma('synchronous', { simple: true })).to.equal(2); // FULL
    expect(db.sqlite.pragma('busy_timeout', { simple: true })).to.equal(5000);
    db.close();
  });

  it('running the migrations twice changes nothing', () => {
    const file = path.join(dir, 'q.db');
    const first = openDatabase(file);
    runMigrations(first);
    first.close();
    const before = schemaDump(file);
    const second = openDatabase(file);
    runMigrations(second);
    second.close();
    expect(schemaDump(file)).to.equal(before);
  });

  it('drizzle-kit reports no drift between src/db/schema*.ts and the committed migrations', function () {
    this.timeout(60_000);
    // drizzle-kit resolves paths relative to the working directory (and prefixes './').
    // Generate into a copy of migrations/: if the schema changed without a migration, a new file appears.
    const copy = path.join(dir, 'migrations');
    fs.cpSync(migrationsDir, copy, { recursive: true });
    const config = path.join(dir, 'drizzle.config.json');
    fs.writeFileSync(config, JSON.stringify({ dialect: 'sqlite', schema: './src/db/schema*.ts', out: path.relative(projectRoot, copy) }));
    const bin = path.join(projectRoot, 'node_modules', '.bin', 'drizzle-kit');
    const output = execFileSync(bin, ['generate', `--config=${config}`], { cwd: projectRoot, encoding: 'utf8' });
    expect(output).to.contain('No schema changes');
    expect(fs.readdirSync(copy).sort()).to.deep.equal(fs.readdirSync(migrationsDir).sort());
    const check = execFileSync(bin, ['check', `--config=${config}`], { cwd: projectRoot, encoding: 'utf8' });
    expect(check).to.match(/Everything's fine/i);
  });
});
