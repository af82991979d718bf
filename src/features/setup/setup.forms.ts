import { z } from 'zod';
import { secret, trimmed } from '../../http/forms.js';

export const setupForm = z.object({
  code: trimmed(40),
  username: trimmed(80),
  password: secret(),
  passwordConfirm: secret(),
});
export type SetupForm = z.infer<typeof setupForm>;
