// The inbox cache: comments, conversations and messages read from Instagram (webhooks and the
// sync job), and the webhook de-duplication log. Everything written by other people (comment and
// message text, usernames) is an encrypted column; rows not refreshed within 24 hours are purged
// (the privacy policy's promise, see features/engagement/retention.ts).
import { index, integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { accounts, users } from './schema.js';

/** The account's recent media as the inbox needs them: what a comment was written on. */
export const igMedia = sqliteTable(
  'ig_media',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    igMediaId: text('ig_media_id').notNull(),
    mediaType: text('media_type'),
    productType: text('product_type'),
    /** The business's own caption, shortened; not third-party text. */
    caption: text('caption'),
    permalink: text('permalink'),
    thumbnailUrl: text('thumbnail_url'),
    /** When Instagram says it was posted (UTC ms); null until the media was read. */
    postedAt: integer('posted_at'),
    commentsCount: integer('comments_count'),
    commentsEnabled: integer('comments_enabled', { mode: 'boolean' }).notNull().default(true),
    fetchedAt: integer('fetched_at').notNull(),
  },
  (t) => [uniqueIndex('ig_media_account_media_idx').on(t.accountId, t.igMediaId)],
);

export const comments = sqliteTable(
  'comments',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    igCommentId: text('ig_comment_id').notNull().unique(),
    igMediaId: text('ig_media_id').notNull(),
    /** The top-level comment this one replies to; null for top-level comments. */
    parentId: text('parent_id'),
    /** The commenter's IGSID (the account's own id on its own comments). */
    fromId: text('from_id').notNull(),
    /** Written by the account itself (a reply from Qanat or from the Instagram app). */
    own: integer('own', { mode: 'boolean' }).notNull(),
    /** Encrypted. */
    username: text('username').notNull(),
    /** Encrypted. */
    text: text('text').notNull(),
    hidden: integer('hidden', { mode: 'boolean' }).notNull().default(false),
    likeCount: integer('like_count'),
    /** When it was written (UTC ms). */
    writtenAt: integer('written_at').notNull(),
    /** Last time Instagram confirmed it (webhook or sync); the 24 h retention counts from here. */
    fetchedAt: integer('fetched_at').notNull(),
    /** A private reply was sent (Instagram allows one per comment). */
    privateReplyAt: integer('private_reply_at'),
    /** Marked done by someone in Qanat without a reply ("no reply needed"). */
    doneAt: integer('done_at'),
  },
  (t) => [
    index('comments_account_written_idx').on(t.accountId, t.writtenAt),
    index('comments_media_idx').on(t.igMediaId),
    index('comments_parent_idx').on(t.parentId),
    index('comments_fetched_idx').on(t.fetchedAt),
  ],
);

/** One conversation per person who wrote to the account (Instagram has no group threads). */
export const conversations = sqliteTable(
  'conversations',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    /** The person's IGSID. */
    participantId: text('participant_id').notNull(),
    /** Instagram's conversation id, once the conversations API named it (webhooks don't). */
    igConversationId: text('ig_conversation_id'),
    /** Encrypted; null until Instagram told us the username. */
    participantUsername: text('participant_username'),
    /** The newest message either way (UTC ms). */
    lastMessageAt: integer('last_message_at').notNull(),
    /** The person's newest message: the messaging window counts from here. */
    lastInboundAt: integer('last_inbound_at'),
    /** Someone in Qanat opened the thread up to here. */
    readAt: integer('read_at'),
    fetchedAt: integer('fetched_at').notNull(),
  },
  (t) => [uniqueIndex('conversations_account_participant_idx').on(t.accountId, t.participantId), index('conversations_fetched_idx').on(t.fetchedAt)],
);

export const MESSAGE_DIRECTIONS = ['in', 'out'] as const;

export const messages = sqliteTable(
  'messages',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    conversationId: integer('conversation_id')
      .notNull()
      .references(() => conversations.id, { onDelete: 'cascade' }),
    igMessageId: text('ig_message_id').notNull().unique(),
    direction: text('direction', { enum: MESSAGE_DIRECTIONS }).notNull(),
    /** Encrypted; null for a message that is only an attachment. */
    text: text('text'),
    /** Attachment types (image, video, share, …), shown as labels; the files stay on Instagram. */
    attachments: text('attachments', { mode: 'json' }).$type<string[]>().notNull().default([]),
    sentAt: integer('sent_at').notNull(),
    /** Sent from Qanat by this user (null: from the Instagram app, or inbound). */
    sentBy: integer('sent_by').references(() => users.id, { onDelete: 'set null' }),
    /** Sent with the HUMAN_AGENT tag (after the 24 h window). */
    humanAgent: integer('human_agent', { mode: 'boolean' }).notNull().default(false),
    fetchedAt: integer('fetched_at').notNull(),
  },
  (t) => [index('messages_conversation_idx').on(t.conversationId, t.sentAt), index('messages_fetched_idx').on(t.fetchedAt)],
);

/**
 * Webhook deliveries, one row per event (a comment change or a messaging item): the id is a hash
 * of the event, so Meta's redeliveries are processed once. The payload (encrypted) is kept only
 * until the event is processed; the row itself a little longer than Meta retries (36 h).
 */
export const webhookEvents = sqliteTable(
  'webhook_events',
  {
    id: text('id').primaryKey(),
    receivedAt: integer('received_at').notNull(),
    /** entry[].id: the Instagram account the event is for. */
    igUserId: text('ig_user_id').notNull(),
    field: text('field').notNull(),
    payload: text('payload'),
    processedAt: integer('processed_at'),
    /** How processing ended: done, ignored (unknown account or kind), failed. */
    outcome: text('outcome'),
  },
  (t) => [index('webhook_events_received_idx').on(t.receivedAt), index('webhook_events_pending_idx').on(t.processedAt)],
);
