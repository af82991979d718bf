// Tells the CLI whether a server is running on this data directory: the server keeps a small
// marker file fresh while it runs. Restore and key rotation refuse to run under a live server
// (it would keep writing with the old data or the old key). A file works across containers that
// share the volume, where a process id would not.
import fs from 'node:fs';
import path from 'node:path';

export const RUNNING_FILE = 'qanat.running';
const BEAT_MS = 10_000;
/** A marker older than this belongs to a server that stopped without removing it (kill -9). */
const STALE_MS = 35_000;

export interface RunningInstance {
  pid: number;
  host: string;
  startedAt: string;
  lastSeenMs: number;
}

export class InstanceMarker {
  private timer: NodeJS.Timeout | undefined;
  private readonly file: string;

  constructor(dataDir: string) {
    this.file = path.join(dataDir, RUNNING_FILE);
  }

  start(host: string): void {
    fs.writeFileSync(this.file, JSON.stringify({ pid: process.pid, host, startedAt: new Date().toISOString() }), { mode: 0o600 });
    this.timer = setInterval(() => {
      const now = new Date();
      try {
        fs.utimesSync(this.file, now, now);
      } catch {
        // Removed by hand: write it again.
        fs.writeFileSync(this.file, JSON.stringify({ pid: process.pid, host, startedAt: now.toISOString() }), { mode: 0o600 });
      }
    }, BEAT_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    fs.rmSync(this.file, { force: true });
  }
}

/** The server running on this data directory, if its marker is fresh. */
export function runningInstance(dataDir: string, now: number = Date.now()): RunningInstance | undefined {
  const file = path.join(dataDir, RUNNING_FILE);
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    return undefined;
  }
  const age = now - stat.mtimeMs;
  if (age > STALE_MS) return undefined;
  try {
    const facts = JSON.parse(fs.readFileSync(file, 'utf8')) as { pid?: number; host?: string; startedAt?: string };
    return { pid: facts.pid ?? 0, host: facts.host ?? '?', startedAt: facts.startedAt ?? '?', lastSeenMs: Math.max(0, Math.round(age)) };
  } catch {
    return { pid: 0, host: '?', startedAt: '?', lastSeenMs: Math.max(0, Math.round(age)) };
  }
}
