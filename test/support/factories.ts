import type { Role } from '../../src/db/schema.js';
import type { UserRow } from '../../src/features/users/users.repo.js';
import type { AccountRow } from '../../src/features/accounts/accounts.repo.js';
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

/** A connected account row as the OAuth callback would leave it (token sealed for its row). */
export function createAccount(t: TestApp, fields: { username?: string; igUserId?: string } = {}): AccountRow {
  counter += 1;
  const igUserId = fields.igUserId ?? String(17841400000000000n + BigInt(counter));
  const now = t.clock.now();
  return t.services.accounts.repo.insert({
    igUserId,
    appScopedId: `app-${counter}`,
    username: fields.username ?? `shop${counter}`,
    token: t.cipher.seal(`IGAAtoken${counter}`, { table: 'accounts', column: 'token', row: igUserId }),
    tokenExpiresAt: now + 60 * 86_400_000,
    tokenRefreshedAt: now,
    scopes: [],
    sandbox: true,
    connectedAt: now,
    createdAt: now,
  });
}
