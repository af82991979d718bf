// Small helpers every handler uses: who is asking, from where, and one-shot messages.
import type { Request, Response } from 'express';
import type { Role, Language } from '../db/schema.js';
import { Forbidden } from '../errors.js';
import type { Translate } from '../i18n/index.js';
import type { Actor, Origin } from '../features/users/users.service.js';

export interface CurrentUser extends Actor {
  language: Language;
  /** The IANA zone times are shown and typed in (the user's, else the instance default). */
  timeZone: string;
  /** Two-factor sign-in is on for this person. */
  totp: boolean;
}

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- Express declares its types in this namespace.
  namespace Express {
    interface Locals {
      t: Translate;
      lang: Language;
      user: CurrentUser | undefined;
      csrfToken: string;
      flash: Array<{ kind: 'success' | 'error' | 'info'; text: string }>;
      path: string;
      version: string;
      /** No Meta app configured: the built-in simulator plays Instagram. */
      sandbox: boolean;
      /** Connected accounts for the switcher (signed-in pages only). */
      accountChoices: Array<{ id: number; username: string }>;
      /** The account the pages show. */
      currentAccount: { id: number; username: string } | undefined;
      /** Accounts whose access stopped working: a banner on every page. */
      reconnectNeeded: Array<{ id: number; username: string }>;
      /** Unread notifications plus accounts to reconnect: the bell's badge. */
      notificationCount: number;
      /** The privacy policy changed since this person last acknowledged it. */
      policyNotice: boolean;
      /** When the current privacy policy took effect (YYYY-MM-DD). */
      policyUpdated: string;
      /** The navigation's inbox counts for the current account. */
      inboxCounts: { comments: number; messages: number };
    }
  }
}

/** The client's address as Traefik saw it (trust proxy = one hop), IPv4-mapped IPv6 unwrapped. */
export function clientIp(req: Request): string {
  const ip = req.ip ?? req.socket.remoteAddress ?? 'unknown';
  return ip.startsWith('::ffff:') ? ip.slice(7) : ip;
}

export function origin(req: Request): Origin {
  return { ip: clientIp(req) };
}

export function currentUser(res: Response): CurrentUser {
  const user = res.locals.user;
  if (!user) throw new Forbidden();
  return user;
}

export function hasRole(user: CurrentUser | undefined, role: Role): boolean {
  return user?.role === role;
}

export function flash(req: Request, kind: 'success' | 'error' | 'info', key: string, params?: Record<string, string | number>): void {
  const list = req.session.flash ?? [];
  list.push(params ? { kind, key, params } : { kind, key });
  req.session.flash = list;
}

/** Only same-site paths are followed after a form, never another host. */
export function safeReturnPath(value: unknown, fallback = '/'): string {
  if (typeof value !== 'string' || !value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return fallback;
  return value;
}

export function saveSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.save((error) => (error ? reject(error as Error) : resolve())));
}

export function regenerateSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) => req.session.regenerate((error) => (error ? reject(error as Error) : resolve())));
}
