// Direct messages: the conversation list, one thread, and replies within Instagram's window
// (§4.3): 24 h after the person's last message, or 7 days as a human agent when the owner
// enabled that option. Owners and editors reply; viewers read.
import { eq } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import { settings } from '../../db/schema.js';
import { Forbidden, NotFound } from '../../errors.js';
import type { EngagementApi } from '../../instagram/engagement.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Actor } from '../users/users.service.js';
import { canModerate } from './comments.service.js';
import type { CachedConversation, CachedMessage, ConversationSummary, ConversationsRepo } from './conversations.repo.js';
import type { InboxLive } from './live.js';
import { ActionRefused, isGraphError, refusalOf } from './refusals.js';

export const STANDARD_WINDOW_MS = 24 * 3_600_000;
export const HUMAN_AGENT_WINDOW_MS = 7 * 86_400_000;
/** §4.2: text is at most 1000 bytes of UTF-8. */
export const MESSAGE_MAX_BYTES = 1000;

const HUMAN_AGENT_KEY = 'inbox.human_agent';

export const CLOSED_REASONS = ['expired', 'expired_human_agent_off', 'never'] as const;

/** Whether a reply can go now, and until when. */
export type ReplyWindow =
  | { state: 'open'; closesAt: number }
  | { state: 'human_agent'; closesAt: number }
  /** `expired`: over 24 h (and over 7 days, or the option is off); `never`: the person never wrote. */
  | { state: 'closed'; reason: (typeof CLOSED_REASONS)[number] };

export function replyWindow(lastInboundAt: number | null, now: number, humanAgent: boolean): ReplyWindow {
  if (lastInboundAt === null) return { state: 'closed', reason: 'never' };
  if (now - lastInboundAt <= STANDARD_WINDOW_MS) return { state: 'open', closesAt: lastInboundAt + STANDARD_WINDOW_MS };
  if (now - lastInboundAt <= HUMAN_AGENT_WINDOW_MS) {
    return humanAgent ? { state: 'human_agent', closesAt: lastInboundAt + HUMAN_AGENT_WINDOW_MS } : { state: 'closed', reason: 'expired_human_agent_off' };
  }
  return { state: 'closed', reason: 'expired' };
}

export interface Thread {
  conversation: CachedConversation;
  messages: CachedMessage[];
  window: ReplyWindow;
}

export class MessagesService {
  constructor(
    private readonly db: Db,
    private readonly accounts: AccountsService,
    private readonly api: EngagementApi,
    readonly repo: ConversationsRepo,
    private readonly live: InboxLive,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  humanAgentEnabled(): boolean {
    return this.db.select().from(settings).where(eq(settings.key, HUMAN_AGENT_KEY)).get()?.value === '1';
  }

  /** Owner only: HUMAN_AGENT needs Meta's approval of the app, which only the owner can vouch for. */
  setHumanAgent(actor: Actor, enabled: boolean): void {
    if (actor.role !== 'owner') throw new Forbidden('engagement.error.ownerOnly');
    const now = this.clock.now();
    this.db
      .insert(settings)
      .values({ key: HUMAN_AGENT_KEY, value: enabled ? '1' : '0', updatedAt: now })
      .onConflictDoUpdate({ target: settings.key, set: { value: enabled ? '1' : '0', updatedAt: now } })
      .run();
    this.audit.record({ kind: 'settings.human_agent', userId: actor.id, actor: actor.username, detail: { enabled } });
  }

  list(accountId: number): ConversationSummary[] {
    return this.repo.summaries(accountId);
  }

  unreadCount(accountId: number): number {
    return this.repo.unreadConversations(accountId);
  }

  /** Opening a thread marks it read up to now. */
  open(accountId: number, conversationId: number): Thread {
    const thread = this.thread(accountId, conversationId);
    this.repo.markRead(conversationId, this.clock.now());
    return thread;
  }

  thread(accountId: number, conversationId: number): Thread {
    const conversation = this.repo.find(accountId, conversationId);
    if (!conversation) throw new NotFound('engagement.error.conversationGone');
    return { conversation, messages: this.repo.messagesOf(conversationId), window: replyWindow(conversation.lastInboundAt, this.clock.now(), this.humanAgentEnabled()) };
  }

  async reply(actor: Actor, accountId: number, conversationId: number, text: string): Promise<void> {
    if (!canModerate(actor)) throw new Forbidden('engagement.error.viewerOnly');
    const { conversation, window } = this.thread(accountId, conversationId);
    if (window.state === 'closed') throw new ActionRefused(`engagement.window.closed.${window.reason}`);
    const account = this.accounts.repo.findById(accountId);
    if (!account) throw new NotFound('accounts.error.notFound');
    if (account.status !== 'ok') throw new ActionRefused('instagram.errorClass.reconnect.text', {}, 'instagram.errorClass.reconnect.title');
    const humanAgent = window.state === 'human_agent';
    let sent;
    try {
      sent = await this.api.sendMessage(this.accounts.tokenOf(account), account.igUserId, conversation.participantId, text, { humanAgent });
    } catch (error) {
      if (!isGraphError(error)) throw error;
      if (error.errorClass === 'reconnect') this.accounts.markNeedsReconnect(accountId, `${error.errorClass}:${error.code ?? ''}/${error.subcode ?? ''}`);
      throw refusalOf(error);
    }
    const now = this.clock.now();
    this.repo.upsertMessage(conversation.id, { igMessageId: sent.message_id, direction: 'out', text, sentAt: now, sentBy: actor.id, humanAgent }, now);
    this.repo.markRead(conversation.id, now);
    this.live.changed(accountId, 'messages');
  }
}
