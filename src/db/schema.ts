// The single source of truth for the database. Change it, then `npm run db:generate`;
// never edit a migration that has been committed.
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, real, sqliteTable, text } from 'drizzle-orm/sqlite-core';

export const ROLES = ['owner', 'editor', 'viewer'] as const;
export type Role = (typeof ROLES)[number];

export const LANGUAGES = ['en', 'ru', 'kk'] as const;
export type Language = (typeof LANGUAGES)[number];

export const users = sqliteTable('users', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  username: text('username').notNull(),
  /** The username folded for comparison (Unicode lower case, NFC): "Әлия" and "әлия" are one person. */
  usernameKey: text('username_key').notNull().unique(),
  passwordHash: text('password_hash').notNull(),
  role: text('role', { enum: ROLES }).notNull(),
  language: text('language', { enum: LANGUAGES }).notNull().default('en'),
  /** IANA zone the person plans in; null follows the instance default (TIME_ZONE). */
  timeZone: text('time_zone'),
  /** Encrypted (v1:…) once two-factor sign-in lands; null while it is off. */
  totpSecret: text('totp_secret'),
  passwordChangedAt: integer('password_changed_at').notNull(),
  /** The last TOTP time step accepted: a code is never accepted twice. */
  totpLastStep: integer('totp_last_step'),
  /** The privacy policy version this person last acknowledged (a notice shows until they do). */
  policySeen: text('policy_seen'),
  createdAt: integer('created_at').notNull(),
});

/** One-time recovery codes for two-factor sign-in, stored as SHA-256 hashes. */
export const recoveryCodes = sqliteTable(
  'recovery_codes',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    userId: integer('user_id')
      .notNull()
      .references(() => users.id, { onDelete: 'cascade' }),
    codeHash: text('code_hash').notNull(),
    usedAt: integer('used_at'),
  },
  (t) => [index('recovery_codes_user_idx').on(t.userId)],
);

/**
 * express-session store. `sid_hash` is SHA-256 of the session id, so a copy of the
 * database cannot be replayed as cookies; `data` is an encrypted column.
 */
export const sessions = sqliteTable(
  'sessions',
  {
    sidHash: text('sid_hash').primaryKey(),
    userId: integer('user_id').references(() => users.id, { onDelete: 'cascade' }),
    data: text('data').notNull(),
    expiresAt: integer('expires_at').notNull(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('sessions_expires_at_idx').on(t.expiresAt), index('sessions_user_id_idx').on(t.userId)],
);

/** Failed sign-ins per key (`ip:<addr>` or `user:<name>`); survives restarts. */
export const loginThrottle = sqliteTable('login_throttle', {
  key: text('key').primaryKey(),
  failures: integer('failures').notNull().default(0),
  windowStartedAt: integer('window_started_at').notNull(),
  lockedUntil: integer('locked_until'),
});

export const auditLog = sqliteTable(
  'audit_log',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    userId: integer('user_id').references(() => users.id, { onDelete: 'set null' }),
    /** Who acted or was targeted, kept as text so the trail survives user deletion. */
    actor: text('actor'),
    kind: text('kind').notNull(),
    detail: text('detail', { mode: 'json' }).$type<Record<string, unknown>>().notNull().default(sql`'{}'`),
    sourceIp: text('source_ip'),
  },
  (t) => [index('audit_log_at_idx').on(t.at), index('audit_log_kind_idx').on(t.kind)],
);

export const ACCOUNT_STATUSES = ['ok', 'needs_reconnect', 'disconnected'] as const;
export type AccountStatus = (typeof ACCOUNT_STATUSES)[number];

/**
 * One row per connected Instagram professional account. Everything that belongs to an account
 * references it with ON DELETE CASCADE, so disconnecting is one delete (ARCHITECTURE.md).
 */
export const accounts = sqliteTable('accounts', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  /** The professional account's Instagram id (webhook entry id); text, it exceeds 2^53. */
  igUserId: text('ig_user_id').notNull().unique(),
  appScopedId: text('app_scoped_id').notNull(),
  username: text('username').notNull(),
  name: text('name'),
  accountType: text('account_type'),
  profilePictureUrl: text('profile_picture_url'),
  followersCount: integer('followers_count'),
  followsCount: integer('follows_count'),
  mediaCount: integer('media_count'),
  biography: text('biography'),
  website: text('website'),
  /** Encrypted (v1:…): the long-lived access token. */
  token: text('token').notNull(),
  tokenExpiresAt: integer('token_expires_at').notNull(),
  tokenRefreshedAt: integer('token_refreshed_at').notNull(),
  /** Permissions granted at the last connect (JSON array). */
  scopes: text('scopes', { mode: 'json' }).$type<string[]>().notNull(),
  status: text('status', { enum: ACCOUNT_STATUSES }).notNull().default('ok'),
  /** Connected to the built-in simulator rather than to Instagram. */
  sandbox: integer('sandbox', { mode: 'boolean' }).notNull().default(false),
  webhookSubscribed: integer('webhook_subscribed', { mode: 'boolean' }).notNull().default(false),
  /** Why the account needs reconnecting (error class and code), shown on the health panel. */
  statusReason: text('status_reason'),
  lastSyncAt: integer('last_sync_at'),
  connectedAt: integer('connected_at').notNull(),
  createdAt: integer('created_at').notNull(),
});

