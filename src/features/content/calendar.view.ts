// Month and week grids in the viewer's time zone. Days are calendar dates (YYYY-MM-DD) handled as
// UTC dates, so adding a day never meets DST; instants are converted only at the grid's edges.
import { fromLocal, toLocal } from '../../time-zone.js';
import type { PostListing } from './posts.repo.js';

export type CalendarMode = 'month' | 'week';

export interface CalendarPost {
  id: number;
  time: string;
  type: string;
  state: string;
  username: string;
  caption: string;
  thumbnail: string | undefined;
}

export interface CalendarDay {
  date: string;
  day: number;
  inMonth: boolean;
  isToday: boolean;
  posts: CalendarPost[];
}

const DAY_MS = 86_400_000;

export function addDays(date: string, days: number): string {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d) + days * DAY_MS).toISOString().slice(0, 10);
}

/** 0 = Monday … 6 = Sunday, for a calendar date. */
function weekday(date: string): number {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
}

/** The first instant of a local day (where DST skips midnight, the first minute that exists). */
export function startOfDay(date: string, zone: string): number {
  for (let minutes = 0; minutes < 24 * 60; minutes += 15) {
    const time = `${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}`;
    const result = fromLocal(date, time, zone);
    if (result?.kind === 'ok') return result.at;
    if (result?.kind === 'ambiguous') return result.earlier;
  }
  throw new Error(`no start of day for ${date} in ${zone}`);
}

export interface CalendarRange {
  mode: CalendarMode;
  /** The date the view is anchored on (first of the month, or the Monday of the week). */
  anchor: string;
  first: string;
  days: number;
  from: number;
  to: number;
  previous: string;
  next: string;
}

export function calendarRange(mode: CalendarMode, focus: string, zone: string): CalendarRange {
  if (mode === 'week') {
    const first = addDays(focus, -weekday(focus));
    return { mode, anchor: first, first, days: 7, from: startOfDay(first, zone), to: startOfDay(addDays(first, 7), zone), previous: addDays(first, -7), next: addDays(first, 7) };
  }
  const anchor = `${focus.slice(0, 7)}-01`;
  const first = addDays(anchor, -weekday(anchor));
  const nextMonth = addDays(anchor, 32).slice(0, 7) + '-01';
  const daysToEnd = Math.round((Date.parse(nextMonth) - Date.parse(first)) / DAY_MS);
  const days = Math.ceil(daysToEnd / 7) * 7;
  const previousMonth = addDays(anchor, -1).slice(0, 7) + '-01';
  return { mode, anchor, first, days, from: startOfDay(first, zone), to: startOfDay(addDays(first, days), zone), previous: previousMonth, next: nextMonth };
}

export function calendarDays(range: CalendarRange, posts: PostListing[], zone: string, today: string): CalendarDay[] {
  const byDate = new Map<string, CalendarPost[]>();
  for (const post of posts) {
    if (post.scheduledAt === null) continue;
    const local = toLocal(post.scheduledAt, zone);
    const entry: CalendarPost = {
      id: post.id,
      time: local.time,
      type: post.type,
      state: post.state,
      username: post.username,
      caption: [...post.caption].slice(0, 60).join(''),
      thumbnail: post.firstItem?.status === 'ready' ? `/posts/${post.id}/media/${post.firstItem.id}/${post.firstItem.kind === 'image' ? 'output' : 'poster'}` : undefined,
    };
    byDate.set(local.date, [...(byDate.get(local.date) ?? []), entry]);
  }
  const month = range.anchor.slice(0, 7);
  return Array.from({ length: range.days }, (_, i) => {
    const date = addDays(range.first, i);
    return {
      date,
      day: Number(date.slice(8)),
      inMonth: range.mode === 'week' || date.startsWith(month),
      isToday: date === today,
      posts: (byDate.get(date) ?? []).sort((a, b) => a.time.localeCompare(b.time)),
    };
  });
}
