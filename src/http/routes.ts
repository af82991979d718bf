// Every route of the appliance, in one table. `access` is enforced here (who must be signed in);
// what a role may do is enforced again in the services.
import { Router, type RequestHandler } from 'express';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { DbHandle } from '../db/client.js';
import type { Services } from '../services.js';
import { authHandlers } from '../features/auth/auth.handlers.js';
import { dashboardHandlers } from '../features/dashboard/dashboard.handlers.js';
import { healthHandlers } from '../features/health/health.handlers.js';
import { settingsHandlers } from '../features/settings/settings.handlers.js';
import { setupHandlers } from '../features/setup/setup.handlers.js';
import { usersHandlers } from '../features/users/users.handlers.js';
import { accountsHandlers } from '../features/accounts/accounts.handlers.js';
import { refuseDeferredCsrf } from './csrf.js';
import { requireUser } from './guards.js';
import { composeHandlers } from '../features/content/compose.handlers.js';
import { hashtagHandlers } from '../features/content/hashtags.handlers.js';
import { mediaFileHandlers } from '../features/content/media-files.handlers.js';
import { planningHandlers } from '../features/content/planning.handlers.js';
import { postActionHandlers } from '../features/content/post-actions.handlers.js';
import { notificationsHandlers } from '../features/notifications/notifications.handlers.js';
import { commentHandlers } from '../features/engagement/comments.handlers.js';
import { liveHandlers } from '../features/engagement/live.handlers.js';
import { messageHandlers } from '../features/engagement/messages.handlers.js';
import { webhookHandlers } from '../features/engagement/webhooks.handlers.js';
import { analyticsHandlers } from '../features/analytics/analytics.handlers.js';
import { callbackHandlers } from '../features/privacy/callbacks.handlers.js';
import { policyHandlers } from '../features/privacy/policy.handlers.js';
import { auditHandlers } from '../features/audit/audit.handlers.js';
import { exportHandlers } from '../features/privacy/export.handlers.js';
import { totpHandlers } from '../features/auth/totp.handlers.js';
import { systemHandlers } from '../features/system/system.handlers.js';

/** bare: no session or page machinery (probes); public: anyone; user: signed in. */
export type Access = 'bare' | 'public' | 'user';

export interface Route {
  method: 'get' | 'post';
  path: string;
  access: Access;
  handler: RequestHandler;
  /** The handler reads a multipart body (files) itself, CSRF token included. */
  multipart?: true;
}

