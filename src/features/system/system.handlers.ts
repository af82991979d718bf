// Settings → System (owner): version and disk, backups (make one now, download), and
// "Can Meta reach this instance?".
import fs from 'node:fs';
import type { Request, Response } from 'express';
import type { Config } from '../../config.js';
import { NotFound } from '../../errors.js';
import { currentUser, flash } from '../../http/context.js';
import { page } from '../../http/render.js';
import type { Services } from '../../services.js';
import type { ReachCheck } from './reach.service.js';
import { sizeText } from './size-text.js';
import { BackupError } from './backup-crypto.js';
import { ActionRefused } from '../engagement/refusals.js';

function freeBytes(dir: string): number | undefined {
  try {
    const stat = fs.statfsSync(dir);
    return stat.bavail * stat.bsize;
  } catch {
    return undefined;
  }
}

export function systemHandlers(services: Services, config: Config) {
  async function show(res: Response, checks: ReachCheck[] | undefined): Promise<void> {
    const overview = services.backups.overview(currentUser(res));
    await page(res, 'settings/system', {
      title: 'system.title',
      version: config.version,
      sandbox: config.instagram.sandbox,
      publicUrl: config.publicUrl,
      dataFree: freeBytes(config.dataDir),
      sizeText,
      ...overview,
      checks,
    });
  }

  return {
    async showSystemPage(_req: Request, res: Response): Promise<void> {
      await show(res, undefined);
    },

    async createBackup(req: Request, res: Response): Promise<void> {
      let made;
      try {
        made = await services.backups.createAs(currentUser(res));
      } catch (error) {
        // A refusal of the backup itself (the database fails its integrity check, the key is
        // unusable…) is for the owner to read, not "something went wrong, try again".
        if (error instanceof BackupError) throw new ActionRefused('system.backup.failed', { reason: error.message }, 'system.backup.title');
        throw error;
      }
      services.backups.prune();
      flash(req, 'success', 'system.backup.done', { name: made.name, size: sizeText(made.size) });
      res.redirect(303, '/settings/system');
    },

    async downloadBackup(req: Request, res: Response): Promise<void> {
      const file = services.backups.fileFor(currentUser(res), String(req.params['name'] ?? ''));
      if (!file) throw new NotFound();
      res.set('Cache-Control', 'no-store');
      await new Promise<void>((resolve, reject) => res.download(file, (error) => (error && !res.headersSent ? reject(error) : resolve())));
    },

    async checkReach(_req: Request, res: Response): Promise<void> {
      await show(res, await services.reach.check(currentUser(res)));
    },
  };
}
