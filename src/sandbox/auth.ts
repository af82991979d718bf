// Tokens on Graph calls: Authorization: Bearer, or access_token in the query or body (§0).
import type { NextFunction, Request, Response } from 'express';
import { graphTime } from './clock.js';
import type { SimContext } from './context.js';
import { errors, SimError } from './errors.js';
import type { SimAccount, SimToken } from './state.js';

export interface Authed {
  token: SimToken;
  account: SimAccount;
}

export function tokenFrom(req: Request): string | undefined {
  const header = req.get('authorization');
  if (header?.startsWith('Bearer ')) return header.slice(7).trim();
  if (header?.startsWith('OAuth ')) return header.slice(6).trim();
  const fromQuery = req.query['access_token'];
  if (typeof fromQuery === 'string') return fromQuery;
  const fromBody = (req.body as Record<string, unknown> | undefined)?.['access_token'];
  return typeof fromBody === 'string' ? fromBody : undefined;
}

/** Validates the token as Graph does (expired 190/463, invalidated 190/460…) and returns its account. */
export function authenticate(ctx: SimContext, req: Request): Authed {
  const value = tokenFrom(req);
  if (!value) throw new SimError(2500, 'An active access token must be used to query information about the current user.');
  const token = ctx.state.tokens.get(value);
  if (!token) throw new SimError(190, 'Invalid OAuth access token - Cannot parse access token');
  if (token.revokedSubcode !== undefined) {
    throw new SimError(190, 'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.', {
      subcode: token.revokedSubcode,
    });
  }
  const now = ctx.clock.now();
  if (token.expiresAt <= now) {
    throw new SimError(190, `Error validating access token: Session has expired on ${graphTime(token.expiresAt)}. The current time is ${graphTime(now)}.`, { subcode: 463 });
  }
  const account = ctx.state.accounts.get(token.igId);
  if (!account) throw new SimError(190, 'Invalid OAuth access token - Cannot parse access token', { subcode: 458 });
  return { token, account };
}

export function requireScope(authed: Authed, scope: string): void {
  if (!authed.token.scopes.includes(scope)) throw errors.scope(scope);
}

/** Middleware form: puts the authenticated token and account in res.locals.authed. */
export function requireToken(ctx: SimContext, scope?: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const authed = authenticate(ctx, req);
    if (scope) requireScope(authed, scope);
    res.locals['authed'] = authed;
    next();
  };
}

export function authedOf(res: Response): Authed {
  return res.locals['authed'] as Authed;
}

/** A path's IG id must be the token's account (or `me`). */
export function ownAccount(authed: Authed, idInPath: string): SimAccount {
  if (idInPath === 'me' || idInPath === authed.account.igId || idInPath === authed.account.appScopedId) return authed.account;
  throw errors.unknownObject(idInPath);
}
