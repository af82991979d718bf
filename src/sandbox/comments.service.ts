// §3.2–3.3 rules for comments: what is listed and in which order, who may reply, hide and delete.
import { graphTime } from './clock.js';
import type { SimContext } from './context.js';
import { errors, SimError } from './errors.js';
import { parseFields, type FieldTree } from './fields.js';
import type { SimAccount, SimComment, SimMedia } from './state.js';

/** Graph's default fields of an IG comment. */
export const COMMENT_DEFAULT_FIELDS = 'id,text,timestamp';
/** §3.2: at most 50 per page. */
export const COMMENTS_PAGE_MAX = 50;
export const COMMENTS_PAGE_DEFAULT = 25;

const COMMENT_FIELDS = new Set(['id', 'text', 'timestamp', 'username', 'like_count', 'hidden', 'from', 'media', 'parent_id', 'replies', 'user', 'legacy_instagram_comment_id']);

const newestFirst = (a: SimComment, b: SimComment): number => b.timestamp - a.timestamp || (a.id < b.id ? 1 : -1);

/** The account's own media (stories included); anything else reads as missing (§0). */
export function ownMedia(ctx: SimContext, account: SimAccount, id: string): SimMedia | undefined {
  const media = ctx.state.media.get(id);
  return media && media.igId === account.igId ? media : undefined;
}

/** A comment on one of the account's media: the only comments an Instagram-Login token can see. */
export function ownComment(ctx: SimContext, account: SimAccount, id: string): SimComment | undefined {
  const comment = ctx.state.comments.get(id);
  return comment && ownMedia(ctx, account, comment.mediaId) ? comment : undefined;
}

/** §3.2: top-level comments only, newest first. */
export function topLevelComments(ctx: SimContext, mediaId: string): SimComment[] {
  return [...ctx.state.comments.values()].filter((c) => c.mediaId === mediaId && !c.parentId).sort(newestFirst);
}

/** Replies in the order they were written. */
export function repliesOf(ctx: SimContext, commentId: string): SimComment[] {
  return [...ctx.state.comments.values()].filter((c) => c.parentId === commentId).sort((a, b) => -newestFirst(a, b));
}

function checkFields(fields: FieldTree, known: Set<string>, nodeType: string): void {
  for (const name of fields.keys()) {
    if (!known.has(name)) throw new SimError(100, `(#100) Tried accessing nonexisting field (${name}) on node type (${nodeType})`);
  }
}

function pickObject(full: Record<string, string>, sub: FieldTree | true): Record<string, string> {
  if (sub === true) return full;
  return Object.fromEntries(Object.entries(full).filter(([key]) => sub.has(key)));
}

/** One comment as Graph writes it, with only the requested fields (§3.3). */
export function commentView(ctx: SimContext, comment: SimComment, fields: FieldTree): Record<string, unknown> {
  checkFields(fields, COMMENT_FIELDS, 'IGComment');
  const media = ctx.state.media.get(comment.mediaId);
  // Graph writes an object's id whether or not it was asked for.
  const out: Record<string, unknown> = { id: comment.id };
  for (const [name, sub] of fields) {
    switch (name) {
      case 'text':
      case 'username':
        out[name] = comment[name];
        break;
      case 'timestamp':
        out[name] = graphTime(comment.timestamp);
        break;
      case 'like_count':
        out[name] = comment.likeCount;
        break;
      case 'hidden':
        out[name] = comment.hidden;
        break;
      case 'from':
        out[name] = pickObject({ id: comment.fromId, username: comment.username }, sub);
        break;
      case 'media':
        if (media) out[name] = pickObject({ id: media.id, media_product_type: media.productType }, sub);
        break;
      case 'parent_id':
        if (comment.parentId) out[name] = comment.parentId;
        break;
      case 'user':
        // §3.2: `user` appears only on comments the app user wrote.
        if (media && comment.fromId === media.igId) out[name] = { id: comment.fromId };
        break;
      case 'replies':
        if (!comment.parentId) {
          const replyFields = sub === true ? parseFields(undefined, COMMENT_DEFAULT_FIELDS) : sub;
          out[name] = { data: repliesOf(ctx, comment.id).map((r) => commentView(ctx, r, replyFields)) };
        }
        break;
      default:
        break;
    }
  }
  return out;
}

function requireText(text: string | undefined): string {
  if (!text || !text.trim()) throw errors.missingParameter('message');
  return text;
}

function refuseIfClosed(media: SimMedia): void {
  if (media.productType === 'STORY') throw new SimError(100, '(#100) Comments are not supported on this media');
  if (!media.commentEnabled) throw new SimError(100, '(#100) Comments are turned off for this media', { userTitle: 'Comments are turned off' });
}

function addComment(ctx: SimContext, media: SimMedia, fields: Pick<SimComment, 'text' | 'fromId' | 'username'> & { parentId?: string }): SimComment {
  const comment: SimComment = {
    id: ctx.state.newId('178'),
    mediaId: media.id,
    ...(fields.parentId ? { parentId: fields.parentId } : {}),
    text: fields.text,
    timestamp: ctx.clock.now(),
    fromId: fields.fromId,
    username: fields.username,
    likeCount: 0,
    hidden: false,
  };
  ctx.state.comments.set(comment.id, comment);
  if (!comment.parentId) {
    media.commentsCount += 1;
    media.insights['comments'] = (media.insights['comments'] ?? 0) + 1;
  }
  return comment;
}

/** A top-level comment (§3.2), written by `author` (the account, or a commenter via the control API). */
export function createComment(ctx: SimContext, media: SimMedia, author: { id: string; username: string }, text: string | undefined): SimComment {
  const body = requireText(text);
  refuseIfClosed(media);
  return addComment(ctx, media, { text: body, fromId: author.id, username: author.username });
}

/** §3.3: a reply to a reply lands on its top-level comment; hidden comments take no replies. */
export function replyTo(ctx: SimContext, target: SimComment, author: { id: string; username: string }, text: string | undefined): SimComment {
  const body = requireText(text);
  const top = target.parentId ? ctx.state.comments.get(target.parentId) : target;
  const media = ctx.state.media.get(target.mediaId);
  if (!top || !media) throw errors.unknownObject(target.id);
  if (top.hidden || target.hidden) throw new SimError(100, '(#100) Cannot reply to a hidden comment', { userTitle: 'Comment is hidden' });
  refuseIfClosed(media);
  return addComment(ctx, media, { text: body, fromId: author.id, username: author.username, parentId: top.id });
}

/** §3.3: hide or show; the media owner's own comments always stay visible (success, no effect). */
export function setHidden(ctx: SimContext, comment: SimComment, hide: boolean): void {
  const media = ctx.state.media.get(comment.mediaId);
  if (media && comment.fromId === media.igId) return;
  comment.hidden = hide;
}

/** §3.3: only the media owner deletes, whoever wrote the comment; its replies go with it. */
export function removeComment(ctx: SimContext, account: SimAccount, comment: SimComment): void {
  const media = ctx.state.media.get(comment.mediaId);
  if (!media || media.igId !== account.igId) throw errors.permission();
  for (const reply of repliesOf(ctx, comment.id)) ctx.state.comments.delete(reply.id);
  ctx.state.comments.delete(comment.id);
  if (!comment.parentId) {
    media.commentsCount = Math.max(0, media.commentsCount - 1);
    media.insights['comments'] = Math.max(0, (media.insights['comments'] ?? 1) - 1);
  }
}
