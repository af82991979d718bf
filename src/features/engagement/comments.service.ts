// The comments inbox: threads across posts with filters, and every moderation action Instagram
// allows. Owners and editors act; viewers read. Each refusal becomes an explanation.
import type { Clock } from '../../clock.js';
import { Forbidden, NotFound } from '../../errors.js';
import type { EngagementApi } from '../../instagram/engagement.js';
import type { GraphError } from '../../instagram/graph-error.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../users/users.service.js';
import type { CachedComment, CommentsRepo, MediaRow } from './comments.repo.js';
import type { InboxLive } from './live.js';
import { ActionRefused, isGone, isGraphError, refusalOf } from './refusals.js';

export const COMMENT_FILTERS = ['all', 'needs_reply', 'hidden'] as const;
export type CommentFilter = (typeof COMMENT_FILTERS)[number];

/** §3.5: one private reply per comment, within 7 days. */
export const PRIVATE_REPLY_WINDOW_MS = 7 * 86_400_000;
/** Older comments are not counted as waiting: a week-old question is history, not a task. */
export const NEEDS_REPLY_WINDOW_MS = 7 * 86_400_000;
/** Instagram's comment limit. */
export const COMMENT_MAX_CHARS = 2200;
export const THREADS_PER_PAGE = 25;

export interface CommentQuery {
  filter: CommentFilter;
  mediaId?: string | undefined;
  search?: string | undefined;
  page: number;
}

export interface CommentThread {
  comment: CachedComment;
  replies: CachedComment[];
  media: MediaRow | undefined;
  needsReply: boolean;
  /** A private reply is still possible (not sent, not the account's own, within 7 days). */
  canPrivateReply: boolean;
}

export interface CommentPage {
  threads: CommentThread[];
  total: number;
  page: number;
  pages: number;
  media: MediaRow[];
}

export function canModerate(actor: Actor): boolean {
  return actor.role === 'owner' || actor.role === 'editor';
}

function requireModerator(actor: Actor): void {
  if (!canModerate(actor)) throw new Forbidden('engagement.error.viewerOnly');
}

/** Lower case without accents, so "cafe" finds "Café". */
function fold(text: string): string {
  return text.normalize('NFKD').replace(/\p{M}/gu, '').toLocaleLowerCase();
}