/** One row per profile sync; the privacy policy keeps them at most 30 days (retention job). */
export const profileSnapshots = sqliteTable(
  'profile_snapshots',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    takenAt: integer('taken_at').notNull(),
    followers: integer('followers'),
    follows: integer('follows'),
    mediaCount: integer('media_count'),
    username: text('username').notNull(),
    name: text('name'),
    biography: text('biography'),
  },
  (t) => [index('profile_snapshots_account_taken_idx').on(t.accountId, t.takenAt), index('profile_snapshots_taken_idx').on(t.takenAt)],
);

/** Followers per account per UTC day; kept at most 729 days (retention job). */
export const followerDays = sqliteTable(
  'follower_days',
  {
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    day: text('day').notNull(),
    followers: integer('followers').notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.day] }), index('follower_days_day_idx').on(t.day)],
);

/** Instance settings (key/value). Holds the encrypted key check among others. */
export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: integer('updated_at').notNull(),
});

export const POST_TYPES = ['feed', 'carousel', 'reel', 'story'] as const;
export type PostType = (typeof POST_TYPES)[number];

/**
 * draft → scheduled → (the publishing engine's states) → published | failed | needs_attention;
 * cancelled keeps the post but takes it out of the queue. The engine (issue 6) moves a post
 * through claimed … publishing; content only ever writes draft, scheduled and cancelled.
 */
export const POST_STATES = ['draft', 'scheduled', 'cancelled', 'claimed', 'container_created', 'ready', 'publishing', 'published', 'failed', 'held', 'needs_attention'] as const;
export type PostState = (typeof POST_STATES)[number];

export const posts = sqliteTable(
  'posts',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    type: text('type', { enum: POST_TYPES }).notNull(),
    state: text('state', { enum: POST_STATES }).notNull().default('draft'),
    caption: text('caption').notNull().default(''),
    firstComment: text('first_comment').notNull().default(''),
    /** Up to three usernames (JSON array), feed images, reels and carousels only. */
    collaborators: text('collaborators', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    shareToFeed: integer('share_to_feed', { mode: 'boolean' }).notNull().default(true),
    /** Reel cover taken from the video at this offset when no cover image is attached. */
    thumbOffsetMs: integer('thumb_offset_ms').notNull().default(0),
    /** UTC milliseconds; null for a draft without a date. */
    scheduledAt: integer('scheduled_at'),
    /** The IANA zone the person scheduled in, so the post shows at the wall-clock time they chose. */
    timeZone: text('time_zone').notNull(),
    createdBy: integer('created_by').references(() => users.id, { onDelete: 'set null' }),
    createdAt: integer('created_at').notNull(),
    updatedAt: integer('updated_at').notNull(),
    // --- the publishing engine's state (features/publishing) ---
    /** Which running process works on the post, and until when; an expired lease may be taken over. */
    leaseOwner: text('lease_owner'),
    leaseUntil: integer('lease_until'),
    /** The engine's next look at an in-flight post (polling, backoff); null = as soon as possible. */
    nextAttemptAt: integer('next_attempt_at'),
    attempts: integer('attempts').notNull().default(0),
    containerId: text('container_id'),
    /** When the (parent) container was created: polling gives up after a while, containers expire after 24 h. */
    containerCreatedAt: integer('container_created_at'),
    /** Saved before media_publish is called: from here on the outcome is read from Instagram, never guessed. */
    publishStartedAt: integer('publish_started_at'),
    igMediaId: text('ig_media_id'),
    permalink: text('permalink'),
    publishedAt: integer('published_at'),
    /** Why the post failed, is held or needs attention: an i18n key and its parameters. */
    reasonKey: text('reason_key'),
    reasonParams: text('reason_params', { mode: 'json' }).$type<Record<string, string | number>>(),
    heldReason: text('held_reason', { enum: ['quota', 'late', 'paused'] }),
    firstCommentState: text('first_comment_state', { enum: ['posting', 'posted', 'failed'] }),
    firstCommentId: text('first_comment_id'),
  },
  (t) => [
    index('posts_state_scheduled_idx').on(t.state, t.scheduledAt),
    index('posts_account_scheduled_idx').on(t.accountId, t.scheduledAt),
    index('posts_state_next_attempt_idx').on(t.state, t.nextAttemptAt),
  ],
);

