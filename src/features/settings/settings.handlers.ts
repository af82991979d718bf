import type { Request, Response } from 'express';
import { Conflict, Forbidden, Invalid } from '../../errors.js';
import { currentUser, flash, origin, regenerateSession, safeReturnPath } from '../../http/context.js';
import { ERASE_PHRASE } from '../privacy/erase.service.js';
import { parseForm } from '../../http/forms.js';
import { page } from '../../http/render.js';
import { LANGUAGE_NAMES } from '../../i18n/index.js';
import { hashSid } from '../auth/sessions.repo.js';
import type { Services } from '../../services.js';
import { languageForm, passwordForm, timeZoneForm } from './settings.forms.js';
import { zoneChoices } from '../../time-zone.js';

export function settingsHandlers(services: Services) {
  const render = (res: Response, errors: Record<string, string> = {}, status = 200) =>
    page(res, 'settings/profile', { title: 'settings.profile.title', languages: LANGUAGE_NAMES, zones: zoneChoices(res.locals.user?.timeZone ?? 'UTC'), errors }, status);

  return {
    async showProfilePage(_req: Request, res: Response): Promise<void> {
      await render(res);
    },

    /** Anyone, signed in or not, may switch language; signed-in people keep it as a setting. */
    saveLanguage(req: Request, res: Response): void {
      const form = parseForm(languageForm, req.body);
      req.session.language = form.language;
      const user = res.locals.user;
      if (user && user.language !== form.language) services.users.changeLanguage(user, form.language, origin(req));
      res.redirect(303, safeReturnPath(form.returnTo));
    },

    async saveTimeZone(req: Request, res: Response): Promise<void> {
      const form = parseForm(timeZoneForm, req.body);
      try {
        services.users.changeTimeZone(currentUser(res), form.timeZone, origin(req));
      } catch (error) {
        if (error instanceof Invalid) return render(res, error.fieldErrors, 400);
        throw error;
      }
      flash(req, 'success', 'settings.flash.timeZoneChanged');
      res.redirect(303, '/settings');
    },

    /** Anyone may delete their own login (with their password); the last owner is told what to do instead. */
    async deleteOwnLogin(req: Request, res: Response): Promise<void> {
      const password = typeof req.body?.['deletePassword'] === 'string' ? (req.body['deletePassword'] as string) : '';
      try {
        await services.erase.removeOwnLogin(currentUser(res), password, origin(req));
      } catch (error) {
        if (error instanceof Invalid) return render(res, error.fieldErrors, 400);
        if (error instanceof Conflict) return render(res, { deletePassword: error.messageKey }, 409);
        throw error;
      }
      await regenerateSession(req);
      flash(req, 'success', 'settings.delete.done');
      res.redirect(303, '/login');
    },

    async showErasePage(_req: Request, res: Response): Promise<void> {
      if (currentUser(res).role !== 'owner') throw new Forbidden('settings.erase.ownerOnly');
      await page(res, 'settings/erase', { title: 'settings.erase.title', phrase: ERASE_PHRASE, errors: {} });
    },

    /** Owner only: everything goes, and the appliance is back at first-run setup. */
    async eraseEverything(req: Request, res: Response): Promise<void> {
      const field = (name: string) => (typeof req.body?.[name] === 'string' ? (req.body[name] as string) : '');
      let code: string;
      try {
        code = await services.erase.eraseEverything(currentUser(res), field('erasePassword'), field('erasePhrase'), origin(req));
      } catch (error) {
        if (error instanceof Invalid) return page(res, 'settings/erase', { title: 'settings.erase.title', phrase: ERASE_PHRASE, errors: error.fieldErrors }, 400);
        throw error;
      }
      // The session goes entirely (not regenerated): nothing of the erased instance is stored again.
      await new Promise<void>((resolve, reject) => req.session.destroy((error: unknown) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve())));
      res.locals.user = undefined;
      res.locals.accountChoices = [];
      res.locals.currentAccount = undefined;
      res.locals.reconnectNeeded = [];
      await page(res, 'settings/erased', { title: 'settings.erase.doneTitle', setupCode: code });
    },

    async savePassword(req: Request, res: Response): Promise<void> {
      const form = parseForm(passwordForm, req.body);
      if (form.newPassword !== form.newPasswordConfirm) return render(res, { newPasswordConfirm: 'form.error.passwordMismatch' }, 400);
      try {
        await services.users.changeOwnPassword(currentUser(res), form.currentPassword, form.newPassword, hashSid(req.sessionID), origin(req));
      } catch (error) {
        if (error instanceof Invalid) return render(res, error.fieldErrors, 400);
        throw error;
      }
      flash(req, 'success', 'settings.flash.passwordChanged');
      res.redirect(303, '/settings');
    },
  };
}
