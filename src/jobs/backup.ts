import type { Job } from './registry.js';

export const backup: Job = {
  name: 'backup',
  // Only registered with the scheduler when BACKUP_SCHEDULE is not "off" (see scheduler.ts).
  schedule: (config) => config.backup.schedule ?? 'off',
  description: 'Writes an encrypted backup (database + media) to BACKUP_DIR and keeps the newest BACKUP_KEEP.',
  run: async ({ services }) => {
    const made = await services.backups.create('job:backup');
    const pruned = services.backups.prune();
    return { bytes: made.size, files: made.files, rows: made.rows, pruned };
  },
};
