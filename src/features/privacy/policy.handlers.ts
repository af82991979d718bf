// /privacy: the policy this server keeps (its promises are enforced by code and tested, see
// test/privacy), with the operator's details from config; and the acknowledgement of a new version.
import type { Request, Response } from 'express';
import type { Config } from '../../config.js';
import { currentUser, safeReturnPath } from '../../http/context.js';
import { page } from '../../http/render.js';
import type { Services } from '../../services.js';
import { POLICY_UPDATED, POLICY_VERSION } from './policy.js';

export function policyHandlers(services: Services, config: Config) {
  return {
    async showPrivacyPage(_req: Request, res: Response): Promise<void> {
      await page(res, 'privacy/policy', {
        title: 'privacy.policy.title',
        // Not `version`: that local is the app's version (footer, asset URLs).
        policyVersion: POLICY_VERSION,
        updated: POLICY_UPDATED,
        operator: config.privacy,
        auditDays: config.auditRetentionDays,
        logDays: config.log.retentionDays,
        // Backups on a schedule keep the newest BACKUP_KEEP; off, none are made on their own.
        backupKeep: config.backup.schedule ? config.backup.keep : 0,
      });
    },

    acknowledgePolicy(req: Request, res: Response): void {
      services.users.acknowledgePolicy(currentUser(res), POLICY_VERSION);
      res.redirect(303, safeReturnPath((req.body as Record<string, unknown>)['returnTo'], '/'));
    },
  };
}
