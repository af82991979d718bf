// Builds every service with explicit dependencies. Routes, jobs and the CLI all use this.
import type { Clock } from './clock.js';
import type { Config } from './config.js';
import type { DbHandle } from './db/client.js';
import type { Cipher } from './db/crypto.js';
import type { Logger } from './log.js';
import { AuditService } from './features/audit/audit.service.js';
import { AuthService } from './features/auth/auth.service.js';
import { PasswordHasher } from './features/auth/passwords.js';
import { SessionsRepo } from './features/auth/sessions.repo.js';
import { ThrottleService } from './features/auth/throttle.service.js';
import { SetupService } from './features/setup/setup.service.js';
import { UsersService } from './features/users/users.service.js';
import { AccountsService } from './features/accounts/accounts.service.js';
import { ProfileSyncService } from './features/accounts/profile-sync.service.js';
import { TokenRefreshService } from './features/accounts/token-refresh.service.js';
import { instagramSetup } from './instagram/setup.js';
import { MediaService } from './features/content/media.service.js';
import { MediaWorker } from './features/content/media-worker.js';
import { PostsRepo } from './features/content/posts.repo.js';
import { PostsService } from './features/content/posts.service.js';
import { HashtagsService } from './features/content/hashtags.service.js';
import { PostActionsService } from './features/content/post-actions.service.js';
import { NotificationsService } from './features/notifications/notifications.service.js';
import { armFailpoint } from './features/publishing/failpoints.js';
import { processIdentity, PublishingEngine } from './features/publishing/publishing.engine.js';
import { PublishingRepo } from './features/publishing/publishing.repo.js';
import { PostPublisher } from './features/publishing/publishing.steps.js';
import { CommentsRepo } from './features/engagement/comments.repo.js';
import { CommentsService } from './features/engagement/comments.service.js';
import { ConversationsRepo } from './features/engagement/conversations.repo.js';
import { IngestService } from './features/engagement/ingest.service.js';
import { InboxLive } from './features/engagement/live.js';
import { MessagesService } from './features/engagement/messages.service.js';
import { SyncService } from './features/engagement/sync.service.js';
import { WebhookService } from './features/engagement/webhooks.service.js';
import { AnalyticsRepo } from './features/analytics/analytics.repo.js';
import { AnalyticsService } from './features/analytics/analytics.service.js';
import { CollectService } from './features/analytics/collect.service.js';
import { CallbacksService } from './features/privacy/callbacks.service.js';
import { RetentionService } from './features/privacy/retention.service.js';
import { EraseService } from './features/privacy/erase.service.js';
import { ExportService } from './features/privacy/export.service.js';
import { TotpService } from './features/auth/totp.service.js';
import { BackupService } from './features/system/backup.service.js';
import { ReachService } from './features/system/reach.service.js';
import { loadBackupKey } from './secrets.js';
import { hasRoomFor, PUBLISHING_MIN_FREE_BYTES } from './features/system/disk-space.js';

export interface Deps {
  config: Config;
  db: DbHandle;
  cipher: Cipher;
  clock: Clock;
  log: Logger;
}

export function createServices(deps: Deps) {
  const { config, db, clock, log, cipher } = deps;
  const audit = new AuditService(db.orm, clock, log);
  const hasher = new PasswordHasher(config.argon2);
  const sessions = new SessionsRepo(db.orm);
  const throttle = new ThrottleService(db.orm, clock, config.login.lockMs);
  const users = new UsersService(db.orm, clock, hasher, sessions, audit, throttle, config.login.maxFailuresPerUsername);
  const auth = new AuthService(users.repo, hasher, throttle, audit, config.login);
  const setup = new SetupService(users, throttle, audit);
  const instagram = instagramSetup(config, cipher, log, () => clock.now());
  const accounts = new AccountsService(db.orm, config.dataDir, cipher, clock, instagram, audit, log);
  const tokenRefresh = new TokenRefreshService(accounts, instagram, audit, clock, config.instagram.refreshWindowMs, log);
  const profileSync = new ProfileSyncService(accounts, instagram, clock, log);
  const postsRepo = new PostsRepo(db.orm);
  const media = new MediaService(postsRepo, config.dataDir, config.media, clock, log);
  const mediaWorker = new MediaWorker(media, log);
  const posts = new PostsService(db.orm, postsRepo, accounts.repo, media, mediaWorker, audit, clock);
  const postActions = new PostActionsService(db.orm, posts, audit, clock);
  const hashtags = new HashtagsService(postsRepo, clock);
  const notifications = new NotificationsService(db.orm, clock);
  armFailpoint(config.failpoint);
  const publishingRepo = new PublishingRepo(db);
  const owner = processIdentity();
  const publisher = new PostPublisher(publishingRepo, postsRepo, accounts, instagram.client, notifications, clock, log, {
    owner,
    leaseMs: config.publishing.leaseMs,
    publicUrl: config.publicUrl,
    lateLimitMs: config.publishing.lateLimitMs,
    processingLimitMs: config.publishing.processingLimitMs,
  });
  const engine = new PublishingEngine(publishingRepo, publisher, clock, log, owner, config.publishing.leaseMs, () => hasRoomFor(config.dataDir, PUBLISHING_MIN_FREE_BYTES));
  posts.onQueueChange(() => engine.poke());

  const inboxLive = new InboxLive();
  const ingest = new IngestService(accounts.repo, new CommentsRepo(db.orm, cipher), new ConversationsRepo(db.orm, cipher), inboxLive, clock);
  const inboxSync = new SyncService(accounts, instagram.client.engagement, ingest, inboxLive, clock, log);
  const webhooks = new WebhookService(db.orm, cipher, ingest, clock, log, { secret: instagram.webhookSecret, verifyToken: instagram.webhookVerifyToken }, audit);
  webhooks.onFollowUp = (followUp) => inboxSync.followUp(followUp);
  const comments = new CommentsService(accounts, instagram.client.engagement, ingest.comments, inboxLive, audit, clock);
  const messages = new MessagesService(db.orm, accounts, instagram.client.engagement, ingest.conversations, inboxLive, audit, clock);
  const analyticsRepo = new AnalyticsRepo(db.orm);
  const insights = new CollectService(accounts, instagram.client.insights, instagram.client.engagement, analyticsRepo, clock, log, { backfillDays: config.instagram.insightsBackfillDays });
  const analytics = new AnalyticsService(accounts, analyticsRepo, insights, clock);
  const callbacks = new CallbacksService(db.orm, cipher, accounts, audit, clock, log, { appSecret: instagram.appSecret, publicUrl: config.publicUrl });
  const retention = new RetentionService(db.orm, config.dataDir, clock, log, config.auditRetentionDays, audit);
  const erase = new EraseService(db.orm, users.repo, hasher, throttle, audit, config.dataDir, log, config.login.maxFailuresPerUsername, setup);
  const exports = new ExportService(db, cipher, config.dataDir, audit, clock);
  const totp = new TotpService(db.orm, cipher, hasher, throttle, audit, clock, config.login.maxFailuresPerUsername);
  const backups = new BackupService(db, config, cipher, () => loadBackupKey(config, log), clock, audit, log);
  const reach = new ReachService(config.publicUrl, instagram.webhookVerifyToken);
  return { backups, reach, totp, exports, erase, retention, callbacks, insights, analytics, inboxLive, ingest, inboxSync, webhooks, comments, messages, audit, hasher, sessions, throttle, users, auth, setup, instagram, accounts, tokenRefresh, profileSync, media, mediaWorker, posts, postActions, hashtags, notifications, publishingRepo, engine };
}

export type Services = ReturnType<typeof createServices>;
