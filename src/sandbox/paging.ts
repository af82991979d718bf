// Cursor paging as Graph does it: {data, paging:{cursors:{before,after}, next?}}.
import type { Request } from 'express';

const encode = (index: number) => Buffer.from(`qanat-sim:${index}`).toString('base64url');
const decode = (cursor: unknown): number | undefined => {
  if (typeof cursor !== 'string') return undefined;
  const m = /^qanat-sim:(\d+)$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? Number(m[1]) : undefined;
};

export function limitOf(req: Request, fallback: number, max: number): number {
  const raw = Number(req.query['limit']);
  return Number.isInteger(raw) && raw > 0 ? Math.min(raw, max) : fallback;
}

export function paginate<T>(req: Request, items: T[], pageSize: number): { data: T[]; paging?: Record<string, unknown> } {
  const start = decode(req.query['after']) ?? 0;
  const data = items.slice(start, start + pageSize);
  if (items.length === 0) return { data };
  const end = start + data.length;
  const paging: Record<string, unknown> = { cursors: { before: encode(start), after: encode(Math.max(start, end - 1) + 1) } };
  if (end < items.length) {
    const next = new URL(`${req.protocol}://${req.get('host') ?? 'localhost'}${req.originalUrl}`);
    next.searchParams.set('after', encode(end));
    next.searchParams.set('limit', String(pageSize));
    paging['next'] = next.toString();
  }
  if (start > 0) {
    const previous = new URL(`${req.protocol}://${req.get('host') ?? 'localhost'}${req.originalUrl}`);
    previous.searchParams.set('after', encode(Math.max(0, start - pageSize)));
    paging['previous'] = previous.toString();
  }
  return { data, paging };
}
