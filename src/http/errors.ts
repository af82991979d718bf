// One place maps errors to a status and a localized page. People never see a stack trace;
// the log keeps the detail.
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../log.js';
import { AppError, NotFound, TooManyAttempts } from '../errors.js';
import { translatorFor } from '../i18n/index.js';
import { page } from './render.js';

export function notFound(_req: Request, _res: Response, next: NextFunction): void {
  next(new NotFound());
}

interface HttpishError {
  status?: number;
  statusCode?: number;
  type?: string;
}

function classify(error: unknown): { status: number; key: string; params: Record<string, string | number> } {
  if (error instanceof AppError) return { status: error.status, key: error.messageKey, params: error.params };
  // A locked database is temporary: say so (503) instead of "something went wrong".
  const code = String((error as { code?: unknown }).code);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return { status: 503, key: 'error.unavailable.text', params: {} };
  // A full disk needs the admin: the transaction rolled back, and the page says what to do.
  if (code === 'SQLITE_FULL') return { status: 507, key: 'error.databaseFull.text', params: {} };
  const status = (error as HttpishError).status ?? (error as HttpishError).statusCode;
  if (status === 413) return { status, key: 'error.tooLarge.text', params: {} };
  if (status === 404) return { status, key: 'error.notFound.text', params: {} };
  if (status !== undefined && status >= 400 && status < 500) return { status: 400, key: 'error.badRequest.text', params: {} };
  return { status: 500, key: 'error.server.text', params: {} };
}

const TITLES: Record<number, string> = {
  400: 'error.badRequest.title',
  401: 'error.badRequest.title',
  403: 'error.forbidden.title',
  404: 'error.notFound.title',
  409: 'error.conflict.title',
  413: 'error.tooLarge.title',
  422: 'error.badRequest.title',
  507: 'error.diskFull.title',
  429: 'error.tooMany.title',
  500: 'error.server.title',
  503: 'error.unavailable.title',
};

export function errorHandler(log: Logger, version: string) {
  // Express recognises error handlers by their four parameters.
  return async (error: unknown, req: Request, res: Response, _next: NextFunction): Promise<void> => {
    const { status, key, params } = classify(error);
    if (status >= 500) log.error({ err: error, method: req.method, path: req.path, ...(res.headersSent ? { afterAnswer: res.statusCode } : {}) }, 'request failed');
    else log.debug({ status, key, path: req.path }, 'request refused');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // Refused before the whole body was read (a multipart form stopped early): close the
    // connection after the answer, or the unread rest would be taken for the next request.
    if (!req.complete) res.set('Connection', 'close');
    if (status === 503 || status === 507) {
      res.set('Retry-After', '30');
      // Don't save the session at the end of this response: that write would wait on the same lock, or fail on the full disk.
      delete (req as { session?: unknown }).session;
    }
    if (error instanceof TooManyAttempts) res.set('Retry-After', String(error.retryAfterSeconds));
    // A refused upload's body may still be arriving. The answer goes out now; Node then reads and
    // discards the rest (never buffered) until the request timeout, so the client sees the answer
    // instead of a reset connection.
    // Locals may be missing if the failure came before they were set (e.g. the session store).
    res.locals.t ??= translatorFor('en');
    res.locals.lang ??= 'en';
    res.locals.flash ??= [];
    res.locals.csrfToken ??= '';
    res.locals.path ??= req.path;
    res.locals.version ??= version;
    res.locals.sandbox ??= false;
    res.locals.accountChoices ??= [];
    res.locals.reconnectNeeded ??= [];
    res.locals.notificationCount ??= 0;
    res.locals.currentAccount ??= undefined;
    // Assigning creates the key, so the layout's `user` is defined even for early failures.
    res.locals.user ??= undefined;
    res.set('Cache-Control', 'no-store');
    try {
      await page(res, 'errors/error', { title: TITLES[status] ?? 'error.server.title', status, messageKey: key, params }, status);
    } catch (renderError) {
      log.error({ err: renderError }, 'error page failed to render');
      res.status(status).type('text/plain').send(res.locals.t(key, params));
    }
  };
}
