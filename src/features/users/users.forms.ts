import { z } from 'zod';
import { ROLES } from '../../db/schema.js';
import { secret, text, trimmed } from '../../http/forms.js';

const role = text(16).pipe(z.enum(ROLES).catch('viewer'));

export const newUserForm = z.object({
  username: trimmed(80),
  password: secret(),
  role,
});
export type NewUserForm = z.infer<typeof newUserForm>;

export const roleForm = z.object({ role });

export const resetPasswordForm = z.object({ newPassword: secret() });

/** Route parameters are untrusted too. */
export function parseId(value: unknown): number | undefined {
  const id = typeof value === 'string' && /^\d{1,12}$/.test(value) ? Number(value) : NaN;
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}
