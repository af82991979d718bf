import { z } from 'zod';
import { LANGUAGES } from '../../db/schema.js';
import { secret, text, trimmed } from '../../http/forms.js';

export const languageForm = z.object({
  language: text(8).pipe(z.enum(LANGUAGES).catch('en')),
  returnTo: text(500),
});

export const passwordForm = z.object({
  currentPassword: secret(),
  newPassword: secret(),
  newPasswordConfirm: secret(),
});

export const timeZoneForm = z.object({
  timeZone: trimmed(64),
});
