// Planning views: the calendar (month and week) and the queue, both filterable by account.
import type { Request, Response } from 'express';
import { currentUser } from '../../http/context.js';
import { page } from '../../http/render.js';
import { POST_STATES, type PostState } from '../../db/schema.js';
import type { Clock } from '../../clock.js';
import type { Services } from '../../services.js';
import { parseWallClock, toLocal } from '../../time-zone.js';
import { calendarDays, calendarRange, type CalendarMode } from './calendar.view.js';
import { IN_FLIGHT_STATES } from './posts.repo.js';

/** The queue's status filter: single states, plus "in flight" for the engine's intermediate ones. */
export const QUEUE_FILTERS = ['all', 'draft', 'scheduled', 'in_flight', 'published', 'failed', 'held', 'needs_attention', 'cancelled'] as const;
type QueueFilter = (typeof QUEUE_FILTERS)[number];

const query = (req: Request, name: string): string => (typeof req.query[name] === 'string' ? (req.query[name] as string) : '');

function statesFor(filter: QueueFilter): PostState[] | undefined {
  if (filter === 'all') return undefined;
  if (filter === 'in_flight') return IN_FLIGHT_STATES;
  return [filter as PostState];
}

const QUEUE_PAGE = 50;

export function planningHandlers(services: Services, clock: Clock) {
  const { posts } = services;

  /** ?account=all, ?account=<id>, or (absent) the account the switcher shows. */
  const accountFilter = (req: Request, res: Response): { value: string; id: number | undefined } => {
    const raw = query(req, 'account');
    if (raw === 'all') return { value: 'all', id: undefined };
    const id = /^\d{1,9}$/.test(raw) ? Number(raw) : res.locals.currentAccount?.id;
    return id !== undefined && res.locals.accountChoices.some((a) => a.id === id) ? { value: String(id), id } : { value: 'all', id: undefined };
  };

  return {
    async showQueuePage(req: Request, res: Response): Promise<void> {
      const user = currentUser(res);
      const account = accountFilter(req, res);
      const raw = query(req, 'state');
      const filter: QueueFilter = (QUEUE_FILTERS as readonly string[]).includes(raw) ? (raw as QueueFilter) : 'all';
      const states = statesFor(filter);
      const where = { ...(account.id === undefined ? {} : { accountId: account.id }), ...(states ? { states } : {}) };
      // Fifty to a page: two years of published posts must not make one page of thousands.
      const total = posts.repo.count(where);
      const pages = Math.max(1, Math.ceil(total / QUEUE_PAGE));
      const pageNumber = Math.min(pages, Math.max(1, Number(query(req, 'page')) || 1));
      const list = posts.repo.list(where, QUEUE_PAGE, (pageNumber - 1) * QUEUE_PAGE);
      const params = new URLSearchParams({ ...(filter === 'all' ? {} : { state: filter }), ...(query(req, 'account') ? { account: account.value } : {}) });
      await page(res, 'content/queue', {
        title: 'content.queue.title',
        pausedForDiskSpace: services.engine.pausedForDiskSpace,
        total,
        pageNumber,
        pages,
        pagerQuery: params.toString(),
        posts: list.map((p) => ({ ...p, local: p.scheduledAt === null ? undefined : toLocal(p.scheduledAt, user.timeZone) })),
        filters: QUEUE_FILTERS,
        filter,
        account: account.value,
        zone: user.timeZone,
        now: clock.now(),
        canEdit: posts.canEdit(user),
        states: POST_STATES,
      });
    },

    async showCalendarPage(req: Request, res: Response): Promise<void> {
      const user = currentUser(res);
      const account = accountFilter(req, res);
      const mode: CalendarMode = query(req, 'view') === 'week' ? 'week' : 'month';
      const today = toLocal(clock.now(), user.timeZone).date;
      const asked = query(req, 'date');
      const focus = parseWallClock(asked, '00:00') === undefined ? today : asked;
      const range = calendarRange(mode, focus, user.timeZone);
      const list = posts.repo.list({ ...(account.id === undefined ? {} : { accountId: account.id }), from: range.from, to: range.to });
      const days = calendarDays(range, list, user.timeZone, today);
      await page(res, 'content/calendar', {
        title: 'content.calendar.title',
        range,
        days,
        weeks: Array.from({ length: days.length / 7 }, (_, i) => days.slice(i * 7, i * 7 + 7)),
        account: account.value,
        zone: user.timeZone,
        today,
        total: list.length,
        canEdit: posts.canEdit(user),
      });
    },
  };
}
