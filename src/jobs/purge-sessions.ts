import type { Job } from './registry.js';

export const purgeSessions: Job = {
  name: 'purge-sessions',
  schedule: '*/15 * * * *',
  description: 'Deletes sessions past their idle or absolute timeout.',
  run: ({ services, clock }) => ({ deleted: services.sessions.removeExpired(clock.now()) }),
};
