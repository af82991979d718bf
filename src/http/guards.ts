import type { NextFunction, Request, Response } from 'express';
import type { Services } from '../services.js';
import { saveSession } from './context.js';

/** Paths reachable before the first owner exists. */
const BEFORE_SETUP = new Set(['/setup', '/language', '/privacy', '/data-deletion', '/data-deletion/status']);

/** While no user exists, every page leads to /setup. */
export function requireSetupDone(services: Services) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (BEFORE_SETUP.has(req.path)) return next();
    // Asked on every request (one indexed count): erasing everything brings setup back.
    if (services.setup.isNeeded()) return res.redirect(303, '/setup');
    next();
  };
}

/** Anonymous visitors go to the sign-in page, and come back here afterwards. */
export async function requireUser(req: Request, res: Response, next: NextFunction): Promise<void> {
  if (res.locals.user) return next();
  if (req.method === 'GET') {
    req.session.returnTo = req.originalUrl;
    await saveSession(req);
  }
  res.redirect(303, '/login');
}

/** Where someone without two-factor may still go while the owner requires it: setting it up, and out. */
const TOTP_SETUP_PATHS = ['/settings/2fa', '/logout', '/language', '/privacy'];

/** When the owner requires two-factor sign-in, everyone without it is sent to set it up first. */
export function requireTwoFactorWhenAsked(services: Services) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const user = res.locals.user;
    if (!user || user.totp || TOTP_SETUP_PATHS.some((p) => req.path === p || req.path.startsWith(`${p}/`))) return next();
    if (!services.totp.required()) return next();
    res.redirect(303, '/settings/2fa');
  };
}
