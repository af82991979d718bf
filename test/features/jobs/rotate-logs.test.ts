// The rotate-logs job (acceptance: "files older than 30 days are gone, newer ones compressed"):
// at 00:05 UTC every finished day's log is gzipped, today's is left to the logger, and every file
// whose day started more than LOG_RETENTION_DAYS before now is deleted, gzipped or not.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import { expect } from 'chai';
import { ConfigError, loadConfig } from '../../../src/config.js';
import { findJob } from '../../../src/jobs/registry.js';
import { runJob } from '../../../src/jobs/scheduler.js';
import { createTestApp, type TestApp } from '../../support/app.js';

const DAY_MS = 86_400_000;
/** 00:05 UTC, when the job's schedule ('5 0 * * *') fires. */
const NOW = Date.UTC(2026, 2, 10, 0, 5, 0);

function rotateLogsJob() {
  const job = findJob('rotate-logs');
  if (!job) throw new Error('no rotate-logs job in the registry');
  return job;
}

/** The UTC day `offset` days before `now`, as the logger names its files. */
const dayOf = (offset: number, now = NOW): string => new Date(now - offset * DAY_MS).toISOString().slice(0, 10);
const logName = (offset: number): string => `qanat-${dayOf(offset)}.log`;
/** Distinct, multi-line content per day, as pino would write it. */
const contentOf = (offset: number): string =>
  Array.from({ length: 20 + offset }, (_, i) => JSON.stringify({ level: 30, time: NOW - offset * DAY_MS + i * 1000, msg: `line ${i} of day -${offset}`, day: dayOf(offset) })).join('\n') + '\n';

function listing(dir: string): string[] {
  return fs.readdirSync(dir).sort();
}

