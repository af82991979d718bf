// Turns what Instagram says (webhook events, listings) into cache rows, and tells open inboxes.
// No network here: what a webhook leaves out (the post, the person's username) is looked up by
// the sync service afterwards.
import type { Clock } from '../../clock.js';
import type { AccountRow, AccountsRepo } from '../accounts/accounts.repo.js';
import type { CommentsRepo } from './comments.repo.js';
import type { ConversationsRepo } from './conversations.repo.js';
import type { InboxLive } from './live.js';
import { epochMs, readComment, readEdit, readMessage, type WebhookEvent } from './webhook-events.js';

export type EventOutcome = 'done' | 'ignored';

/** Lookups an event leaves for later: posts not yet known, people not yet named. */
export interface FollowUp {
  accountId: number;
  mediaIds: string[];
  conversationIds: number[];
}

export class IngestService {
  constructor(
    private readonly accounts: AccountsRepo,
    readonly comments: CommentsRepo,
    readonly conversations: ConversationsRepo,
    private readonly live: InboxLive,
    private readonly clock: Clock,
  ) {}

  /** One webhook event into the cache. Unknown accounts and kinds we do not show are ignored. */
  applyEvent(event: WebhookEvent): { outcome: EventOutcome; followUp?: FollowUp } {
    const account = this.accounts.findByIgUserId(event.igUserId);
    if (!account) return { outcome: 'ignored' };
    if (event.field === 'comments' || event.field === 'live_comments') return this.applyComment(account, event);
    if (event.field === 'messages') return this.applyMessage(account, event);
    if (event.field === 'message_edit') {
      const edit = readEdit(event.value);
      if (!edit) return { outcome: 'ignored' };
      this.conversations.editMessage(edit.mid, edit.text);
      this.live.changed(account.id, 'messages');
      return { outcome: 'done' };
    }
    return { outcome: 'ignored' };
  }

  private applyComment(account: AccountRow, event: WebhookEvent): { outcome: EventOutcome; followUp?: FollowUp } {
    const change = readComment(event.value);
    if (!change) return { outcome: 'ignored' };
    const now = this.clock.now();
    // Comment webhooks carry no timestamp of their own; the entry's time is when it happened.
    const writtenAt = Math.min(event.time ?? now, now);
    const known = this.comments.media(account.id, change.media.id);
    if (!known) this.comments.upsertMedia(account.id, { igMediaId: change.media.id, productType: change.media.media_product_type ?? null }, now);
    this.comments.upsert(
      account.id,
      {
        igCommentId: change.id,
        igMediaId: change.media.id,
        parentId: change.parent_id ?? null,
        fromId: change.from.id,
        // §7.5: the account's own comments and replies come back as events too.
        own: change.from.id === account.igUserId,
        username: change.from.username,
        text: change.text,
        writtenAt,
      },
      now,
    );
    this.live.changed(account.id, 'comments');
    const needsMedia = !known || known.postedAt === null;
    return { outcome: 'done', followUp: { accountId: account.id, mediaIds: needsMedia ? [change.media.id] : [], conversationIds: [] } };
  }

  private applyMessage(account: AccountRow, event: WebhookEvent): { outcome: EventOutcome; followUp?: FollowUp } {
    const item = readMessage(event.value);
    if (!item) return { outcome: 'ignored' };
    const { message } = item;
    if (message.is_deleted) {
      this.conversations.removeMessage(message.mid);
      this.live.changed(account.id, 'messages');
      return { outcome: 'done' };
    }
    // An echo is the business's own message (from Qanat or the Instagram app): sender and recipient swap.
    const echo = message.is_echo === true || item.sender.id === account.igUserId;
    const participantId = echo ? item.recipient.id : item.sender.id;
    const now = this.clock.now();
    const sentAt = Math.min(epochMs(item.timestamp) ?? event.time ?? now, now);
    const conversation = this.conversations.ensure(account.id, participantId, sentAt, now);
    this.conversations.upsertMessage(
      conversation.id,
      {
        igMessageId: message.mid,
        direction: echo ? 'out' : 'in',
        text: message.text ?? null,
        attachments: (message.attachments ?? []).map((a) => a.type).concat(message.is_unsupported ? ['unsupported'] : []),
        sentAt,
      },
      now,
    );
    this.live.changed(account.id, 'messages');
    const needsName = conversation.participantUsername === null || conversation.igConversationId === null;
    return { outcome: 'done', followUp: { accountId: account.id, mediaIds: [], conversationIds: needsName ? [conversation.id] : [] } };
  }
}
