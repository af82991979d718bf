import type { Request, Response } from 'express';
import { page } from '../../http/render.js';

export function dashboardHandlers() {
  return {
    /** Home. Until accounts and publishing land, it explains what comes next. */
    async showDashboardPage(_req: Request, res: Response): Promise<void> {
      await page(res, 'dashboard/index', { title: 'dashboard.title' });
    },
  };
}
