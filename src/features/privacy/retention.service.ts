// The retention promises of the privacy policy that are about age: profile snapshots 30 days,
// daily follower counts 729 days, audit entries AUDIT_RETENTION_DAYS, deletion-status records 90
// days, and media files that no post refers to any more. Deletes go in chunks with a pause between
// them, so requests are never held up by a long write.
import fs from 'node:fs';
import path from 'node:path';
import { sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import { deleteInChunks } from '../../db/chunked-delete.js';
import type { Logger } from '../../log.js';
import type { AuditService } from '../audit/audit.service.js';

const DAY_MS = 86_400_000;
export const SNAPSHOT_RETENTION_DAYS = 30;
export const FOLLOWER_DAYS_RETENTION_DAYS = 729;
export const DELETION_STATUS_RETENTION_DAYS = 90;
/** Files younger than this may belong to an upload or preparation still in progress. */
export const ORPHAN_GRACE_MS = 24 * 3_600_000;

export interface RetentionCounts {
  snapshots: number;
  followerDays: number;
  audit: number;
  deletionRecords: number;
  orphanFiles: number;
}

export class RetentionService {
  constructor(
    private readonly db: Db,
    private readonly dataDir: string,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly auditRetentionDays: number,
    private readonly audit: AuditService,
  ) {}

  async run(): Promise<RetentionCounts> {
    const now = this.clock.now();
    const day = (ms: number) => new Date(ms).toISOString().slice(0, 10);
    const counts: RetentionCounts = {
      snapshots: await this.chunked('profile_snapshots', sql`taken_at < ${now - SNAPSHOT_RETENTION_DAYS * DAY_MS}`),
      followerDays: await this.chunked('follower_days', sql`day < ${day(now - FOLLOWER_DAYS_RETENTION_DAYS * DAY_MS)}`),
      audit: await this.chunked('audit_log', sql`at < ${now - this.auditRetentionDays * DAY_MS}`),
      deletionRecords: await this.chunked('deletion_requests', sql`received_at < ${now - DELETION_STATUS_RETENTION_DAYS * DAY_MS}`),
      orphanFiles: this.removeOrphanFiles(now),
    };
    this.log.info(counts, 'retention run');
    this.audit.record({ kind: 'retention.run', actor: 'system', detail: { ...counts } });
    return counts;
  }

  private chunked(table: string, where: SQL): Promise<number> {
    return deleteInChunks(this.db, table, where);
  }

  /** Files under data/media/<account>/ that no post_media row names, and old leftovers of uploads. */
  private removeOrphanFiles(now: number): number {
    const root = path.join(this.dataDir, 'media');
    if (!fs.existsSync(root)) return 0;
    const known = new Set<string>();
    for (const row of this.db.all<{ account_id: number; source_file: string; output_file: string | null; poster_file: string | null }>(sql`SELECT account_id, source_file, output_file, poster_file FROM post_media`)) {
      for (const name of [row.source_file, row.output_file, row.poster_file]) if (name) known.add(`${row.account_id}/${path.basename(name)}`);
    }
    let removed = 0;
    for (const entry of fs.readdirSync(root, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const dir = path.join(root, entry.name);
      for (const file of fs.readdirSync(dir, { withFileTypes: true })) {
        if (!file.isFile()) continue;
        const full = path.join(dir, file.name);
        const referenced = entry.name !== '.incoming' && known.has(`${entry.name}/${file.name}`);
        if (referenced || now - fs.statSync(full).mtimeMs < ORPHAN_GRACE_MS) continue;
        fs.rmSync(full, { force: true });
        removed += 1;
      }
    }
    return removed;
  }
}
