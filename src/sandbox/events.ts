// §7.5 webhook payloads for comments and messages, and when they are sent at all (§7.4).
import type { SimContext } from './context.js';
import type { SimAccount, SimComment, SimMedia, SimMessage } from './state.js';

export type Delivery = 'sent' | 'failed' | 'not-subscribed' | 'no-url';

/**
 * §7.4: an account produces events only once the app subscribed it to at least one field; it
 * then gets every field the app enabled in the dashboard (the simulator's dashboard enables all).
 */
export function emit(ctx: SimContext, account: SimAccount, payload: object): Promise<Delivery> {
  if (!ctx.webhooks.url) return Promise.resolve('no-url');
  if (account.subscribedFields.length === 0) return Promise.resolve('not-subscribed');
  return ctx.webhooks.send(payload).then((ok) => (ok ? 'sent' : 'failed'));
}

/** For events caused by a Graph call: the answer does not wait for the delivery, as on Meta. */
export function emitInBackground(ctx: SimContext, account: SimAccount, payload: object): void {
  emit(ctx, account, payload).catch((error: unknown) => ctx.options.log?.warn({ err: error }, 'sandbox webhook could not be sent'));
}

/** `comments` change; `entry.time` in seconds, `parent_id` only on replies. */
export function commentEvent(ctx: SimContext, account: SimAccount, comment: SimComment, media: SimMedia): object {
  return {
    object: 'instagram',
    entry: [
      {
        id: account.igId,
        time: Math.floor(ctx.clock.now() / 1000),
        changes: [
          {
            field: 'comments',
            value: {
              id: comment.id,
              text: comment.text,
              ...(comment.parentId ? { parent_id: comment.parentId } : {}),
              from: { id: comment.fromId, username: comment.username },
              media: { id: media.id, media_product_type: media.productType },
            },
          },
        ],
      },
    ],
  };
}

/** `messages` event; times in milliseconds. An outbound message comes back as an echo. */
export function messageEvent(ctx: SimContext, account: SimAccount, message: SimMessage): object {
  const echo = message.direction === 'out';
  return {
    object: 'instagram',
    entry: [
      {
        id: account.igId,
        time: ctx.clock.now(),
        messaging: [
          {
            sender: { id: message.fromId },
            recipient: { id: message.toId },
            timestamp: message.createdAt,
            message: { mid: message.id, text: message.text, ...(echo ? { is_echo: true } : {}) },
          },
        ],
      },
    ],
  };
}
