import { and, count, desc, eq, gte, lt, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { auditLog } from '../../db/schema.js';

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = typeof auditLog.$inferInsert;

export class AuditRepo {
  constructor(private readonly db: Db) {}

  insert(row: NewAuditRow): void {
    this.db.insert(auditLog).values(row).run();
  }

  /** Entries matching every given filter, newest first. */
  search(filter: AuditFilter, limit: number, offset = 0): { rows: AuditRow[]; total: number } {
    const where = and(...conditions(filter));
    const rows = this.db.select().from(auditLog).where(where).orderBy(desc(auditLog.id)).limit(limit).offset(offset).all();
    const total = this.db.select({ n: count() }).from(auditLog).where(where).get()?.n ?? 0;
    return { rows, total };
  }

  /** The people and systems that appear as actors (for the filter). */
  actors(): string[] {
    return this.db
      .selectDistinct({ actor: auditLog.actor })
      .from(auditLog)
      .where(sql`${auditLog.actor} IS NOT NULL`)
      .orderBy(auditLog.actor)
      .all()
      .map((r) => r.actor as string);
  }

  recent(limit: number): AuditRow[] {
    return this.db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(limit).all();
  }
}

export interface AuditFilter {
  kind?: string | undefined;
  actor?: string | undefined;
  /** The Instagram account the entry is about (its username in the detail). */
  account?: string | undefined;
  /** UTC instants, from inclusive, to exclusive. */
  from?: number | undefined;
  to?: number | undefined;
}

function conditions(filter: AuditFilter): SQL[] {
  const out: SQL[] = [];
  if (filter.kind) out.push(eq(auditLog.kind, filter.kind));
  if (filter.actor) out.push(eq(auditLog.actor, filter.actor));
  if (filter.account) out.push(sql`json_extract(${auditLog.detail}, '$.account') = ${filter.account}`);
  if (filter.from !== undefined) out.push(gte(auditLog.at, filter.from));
  if (filter.to !== undefined) out.push(lt(auditLog.at, filter.to));
  return out;
}
