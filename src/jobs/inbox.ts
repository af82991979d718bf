// The inbox's two jobs: the sync backstop behind webhooks, and the 24 h purge of the cache.
import { INBOX_RETENTION_MS } from '../features/engagement/retention.js';
import type { Job } from './registry.js';

export const syncInbox: Job = {
  name: 'sync-inbox',
  // Every INBOX_SYNC_MINUTES, off the minute the publisher is busiest at.
  schedule: ({ instagram: { inboxSyncMinutes: m } }) => (m === 60 ? '30 0 * * * *' : `30 */${m} * * * *`),
  description: 'Reads recent media with their comments and recent conversations with their messages (webhook backstop).',
  run: async ({ services }) => ({ ...(await services.inboxSync.syncAll()) }),
};

export const purgeInbox: Job = {
  name: 'purge-inbox',
  schedule: '*/10 * * * *',
  description: 'Deletes comments and messages Instagram has not confirmed for 24 hours, and old webhook ids.',
  run: async ({ services, clock }) => {
    const now = clock.now();
    const comments = await services.ingest.comments.purgeOlderThan(now - INBOX_RETENTION_MS);
    const messages = await services.ingest.conversations.purgeOlderThan(now - INBOX_RETENTION_MS);
    return { ...comments, ...messages, webhookIds: services.webhooks.purge(now) };
  },
};
