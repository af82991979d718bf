// Graph's error envelope (§6.1) and the legacy OAuth shape (§1.3), as the simulator answers them.
import crypto from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';

export interface SimErrorOptions {
  subcode?: number;
  isTransient?: boolean;
  userTitle?: string;
  userMessage?: string;
  http?: number;
}

export class SimError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly options: SimErrorOptions = {},
  ) {
    super(message);
  }
  get http(): number {
    return this.options.http ?? 400;
  }
}

/** §1.3: api.instagram.com answers errors as {error_type, code, error_message}. */
export class LegacyOAuthError extends Error {
  constructor(message: string, readonly http = 400) {
    super(message);
  }
}

export function errorBody(error: SimError): { error: Record<string, unknown> } {
  return {
    error: {
      message: error.message,
      type: 'IGApiException',
      code: error.code,
      ...(error.options.subcode !== undefined ? { error_subcode: error.options.subcode } : {}),
      ...(error.options.isTransient !== undefined ? { is_transient: error.options.isTransient } : {}),
      ...(error.options.userTitle ? { error_user_title: error.options.userTitle } : {}),
      ...(error.options.userMessage ? { error_user_msg: error.options.userMessage } : {}),
      fbtrace_id: crypto.randomBytes(9).toString('base64url'),
    },
  };
}

export function simErrorHandler(error: unknown, _req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) return next(error);
  if (error instanceof SimError) {
    res.status(error.http).json(errorBody(error));
    return;
  }
  if (error instanceof LegacyOAuthError) {
    res.status(error.http).json({ error_type: 'OAuthException', code: error.http, error_message: error.message });
    return;
  }
  const status = (error as { status?: number }).status;
  if (status && status < 500) {
    res.status(400).json(errorBody(new SimError(100, 'Invalid parameter')));
    return;
  }
  res.status(500).json(errorBody(new SimError(1, 'An unknown error occurred', { isTransient: true, http: 500 })));
}

// Common refusals, worded as Instagram words them.
export const errors = {
  unknownObject: (id: string) =>
    new SimError(100, `Unsupported get request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation`, { subcode: 33 }),
  missingParameter: (name: string) => new SimError(100, `The parameter ${name} is required`),
  invalidParameter: (detail: string) => new SimError(100, `Invalid parameter: ${detail}`),
  permission: () => new SimError(10, '(#10) Application does not have permission for this action'),
  scope: (scope: string) => new SimError(200, `(#200) Requires ${scope} permission to manage the object`, { http: 403 }),
};
