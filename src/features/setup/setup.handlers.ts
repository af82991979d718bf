import type { Request, Response } from 'express';
import { Invalid } from '../../errors.js';
import { clientIp, flash, regenerateSession, saveSession } from '../../http/context.js';
import { parseForm } from '../../http/forms.js';
import { page } from '../../http/render.js';
import type { Clock } from '../../clock.js';
import type { Services } from '../../services.js';
import { setupForm, type SetupForm } from './setup.forms.js';

export function setupHandlers(services: Services, clock: Clock) {
  const render = (res: Response, values: Partial<SetupForm>, errors: Record<string, string>, status = 200) =>
    page(res, 'setup/setup', { title: 'setup.title', values: { code: values.code ?? '', username: values.username ?? '' }, errors }, status);

  return {
    async showSetupPage(_req: Request, res: Response): Promise<void> {
      if (!services.setup.isNeeded()) return res.redirect(303, '/login');
      await render(res, {}, {});
    },

    async saveSetup(req: Request, res: Response): Promise<void> {
      if (!services.setup.isNeeded()) return res.redirect(303, '/login');
      const form = parseForm(setupForm, req.body);
      if (form.password !== form.passwordConfirm) return render(res, form, { passwordConfirm: 'form.error.passwordMismatch' }, 400);
      try {
        const owner = await services.setup.createOwner(form, clientIp(req));
        // The owner keeps the language they set the appliance up in.
        services.users.setLanguage({ id: owner.id, username: owner.username, role: owner.role }, res.locals.lang);
        await regenerateSession(req);
        const now = clock.now();
        Object.assign(req.session, { userId: owner.id, authenticatedAt: now, lastSeenAt: now });
        flash(req, 'success', 'setup.flash.done');
        await saveSession(req);
        res.redirect(303, '/');
      } catch (error) {
        if (error instanceof Invalid) return render(res, form, error.fieldErrors, 400);
        throw error;
      }
    },
  };
}
