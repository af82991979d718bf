import fs from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import zlib from 'node:zlib';
import type { Job } from './registry.js';

const DAY_MS = 86_400_000;
const FILE = /^qanat-(\d{4}-\d{2}-\d{2})\.log(\.gz)?$/;

/**
 * The logger writes one file per UTC day. Finished days are gzipped; files whose day started
 * before the retention window are deleted (a file holds lines from the start of its day on).
 */
export async function rotateLogFiles(dir: string, now: number, retentionDays: number): Promise<{ compressed: number; removed: number }> {
  if (!fs.existsSync(dir)) return { compressed: 0, removed: 0 };
  const cutoff = now - retentionDays * DAY_MS;
  const today = new Date(now).toISOString().slice(0, 10);
  let compressed = 0;
  let removed = 0;
  for (const name of fs.readdirSync(dir).sort()) {
    const match = FILE.exec(name);
    if (!match?.[1]) continue;
    const file = path.join(dir, name);
    if (Date.parse(`${match[1]}T00:00:00Z`) <= cutoff) {
      fs.rmSync(file, { force: true });
      removed += 1;
    } else if (!match[2] && match[1] < today) {
      const gz = `${file}.gz`;
      const partial = `${gz}.partial`;
      await pipeline(fs.createReadStream(file), zlib.createGzip(), fs.createWriteStream(partial, { mode: 0o600 }));
      fs.renameSync(partial, gz);
      fs.rmSync(file);
      compressed += 1;
    }
  }
  return { compressed, removed };
}

export const rotateLogs: Job = {
  name: 'rotate-logs',
  schedule: '5 0 * * *',
  description: 'Gzips the finished days of data/logs and deletes files older than LOG_RETENTION_DAYS (at most 30).',
  run: ({ config, clock }) => rotateLogFiles(path.join(config.dataDir, 'logs'), clock.now(), config.log.retentionDays),
};
