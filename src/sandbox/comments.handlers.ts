// §3.2–3.3 over HTTP: the /<media-id>/comments and /<comment-id>/replies edges and the comment node.
import type { Request, Response } from 'express';
import { authedOf, requireScope, type Authed } from './auth.js';
import {
  COMMENT_DEFAULT_FIELDS,
  COMMENTS_PAGE_DEFAULT,
  COMMENTS_PAGE_MAX,
  commentView,
  createComment,
  ownComment,
  ownMedia,
  removeComment,
  replyTo,
  repliesOf,
  setHidden,
  topLevelComments,
} from './comments.service.js';
import type { SimContext } from './context.js';
import { errors } from './errors.js';
import { commentEvent, emitInBackground } from './events.js';
import { parseFields } from './fields.js';
import type { NodeKind } from './nodes.js';
import { limitOf, paginate } from './paging.js';
import type { SimComment } from './state.js';

/** Form, JSON body or query string (§0). */
const param = (req: Request, name: string): unknown => (req.body as Record<string, unknown> | undefined)?.[name] ?? req.query[name];
const textParam = (req: Request, name: string): string | undefined => {
  const value = param(req, name);
  return typeof value === 'string' ? value : undefined;
};

export function allowComments(authed: Authed): void {
  requireScope(authed, 'instagram_business_basic');
  requireScope(authed, 'instagram_business_manage_comments');
}

function fieldsOf(req: Request) {
  return parseFields(req.query['fields'] as string | undefined, COMMENT_DEFAULT_FIELDS);
}

function mediaFrom(ctx: SimContext, req: Request, res: Response) {
  const authed = authedOf(res);
  allowComments(authed);
  const id = String(req.params['mediaId']);
  const media = ownMedia(ctx, authed.account, id);
  if (!media) throw errors.unknownObject(id);
  return { authed, media };
}

function commentFrom(ctx: SimContext, req: Request, res: Response): { authed: Authed; comment: SimComment } {
  const authed = authedOf(res);
  allowComments(authed);
  const id = String(req.params['commentId']);
  const comment = ownComment(ctx, authed.account, id);
  if (!comment) throw errors.unknownObject(id);
  return { authed, comment };
}

/** GET /<media-id>/comments: top-level only, newest first, at most 50 a page. */
export function listComments(ctx: SimContext) {
  return (req: Request, res: Response): void => {
    const { media } = mediaFrom(ctx, req, res);
    const fields = fieldsOf(req);
    const page = paginate(req, topLevelComments(ctx, media.id), limitOf(req, COMMENTS_PAGE_DEFAULT, COMMENTS_PAGE_MAX));
    res.json({ ...page, data: page.data.map((c) => commentView(ctx, c, fields)) });
  };
}

/** POST /<media-id>/comments?message=…: a comment by the account (§3.2), also sent as a webhook (§7.5). */
export function postComment(ctx: SimContext) {
  return (req: Request, res: Response): void => {
    const { authed, media } = mediaFrom(ctx, req, res);
    const comment = createComment(ctx, media, { id: authed.account.igId, username: authed.account.username }, textParam(req, 'message'));
    emitInBackground(ctx, authed.account, commentEvent(ctx, authed.account, comment, media));
    res.json({ id: comment.id });
  };
}

/** GET /<comment-id>/replies */
export function listReplies(ctx: SimContext) {
  return (req: Request, res: Response): void => {
    const { comment } = commentFrom(ctx, req, res);
    const fields = fieldsOf(req);
    const page = paginate(req, repliesOf(ctx, comment.id), limitOf(req, COMMENTS_PAGE_DEFAULT, COMMENTS_PAGE_MAX));
    res.json({ ...page, data: page.data.map((c) => commentView(ctx, c, fields)) });
  };
}

/** POST /<comment-id>/replies?message=… (§3.3) */
export function postReply(ctx: SimContext) {
  return (req: Request, res: Response): void => {
    const { authed, comment } = commentFrom(ctx, req, res);
    const reply = replyTo(ctx, comment, { id: authed.account.igId, username: authed.account.username }, textParam(req, 'message'));
    const media = ctx.state.media.get(reply.mediaId);
    if (media) emitInBackground(ctx, authed.account, commentEvent(ctx, authed.account, reply, media));
    res.json({ id: reply.id });
  };
}

function booleanParam(req: Request, name: string): boolean | undefined {
  const value = param(req, name);
  if (value === undefined) return undefined;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw errors.invalidParameter(`${name} must be true or false`);
}

/** GET/POST/DELETE /<comment-id> (§3.3). */
export const commentNode: NodeKind<SimComment> = {
  name: 'comment',
  find: (ctx, id, authed) => ownComment(ctx, authed.account, id),
  get(ctx, req, res, comment, authed) {
    allowComments(authed);
    res.json(commentView(ctx, comment, fieldsOf(req)));
  },
  post(ctx, req, res, comment, authed) {
    allowComments(authed);
    // §3.3: pinning (is_pinned) without hide fails the same way as a bare call.
    const hide = booleanParam(req, 'hide');
    if (hide === undefined) throw errors.missingParameter('hide');
    setHidden(ctx, comment, hide);
    res.json({ success: true });
  },
  delete(ctx, _req, res, comment, authed) {
    allowComments(authed);
    removeComment(ctx, authed.account, comment);
    res.json({ success: true });
  },
};
