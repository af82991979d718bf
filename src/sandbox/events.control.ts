// Control API for the engagement side (tests and the demo): people comment and write DMs, and the
// follower count moves across the 100-follower insights gate. Each inbound event is sent as a
// webhook before the answer, whose `webhook` field says what became of it.
import type { Response } from 'express';
import { z } from 'zod';
import { createComment, replyTo } from './comments.service.js';
import type { ControlExtension } from './control.routes.js';
import type { SimContext } from './context.js';
import { commentEvent, emit, messageEvent } from './events.js';
import { receiveMessage } from './messaging.service.js';
import type { SimAccount, SimMedia } from './state.js';

const commentSchema = z.object({
  mediaId: z.string().min(1).optional(),
  text: z.string().min(1),
  username: z.string().min(1).optional(),
  parentId: z.string().min(1).optional(),
});
const messageSchema = z.object({ text: z.string().min(1), participantId: z.string().min(1).optional(), username: z.string().min(1).optional() });
const accountSchema = z.object({ followersCount: z.number().int().min(0), igId: z.string().optional() });

const notFound = (res: Response, what: string) => res.status(404).json({ error: `no such ${what}` });

/** A commenter keeps one IGSID across comments, so private replies and DMs line up. */
function commenter(ctx: SimContext, username: string): { id: string; username: string } {
  const earlier = [...ctx.state.comments.values()].find((c) => c.username === username);
  return { id: earlier?.fromId ?? '6' + String(ctx.state.random.int(1000000, 9999999)) + String(ctx.state.random.int(1000000, 9999999)), username };
}

function newestFeedMedia(ctx: SimContext, account: SimAccount): SimMedia | undefined {
  return ctx.state.mediaOf(account.igId).find((m) => m.productType === 'FEED');
}

export const engagementControl: ControlExtension = (ctx, router) => {
  router.post('/comments', async (req, res) => {
    const body = commentSchema.parse(req.body);
    const author = commenter(ctx, body.username ?? 'new_commenter');
    const parent = body.parentId ? ctx.state.comments.get(body.parentId) : undefined;
    if (body.parentId && !parent) return notFound(res, 'comment');
    const media = parent ? ctx.state.media.get(parent.mediaId) : body.mediaId ? ctx.state.media.get(body.mediaId) : newestFeedMedia(ctx, ctx.state.primaryAccount());
    const owner = media ? ctx.state.accounts.get(media.igId) : undefined;
    if (!media || !owner) return notFound(res, 'media');
    const comment = parent ? replyTo(ctx, parent, author, body.text) : createComment(ctx, media, author, body.text);
    const webhook = await emit(ctx, owner, commentEvent(ctx, owner, comment, media));
    return res.status(201).json({ id: comment.id, mediaId: media.id, parentId: comment.parentId ?? null, fromId: comment.fromId, username: comment.username, webhook });
  });

  router.post('/messages', async (req, res) => {
    const body = messageSchema.parse(req.body);
    const account = ctx.state.primaryAccount();
    const message = receiveMessage(ctx, account, body);
    const webhook = await emit(ctx, account, messageEvent(ctx, account, message));
    return res.status(201).json({ conversationId: message.conversationId, messageId: message.id, participantId: message.fromId, webhook });
  });

  router.post('/account', (req, res) => {
    const body = accountSchema.parse(req.body);
    const account = body.igId ? ctx.state.accounts.get(body.igId) : ctx.state.primaryAccount();
    if (!account) return notFound(res, 'account');
    account.followersCount = body.followersCount;
    return res.json({ igId: account.igId, followersCount: account.followersCount });
  });
};
