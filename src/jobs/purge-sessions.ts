import { EXPIRED_SESSION_GRACE_MS } from '../http/session-store.js';
import type { Job } from './registry.js';

export const purgeSessions: Job = {
  name: 'purge-sessions',
  schedule: '*/15 * * * *',
  description: 'Deletes sessions a day after their idle or absolute timeout (kept so the person is told it ended).',
  run: ({ services, clock }) => ({ deleted: services.sessions.removeExpired(clock.now() - EXPIRED_SESSION_GRACE_MS) }),
};
