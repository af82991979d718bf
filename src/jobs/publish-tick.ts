import type { Job } from './registry.js';

/** The safety net under the engine's own timer: a missed wake-up costs at most a minute. */
export const publishTick: Job = {
  name: 'publish-tick',
  schedule: '* * * * *',
  description: 'Publishes posts that are due and resumes posts in flight (the engine also wakes itself on time).',
  run: async ({ services }) => ({ handled: await services.engine.tick() }),
};
