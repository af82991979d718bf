/**
 * Typed errors services throw; one middleware maps them to a status and a page.
 * `messageKey` is an i18n key so the person reads the reason in their language.
 */
export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly messageKey: string,
    readonly params: Record<string, string | number> = {},
  ) {
    super(messageKey);
    this.name = new.target.name;
  }
}

export class NotFound extends AppError {
  constructor(messageKey = 'error.notFound.text') {
    super(404, messageKey);
  }
}

export class Forbidden extends AppError {
  constructor(messageKey = 'error.forbidden.text') {
    super(403, messageKey);
  }
}

export class Conflict extends AppError {
  constructor(messageKey: string, params: Record<string, string | number> = {}) {
    super(409, messageKey, params);
  }
}

/** A form-level rule failed: handlers re-render the form with these field messages. */
export class Invalid extends AppError {
  constructor(readonly fieldErrors: Record<string, string>) {
    super(400, 'form.error.invalid');
  }
}

export class TooManyAttempts extends AppError {
  constructor(readonly retryAfterSeconds: number) {
    super(429, 'error.tooMany.text', { minutes: Math.max(1, Math.ceil(retryAfterSeconds / 60)) });
  }
}
