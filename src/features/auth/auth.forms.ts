import { z } from 'zod';
import { secret, trimmed } from '../../http/forms.js';

export const signInForm = z.object({
  username: trimmed(80),
  password: secret(),
});
