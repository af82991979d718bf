// §3.2–3.5 comments and moderation, §4 messaging, §5 insights, §7.4 subscribed_apps.
// Edge routes only (/<id>/<edge>); the objects themselves (comments, conversations, messages) are
// node kinds served by nodes.ts. `:igId` accepts `me`, the IG id or the app-scoped id (§0).
import type { Router } from 'express';
import { requireToken } from './auth.js';
import { commentNode, listComments, listReplies, postComment, postReply } from './comments.handlers.js';
import type { SimContext } from './context.js';
import { engagementControl } from './events.control.js';
import { getInsights } from './insights.handlers.js';
import { conversationNode, listConversations, messageNode, postMessage } from './messaging.handlers.js';
import type { NodeKind } from './nodes.js';
import { listSubscriptions, subscribe, unsubscribe } from './subscriptions.js';

export function engagementRoutes(ctx: SimContext, router: Router): void {
  const authed = requireToken(ctx); // each handler checks the scopes its endpoint needs
  router.get('/:mediaId/comments', authed, listComments(ctx));
  router.post('/:mediaId/comments', authed, postComment(ctx));
  router.get('/:commentId/replies', authed, listReplies(ctx));
  router.post('/:commentId/replies', authed, postReply(ctx));

  router.get('/:igId/conversations', authed, listConversations(ctx));
  router.post('/:igId/messages', authed, postMessage(ctx));

  // One path for both: the id says whether it is the account (§5.1) or a media object (§5.2).
  router.get('/:id/insights', authed, getInsights(ctx));

  router.get('/:igId/subscribed_apps', authed, listSubscriptions);
  router.post('/:igId/subscribed_apps', authed, subscribe);
  router.delete('/:igId/subscribed_apps', authed, unsubscribe);
}

export const engagementNodes = [commentNode, conversationNode, messageNode] as Array<NodeKind<never>>;

export { engagementControl };