export const MEDIA_KINDS = ['image', 'video'] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];
export const MEDIA_STATUSES = ['processing', 'ready', 'failed'] as const;
export type MediaStatus = (typeof MEDIA_STATUSES)[number];
export const FIT_MODES = ['keep', 'crop', 'pad'] as const;
export type FitModeName = (typeof FIT_MODES)[number];

/**
 * A file of a post: its items in order (one, or 2–10 for a carousel) and an optional reel cover.
 * Files live in data/media/<account_id>/ under random names; the row is the only link to them,
 * and deleting the post deletes them (the privacy policy's promise).
 */
export const postMedia = sqliteTable(
  'post_media',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    postId: integer('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    accountId: integer('account_id')
      .notNull()
      .references(() => accounts.id, { onDelete: 'cascade' }),
    role: text('role', { enum: ['item', 'cover'] }).notNull().default('item'),
    position: integer('position').notNull(),
    kind: text('kind', { enum: MEDIA_KINDS }).notNull(),
    status: text('status', { enum: MEDIA_STATUSES }).notNull().default('processing'),
    /** 0–100 while a video is transcoded. */
    progress: integer('progress').notNull().default(0),
    errorKey: text('error_key'),
    errorParams: text('error_params', { mode: 'json' }).$type<Record<string, string | number>>(),
    sourceFile: text('source_file').notNull(),
    sourceMime: text('source_mime').notNull(),
    sourceBytes: integer('source_bytes').notNull(),
    width: integer('width'),
    height: integer('height'),
    durationMs: integer('duration_ms'),
    fitMode: text('fit_mode', { enum: FIT_MODES }).notNull().default('crop'),
    focusX: real('focus_x').notNull().default(0.5),
    focusY: real('focus_y').notNull().default(0.5),
    /** 'blur' or a #rrggbb colour for padding. */
    background: text('background').notNull().default('blur'),
    /** What the output was prepared for (use, fit, ratio); a different recipe means prepare again. */
    outputRecipe: text('output_recipe'),
    outputFile: text('output_file'),
    outputWidth: integer('output_width'),
    outputHeight: integer('output_height'),
    outputBytes: integer('output_bytes'),
    posterFile: text('poster_file'),
    /** i18n keys: what preparation changed or warns about (upscaled, transcoded because …). */
    notes: text('notes', { mode: 'json' }).$type<string[]>().notNull().default(sql`'[]'`),
    altText: text('alt_text').notNull().default(''),
    /** A carousel item's own container, created before the parent's. */
    childContainerId: text('child_container_id'),
    /** The unguessable part of /m/<token>: Meta fetches the prepared file there while the post is live. */
    publicToken: text('public_token').notNull().unique(),
    createdAt: integer('created_at').notNull(),
  },
  (t) => [index('post_media_post_idx').on(t.postId, t.role, t.position), index('post_media_status_idx').on(t.status)],
);

/** The status log a post shows: every step with its time. */
export const postEvents = sqliteTable(
  'post_events',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    postId: integer('post_id')
      .notNull()
      .references(() => posts.id, { onDelete: 'cascade' }),
    at: integer('at').notNull(),
    step: text('step').notNull(),
    detail: text('detail', { mode: 'json' }).$type<Record<string, string | number>>().notNull().default(sql`'{}'`),
  },
  (t) => [index('post_events_post_idx').on(t.postId, t.at)],
);

/** Saved hashtag sets the composer can insert; the business's own words, shared by its users. */
export const hashtagSets = sqliteTable('hashtag_sets', {
  id: integer('id').primaryKey({ autoIncrement: true }),
  name: text('name').notNull(),
  tags: text('tags').notNull(),
  createdAt: integer('created_at').notNull(),
});

export const NOTIFICATION_KINDS = ['post_failed', 'post_held', 'post_attention', 'account_reconnect'] as const;
export type NotificationKind = (typeof NOTIFICATION_KINDS)[number];

/** The bell: what needs the owner (failed, held or unclear posts; accounts to reconnect). */
export const notifications = sqliteTable(
  'notifications',
  {
    id: integer('id').primaryKey({ autoIncrement: true }),
    at: integer('at').notNull(),
    kind: text('kind', { enum: NOTIFICATION_KINDS }).notNull(),
    accountId: integer('account_id').references(() => accounts.id, { onDelete: 'cascade' }),
    postId: integer('post_id').references(() => posts.id, { onDelete: 'cascade' }),
    readAt: integer('read_at'),
  },
  (t) => [index('notifications_read_idx').on(t.readAt, t.at)],
);
