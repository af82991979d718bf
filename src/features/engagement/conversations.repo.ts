// The direct-message cache: one conversation per person, their messages. Usernames and message
// text are sealed here, bound to the conversation and the message id.
import { and, asc, desc, eq, gt, sql } from 'drizzle-orm';
import { deleteInChunks } from '../../db/chunked-delete.js';
import type { Db } from '../../db/client.js';
import type { Cipher } from '../../db/crypto.js';
import { conversations, messages } from '../../db/schema.engagement.js';
import { returnedRow } from '../../db/returning.js';

/** Attachment types (§7.5) the thread names; anything else is shown as "other". */
export const ATTACHMENT_LABELS = ['image', 'video', 'audio', 'file', 'share', 'story_mention', 'ig_reel', 'reel'] as const;

type ConversationRow = typeof conversations.$inferSelect;
type MessageRow = typeof messages.$inferSelect;

export interface CachedConversation extends Omit<ConversationRow, 'participantUsername'> {
  participantUsername: string | null;
}

export interface ConversationSummary extends CachedConversation {
  unread: number;
  last: CachedMessage | undefined;
}

export interface CachedMessage extends Omit<MessageRow, 'text'> {
  text: string | null;
  unreadable: boolean;
}

export interface MessageFacts {
  igMessageId: string;
  direction: 'in' | 'out';
  text: string | null;
  attachments?: string[];
  sentAt: number;
  sentBy?: number | null;
  humanAgent?: boolean;
}

const usernameRef = (accountId: number, participantId: string) => ({ table: 'conversations', column: 'participant_username', row: `${accountId}:${participantId}` });
const textRef = (igMessageId: string) => ({ table: 'messages', column: 'text', row: igMessageId });

export class ConversationsRepo {
  constructor(
    private readonly db: Db,
    private readonly cipher: Cipher,
  ) {}

  /** The person's conversation, created on their first message; `fetchedAt` refreshed. */
  ensure(accountId: number, participantId: string, at: number, now: number): CachedConversation {
    const row = returnedRow(
      this.db
        .insert(conversations)
        .values({ accountId, participantId, lastMessageAt: at, fetchedAt: now })
        .onConflictDoUpdate({ target: [conversations.accountId, conversations.participantId], set: { fetchedAt: now } })
        .returning()
        .all(),
    );
    return this.open(row);
  }

  describe(id: number, fields: { igConversationId?: string; username?: string }): void {
    const row = this.db.select().from(conversations).where(eq(conversations.id, id)).get();
    if (!row) return;
    this.db
      .update(conversations)
      .set({
        ...(fields.igConversationId ? { igConversationId: fields.igConversationId } : {}),
        ...(fields.username ? { participantUsername: this.cipher.seal(fields.username, usernameRef(row.accountId, row.participantId)) } : {}),
      })
      .where(eq(conversations.id, id))
      .run();
  }

  find(accountId: number, id: number): CachedConversation | undefined {
    const row = this.db.select().from(conversations).where(and(eq(conversations.accountId, accountId), eq(conversations.id, id))).get();
    return row ? this.open(row) : undefined;
  }

  /** Insert or refresh one message; the conversation's times follow. Returns whether it is new. */
  upsertMessage(conversationId: number, facts: MessageFacts, now: number): { created: boolean } {
    return this.db.transaction((tx) => {
      const text = facts.text === null ? null : this.cipher.seal(facts.text, textRef(facts.igMessageId));
      const existing = tx.select({ id: messages.id }).from(messages).where(eq(messages.igMessageId, facts.igMessageId)).get();
      if (existing) {
        tx.update(messages).set({ text, fetchedAt: now, sentAt: facts.sentAt }).where(eq(messages.id, existing.id)).run();
      } else {
        tx.insert(messages)
          .values({
            conversationId,
            igMessageId: facts.igMessageId,
            direction: facts.direction,
            text,
            attachments: facts.attachments ?? [],
            sentAt: facts.sentAt,
            sentBy: facts.sentBy ?? null,
            humanAgent: facts.humanAgent ?? false,
            fetchedAt: now,
          })
          .run();
      }
      tx.update(conversations)
        .set({
          lastMessageAt: sql`max(${conversations.lastMessageAt}, ${facts.sentAt})`,
          ...(facts.direction === 'in' ? { lastInboundAt: sql`max(coalesce(${conversations.lastInboundAt}, 0), ${facts.sentAt})` } : {}),
          fetchedAt: now,
        })
        .where(eq(conversations.id, conversationId))
        .run();
      return { created: !existing };
    });
  }

