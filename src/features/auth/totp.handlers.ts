// Two-factor sign-in: the code step after the password, and Settings → Two-factor (set up with a
// QR code, recovery codes shown once, switch off with the password; the owner can require it).
import type { Request, Response } from 'express';
import type { Clock } from '../../clock.js';
import { Invalid, TooManyAttempts } from '../../errors.js';
import { clientIp, currentUser, flash, origin, regenerateSession, safeReturnPath, saveSession } from '../../http/context.js';
import { page } from '../../http/render.js';
import type { Services } from '../../services.js';

/** The password step is good for this long; then the person starts again. */
const PENDING_MS = 5 * 60_000;

const field = (req: Request, name: string): string => {
  const value = (req.body as Record<string, unknown> | undefined)?.[name];
  return typeof value === 'string' ? value.slice(0, 100) : '';
};

export function totpHandlers(services: Services, clock: Clock) {
  const pendingUser = (req: Request) => {
    const pending = req.session.totpPending;
    if (!pending || clock.now() - pending.at > PENDING_MS) return undefined;
    return services.users.findById(pending.userId);
  };

  const showSettings = async (res: Response, extra: Record<string, unknown> = {}, status = 200): Promise<void> => {
    const user = currentUser(res);
    await page(
      res,
      'settings/two-factor',
      { title: 'totp.title', enabled: user.totp, required: services.totp.required(), remaining: user.totp ? services.totp.remainingRecoveryCodes(user.id) : 0, setup: null, codes: null, errors: {}, ...extra },
      status,
    );
  };

  return {
    async showCodePage(req: Request, res: Response): Promise<void> {
      if (!pendingUser(req)) return res.redirect(303, '/login');
      await page(res, 'auth/code', { title: 'totp.login.title', errorKey: null, errorParams: {} });
    },

    async checkCode(req: Request, res: Response): Promise<void> {
      const user = pendingUser(req);
      if (!user) return res.redirect(303, '/login');
      try {
        services.totp.verify(user, field(req, 'code'), clientIp(req));
      } catch (error) {
        if (error instanceof Invalid) return page(res, 'auth/code', { title: 'totp.login.title', errorKey: 'totp.error.wrongCode', errorParams: {} }, 401);
        if (error instanceof TooManyAttempts) {
          res.set('Retry-After', String(error.retryAfterSeconds));
          return page(res, 'auth/code', { title: 'totp.login.title', errorKey: 'error.tooMany.text', errorParams: { minutes: Math.max(1, Math.ceil(error.retryAfterSeconds / 60)) } }, 429);
        }
        throw error;
      }
      const returnTo = safeReturnPath(req.session.totpPending?.returnTo);
      await regenerateSession(req);
      const now = clock.now();
      Object.assign(req.session, { userId: user.id, authenticatedAt: now, lastSeenAt: now, language: user.language });
      await saveSession(req);
      res.redirect(303, returnTo === '/login' ? '/' : returnTo);
    },

    async showTwoFactorPage(_req: Request, res: Response): Promise<void> {
      await showSettings(res);
    },

    async startSetup(req: Request, res: Response): Promise<void> {
      const setup = await services.totp.begin(currentUser(res));
      req.session.totpSetup = setup.secret;
      await showSettings(res, { setup });
    },

    async enableTwoFactor(req: Request, res: Response): Promise<void> {
      const secret = req.session.totpSetup;
      if (!secret) return res.redirect(303, '/settings/2fa');
      const user = currentUser(res);
      try {
        const codes = services.totp.enable(user, secret, field(req, 'code'), origin(req));
        delete req.session.totpSetup;
        res.locals.user = { ...user, totp: true };
        await showSettings(res, { codes, enabled: true, remaining: codes.length });
      } catch (error) {
        if (!(error instanceof Invalid)) throw error;
        // The same secret again, so the app the person already scanned keeps working.
        await showSettings(res, { setup: { secret, qr: await services.totp.qrOf(user.username, secret) }, errors: error.fieldErrors }, 400);
      }
    },

    async disableTwoFactor(req: Request, res: Response): Promise<void> {
      try {
        await services.totp.disable(currentUser(res), field(req, 'totpPassword'), origin(req));
      } catch (error) {
        if (error instanceof Invalid) return showSettings(res, { errors: error.fieldErrors }, 400);
        throw error;
      }
      flash(req, 'success', 'totp.flash.disabled');
      res.redirect(303, '/settings/2fa');
    },

    saveRequired(req: Request, res: Response): void {
      services.totp.setRequired(currentUser(res), field(req, 'required') === '1', origin(req));
      flash(req, 'success', 'totp.flash.requiredSaved');
      res.redirect(303, '/settings/2fa');
    },
  };
}
