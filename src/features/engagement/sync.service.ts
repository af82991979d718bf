// The backstop behind webhooks: reads recent media with their comments, and recent conversations
// with their messages, into the cache. Every read also refreshes `fetched_at`, which is what
// keeps a row past the 24 h purge; what Instagram no longer shows falls out of the cache.
import type { Clock } from '../../clock.js';
import { Forbidden, NotFound } from '../../errors.js';
import { GraphError } from '../../instagram/graph-error.js';
import type { EngagementApi } from '../../instagram/engagement.js';
import type { Comment, Conversation, Media, Page } from '../../instagram/types.js';
import type { Logger } from '../../log.js';
import type { AccountRow } from '../accounts/accounts.repo.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { MediaFacts } from './comments.repo.js';
import type { FollowUp, IngestService } from './ingest.service.js';
import type { InboxLive } from './live.js';
import type { Actor } from '../users/users.service.js';
import { canModerate } from './comments.service.js';
import { ActionRefused } from './refusals.js';

export interface SyncLimits {
  /** Recent media whose comments are read (§3.1 pages hold 25; we ask for this many). */
  media: number;
  /** Pages of 50 comments read per media; a longer thread is read in part (and nothing removed). */
  commentPages: number;
  conversations: number;
}

export const DEFAULT_SYNC_LIMITS: SyncLimits = { media: 50, commentPages: 4, conversations: 50 };

/** §4.1: only the newest 20 messages of a conversation can be read in detail. */
export const READABLE_MESSAGES = 20;

export interface SyncCounts {
  accounts: number;
  media: number;
  comments: number;
  conversations: number;
  messages: number;
  failed: number;
}

