import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { Cipher, DecryptionError, generateKeyText, keyIdOf, parseKey } from '../../../src/db/crypto.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { signIn } from '../../support/http.js';

const REF = { table: 'accounts', column: 'token' };

describe('encrypted columns', () => {
  const cipher = new Cipher(parseKey(generateKeyText()));

  it('round-trips text, including non-ASCII, under the same table and column', () => {
    const secret = 'IGQVJ-токен-ұзақ-🔑';
    expect(cipher.open(cipher.seal(secret, REF), REF)).to.equal(secret);
  });

  it('stores the version and key id in the value and never the plaintext', () => {
    const sealed = cipher.seal('plain-secret', REF);
    const [version, keyId] = sealed.split(':');
    expect(version).to.equal('v1');
    expect(keyId).to.equal(cipher.currentKeyId);
    expect(sealed).not.to.contain('plain-secret');
  });

  it('uses a fresh nonce for every write, so equal values look different', () => {
    expect(cipher.seal('same', REF)).not.to.equal(cipher.seal('same', REF));
  });

  it('fails closed when one byte of the ciphertext is flipped', () => {
    const sealed = cipher.seal('a value worth protecting', REF);
    const parts = sealed.split(':');
    const body = Buffer.from(parts[3] as string, 'base64url');
    body[0] = (body[0] as number) ^ 0x01;
    parts[3] = body.toString('base64url');
    expect(() => cipher.open(parts.join(':'), REF)).to.throw(DecryptionError);
  });

  it('fails closed when the tag or nonce is damaged', () => {
    const parts = cipher.seal('x', REF).split(':');
    expect(() => cipher.open([...parts.slice(0, 4), 'AAAA'].join(':'), REF)).to.throw(DecryptionError);
    expect(() => cipher.open([parts[0], parts[1], 'AAAA', parts[3], parts[4]].join(':'), REF)).to.throw(DecryptionError);
  });

  it('fails closed when a value is moved to another column or table', () => {
    const sealed = cipher.seal('bound to accounts.token', REF);
    expect(() => cipher.open(sealed, { table: 'accounts', column: 'username' })).to.throw(DecryptionError);
    expect(() => cipher.open(sealed, { table: 'messages', column: 'token' })).to.throw(DecryptionError);
  });

  it('fails closed when a value is moved to another row of the same column', () => {
    const sealed = cipher.seal('row-bound', { ...REF, row: '17841400000000001' });
    expect(cipher.open(sealed, { ...REF, row: '17841400000000001' })).to.equal('row-bound');
    expect(() => cipher.open(sealed, { ...REF, row: '17841400000000002' })).to.throw(DecryptionError);
  });

  it('fails closed under another key and names the missing key id', () => {
    const other = new Cipher(parseKey(generateKeyText()));
    const sealed = cipher.seal('x', REF);
    expect(() => other.open(sealed, REF)).to.throw(DecryptionError, cipher.currentKeyId);
  });

  it('opens values sealed under an older key during rotation and reports them for resealing', () => {
    const oldKey = parseKey(generateKeyText());
    const sealedOld = new Cipher(oldKey).seal('old', REF);
    const rotated = new Cipher(parseKey(generateKeyText()), [oldKey]);
    expect(rotated.open(sealedOld, REF)).to.equal('old');
    expect(rotated.needsReseal(sealedOld)).to.equal(true);
    expect(rotated.needsReseal(rotated.seal('new', REF))).to.equal(false);
    expect(sealedOld.split(':')[1]).to.equal(keyIdOf(oldKey));
  });

  it('accepts keys as 64 hex characters or base64 and rejects anything else', () => {
    expect(parseKey('ab'.repeat(32))).to.have.length(32);
    expect(parseKey(Buffer.alloc(32, 7).toString('base64'))).to.have.length(32);
    expect(() => parseKey('too-short')).to.throw(/32 bytes/);
  });
});

describe('secrets at rest', () => {
  let t: TestApp;
  beforeEach(() => {
    t = createTestApp();
  });
  afterEach(() => t.close());

  function databaseBytes(): Buffer {
    const files = ['qanat.db', 'qanat.db-wal'].map((f) => path.join(t.dir, f)).filter((f) => fs.existsSync(f));
    expect(files).to.include(path.join(t.dir, 'qanat.db-wal'));
    return Buffer.concat(files.map((f) => fs.readFileSync(f)));
  }

  it('a known secret value is absent from the database file and its WAL', async () => {
    const marker = 'KNOWN-SECRET-' + generateKeyText();
    t.db.sqlite
      .prepare('INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)')
      .run('test.secret', t.cipher.seal(marker, { table: 'settings', column: 'value' }), t.clock.now());
    await createUser(t, { username: 'owner1' });
    const { agent } = await signIn(t, 'owner1');
    const page = await agent.get('/settings');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)?.[1] ?? '';
    expect(csrf).to.have.length.greaterThan(20);
    const bytes = databaseBytes();
    expect(bytes.includes(Buffer.from(marker))).to.equal(false);
    // Session bodies are encrypted too: the CSRF token inside never appears in clear.
    expect(bytes.includes(Buffer.from(csrf))).to.equal(false);
    const sealed = t.db.sqlite.prepare('SELECT value FROM settings WHERE key = ?').get('test.secret') as { value: string };
    expect(t.cipher.open(sealed.value, { table: 'settings', column: 'value' })).to.equal(marker);
  });

  it('session ids are stored hashed, so the database holds no usable cookie', async () => {
    await createUser(t, { username: 'owner2' });
    const { res } = await signIn(t, 'owner2');
    const cookie = (res.headers['set-cookie'] as unknown as string[])[0] ?? '';
    const sid = decodeURIComponent(cookie.split(';')[0]?.split('=')[1] ?? '').slice(2).split('.')[0] ?? '';
    expect(sid).to.have.length.greaterThan(20);
    expect(databaseBytes().includes(Buffer.from(sid))).to.equal(false);
  });

  it('a session row that has been tampered with is treated as no session', async () => {
    await createUser(t, { username: 'owner3' });
    const { agent } = await signIn(t, 'owner3');
    expect((await agent.get('/')).status).to.equal(200);
    t.db.sqlite.exec(`UPDATE sessions SET data = substr(data, 1, length(data) - 4) || 'AAAA'`);
    const res = await agent.get('/');
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/login');
  });
});
