import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import { Forbidden } from '../../errors.js';
import { AuditRepo, type AuditFilter, type AuditRow } from './audit.repo.js';
import type { Db } from '../../db/client.js';

export const AUDIT_KINDS = [
  'auth.signin.success',
  'auth.signin.failure',
  'auth.lockout',
  'auth.signout',
  'setup.completed',
  'setup.code.failure',
  'user.created',
  'user.removed',
  'user.role.changed',
  'user.password.changed',
  'user.password.reset',
  'user.language.changed',
  'user.timezone.changed',
  'account.connected',
  'account.reconnected',
  'account.disconnected',
  'account.needs_reconnect',
  'account.token.refreshed',
  'post.scheduled',
  'post.rescheduled',
  'post.cancelled',
  'post.deleted',
  'post.decided',
  'comment.deleted',
  'comments.enabled',
  'comments.disabled',
  'settings.human_agent',
  'callback.data_deletion',
  'callback.deauthorize',
  'callback.refused',
  'webhook.refused',
  'retention.run',
  'data.exported',
  'user.totp.enabled',
  'user.totp.disabled',
  'auth.totp.failure',
  'auth.recovery_code.used',
  'settings.totp_required',
  'backup.created',
  'backup.restored',
  'backup.downloaded',
  'key.rotated',
] as const;
export type AuditKind = (typeof AUDIT_KINDS)[number];

export interface AuditEvent {
  kind: AuditKind;
  userId?: number | null;
  actor?: string | null;
  sourceIp?: string | null;
  /** Facts only: never passwords, tokens, codes or session ids. */
  detail?: Record<string, string | number | boolean | null>;
}

export class AuditService {
  private readonly repo: AuditRepo;

  constructor(db: Db, private readonly clock: Clock, private readonly log: Logger) {
    this.repo = new AuditRepo(db);
  }

  record(event: AuditEvent): void {
    this.repo.insert({
      at: this.clock.now(),
      userId: event.userId ?? null,
      actor: event.actor ?? null,
      kind: event.kind,
      detail: event.detail ?? {},
      sourceIp: event.sourceIp ?? null,
    });
    this.log.info({ audit: event.kind, actor: event.actor ?? null, ip: event.sourceIp ?? null }, 'audit');
  }

  /** The audit log page and its CSV: the owner only. */
  search(actor: { role: string }, filter: AuditFilter, limit: number, offset = 0): { rows: AuditRow[]; total: number } {
    if (actor.role !== 'owner') throw new Forbidden('audit.error.ownerOnly');
    return this.repo.search(filter, limit, offset);
  }

  actors(): string[] {
    return this.repo.actors();
  }

  recent(limit = 100): AuditRow[] {
    return this.repo.recent(limit);
  }
}