/** Graph times look like 2019-09-26T22:36:43+0000 (§0). */
export function graphTimeMs(value: string | undefined): number | undefined {
  if (!value) return undefined;
  const ms = Date.parse(value.replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
  return Number.isFinite(ms) ? ms : undefined;
}

function mediaFacts(m: Media): MediaFacts {
  return {
    igMediaId: m.id,
    mediaType: m.media_type ?? null,
    productType: m.media_product_type ?? null,
    caption: m.caption ? m.caption.slice(0, 140) : null,
    permalink: m.permalink ?? null,
    thumbnailUrl: m.thumbnail_url ?? m.media_url ?? null,
    postedAt: graphTimeMs(m.timestamp) ?? null,
    commentsCount: m.comments_count ?? null,
    ...(m.is_comment_enabled !== undefined ? { commentsEnabled: m.is_comment_enabled } : {}),
  };
}

export class SyncService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly api: EngagementApi,
    private readonly ingest: IngestService,
    private readonly live: InboxLive,
    private readonly clock: Clock,
    private readonly log: Logger,
    private readonly limits: SyncLimits = DEFAULT_SYNC_LIMITS,
  ) {}

  /** "Check Instagram now" from the inbox: owners and editors, one account. */
  async syncNow(actor: Actor, accountId: number): Promise<SyncCounts> {
    if (!canModerate(actor)) throw new Forbidden('engagement.error.viewerOnly');
    const account = this.accounts.repo.findById(accountId);
    if (!account) throw new NotFound('accounts.error.notFound');
    if (account.status !== 'ok') throw new ActionRefused('instagram.errorClass.reconnect.text', {}, 'instagram.errorClass.reconnect.title');
    return this.syncAccount(account);
  }

  async syncAll(): Promise<SyncCounts> {
    const total: SyncCounts = { accounts: 0, media: 0, comments: 0, conversations: 0, messages: 0, failed: 0 };
    for (const account of this.accounts.repo.list()) {
      if (account.status !== 'ok') continue;
      total.accounts += 1;
      const counts = await this.syncAccount(account);
      for (const key of ['media', 'comments', 'conversations', 'messages', 'failed'] as const) total[key] += counts[key];
    }
    return total;
  }

  /** Comments and messages of one account; a failure in one half does not stop the other. */
  async syncAccount(account: AccountRow): Promise<SyncCounts> {
    const counts: SyncCounts = { accounts: 1, media: 0, comments: 0, conversations: 0, messages: 0, failed: 0 };
    let token: string;
    try {
      token = this.accounts.tokenOf(account);
    } catch {
      this.accounts.markNeedsReconnect(account.id, 'token_unreadable');
      counts.failed += 1;
      return counts;
    }
    for (const part of [() => this.syncComments(account, token, counts), () => this.syncConversations(account, token, counts)]) {
      try {
        await part();
      } catch (error) {
        counts.failed += 1;
        if (error instanceof GraphError && error.errorClass === 'reconnect') {
          this.accounts.markNeedsReconnect(account.id, `${error.errorClass}:${error.code ?? ''}/${error.subcode ?? ''}`);
          break;
        }
        this.log.warn({ err: error, account: account.username }, 'inbox sync failed');
      }
    }
    this.live.changed(account.id, 'comments');
    this.live.changed(account.id, 'messages');
    return counts;
  }

  private async syncComments(account: AccountRow, token: string, counts: SyncCounts): Promise<void> {
    const page = await this.api.recentMedia(token, account.igUserId, this.limits.media);
    for (const media of page.data.slice(0, this.limits.media)) {
      const now = this.clock.now();
      this.ingest.comments.upsertMedia(account.id, mediaFacts(media), now);
      counts.media += 1;
      if (media.media_product_type === 'STORY') continue;
      counts.comments += await this.syncMediaComments(account, token, media.id);
    }
  }

  /** All top-level comments with their replies; whatever a complete listing misses was deleted. */
  private async syncMediaComments(account: AccountRow, token: string, mediaId: string): Promise<number> {
    const seen: string[] = [];
    let page: Page<Comment> | undefined = await this.api.listComments(token, mediaId);
    let pages = 0;
    while (page) {
      pages += 1;
      const now = this.clock.now();
      for (const comment of page.data) {
        for (const c of [comment, ...(comment.replies?.data ?? [])]) {
          this.ingest.comments.upsert(
            account.id,
            {
              igCommentId: c.id,
              igMediaId: mediaId,
              parentId: c === comment ? null : comment.id,
              fromId: c.from?.id ?? '',
              own: c.from?.id === account.igUserId,
              username: c.from?.username ?? c.username ?? '',
              text: c.text ?? '',
              writtenAt: graphTimeMs(c.timestamp) ?? now,
              hidden: c.hidden ?? false,
              ...(c.like_count !== undefined ? { likeCount: c.like_count } : {}),
            },
            now,
          );
          seen.push(c.id);
        }
      }
      // A longer thread is read in part, and then nothing can be called missing.
      if (pages >= this.limits.commentPages) return seen.length;
      page = await this.api.nextPage(token, page);
    }
    this.ingest.comments.removeMissing(account.id, mediaId, seen);
    return seen.length;
  }

  private async syncConversations(account: AccountRow, token: string, counts: SyncCounts): Promise<void> {
    let page: Page<Conversation> | undefined = await this.api.conversations(token);
    let read = 0;
    while (page && read < this.limits.conversations) {
      for (const conversation of page.data) {
        if (read >= this.limits.conversations) break;
        read += 1;
        counts.conversations += 1;
        counts.messages += await this.syncConversation(account, token, conversation);
      }
      page = read < this.limits.conversations ? await this.api.nextPage(token, page) : undefined;
    }
  }

  private participantOf(account: AccountRow, conversation: Conversation): { id: string; username?: string } | undefined {
    return conversation.participants?.data.find((p) => p.id !== account.igUserId && p.id !== account.appScopedId);
  }

  /** The newest messages in detail (§4.1: at most 20 readable); known ones are only confirmed. */
  private async syncConversation(account: AccountRow, token: string, conversation: Conversation): Promise<number> {
    const person = this.participantOf(account, conversation);
    if (!person) return 0;
    const now = this.clock.now();
    const row = this.ingest.conversations.ensure(account.id, person.id, graphTimeMs(conversation.updated_time) ?? now, now);
    this.ingest.conversations.describe(row.id, { igConversationId: conversation.id, ...(person.username ? { username: person.username } : {}) });
    const listed = (await this.api.conversationMessages(token, conversation.id)).slice(0, READABLE_MESSAGES);
    let read = 0;
    for (const item of listed) {
      if (this.ingest.conversations.touchMessage(item.id, this.clock.now())) continue;
      const message = await this.api.message(token, item.id);
      const outbound = message.from?.id === account.igUserId || message.from?.id === account.appScopedId;
      this.ingest.conversations.upsertMessage(
        row.id,
        { igMessageId: message.id, direction: outbound ? 'out' : 'in', text: message.message ?? null, sentAt: graphTimeMs(message.created_time) ?? now },
        this.clock.now(),
      );
      read += 1;
    }
    return read;
  }

  /** What a webhook left out: the post a comment is on, the person who wrote. */
  async followUp(followUp: FollowUp): Promise<void> {
    const account = this.accounts.repo.findById(followUp.accountId);
    if (!account || account.status !== 'ok') return;
    const token = this.accounts.tokenOf(account);
    for (const mediaId of followUp.mediaIds) {
      this.ingest.comments.upsertMedia(account.id, mediaFacts(await this.api.media(token, mediaId)), this.clock.now());
    }
    for (const id of followUp.conversationIds) {
      const row = this.ingest.conversations.find(account.id, id);
      if (!row) continue;
      const found = await this.api.conversations(token, { userId: row.participantId });
      const conversation = found.data[0];
      const person = conversation ? this.participantOf(account, conversation) : undefined;
      if (conversation) this.ingest.conversations.describe(row.id, { igConversationId: conversation.id, ...(person?.username ? { username: person.username } : {}) });
    }
    this.live.changed(account.id, 'comments');
    this.live.changed(account.id, 'messages');
  }
}
