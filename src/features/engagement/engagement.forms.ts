// The inbox's form fields: reply texts with Instagram's limits, list filters from the query string.
import type { Request } from 'express';
import { COMMENT_FILTERS, COMMENT_MAX_CHARS, type CommentFilter, type CommentQuery } from './comments.service.js';
import { MESSAGE_MAX_BYTES } from './messages.service.js';

export type TextCheck = { ok: true; text: string } | { ok: false; text: string; error: { key: string; params: Record<string, number> } };

const fieldOf = (req: Request, name: string): string => {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value : '';
};

/** Line breaks as the person typed them, without the form's CRLF and surrounding blanks. */
function cleanText(raw: string): string {
  return raw.replace(/\r\n?/g, '\n').trim();
}

export function commentText(req: Request): TextCheck {
  const text = cleanText(fieldOf(req, 'text'));
  if (!text) return { ok: false, text, error: { key: 'engagement.form.empty', params: {} } };
  const chars = [...text].length;
  if (chars > COMMENT_MAX_CHARS) return { ok: false, text, error: { key: 'engagement.form.tooLongChars', params: { max: COMMENT_MAX_CHARS, chars } } };
  return { ok: true, text };
}

/** §4.2: 1000 bytes of UTF-8, which is fewer characters in Cyrillic or with emoji. */
export function messageText(req: Request, field = 'text'): TextCheck {
  const text = cleanText(fieldOf(req, field));
  if (!text) return { ok: false, text, error: { key: 'engagement.form.empty', params: {} } };
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > MESSAGE_MAX_BYTES) return { ok: false, text, error: { key: 'engagement.form.tooLongBytes', params: { max: MESSAGE_MAX_BYTES, bytes } } };
  return { ok: true, text };
}

export function flag(req: Request, name: string): boolean {
  return fieldOf(req, name) === '1';
}

const query = (req: Request, name: string): string => (typeof req.query[name] === 'string' ? (req.query[name] as string) : '');

export function commentQuery(req: Request): CommentQuery {
  const filter = query(req, 'filter');
  const media = query(req, 'media');
  const page = Number(query(req, 'page'));
  return {
    filter: (COMMENT_FILTERS as readonly string[]).includes(filter) ? (filter as CommentFilter) : 'all',
    mediaId: /^\d{1,30}$/.test(media) ? media : undefined,
    search: query(req, 'q').slice(0, 100) || undefined,
    page: Number.isInteger(page) && page > 0 ? page : 1,
  };
}
