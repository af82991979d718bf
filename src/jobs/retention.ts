// The privacy policy's age limits (profile snapshots, follower days, audit entries, deletion
// records, orphaned media files), in chunks so requests are never blocked.
import type { Job } from './registry.js';

export const retention: Job = {
  name: 'retention',
  schedule: '10 4 * * *',
  description: 'Deletes profile snapshots after 30 days, follower counts after 729 days, old audit entries and deletion records, and media files no post refers to.',
  run: async ({ services }) => ({ ...(await services.retention.run()) }),
};