export function routeTable(config: Config, db: DbHandle, services: Services, clock: Clock): Route[] {
  const health = healthHandlers(config, db);
  const setup = setupHandlers(services, clock);
  const auth = authHandlers(services, clock);
  const dashboard = dashboardHandlers(services);
  const settings = settingsHandlers(services);
  const users = usersHandlers(services);
  const accounts = accountsHandlers(services, clock);
  const compose = composeHandlers(services);
  const postActions = postActionHandlers(services);
  const mediaFiles = mediaFileHandlers(services);
  const planning = planningHandlers(services, clock);
  const hashtags = hashtagHandlers(services);
  const notifications = notificationsHandlers(services);
  const webhooks = webhookHandlers(services);
  const comments = commentHandlers(services);
  const messages = messageHandlers(services, clock, config.publicUrl);
  const live = liveHandlers(services);
  const analytics = analyticsHandlers(services, clock);
  const callbacks = callbackHandlers(services);
  const policy = policyHandlers(services, config);
  const audit = auditHandlers(services);
  const dataExport = exportHandlers(services);
  const totp = totpHandlers(services, clock);
  const system = systemHandlers(services, config);

  // prettier-ignore
  return [
    { method: 'get',  path: '/healthz',                       access: 'bare',   handler: health.showHealth },
    // Meta fetches media here while a post is queued or in flight; no session, no cookies.
    { method: 'get',  path: '/m/:token',                      access: 'bare',   handler: mediaFiles.servePublicMedia },
    // Meta's webhook deliveries: signed with the app secret, checked over the raw body (§7).
    { method: 'get',  path: '/webhooks/instagram',            access: 'bare',   handler: webhooks.verifyWebhook },
    { method: 'post', path: '/webhooks/instagram',            access: 'bare',   handler: webhooks.receiveWebhook },
    // Meta's data-deletion and deauthorize callbacks: signed_request with the app secret (§8).
    { method: 'post', path: '/data-deletion',                 access: 'bare',   handler: callbacks.receiveDeletionRequest },
    { method: 'post', path: '/deauthorize',                   access: 'bare',   handler: callbacks.receiveDeauthorize },
    { method: 'get',  path: '/privacy',                       access: 'public', handler: policy.showPrivacyPage },
    { method: 'get',  path: '/data-deletion',                 access: 'public', handler: callbacks.showDeletionPage },
    { method: 'get',  path: '/data-deletion/status',          access: 'public', handler: callbacks.showDeletionStatus },
    { method: 'get',  path: '/setup',                         access: 'public', handler: setup.showSetupPage },
    { method: 'post', path: '/setup',                         access: 'public', handler: setup.saveSetup },
    { method: 'get',  path: '/login',                         access: 'public', handler: auth.showLoginPage },
    { method: 'post', path: '/login',                         access: 'public', handler: auth.signIn },
    { method: 'get',  path: '/login/code',                    access: 'public', handler: totp.showCodePage },
    { method: 'post', path: '/login/code',                    access: 'public', handler: totp.checkCode },
    { method: 'post', path: '/language',                      access: 'public', handler: settings.saveLanguage },
    { method: 'post', path: '/privacy/acknowledge',           access: 'user',   handler: policy.acknowledgePolicy },
    { method: 'post', path: '/logout',                        access: 'user',   handler: auth.signOut },
    { method: 'get',  path: '/',                              access: 'user',   handler: dashboard.showDashboardPage },
    { method: 'get',  path: '/accounts',                      access: 'user',   handler: accounts.showAccountsPage },
    // A link, not a form: CSP form-action would stop a form's redirect to instagram.com.
    { method: 'get',  path: '/accounts/connect',              access: 'user',   handler: accounts.startConnect },
    { method: 'get',  path: '/accounts/callback',             access: 'user',   handler: accounts.finishConnect },
    { method: 'post', path: '/accounts/select',               access: 'user',   handler: accounts.selectAccount },
    { method: 'get',  path: '/accounts/:id',                  access: 'user',   handler: accounts.showAccountPage },
    { method: 'post', path: '/accounts/:id/sync',             access: 'user',   handler: accounts.syncAccount },
    { method: 'get',  path: '/accounts/:id/disconnect',       access: 'user',   handler: accounts.showDisconnectPage },
    { method: 'post', path: '/accounts/:id/disconnect',       access: 'user',   handler: accounts.disconnectAccount },
    { method: 'get',  path: '/compose',                       access: 'user',   handler: compose.showComposePage },
    { method: 'post', path: '/compose',                       access: 'user',   handler: compose.createPost, multipart: true },
    { method: 'get',  path: '/calendar',                      access: 'user',   handler: planning.showCalendarPage },
    { method: 'get',  path: '/queue',                         access: 'user',   handler: planning.showQueuePage },
    { method: 'get',  path: '/posts/:id',                     access: 'user',   handler: compose.showPostPage },
    { method: 'post', path: '/posts/:id',                     access: 'user',   handler: compose.savePost, multipart: true },
    { method: 'get',  path: '/posts/:id/media.json',          access: 'user',   handler: mediaFiles.showMediaStatus },
    { method: 'get',  path: '/posts/:id/media/:mediaId/:variant', access: 'user', handler: mediaFiles.showMediaFile },
    { method: 'post', path: '/posts/:id/cancel',              access: 'user',   handler: postActions.cancelPost },
    { method: 'post', path: '/posts/:id/duplicate',           access: 'user',   handler: postActions.duplicatePost },
    { method: 'post', path: '/posts/:id/reschedule',          access: 'user',   handler: postActions.reschedulePost },
    { method: 'post', path: '/posts/:id/resolve',             access: 'user',   handler: postActions.resolvePost },
    { method: 'get',  path: '/posts/:id/delete',              access: 'user',   handler: postActions.showDeletePage },
    { method: 'post', path: '/posts/:id/delete',              access: 'user',   handler: postActions.removePost },
    { method: 'get',  path: '/notifications',                 access: 'user',   handler: notifications.showNotificationsPage },
    { method: 'post', path: '/notifications/read',            access: 'user',   handler: notifications.saveAllRead },
    { method: 'get',  path: '/inbox/events',                  access: 'user',   handler: live.showInboxEvents },
    { method: 'post', path: '/inbox/sync',                    access: 'user',   handler: comments.syncInbox },
    { method: 'get',  path: '/inbox/comments',                access: 'user',   handler: comments.showCommentsPage },
    { method: 'get',  path: '/inbox/comments/:commentId',     access: 'user',   handler: comments.showCommentPage },
    { method: 'post', path: '/inbox/comments/:commentId/reply', access: 'user', handler: comments.replyToComment },
    { method: 'post', path: '/inbox/comments/:commentId/private-reply', access: 'user', handler: comments.sendPrivateReply },
    { method: 'post', path: '/inbox/comments/:commentId/hide', access: 'user',  handler: comments.hideComment },
    { method: 'post', path: '/inbox/comments/:commentId/done', access: 'user',  handler: comments.markCommentDone },
    { method: 'get',  path: '/inbox/comments/:commentId/delete', access: 'user', handler: comments.showDeleteCommentPage },
    { method: 'post', path: '/inbox/comments/:commentId/delete', access: 'user', handler: comments.deleteComment },
    { method: 'post', path: '/inbox/media/:mediaId/comments', access: 'user',   handler: comments.saveCommentsEnabled },
    { method: 'get',  path: '/inbox/messages',                access: 'user',   handler: messages.showMessagesPage },
    { method: 'get',  path: '/inbox/messages/:conversationId', access: 'user',  handler: messages.showConversationPage },
    { method: 'post', path: '/inbox/messages/:conversationId/reply', access: 'user', handler: messages.replyToConversation },
    { method: 'get',  path: '/analytics',                     access: 'user',   handler: analytics.showAnalyticsPage },
    { method: 'get',  path: '/analytics/report',              access: 'user',   handler: analytics.showReportPage },
    { method: 'get',  path: '/analytics/export/:series',      access: 'user',   handler: analytics.exportCsv },
    { method: 'post', path: '/analytics/refresh',             access: 'user',   handler: analytics.refreshAnalytics },
    { method: 'get',  path: '/hashtags',                      access: 'user',   handler: hashtags.showHashtagsPage },
    { method: 'post', path: '/hashtags',                      access: 'user',   handler: hashtags.saveHashtagSet },
    { method: 'post', path: '/hashtags/:id/remove',           access: 'user',   handler: hashtags.removeHashtagSet },
    { method: 'get',  path: '/settings',                      access: 'user',   handler: settings.showProfilePage },
    { method: 'post', path: '/settings/time-zone',            access: 'user',   handler: settings.saveTimeZone },
    { method: 'get',  path: '/settings/inbox',                access: 'user',   handler: messages.showInboxSettingsPage },
    { method: 'post', path: '/settings/inbox',                access: 'user',   handler: messages.saveInboxSettings },
    { method: 'post', path: '/settings/delete-login',         access: 'user',   handler: settings.deleteOwnLogin },
    { method: 'get',  path: '/settings/erase',                access: 'user',   handler: settings.showErasePage },
    { method: 'post', path: '/settings/erase',                access: 'user',   handler: settings.eraseEverything },
    { method: 'post', path: '/settings/password',             access: 'user',   handler: settings.savePassword },
    { method: 'get',  path: '/settings/2fa',                  access: 'user',   handler: totp.showTwoFactorPage },
    { method: 'post', path: '/settings/2fa/start',            access: 'user',   handler: totp.startSetup },
    { method: 'post', path: '/settings/2fa/enable',           access: 'user',   handler: totp.enableTwoFactor },
    { method: 'post', path: '/settings/2fa/disable',          access: 'user',   handler: totp.disableTwoFactor },
    { method: 'post', path: '/settings/2fa/require',          access: 'user',   handler: totp.saveRequired },
    { method: 'get',  path: '/settings/export',               access: 'user',   handler: dataExport.showExportPage },
    { method: 'post', path: '/settings/export',               access: 'user',   handler: dataExport.downloadExport },
    { method: 'get',  path: '/settings/audit',                access: 'user',   handler: audit.showAuditPage },
    { method: 'get',  path: '/settings/audit.csv',            access: 'user',   handler: audit.exportAuditCsv },
    { method: 'get',  path: '/settings/system',               access: 'user',   handler: system.showSystemPage },
    { method: 'post', path: '/settings/system/backup',        access: 'user',   handler: system.createBackup },
    { method: 'get',  path: '/settings/system/backups/:name', access: 'user',   handler: system.downloadBackup },
    { method: 'post', path: '/settings/system/reach',         access: 'user',   handler: system.checkReach },
    { method: 'get',  path: '/settings/users',                access: 'user',   handler: users.showUsersPage },
    { method: 'post', path: '/settings/users',                access: 'user',   handler: users.saveNewUser },
    { method: 'post', path: '/settings/users/:id/role',       access: 'user',   handler: users.saveUserRole },
    { method: 'post', path: '/settings/users/:id/password',   access: 'user',   handler: users.saveUserPassword },
    { method: 'get',  path: '/settings/users/:id/remove',     access: 'user',   handler: users.showRemoveUserPage },
    { method: 'post', path: '/settings/users/:id/remove',     access: 'user',   handler: users.removeUser },
  ];
}

export function buildRouter(routes: Route[]): Router {
  const router = Router();
  for (const route of routes) {
    if (route.access === 'bare') continue;
    const guards: RequestHandler[] = [];
    if (route.access === 'user') guards.push(requireUser);
    if (route.method === 'post' && !route.multipart) guards.push(refuseDeferredCsrf);
    router[route.method](route.path, ...guards, route.handler);
  }
  return router;
}

/** Routes that must not create sessions (a health probe every few seconds would fill the table). */
export function buildBareRouter(routes: Route[]): Router {
  const router = Router();
  for (const route of routes) if (route.access === 'bare') router[route.method](route.path, route.handler);
  return router;
}
