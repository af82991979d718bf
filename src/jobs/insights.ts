// Insights jobs: daily account metrics and post insights every night, demographics weekly.
import type { Job } from './registry.js';

export const insightsDaily: Job = {
  name: 'insights-daily',
  schedule: '20 3 * * *',
  description: 'Reads yesterday’s account insights (and any day not read yet) and the insights of the last 90 days’ posts.',
  run: async ({ services }) => ({ ...(await services.insights.collectAll({ daily: true })) }),
};

export const insightsAudience: Job = {
  name: 'insights-audience',
  schedule: '40 3 * * 1',
  description: 'Reads follower demographics (age, gender, country, city) of accounts with at least 100 followers.',
  run: async ({ services }) => ({ ...(await services.insights.collectAll({ audience: true })) }),
};
