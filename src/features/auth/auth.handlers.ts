import type { Request, Response } from 'express';
import type { Clock } from '../../clock.js';
import { TooManyAttempts } from '../../errors.js';
import { clientIp, flash, regenerateSession, safeReturnPath, saveSession } from '../../http/context.js';
import { parseForm } from '../../http/forms.js';
import { page } from '../../http/render.js';
import type { Services } from '../../services.js';
import { InvalidCredentials } from './auth.service.js';
import { signInForm } from './auth.forms.js';

export function authHandlers(services: Services, clock: Clock) {
  const render = (res: Response, username: string, errorKey: string | null, status = 200, params: Record<string, number> = {}) =>
    page(res, 'auth/login', { title: 'auth.login.title', values: { username }, errorKey, errorParams: params }, status);

  return {
    async showLoginPage(_req: Request, res: Response): Promise<void> {
      if (res.locals.user) return res.redirect(303, '/');
      await render(res, '', null);
    },

    async signIn(req: Request, res: Response): Promise<void> {
      const form = parseForm(signInForm, req.body);
      try {
        const user = await services.auth.signIn(form.username, form.password, clientIp(req));
        const returnTo = safeReturnPath(req.session.returnTo);
        // A fresh id at sign-in: a session id planted before login is worth nothing after it.
        await regenerateSession(req);
        if (services.totp.isEnabled(user)) {
          // The password was right; the code from the app comes next (not signed in yet).
          req.session.totpPending = { userId: user.id, at: clock.now(), returnTo };
          await saveSession(req);
          return res.redirect(303, '/login/code');
        }
        const now = clock.now();
        Object.assign(req.session, { userId: user.id, authenticatedAt: now, lastSeenAt: now, language: user.language });
        await saveSession(req);
        res.redirect(303, returnTo === '/login' ? '/' : returnTo);
      } catch (error) {
        if (error instanceof InvalidCredentials) return render(res, form.username, 'auth.error.invalidCredentials', 401);
        if (error instanceof TooManyAttempts) {
          res.set('Retry-After', String(error.retryAfterSeconds));
          return render(res, form.username, 'error.tooMany.text', 429, { minutes: Math.max(1, Math.ceil(error.retryAfterSeconds / 60)) });
        }
        throw error;
      }
    },

    async signOut(req: Request, res: Response): Promise<void> {
      const user = res.locals.user;
      const language = res.locals.lang;
      // regenerate() deletes the old session row; the new anonymous session only carries
      // the language and the goodbye message.
      await regenerateSession(req);
      if (user) services.audit.record({ kind: 'auth.signout', userId: user.id, actor: user.username, sourceIp: clientIp(req) });
      req.session.language = language;
      flash(req, 'success', 'auth.flash.signedOut');
      await saveSession(req);
      res.redirect(303, '/login');
    },
  };
}
