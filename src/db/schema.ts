// The single source of truth for the database. Change it, then `npm run db:generate`;
// never edit a migration that has been committed.
import { sql } from 'drizzle-orm';
import { index, integer, primaryKey, sqliteTable, text } from 'drizzle-orm/sqlite-core';

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
  /** Encrypted (v1:…) once two-factor sign-in lands; null while it is off. */
  totpSecret: text('totp_secret'),
  passwordChangedAt: integer('password_changed_at').notNull(),
  createdAt: integer('created_at').notNull(),
});

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

export const ACCOUNT_STATUSES = ['ok', 'needs_reconnect'] as const;
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