export class CommentsService {
  constructor(
    private readonly accounts: AccountsService,
    private readonly api: EngagementApi,
    readonly repo: CommentsRepo,
    private readonly live: InboxLive,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  /** Top-level comments with their replies, newest first, filtered. */
  threads(accountId: number): CommentThread[] {
    const all = this.repo.all(accountId);
    const media = new Map(this.repo.mediaList(accountId).map((m) => [m.igMediaId, m]));
    const repliesOf = new Map<string, CachedComment[]>();
    for (const c of all) {
      if (!c.parentId) continue;
      const list = repliesOf.get(c.parentId) ?? [];
      list.unshift(c); // `all` is newest first; a thread reads oldest first
      repliesOf.set(c.parentId, list);
    }
    return all.filter((c) => !c.parentId).map((comment) => this.threadOf(comment, repliesOf.get(comment.igCommentId) ?? [], media.get(comment.igMediaId)));
  }

  private threadOf(comment: CachedComment, replies: CachedComment[], media: MediaRow | undefined): CommentThread {
    const now = this.clock.now();
    const answered = replies.some((r) => r.own) || comment.privateReplyAt !== null;
    return {
      comment,
      replies,
      media,
      needsReply: !comment.own && !comment.hidden && comment.doneAt === null && !answered && now - comment.writtenAt <= NEEDS_REPLY_WINDOW_MS,
      canPrivateReply: !comment.own && comment.privateReplyAt === null && now - comment.writtenAt <= PRIVATE_REPLY_WINDOW_MS,
    };
  }

  list(accountId: number, query: CommentQuery): CommentPage {
    // "@name" finds the name: usernames are stored without the @.
    const needle = query.search ? fold(query.search.trim().replace(/^@+/, '')) : '';
    if (needle) return this.search(accountId, query, needle);
    // Without a search everything is decided in SQL and only the page is decrypted.
    const since = this.clock.now() - NEEDS_REPLY_WINDOW_MS;
    const where = { filter: query.filter, mediaId: query.mediaId, since };
    const { total } = this.repo.topLevelPage(accountId, where, 0, 0);
    const pages = Math.max(1, Math.ceil(total / THREADS_PER_PAGE));
    const page = Math.min(Math.max(1, query.page), pages);
    const { rows } = this.repo.topLevelPage(accountId, where, THREADS_PER_PAGE, (page - 1) * THREADS_PER_PAGE);
    const replies = this.repo.repliesTo(accountId, rows.map((c) => c.igCommentId));
    const mediaList = this.repo.mediaList(accountId);
    const media = new Map(mediaList.map((m) => [m.igMediaId, m]));
    const threads = rows.map((comment) => this.threadOf(comment, replies.filter((r) => r.parentId === comment.igCommentId), media.get(comment.igMediaId)));
    return { threads, total, page, pages, media: mediaList };
  }

  /** Text and usernames are encrypted, so a search reads every cached comment (at most a day of them). */
  private search(accountId: number, query: CommentQuery, needle: string): CommentPage {
    const matches = this.threads(accountId).filter((t) => {
      if (query.filter === 'needs_reply' && !t.needsReply) return false;
      if (query.filter === 'hidden' && !t.comment.hidden) return false;
      if (query.mediaId && t.comment.igMediaId !== query.mediaId) return false;
      return [t.comment, ...t.replies].some((c) => fold(c.text).includes(needle) || fold(c.username).includes(needle));
    });
    const pages = Math.max(1, Math.ceil(matches.length / THREADS_PER_PAGE));
    const page = Math.min(Math.max(1, query.page), pages);
    return { threads: matches.slice((page - 1) * THREADS_PER_PAGE, page * THREADS_PER_PAGE), total: matches.length, page, pages, media: this.repo.mediaList(accountId) };
  }

  needsReplyCount(accountId: number): number {
    return this.repo.needsReplyCount(accountId, this.clock.now() - NEEDS_REPLY_WINDOW_MS);
  }

  thread(accountId: number, igCommentId: string): CommentThread {
    const comment = this.repo.find(accountId, igCommentId);
    if (!comment) throw new NotFound('engagement.error.commentGone');
    const top = comment.parentId ? this.repo.find(accountId, comment.parentId) : comment;
    if (!top) throw new NotFound('engagement.error.commentGone');
    return this.threadOf(top, this.repo.repliesTo(accountId, [top.igCommentId]), this.repo.media(accountId, top.igMediaId));
  }

  /** §3.3: replies go to the top-level comment; hidden comments take none. */
  async reply(actor: Actor, accountId: number, igCommentId: string, text: string): Promise<void> {
    requireModerator(actor);
    const { comment } = this.thread(accountId, igCommentId);
    if (comment.hidden) throw new ActionRefused('engagement.refused.hiddenReply');
    const media = this.repo.media(accountId, comment.igMediaId);
    if (media && !media.commentsEnabled) throw new ActionRefused('engagement.refused.commentsOff');
    const { account, token } = this.access(accountId);
    try {
      const id = await this.api.reply(token, comment.igCommentId, text);
      this.repo.upsert(
        accountId,
        { igCommentId: id, igMediaId: comment.igMediaId, parentId: comment.igCommentId, fromId: account.igUserId, own: true, username: account.username, text, writtenAt: this.clock.now() },
        this.clock.now(),
      );
    } catch (error) {
      throw await this.explain(accountId, token, comment, error, 'reply');
    }
    this.live.changed(accountId, 'comments');
  }

  async setHidden(actor: Actor, accountId: number, igCommentId: string, hidden: boolean): Promise<void> {
    requireModerator(actor);
    const comment = this.mustFind(accountId, igCommentId);
    if (comment.own) throw new ActionRefused('engagement.refused.ownHidden');
    const { token } = this.access(accountId);
    try {
      await this.api.setHidden(token, comment.igCommentId, hidden);
    } catch (error) {
      throw await this.explain(accountId, token, comment, error);
    }
    this.repo.setHidden(accountId, comment.igCommentId, hidden);
    this.live.changed(accountId, 'comments');
  }

  /** §3.3: the media owner may delete any comment on it; its replies go with it. */
  async remove(actor: Actor, accountId: number, igCommentId: string): Promise<void> {
    requireModerator(actor);
    const comment = this.mustFind(accountId, igCommentId);
    const { account, token } = this.access(accountId);
    try {
      await this.api.deleteComment(token, comment.igCommentId);
    } catch (error) {
      // Already gone on Instagram: the goal is reached, so the cache follows.
      if (!(isGraphError(error) && isGone(error))) throw await this.explain(accountId, token, comment, error);
    }
    this.repo.remove(accountId, comment.igCommentId);
    this.audit.record({ kind: 'comment.deleted', userId: actor.id, actor: actor.username, detail: { account: account.username, comment: comment.igCommentId } });
    this.live.changed(accountId, 'comments');
  }

  /** §3.4 */
  async setCommentsEnabled(actor: Actor, accountId: number, igMediaId: string, enabled: boolean): Promise<void> {
    requireModerator(actor);
    const media = this.repo.media(accountId, igMediaId);
    if (!media) throw new NotFound('engagement.error.postGone');
    const { account, token } = this.access(accountId);
    try {
      await this.api.setCommentsEnabled(token, igMediaId, enabled);
    } catch (error) {
      if (isGraphError(error)) throw this.graphRefusal(accountId, error);
      throw error;
    }
    this.repo.setCommentsEnabled(accountId, igMediaId, enabled);
    this.audit.record({ kind: enabled ? 'comments.enabled' : 'comments.disabled', userId: actor.id, actor: actor.username, detail: { account: account.username, media: igMediaId } });
    this.live.changed(accountId, 'comments');
  }

  /** §3.5: one message to the commenter's inbox, within 7 days of the comment. */
  async privateReply(actor: Actor, accountId: number, igCommentId: string, text: string): Promise<void> {
    requireModerator(actor);
    const comment = this.mustFind(accountId, igCommentId);
    if (comment.own) throw new ActionRefused('engagement.refused.privateOwn');
    if (comment.privateReplyAt !== null) throw new ActionRefused('instagram.code.2534025');
    if (this.clock.now() - comment.writtenAt > PRIVATE_REPLY_WINDOW_MS) throw new ActionRefused('engagement.refused.privateTooOld');
    const { account, token } = this.access(accountId);
    try {
      await this.api.privateReply(token, account.igUserId, comment.igCommentId, text);
    } catch (error) {
      // Instagram says one was already sent (from the app, or by a request whose answer we lost).
      if (isGraphError(error) && error.subcode === 2534025) this.repo.setPrivateReply(accountId, comment.igCommentId, this.clock.now());
      throw await this.explain(accountId, token, comment, error);
    }
    this.repo.setPrivateReply(accountId, comment.igCommentId, this.clock.now());
    this.live.changed(accountId, 'comments');
  }

  /** "No reply needed": takes a comment off the needs-reply list (and back). */
  markDone(actor: Actor, accountId: number, igCommentId: string, done: boolean): void {
    requireModerator(actor);
    const comment = this.mustFind(accountId, igCommentId);
    this.repo.setDone(accountId, comment.igCommentId, done ? this.clock.now() : null);
    this.live.changed(accountId, 'comments');
  }

  private mustFind(accountId: number, igCommentId: string): CachedComment {
    const comment = this.repo.find(accountId, igCommentId);
    if (!comment) throw new NotFound('engagement.error.commentGone');
    return comment;
  }

  private access(accountId: number) {
    const account = this.accounts.repo.findById(accountId);
    if (!account) throw new NotFound('accounts.error.notFound');
    if (account.status !== 'ok') throw new ActionRefused('instagram.errorClass.reconnect.text', {}, 'instagram.errorClass.reconnect.title');
    try {
      return { account, token: this.accounts.tokenOf(account) };
    } catch {
      this.accounts.markNeedsReconnect(accountId, 'token_unreadable');
      throw new ActionRefused('instagram.errorClass.reconnect.text', {}, 'instagram.errorClass.reconnect.title');
    }
  }

  private graphRefusal(accountId: number, error: GraphError): ActionRefused {
    if (error.errorClass === 'reconnect') this.accounts.markNeedsReconnect(accountId, `${error.errorClass}:${error.code ?? ''}/${error.subcode ?? ''}`);
    return refusalOf(error);
  }

  /**
   * A refusal about a comment: when Instagram's answer is vague (code 100), read the comment and
   * its post again to say the real reason (hidden, deleted, comments turned off) and fix the cache.
   */
  private async explain(accountId: number, token: string, comment: CachedComment, error: unknown, action: 'reply' | 'other' = 'other'): Promise<Error> {
    if (!isGraphError(error)) return error instanceof Error ? error : new Error(String(error));
    if (error.code !== 100 || error.subcode === 2534025) return this.graphRefusal(accountId, error);
    if (isGone(error)) {
      this.repo.remove(accountId, comment.igCommentId);
      this.live.changed(accountId, 'comments');
      return new ActionRefused('engagement.refused.deleted');
    }
    // Only a reply is refused for being hidden or for comments being off.
    if (action !== 'reply') return this.graphRefusal(accountId, error);
    try {
      const fresh = await this.api.comment(token, comment.igCommentId);
      if (fresh.hidden) {
        this.repo.setHidden(accountId, comment.igCommentId, true);
        return new ActionRefused('engagement.refused.hiddenReply');
      }
      const media = await this.api.media(token, comment.igMediaId);
      if (media.is_comment_enabled === false) {
        this.repo.setCommentsEnabled(accountId, comment.igMediaId, false);
        return new ActionRefused('engagement.refused.commentsOff');
      }
    } catch (again) {
      if (isGraphError(again) && isGone(again)) {
        this.repo.remove(accountId, comment.igCommentId);
        return new ActionRefused('engagement.refused.deleted');
      }
    }
    return this.graphRefusal(accountId, error);
  }
}
