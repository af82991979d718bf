import { desc } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { auditLog } from '../../db/schema.js';

export type AuditRow = typeof auditLog.$inferSelect;
export type NewAuditRow = typeof auditLog.$inferInsert;

export class AuditRepo {
  constructor(private readonly db: Db) {}

  insert(row: NewAuditRow): void {
    this.db.insert(auditLog).values(row).run();
  }

  recent(limit: number): AuditRow[] {
    return this.db.select().from(auditLog).orderBy(desc(auditLog.id)).limit(limit).all();
  }
}
