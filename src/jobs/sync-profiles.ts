import type { Job } from './registry.js';

export const syncProfiles: Job = {
  name: 'sync-profiles',
  schedule: '41 */6 * * *',
  description: 'Reads each account profile: fresh fields, a snapshot, and the day follower count.',
  run: async ({ services }) => ({ ...(await services.profileSync.syncAll()) }),
};
