import type { Role } from '../../src/db/schema.js';
import type { UserRow } from '../../src/features/users/users.repo.js';
import type { TestApp } from './app.js';

export const PASSWORD = 'correct horse battery staple';

let counter = 0;

export async function createUser(t: TestApp, fields: { username?: string; password?: string; role?: Role } = {}): Promise<UserRow> {
  counter += 1;
  return t.services.users.createUnchecked(
    { username: fields.username ?? `user${counter}`, password: fields.password ?? PASSWORD, role: fields.role ?? 'owner' },
    { ip: null },
    'test',
  );
}
