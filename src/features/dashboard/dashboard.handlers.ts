import type { Request, Response } from 'express';
import { page } from '../../http/render.js';
import type { Services } from '../../services.js';

export function dashboardHandlers(services: Services) {
  return {
    /** Home: the account shown, and (as publishing and the inbox land) what is next and what is new. */
    async showDashboardPage(_req: Request, res: Response): Promise<void> {
      const current = res.locals.currentAccount;
      const account = current ? services.accounts.get(current.id) : undefined;
      const next = current ? services.posts.repo.list({ accountId: current.id, states: ['scheduled'] }, 5) : [];
      const attention = current ? services.posts.repo.list({ accountId: current.id, states: ['failed', 'held', 'needs_attention'] }, 5) : [];
      await page(res, 'dashboard/index', { title: 'dashboard.title', account: account ?? null, next, attention, zone: res.locals.user?.timeZone ?? 'UTC' });
    },
  };
}
