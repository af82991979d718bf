// Rules for usernames and passwords, shared by the web forms, setup and the CLI.
import { PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH } from '../auth/passwords.js';

const USERNAME = /^[\p{L}\p{N}._-]{3,40}$/u;

export function usernameError(username: string): string | undefined {
  if (username.length === 0) return 'form.error.required';
  if (!USERNAME.test(username)) return 'form.error.usernameFormat';
  return undefined;
}

export function passwordError(password: string): string | undefined {
  // Count code points, not UTF-16 units: "пароль" is six characters to a person.
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH) return 'form.error.passwordTooShort';
  if (length > PASSWORD_MAX_LENGTH) return 'form.error.passwordTooLong';
  return undefined;
}
