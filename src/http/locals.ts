// The locals every page needs, set in one place: language and t(), user, CSRF token, flash.
import type { NextFunction, Request, Response } from 'express';
import type { Config } from '../config.js';
import type { Language } from '../db/schema.js';
import { isLanguage, languageFromHeader, translatorFor } from '../i18n/index.js';
import { csrfTokenFor } from './csrf.js';
import { POLICY_UPDATED } from '../features/privacy/policy.js';
import type { Services } from '../services.js';
import { dateText, numberText } from './formats.js';

export function pickLanguage(req: Request, res: Response): Language {
  if (res.locals.user) return res.locals.user.language;
  const chosen = req.session?.language;
  return isLanguage(chosen) ? chosen : languageFromHeader(req.get('accept-language'));
}

export function pageLocals(config: Config) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const lang = pickLanguage(req, res);
    const t = translatorFor(lang);
    res.locals.lang = lang;
    res.locals.t = t;
    res.locals.dateText = (at: number | Date, options: Intl.DateTimeFormatOptions) => dateText(lang, at, options);
    res.locals.numberText = (value: number, options?: Intl.NumberFormatOptions) => numberText(lang, value, options);
    res.locals.path = req.path;
    res.locals.version = config.version;
    res.locals.sandbox = config.instagram.sandbox;
    res.locals.csrfToken = csrfTokenFor(req);
    res.locals.flash = [];
    res.locals.policyNotice ??= false;
    res.locals.policyUpdated = POLICY_UPDATED;
    // Pages carry CSRF tokens and personal data: never cache them anywhere.
    res.set('Cache-Control', 'no-store');
    res.vary('Accept-Language');
    next();
  };
}

/** The account switcher and the reconnect banner, for signed-in pages. */
export function accountLocals(services: Services) {
  return (req: Request, res: Response, next: NextFunction): void => {
    res.locals.accountChoices = [];
    res.locals.currentAccount = undefined;
    res.locals.reconnectNeeded = [];
    res.locals.notificationCount = 0;
    res.locals.inboxCounts = { comments: 0, messages: 0 };
    if (!res.locals.user) return next();
    const accounts = services.accounts.repo.list().map((a) => ({ id: a.id, username: a.username, status: a.status }));
    res.locals.accountChoices = accounts.map(({ id, username }) => ({ id, username }));
    const chosen = accounts.find((a) => a.id === req.session.accountId) ?? accounts[0];
    res.locals.currentAccount = chosen ? { id: chosen.id, username: chosen.username } : undefined;
    res.locals.reconnectNeeded = accounts.filter((a) => a.status !== 'ok').map(({ id, username }) => ({ id, username }));
    res.locals.notificationCount = services.notifications.unreadCount() + res.locals.reconnectNeeded.length;
    if (chosen) res.locals.inboxCounts = { comments: services.comments.needsReplyCount(chosen.id), messages: services.messages.unreadCount(chosen.id) };
    next();
  };
}
