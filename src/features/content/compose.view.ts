// What the composer template receives: the form's values (as typed, after a refused submit),
// the post's files with their preparation state, and the problems per field.
import { toLocal, zoneChoices } from '../../time-zone.js';
import type { PostType } from '../../db/schema.js';
import { needsFit } from './media/image.js';
import { FEED_RATIO, STORY_RATIO } from './media/rules.js';
import { ALT_TEXT_MAX, CAPTION_LIMITS, MAX_COLLABORATORS } from './caption.js';
import type { ComposerInput } from './posts.forms.js';
import type { HashtagSetRow, MediaRow, PostEventRow, PostRow } from './posts.repo.js';
import type { Problem } from './posts.service.js';

export interface ComposerValues {
  accountId: number | undefined;
  type: PostType;
  caption: string;
  firstComment: string;
  collaborators: string;
  shareToFeed: boolean;
  thumbOffset: string;
  date: string;
  time: string;
  timeZone: string;
}

export interface ItemView {
  id: number;
  role: 'item' | 'cover';
  position: number;
  kind: 'image' | 'video';
  status: 'processing' | 'ready' | 'failed';
  progress: number;
  error: { key: string; params: Record<string, string | number> } | undefined;
  previewUrl: string | undefined;
  videoUrl: string | undefined;
  source: { width: number; height: number } | undefined;
  output: { width: number; height: number; bytes: number } | undefined;
  /** The source is outside what Instagram takes for this post: the person picks crop or pad. */
  fitOffered: boolean;
  fitMode: string;
  focusX: number;
  focusY: number;
  bgMode: 'blur' | 'colour';
  bgColour: string;
  altText: string;
  notes: string[];
  durationMs: number | null;
}

export function valuesOfPost(post: PostRow): ComposerValues {
  const local = post.scheduledAt === null ? undefined : toLocal(post.scheduledAt, post.timeZone);
  return {
    accountId: post.accountId,
    type: post.type,
    caption: post.caption,
    firstComment: post.firstComment,
    collaborators: post.collaborators.join(', '),
    shareToFeed: post.shareToFeed,
    thumbOffset: post.thumbOffsetMs > 0 ? String(post.thumbOffsetMs / 1000) : '',
    date: local?.date ?? '',
    time: local?.time ?? '',
    timeZone: post.timeZone,
  };
}

export function valuesOfInput(input: ComposerInput): ComposerValues {
  return {
    accountId: input.accountId || undefined,
    type: input.type,
    caption: input.caption,
    firstComment: input.firstComment,
    collaborators: input.raw['collaborators'] ?? '',
    shareToFeed: input.shareToFeed,
    thumbOffset: input.raw['thumbOffset'] ?? '',
    date: input.date,
    time: input.time,
    timeZone: input.timeZone,
  };
}

export function itemView(post: PostRow, row: MediaRow, input?: ComposerInput, fixedRatio?: number): ItemView {
  const change = input?.items.find((c) => c.id === row.id);
  const source = row.width && row.height ? { width: row.width, height: row.height } : undefined;
  const background = change?.background ?? row.background;
  const fitOffered = row.kind === 'image' && row.role === 'item' && source !== undefined && (post.type === 'story' || needsFit(source, 'feed', fixedRatio));
  return {
    id: row.id,
    role: row.role,
    position: change?.position ?? row.position,
    kind: row.kind,
    status: row.status,
    progress: row.progress,
    error: row.errorKey ? { key: row.errorKey, params: row.errorParams ?? {} } : undefined,
    previewUrl: row.status === 'ready' ? `/posts/${post.id}/media/${row.id}/${row.kind === 'image' ? 'output' : 'poster'}?v=${encodeURIComponent(row.outputRecipe ?? '')}` : undefined,
    videoUrl: row.status === 'ready' && row.kind === 'video' ? `/posts/${post.id}/media/${row.id}/output` : undefined,
    source,
    output: row.outputWidth && row.outputHeight ? { width: row.outputWidth, height: row.outputHeight, bytes: row.outputBytes ?? 0 } : undefined,
    fitOffered,
    fitMode: change?.fitMode ?? row.fitMode,
    focusX: Math.round((change?.focusX ?? row.focusX) * 100),
    focusY: Math.round((change?.focusY ?? row.focusY) * 100),
    bgMode: background === 'blur' ? 'blur' : 'colour',
    bgColour: background === 'blur' ? '#ffffff' : background,
    altText: change?.altText ?? row.altText,
    notes: row.notes,
    durationMs: row.durationMs,
  };
}

/** Items in order, each knowing the carousel ratio set by the first. */
export function itemViews(post: PostRow, rows: MediaRow[], input?: ComposerInput): ItemView[] {
  const items = rows.filter((r) => r.role === 'item').sort((a, b) => a.position - b.position);
  const first = items[0];
  const ratio = post.type === 'carousel' && first?.outputWidth && first.outputHeight ? first.outputWidth / first.outputHeight : undefined;
  return [...items.map((row, index) => itemView(post, row, input, index > 0 ? ratio : undefined)), ...rows.filter((r) => r.role === 'cover').map((row) => itemView(post, row, input))];
}

/** Problems grouped by field for the template: field → [{key, params}]. */
export function problemsByField(problems: Problem[]): Record<string, Array<{ key: string; params: Record<string, string | number> }>> {
  const out: Record<string, Array<{ key: string; params: Record<string, string | number> }>> = {};
  for (const p of problems) (out[p.field] ??= []).push({ key: p.key, params: p.params ?? {} });
  return out;
}

export interface ComposerPage {
  post: PostRow | undefined;
  values: ComposerValues;
  items: ItemView[];
  errors: ReturnType<typeof problemsByField>;
  problemCount: number;
  hashtagSets: HashtagSetRow[];
  events: PostEventRow[];
  zones: string[];
}

export function composerPage(post: PostRow | undefined, values: ComposerValues, rows: MediaRow[], problems: Problem[], sets: HashtagSetRow[], events: PostEventRow[], input?: ComposerInput): ComposerPage {
  return {
    post,
    values,
    items: post ? itemViews({ ...post, type: values.type }, rows, input) : [],
    errors: problemsByField(problems),
    problemCount: problems.length,
    hashtagSets: sets,
    events,
    zones: zoneChoices(values.timeZone),
  };
}

/** Figures the composer shows next to its fields and its script enforces while typing. */
export const COMPOSER_LIMITS = {
  ...CAPTION_LIMITS,
  altText: ALT_TEXT_MAX,
  collaborators: MAX_COLLABORATORS,
  feedRatio: FEED_RATIO,
  storyRatio: STORY_RATIO,
};