  editMessage(igMessageId: string, text: string): void {
    this.db.update(messages).set({ text: this.cipher.seal(text, textRef(igMessageId)) }).where(eq(messages.igMessageId, igMessageId)).run();
  }

  removeMessage(igMessageId: string): void {
    this.db.delete(messages).where(eq(messages.igMessageId, igMessageId)).run();
  }

  touchMessage(igMessageId: string, now: number): boolean {
    return this.db.update(messages).set({ fetchedAt: now }).where(eq(messages.igMessageId, igMessageId)).run().changes > 0;
  }

  /** Oldest first, as a thread reads. */
  messagesOf(conversationId: number): CachedMessage[] {
    return this.db.select().from(messages).where(eq(messages.conversationId, conversationId)).orderBy(asc(messages.sentAt), asc(messages.id)).all().map((m) => this.openMessage(m));
  }

  /** Newest conversation first, with what the list shows: last message and unread count. */
  summaries(accountId: number): ConversationSummary[] {
    const rows = this.db.select().from(conversations).where(eq(conversations.accountId, accountId)).orderBy(desc(conversations.lastMessageAt), desc(conversations.id)).all();
    return rows.map((row) => {
      const last = this.db.select().from(messages).where(eq(messages.conversationId, row.id)).orderBy(desc(messages.sentAt), desc(messages.id)).limit(1).get();
      return { ...this.open(row), unread: this.unreadOf(row), last: last ? this.openMessage(last) : undefined };
    });
  }

  /** Conversations with a message from the person newer than the last time someone opened them. */
  unreadConversations(accountId: number): number {
    return (
      this.db
        .select({ n: sql<number>`count(*)` })
        .from(conversations)
        .where(and(eq(conversations.accountId, accountId), sql`${conversations.lastInboundAt} > coalesce(${conversations.readAt}, 0)`))
        .get()?.n ?? 0
    );
  }

  markRead(id: number, at: number): void {
    this.db.update(conversations).set({ readAt: sql`max(coalesce(${conversations.readAt}, 0), ${at})` }).where(eq(conversations.id, id)).run();
  }

  /** The 24 h promise: messages and conversations Instagram has not confirmed since `cutoff`. */
  async purgeOlderThan(cutoff: number): Promise<{ messages: number; conversations: number }> {
    const removedMessages = await deleteInChunks(this.db, 'messages', sql`fetched_at < ${cutoff}`);
    const removedConversations = await deleteInChunks(this.db, 'conversations', sql`fetched_at < ${cutoff}`);
    return { messages: removedMessages, conversations: removedConversations };
  }

  private unreadOf(row: ConversationRow): number {
    return (
      this.db
        .select({ n: sql<number>`count(*)` })
        .from(messages)
        .where(and(eq(messages.conversationId, row.id), eq(messages.direction, 'in'), gt(messages.sentAt, row.readAt ?? 0)))
        .get()?.n ?? 0
    );
  }

  private open(row: ConversationRow): CachedConversation {
    let participantUsername: string | null = null;
    if (row.participantUsername) {
      try {
        participantUsername = this.cipher.open(row.participantUsername, usernameRef(row.accountId, row.participantId));
      } catch {
        participantUsername = null;
      }
    }
    return { ...row, participantUsername };
  }

  private openMessage(row: MessageRow): CachedMessage {
    if (row.text === null) return { ...row, text: null, unreadable: false };
    try {
      return { ...row, text: this.cipher.open(row.text, textRef(row.igMessageId)), unreadable: false };
    } catch {
      return { ...row, text: null, unreadable: true };
    }
  }
}
