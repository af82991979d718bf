// CSRF: a synchronizer token in the session, checked on every state-changing request,
// plus Fetch Metadata / Origin checks that stop cross-site requests before the token is read.
import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { constantTimeEqual } from '../db/crypto.js';
import { AppError } from '../errors.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export class CsrfRejected extends AppError {
  constructor() {
    super(403, 'error.csrf.text');
  }
}

export function csrfTokenFor(req: Request): string {
  req.session.csrfToken ??= crypto.randomBytes(32).toString('base64url');
  return req.session.csrfToken;
}

function sameToken(given: unknown, expected: string | undefined): boolean {
  return typeof given === 'string' && Boolean(expected) && constantTimeEqual(given, expected as string);
}

/** @param publicOrigin PUBLIC_URL's origin; the request's own host is accepted too (e.g. 127.0.0.1 vs localhost). */
export function verifyCsrf(publicOrigin: string) {
  return (req: Request, _res: Response, next: NextFunction): void => {
    if (SAFE_METHODS.has(req.method)) return next();
    const site = req.get('sec-fetch-site');
    if (site && site !== 'same-origin' && site !== 'none') return next(new CsrfRejected());
    const originHeader = req.get('origin');
    if (originHeader !== undefined) {
      const ownOrigin = `${req.protocol}://${req.get('host') ?? ''}`;
      if (originHeader !== publicOrigin && originHeader !== ownOrigin) return next(new CsrfRejected());
    }
    const body = req.body as Record<string, unknown> | undefined;
    const given = body?.['_csrf'] ?? req.get('x-csrf-token');
    if (sameToken(given, req.session.csrfToken)) return next();
    // A multipart body is read by the route itself; only routes built for uploads accept the
    // deferral (refuseDeferredCsrf guards every other one), and their reader checks the token.
    if ((req.get('content-type') ?? '').toLowerCase().startsWith('multipart/form-data')) {
      req.csrfDeferred = true;
      return next();
    }
    next(new CsrfRejected());
  };
}

/** On every state-changing route that does not read multipart bodies itself. */
export function refuseDeferredCsrf(req: Request, _res: Response, next: NextFunction): void {
  next(req.csrfDeferred ? new CsrfRejected() : undefined);
}

declare module 'express-serve-static-core' {
  interface Request {
    /** Set when the CSRF token travels inside a multipart body, checked by readForm(). */
    csrfDeferred?: boolean;
  }
}
