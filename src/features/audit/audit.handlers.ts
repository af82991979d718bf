// Settings → Audit log (owner only): who did what and when, filtered by kind, person, account
// and dates (in the owner's time zone), 100 a page, and the same selection as CSV.
import type { Request, Response } from 'express';
import { currentUser } from '../../http/context.js';
import { page } from '../../http/render.js';
import type { Services } from '../../services.js';
import { fromLocal } from '../../time-zone.js';
import { toCsv } from '../analytics/csv.js';
import { AUDIT_KINDS } from './audit.service.js';
import type { AuditFilter } from './audit.repo.js';

const PER_PAGE = 100;
const CSV_LIMIT = 100_000;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

const query = (req: Request, name: string): string => (typeof req.query[name] === 'string' ? (req.query[name] as string).slice(0, 100) : '');

/** A day in the person's zone → the UTC instant it starts. */
function dayStart(day: string, zone: string): number | undefined {
  if (!DAY.test(day)) return undefined;
  // Where midnight does not exist (a DST jump at 00:00), the day starts at 01:00.
  for (const time of ['00:00', '01:00']) {
    const local = fromLocal(day, time, zone);
    if (local?.kind === 'ok') return local.at;
    if (local?.kind === 'ambiguous') return local.earlier;
  }
  return undefined;
}

function filterOf(req: Request, zone: string): { filter: AuditFilter; shown: Record<string, string> } {
  const shown = { kind: query(req, 'kind'), actor: query(req, 'actor'), account: query(req, 'account').replace(/^@/, ''), from: query(req, 'from'), to: query(req, 'to') };
  const to = dayStart(shown.to, zone);
  return {
    filter: {
      kind: (AUDIT_KINDS as readonly string[]).includes(shown.kind) ? shown.kind : undefined,
      actor: shown.actor || undefined,
      account: shown.account || undefined,
      from: dayStart(shown.from, zone),
      // The "to" day is included: up to the start of the next day.
      to: to === undefined ? undefined : (dayStart(new Date(Date.parse(`${shown.to}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10), zone) ?? to + 86_400_000),
    },
    shown,
  };
}

export function auditHandlers(services: Services) {
  return {
    async showAuditPage(req: Request, res: Response): Promise<void> {
      const user = currentUser(res);
      const { filter, shown } = filterOf(req, user.timeZone);
      const pageNumber = Math.max(1, Number(query(req, 'page')) || 1);
      const { rows, total } = services.audit.search(user, filter, PER_PAGE, (pageNumber - 1) * PER_PAGE);
      const params = new URLSearchParams(Object.entries(shown).filter(([, v]) => v !== ''));
      await page(res, 'settings/audit', {
        title: 'audit.title',
        rows,
        total,
        pageNumber,
        pages: Math.max(1, Math.ceil(total / PER_PAGE)),
        kinds: AUDIT_KINDS,
        actors: services.audit.actors(),
        shown,
        filterQuery: params.toString(),
      });
    },

    exportAuditCsv(req: Request, res: Response): void {
      const user = currentUser(res);
      const { filter } = filterOf(req, user.timeZone);
      const { rows } = services.audit.search(user, filter, CSV_LIMIT);
      const csv = toCsv(
        ['at', 'kind', 'actor', 'source_ip', 'detail'],
        rows.map((r) => [new Date(r.at).toISOString(), r.kind, r.actor, r.sourceIp, JSON.stringify(r.detail)]),
      );
      res.type('text/csv; charset=utf-8').attachment('qanat-audit.csv').send(csv);
    },
  };
}
