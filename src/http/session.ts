// Session cookie, timeouts and who is signed in.
import type { NextFunction, Request, Response } from 'express';
import session from 'express-session';
import type { Clock } from '../clock.js';
import type { Config } from '../config.js';
import type { Cipher } from '../db/crypto.js';
import type { Services } from '../services.js';
import { flash, regenerateSession } from './context.js';
import { SqliteSessionStore } from './session-store.js';
import { POLICY_VERSION } from '../features/privacy/policy.js';

export function cookieName(config: Config): string {
  // __Host- makes the browser refuse the cookie unless Secure, Path=/ and no Domain.
  return config.secureCookies ? '__Host-qanat.sid' : 'qanat.sid';
}

/** The idle timeout is counted with this precision (its default is 30 minutes). */
const LAST_SEEN_STEP_MS = 30_000;

export function sessionMiddleware(config: Config, services: Services, cipher: Cipher, clock: Clock, secret: string) {
  return session({
    name: cookieName(config),
    secret,
    store: new SqliteSessionStore(services.sessions, cipher, clock, config.session),
    resave: false,
    saveUninitialized: false,
    proxy: config.trustProxyHops > 0,
    // No maxAge: a browser-session cookie; the server enforces idle and absolute limits.
    cookie: { httpOnly: true, secure: config.secureCookies, sameSite: 'lax', path: '/' },
  });
}

/** Ends sessions idle too long or older than the absolute limit, then loads the signed-in user. */
export function loadUser(config: Config, services: Services, clock: Clock) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const s = req.session;
    res.locals.user = undefined;
    if (s.userId === undefined) return next();
    const now = clock.now();
    const idle = now - (s.lastSeenAt ?? 0) > config.session.idleMs;
    const tooOld = now - (s.authenticatedAt ?? 0) > config.session.absoluteMs;
    const user = idle || tooOld ? undefined : services.users.findById(s.userId);
    if (!user) {
      const language = s.language;
      await regenerateSession(req);
      if (language) req.session.language = language;
      if (idle || tooOld) flash(req, 'info', 'auth.flash.expired');
      return next();
    }
    // Written back only when it moved by more than LAST_SEEN_STEP_MS: an unchanged session is not
    // saved, so a page view is not a database write (and an fsync) every time.
    if (now - (s.lastSeenAt ?? 0) > LAST_SEEN_STEP_MS) s.lastSeenAt = now;
    if (s.language !== user.language) s.language = user.language;
    res.locals.user = { id: user.id, username: user.username, role: user.role, language: user.language, timeZone: user.timeZone ?? config.timeZone, totp: Boolean(user.totpSecret) };
    res.locals.policyNotice = user.policySeen !== POLICY_VERSION;
    next();
  };
}
