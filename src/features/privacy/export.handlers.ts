// Settings → Download my data: a page saying what the ZIP holds, and the download itself (a POST,
// because it is audited). The ZIP streams straight to the response.
import type { Request, Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { currentUser, origin } from '../../http/context.js';
import { page } from '../../http/render.js';
import type { Services } from '../../services.js';

export function exportHandlers(services: Services) {
  return {
    async showExportPage(_req: Request, res: Response): Promise<void> {
      await page(res, 'settings/export', { title: 'settings.export.title', everything: currentUser(res).role === 'owner' });
    },

    async downloadExport(req: Request, res: Response): Promise<void> {
      const { filename, stream } = services.exports.zip(currentUser(res), origin(req));
      res.status(200).type('application/zip').attachment(filename);
      await pipeline(stream, res);
    },
  };
}
