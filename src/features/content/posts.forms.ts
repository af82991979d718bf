// The composer form, from raw fields to a checked input. Nothing here trusts the browser's
// counters: the caption limits, the collaborators and the time are checked again.
import { FIT_MODES, POST_TYPES, type FitModeName, type PostType } from '../../db/schema.js';
import { canonicalZone, fromLocal, isTimeZone, offsetLabel } from '../../time-zone.js';
import { ALT_TEXT_MAX, CAPTION_LIMITS, captionProblem, MAX_COLLABORATORS, parseCollaborators, USERNAME } from './caption.js';
import type { Problem } from './posts.service.js';

export const ACTIONS = ['draft', 'schedule', 'now', 'refresh'] as const;
export type ComposerAction = (typeof ACTIONS)[number];

export interface ItemChange {
  id: number;
  remove: boolean;
  fitMode: FitModeName;
  focusX: number;
  focusY: number;
  background: string;
  altText: string;
  position: number;
}

export interface ComposerInput {
  accountId: number;
  type: PostType;
  caption: string;
  firstComment: string;
  collaborators: string[];
  shareToFeed: boolean;
  thumbOffsetMs: number;
  date: string;
  time: string;
  timeZone: string;
  scheduledAt: number | null;
  action: ComposerAction;
  items: ItemChange[];
  insertSetId: number | undefined;
  /** What the person typed, for re-rendering the form exactly. */
  raw: Record<string, string>;
  problems: Problem[];
  notices: Problem[];
}

const oneOf = <T extends string>(list: readonly T[], value: string | undefined, fallback: T): T => (list.includes(value as T) ? (value as T) : fallback);
const int = (value: string | undefined): number | undefined => (value !== undefined && /^\d{1,9}$/.test(value.trim()) ? Number(value.trim()) : undefined);
const percent = (value: string | undefined): number => {
  const n = Number(value);
  return Number.isFinite(n) ? Math.min(1, Math.max(0, n / 100)) : 0.5;
};
const capped = (value: string | undefined, max: number) => (value ?? '').replace(/\r\n/g, '\n').slice(0, max);

function parseItems(fields: Record<string, string>, problems: Problem[]): ItemChange[] {
  const ids = Object.keys(fields)
    .map((key) => /^pos_(\d{1,9})$/.exec(key)?.[1])
    .filter((id): id is string => id !== undefined)
    .map(Number);
  return ids.map((id) => {
    const altText = capped(fields[`alt_${id}`], ALT_TEXT_MAX * 2).trim();
    if ([...altText].length > ALT_TEXT_MAX) problems.push({ field: `alt_${id}`, key: 'content.error.altLength', params: { max: ALT_TEXT_MAX } });
    const colour = fields[`bgc_${id}`] ?? '';
    return {
      id,
      remove: fields[`remove_${id}`] === 'on',
      fitMode: oneOf(FIT_MODES, fields[`fit_${id}`], 'crop'),
      focusX: percent(fields[`fx_${id}`]),
      focusY: percent(fields[`fy_${id}`]),
      background: fields[`bg_${id}`] === 'colour' && /^#[0-9a-fA-F]{6}$/.test(colour) ? colour.toLowerCase() : 'blur',
      altText,
      position: int(fields[`pos_${id}`]) ?? 0,
    };
  });
}

function parseTime(input: Pick<ComposerInput, 'date' | 'time' | 'timeZone' | 'action'>, problems: Problem[], notices: Problem[]): number | null {
  const { date, time, timeZone } = input;
  if (!date && !time) {
    if (input.action === 'schedule') problems.push({ field: 'time', key: 'content.error.noTime' });
    return null;
  }
  const result = isTimeZone(timeZone) ? fromLocal(date, time, timeZone) : undefined;
  if (!result) {
    problems.push({ field: 'time', key: 'content.error.timeFormat' });
    return null;
  }
  if (result.kind === 'gap') {
    problems.push({ field: 'time', key: 'content.error.dstGap', params: { date, time, zone: timeZone, after: result.after.time } });
    return null;
  }
  if (result.kind === 'ambiguous') {
    const offset = (at: number) => offsetLabel(Math.round((Date.UTC(...dateParts(date, time)) - at) / 60_000));
    notices.push({ field: 'time', key: 'content.notice.dstAmbiguous', params: { time, zone: timeZone, offset: offset(result.earlier), other: offset(result.later) } });
    return result.earlier;
  }
  return result.at;
}

