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
