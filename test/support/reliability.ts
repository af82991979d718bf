// Figures for docs/RELIABILITY.md. Each suite that injects faults or fuzzes records what it did
// (trials, requests, duplicates, crashes, rejected files…) under test-artifacts/reliability/;
// `npm run test:faults` gathers them into the document after the run.
import fs from 'node:fs';
import path from 'node:path';
import { projectRoot } from '../../src/paths.js';

export const RELIABILITY_DIR = path.join(projectRoot, 'test-artifacts', 'reliability');

export type Figure = number | string;

export interface ReliabilityRecord {
  /** A heading for the document, e.g. "Fuzzing: every route". */
  title: string;
  /** Ordered figures, e.g. { requests: 10000, 'HTTP 500 answers': 0, crashes: 0 }. */
  figures: Record<string, Figure>;
  /** Optional lines under the figures (what was injected, what was expected). */
  notes?: string[];
  recordedAt: string;
}

/** Writes (or replaces) one section's figures; `section` is a file-safe name such as "fuzz-routes". */
export function recordReliability(section: string, record: Omit<ReliabilityRecord, 'recordedAt'>): void {
  if (!/^[a-z0-9-]+$/.test(section)) throw new Error(`section names are lower-case words with dashes, not "${section}"`);
  fs.mkdirSync(RELIABILITY_DIR, { recursive: true });
  const full: ReliabilityRecord = { ...record, recordedAt: new Date().toISOString() };
  fs.writeFileSync(path.join(RELIABILITY_DIR, `${section}.json`), `${JSON.stringify(full, null, 2)}\n`);
}

export function readReliabilityRecords(): Array<ReliabilityRecord & { section: string }> {
  if (!fs.existsSync(RELIABILITY_DIR)) return [];
  return fs
    .readdirSync(RELIABILITY_DIR)
    .filter((name) => name.endsWith('.json'))
    .sort()
    .map((name) => ({ section: name.slice(0, -'.json'.length), ...(JSON.parse(fs.readFileSync(path.join(RELIABILITY_DIR, name), 'utf8')) as ReliabilityRecord) }));
}
