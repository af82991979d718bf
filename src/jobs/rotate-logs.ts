import fs from 'node:fs';
import path from 'node:path';
import type { Job } from './registry.js';

const DAY_MS = 86_400_000;
const FILE = /^qanat-(\d{4}-\d{2}-\d{2})\.log$/;

/** Daily files are written by the logger; this removes those older than the retention window. */
export function removeOldLogs(dir: string, now: number, retentionDays: number): number {
  if (!fs.existsSync(dir)) return 0;
  const cutoff = now - retentionDays * DAY_MS;
  let removed = 0;
  for (const name of fs.readdirSync(dir)) {
    const day = FILE.exec(name)?.[1];
    // A file holds lines from the start of its day on: it goes once that start is past the window.
    if (day && Date.parse(`${day}T00:00:00Z`) <= cutoff) {
      fs.rmSync(path.join(dir, name));
      removed += 1;
    }
  }
  return removed;
}

export const rotateLogs: Job = {
  name: 'rotate-logs',
  schedule: '5 0 * * *',
  description: 'Removes daily log files older than LOG_RETENTION_DAYS (at most 30).',
  run: ({ config, clock }) => ({ removed: removeOldLogs(path.join(config.dataDir, 'logs'), clock.now(), config.log.retentionDays) }),
};