function dateParts(date: string, time: string): [number, number, number, number, number] {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [h, min] = time.split(':').map(Number) as [number, number];
  return [y, m - 1, d, h, min];
}

export function parseComposer(fields: Record<string, string>, defaults: { accountId: number | undefined; timeZone: string }): ComposerInput {
  const problems: Problem[] = [];
  const notices: Problem[] = [];
  const action = oneOf(ACTIONS, fields['action'], 'draft');
  const type = oneOf(POST_TYPES, fields['type'], 'feed');
  const accountId = int(fields['accountId']) ?? defaults.accountId ?? 0;
  const typedZone = (fields['timeZone'] ?? '').trim() || defaults.timeZone;
  const timeZone = canonicalZone(typedZone) ?? typedZone;
  if (!isTimeZone(timeZone)) problems.push({ field: 'timeZone', key: 'content.error.timeZone' });

  const caption = capped(fields['caption'], CAPTION_LIMITS.characters * 4);
  const captionIssue = captionProblem(caption);
  if (captionIssue) problems.push({ field: 'caption', ...captionIssue });
  const firstComment = capped(fields['firstComment'], CAPTION_LIMITS.characters * 4).trim();
  if ([...firstComment].length > CAPTION_LIMITS.characters) problems.push({ field: 'firstComment', key: 'content.error.commentLength', params: { max: CAPTION_LIMITS.characters } });

  const collaborators = parseCollaborators(capped(fields['collaborators'], 300));
  if (collaborators.length > MAX_COLLABORATORS) problems.push({ field: 'collaborators', key: 'content.error.collaboratorCount', params: { max: MAX_COLLABORATORS } });
  else if (collaborators.some((name) => !USERNAME.test(name))) problems.push({ field: 'collaborators', key: 'content.error.collaboratorName' });
  if (collaborators.length > 0 && type === 'story') problems.push({ field: 'collaborators', key: 'content.error.collaboratorStory' });

  const offsetSeconds = Number((fields['thumbOffset'] ?? '').replace(',', '.') || 0);
  if (!Number.isFinite(offsetSeconds) || offsetSeconds < 0 || offsetSeconds > 900) problems.push({ field: 'thumbOffset', key: 'content.error.thumbOffsetFormat' });

  const base = { date: (fields['date'] ?? '').trim(), time: (fields['time'] ?? '').trim(), timeZone, action };
  const scheduledAt = action === 'now' ? null : parseTime(base, problems, notices);
  return {
    accountId,
    type,
    caption,
    firstComment,
    collaborators,
    shareToFeed: fields['shareToFeed'] === 'on',
    thumbOffsetMs: Number.isFinite(offsetSeconds) ? Math.round(Math.min(900, Math.max(0, offsetSeconds)) * 1000) : 0,
    ...base,
    scheduledAt,
    items: parseItems(fields, problems),
    insertSetId: int(fields['insertSet']),
    raw: fields,
    problems,
    notices,
  };
}

/** The reschedule form (calendar drag, queue): a date, a time and a zone. */
export interface RescheduleInput {
  /** A calendar drag: move by whole days, keeping the post's own wall-clock time. */
  days: number | undefined;
  at: number | undefined;
  timeZone: string;
  problems: Problem[];
  notices: Problem[];
}

export function parseReschedule(fields: Record<string, string>, fallbackZone: string): RescheduleInput {
  const problems: Problem[] = [];
  const notices: Problem[] = [];
  const days = /^-?\d{1,4}$/.test(fields['days'] ?? '') ? Number(fields['days']) : undefined;
  const timeZone = canonicalZone(fields['timeZone'] ?? '') ?? fallbackZone;
  if (days !== undefined) return { days, at: undefined, timeZone, problems, notices };
  const at = parseTime({ date: (fields['date'] ?? '').trim(), time: (fields['time'] ?? '').trim(), timeZone, action: 'schedule' }, problems, notices);
  return { days, at: at ?? undefined, timeZone, problems, notices };
}
