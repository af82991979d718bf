// Other people on Instagram: they comment on the account's posts and write it direct messages.
// Used by the control API (/__control) and by tests holding the simulator object. Each event is
// sent as a webhook before the promise resolves; `webhook` says what became of it.
import { createComment, replyTo } from './comments.service.js';
import type { SimContext } from './context.js';
import { commentEvent, emit, messageEvent, type Delivery } from './events.js';
import { receiveMessage } from './messaging.service.js';
import type { SimAccount, SimMedia } from './state.js';

export interface InboundComment {
  mediaId?: string | undefined;
  text: string;
  username?: string | undefined;
  parentId?: string | undefined;
}

export interface InboundMessage {
  text: string;
  participantId?: string | undefined;
  username?: string | undefined;
}

export class NoSuch extends Error {}

/** A commenter keeps one IGSID across comments, so private replies and DMs line up. */
function commenter(ctx: SimContext, username: string): { id: string; username: string } {
  const earlier = [...ctx.state.comments.values()].find((c) => c.username === username);
  const id = earlier?.fromId ?? '6' + String(ctx.state.random.int(1000000, 9999999)) + String(ctx.state.random.int(1000000, 9999999));
  return { id, username };
}

function newestFeedMedia(ctx: SimContext, account: SimAccount): SimMedia | undefined {
  return ctx.state.mediaOf(account.igId).find((m) => m.productType === 'FEED');
}

export function people(ctx: SimContext) {
  return {
    async comment(input: InboundComment) {
      const author = commenter(ctx, input.username ?? 'new_commenter');
      const parent = input.parentId ? ctx.state.comments.get(input.parentId) : undefined;
      if (input.parentId && !parent) throw new NoSuch('comment');
      const media = parent ? ctx.state.media.get(parent.mediaId) : input.mediaId ? ctx.state.media.get(input.mediaId) : newestFeedMedia(ctx, ctx.state.primaryAccount());
      const owner = media ? ctx.state.accounts.get(media.igId) : undefined;
      if (!media || !owner) throw new NoSuch('media');
      const comment = parent ? replyTo(ctx, parent, author, input.text) : createComment(ctx, media, author, input.text);
      const webhook: Delivery = await emit(ctx, owner, commentEvent(ctx, owner, comment, media));
      return { id: comment.id, mediaId: media.id, parentId: comment.parentId ?? null, fromId: comment.fromId, username: comment.username, webhook };
    },

    async message(input: InboundMessage) {
      const account = ctx.state.primaryAccount();
      const message = receiveMessage(ctx, account, input);
      const webhook: Delivery = await emit(ctx, account, messageEvent(ctx, account, message));
      return { conversationId: message.conversationId, messageId: message.id, participantId: message.fromId, webhook };
    },
  };
}

export type People = ReturnType<typeof people>;