describe('jobs: rotate-logs (gzip finished days, delete days past retention)', function () {
  this.timeout(30_000);
  let t: TestApp;
  let logs: string;

  const ctx = () => ({ config: t.config, db: t.db, cipher: t.cipher, clock: t.clock, log: t.log, services: t.services });

  afterEach(() => {
    t?.close();
  });

  describe('with the default retention of 30 days', () => {
    const PLAIN_DAYS = [0, 1, 2, 29, 30, 31, 45, 400];
    const GZIPPED_DAYS = [3, 40];
    let gzBytes: Map<number, Buffer>;

    beforeEach(() => {
      t = createTestApp();
      t.clock.set(NOW);
      expect(t.config.log.retentionDays).to.equal(30);
      logs = path.join(t.dir, 'logs');
      fs.mkdirSync(logs, { recursive: true });
      for (const offset of PLAIN_DAYS) fs.writeFileSync(path.join(logs, logName(offset)), contentOf(offset));
      gzBytes = new Map();
      for (const offset of GZIPPED_DAYS) {
        const bytes = zlib.gzipSync(Buffer.from(contentOf(offset)));
        gzBytes.set(offset, bytes);
        fs.writeFileSync(path.join(logs, `${logName(offset)}.gz`), bytes);
      }
      fs.writeFileSync(path.join(logs, 'notes.txt'), 'kept by hand; not a log file\n');
    });

    it('at 00:05 UTC: today untouched, days 1–29 only as .log.gz with their exact content, days 30+ gone, notes.txt untouched; the counts say so', async () => {
      const counts = await runJob(rotateLogsJob(), ctx());

      // 1, 2, 29 compressed; 30, 31, 45, 400 and the gzipped day 40 removed.
      expect(counts).to.deep.equal({ compressed: 3, removed: 5 });
      expect(listing(logs)).to.deep.equal(
        ['notes.txt', logName(0), `${logName(1)}.gz`, `${logName(2)}.gz`, `${logName(3)}.gz`, `${logName(29)}.gz`].sort(),
      );

      // Today's file is still being written by the logger: not compressed, not changed.
      expect(fs.readFileSync(path.join(logs, logName(0)), 'utf8')).to.equal(contentOf(0));
      expect(fs.existsSync(path.join(logs, `${logName(0)}.gz`))).to.equal(false);

      // Every finished day that remains is a gzip file holding exactly the original bytes.
      for (const offset of [1, 2, 3, 29]) {
        const gz = fs.readFileSync(path.join(logs, `${logName(offset)}.gz`));
        expect(gz.subarray(0, 2).toString('hex'), `${logName(offset)}.gz is gzip`).to.equal('1f8b');
        expect(zlib.gunzipSync(gz).toString('utf8'), `${logName(offset)}.gz content`).to.equal(contentOf(offset));
        expect(fs.existsSync(path.join(logs, logName(offset))), `${logName(offset)} (plain) is gone`).to.equal(false);
      }
      // The one that was already gzipped is left as it was.
      expect(fs.readFileSync(path.join(logs, `${logName(3)}.gz`)).equals(gzBytes.get(3) as Buffer)).to.equal(true);

      // No file of a day that started more than 30 days ago remains, in either form.
      for (const name of listing(logs)) {
        const day = /^qanat-(\d{4}-\d{2}-\d{2})\.log(\.gz)?$/.exec(name)?.[1];
        if (!day) continue;
        expect(NOW - Date.parse(`${day}T00:00:00Z`), `${name} is within 30 days`).to.be.lessThan(30 * DAY_MS);
      }
      for (const offset of [30, 31, 40, 45, 400]) {
        expect(fs.existsSync(path.join(logs, logName(offset))), `${logName(offset)}`).to.equal(false);
        expect(fs.existsSync(path.join(logs, `${logName(offset)}.gz`)), `${logName(offset)}.gz`).to.equal(false);
      }
      // No half-written .partial file is left behind.
      expect(listing(logs).filter((name) => name.endsWith('.partial'))).to.deep.equal([]);

      expect(fs.readFileSync(path.join(logs, 'notes.txt'), 'utf8')).to.equal('kept by hand; not a log file\n');
      expect(t.logs.text).to.contain('"job":"rotate-logs"');
    });

    it('a second run the same night changes nothing', async () => {
      await runJob(rotateLogsJob(), ctx());
      const before = new Map(listing(logs).map((name) => [name, fs.readFileSync(path.join(logs, name))]));
      const again = await runJob(rotateLogsJob(), ctx());
      expect(again).to.deep.equal({ compressed: 0, removed: 0 });
      expect(listing(logs)).to.deep.equal([...before.keys()]);
      for (const [name, bytes] of before) expect(fs.readFileSync(path.join(logs, name)).equals(bytes), `${name} unchanged`).to.equal(true);
    });

    it('the next night, yesterday is compressed and the day that crossed 30 days is removed', async () => {
      await runJob(rotateLogsJob(), ctx());
      t.clock.advance(DAY_MS);
      // The logger wrote a new file for the new day; the previous "today" is now finished.
      const newDay = `qanat-${dayOf(0, NOW + DAY_MS)}.log`;
      fs.writeFileSync(path.join(logs, newDay), 'new day\n');
      const counts = await runJob(rotateLogsJob(), ctx());
      // Day 0 (now yesterday) compressed; day 29 (now 30 days old) removed.
      expect(counts).to.deep.equal({ compressed: 1, removed: 1 });
      expect(listing(logs)).to.deep.equal(['notes.txt', newDay, `${logName(0)}.gz`, `${logName(1)}.gz`, `${logName(2)}.gz`, `${logName(3)}.gz`].sort());
      expect(zlib.gunzipSync(fs.readFileSync(path.join(logs, `${logName(0)}.gz`))).toString('utf8')).to.equal(contentOf(0));
      expect(fs.readFileSync(path.join(logs, newDay), 'utf8')).to.equal('new day\n');
    });
  });

  it('LOG_RETENTION_DAYS=7 removes the files of days that started more than 7 days ago', async () => {
    t = createTestApp({ LOG_RETENTION_DAYS: '7' });
    t.clock.set(NOW);
    expect(t.config.log.retentionDays).to.equal(7);
    logs = path.join(t.dir, 'logs');
    fs.mkdirSync(logs, { recursive: true });
    for (const offset of [0, 1, 6, 7, 8, 20]) fs.writeFileSync(path.join(logs, logName(offset)), contentOf(offset));
    fs.writeFileSync(path.join(logs, `${logName(5)}.gz`), zlib.gzipSync(Buffer.from(contentOf(5))));
    fs.writeFileSync(path.join(logs, `${logName(9)}.gz`), zlib.gzipSync(Buffer.from(contentOf(9))));

    const counts = await runJob(rotateLogsJob(), ctx());

    expect(counts).to.deep.equal({ compressed: 2, removed: 4 });
    expect(listing(logs)).to.deep.equal([logName(0), `${logName(1)}.gz`, `${logName(5)}.gz`, `${logName(6)}.gz`].sort());
    for (const offset of [1, 5, 6]) {
      expect(zlib.gunzipSync(fs.readFileSync(path.join(logs, `${logName(offset)}.gz`))).toString('utf8'), logName(offset)).to.equal(contentOf(offset));
    }
    expect(fs.readFileSync(path.join(logs, logName(0)), 'utf8')).to.equal(contentOf(0));
  });

  it('LOG_RETENTION_DAYS above 30 is refused (the privacy policy promises at most 30 days)', () => {
    let caught: unknown;
    try {
      loadConfig({ NODE_ENV: 'test', DATA_DIR: path.join(os.tmpdir(), 'qanat-never-created'), LOG_RETENTION_DAYS: '31' });
    } catch (error) {
      caught = error;
    }
    expect(caught).to.be.instanceOf(ConfigError);
    expect((caught as ConfigError).problems.join('\n')).to.match(/LOG_RETENTION_DAYS.*at most 30 days/);
  });
});
