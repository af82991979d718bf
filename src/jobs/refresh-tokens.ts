import type { Job } from './registry.js';

export const refreshTokens: Job = {
  name: 'refresh-tokens',
  schedule: '17 3 * * *',
  description: 'Refreshes Instagram tokens that are a day old and expire within TOKEN_REFRESH_WINDOW_DAYS.',
  run: async ({ services }) => ({ ...(await services.tokenRefresh.refreshDue()) }),
};
