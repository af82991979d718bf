// Free space in the data folder, for the checks that must stop before the disk is full rather than
// fail half-way: publishing pauses below PUBLISHING_MIN_FREE_BYTES (uploads have their own, larger
// limit, UPLOAD_MIN_FREE_MB).
import fs from 'node:fs';

/** Room for the few rows a publish records, the WAL growing, and the log lines that go with it. */
export const PUBLISHING_MIN_FREE_BYTES = 8 * 1024 * 1024;

export function freeBytesSync(dir: string): number {
  const stats = fs.statfsSync(dir);
  return Number(stats.bavail) * Number(stats.bsize);
}

/** A folder that cannot be measured counts as having room: the writes themselves will say otherwise. */
export function hasRoomFor(dir: string, bytes: number): boolean {
  try {
    return freeBytesSync(dir) >= bytes;
  } catch {
    return true;
  }
}
