import type { Request, Response } from 'express';
import { page } from '../../http/render.js';
import type { Services } from '../../services.js';

export function notificationsHandlers(services: Services) {
  return {
    async showNotificationsPage(_req: Request, res: Response): Promise<void> {
      await page(res, 'notifications/list', { title: 'notifications.title', items: services.notifications.list() });
    },

    /** Marks everything read; what still needs doing stays visible on the posts themselves. */
    saveAllRead(_req: Request, res: Response): void {
      services.notifications.markAllRead();
      res.redirect(303, '/notifications');
    },
  };
}
