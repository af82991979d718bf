// security.md P-encrypted-columns (AES-256-GCM, random nonce, key id in the value, AAD = table +
// column) proven from outside: sealed values are opened with node:crypto alone, from the key file
// and the parts of the value. And row 27's "comparison in constant time": the signature and token
// checks are read from the source, so a plain === that every behaviour test would accept fails here.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import ts from 'typescript';
import { constantTimeEqual, parseKey, type ColumnRef } from '../../src/db/crypto.js';
import { projectRoot } from '../../src/paths.js';
import { KEY_FILE } from '../../src/secrets.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { createAccount } from '../support/factories.js';

/** The stored value's parts: v1:<keyId>:<nonce>:<ciphertext>:<tag>, binary parts in base64url. */
function partsOf(sealed: string): { version: string; keyId: string; nonce: Buffer; body: Buffer; tag: Buffer } {
  const parts = sealed.split(':');
  expect(parts, sealed).to.have.length(5);
  const [version, keyId, nonce, body, tag] = parts as [string, string, string, string, string];
  for (const part of [nonce, body, tag]) expect(part).to.match(/^[A-Za-z0-9_-]*$/);
  return { version, keyId, nonce: Buffer.from(nonce, 'base64url'), body: Buffer.from(body, 'base64url'), tag: Buffer.from(tag, 'base64url') };
}

/** Additional authenticated data written out by hand, as the format promises it. */
const aad = (table: string, column: string, row?: string) => Buffer.from(`qanat:${table}.${column}${row === undefined ? '' : `#${row}`}`, 'utf8');

/** Opens a value with node:crypto's AES-256-GCM only; throws when the tag does not verify. */
function openByHand(sealed: string, key: Buffer, additional: Buffer): string {
  const { nonce, body, tag } = partsOf(sealed);
  const decipher = crypto.createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
  decipher.setAAD(additional);
  decipher.setAuthTag(tag);
  return Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
}

describe('encrypted columns are AES-256-GCM with a random 12-byte nonce, the key id and AAD = table + column (+ row) (security.md P-encrypted-columns)', () => {
  let t: TestApp;
  let key: Buffer;
  const REF: ColumnRef = { table: 'accounts', column: 'token', row: '17841400000000001' };

  before(() => {
    t = createTestApp();
    // The key the app generated for itself (local use), read from its file as an operator would.
    key = parseKey(fs.readFileSync(path.join(t.dir, KEY_FILE), 'utf8'));
  });
  after(() => t.close());

  it('a value sealed by the app opens with node:crypto aes-256-gcm from the key file, the nonce, the ciphertext, the tag and the AAD "qanat:<table>.<column>#<row>"', () => {
    const secret = 'IGAA-токен-ұзақ-🔑-0123456789';
    const sealed = t.cipher.seal(secret, REF);
    const { version, nonce, body, tag } = partsOf(sealed);
    expect(version).to.equal('v1');
    expect(nonce.length, 'nonce bytes').to.equal(12);
    expect(tag.length, 'GCM tag bytes').to.equal(16);
    // GCM is a stream mode: exactly as many ciphertext bytes as plaintext bytes, no padding.
    expect(body.length).to.equal(Buffer.byteLength(secret, 'utf8'));
    expect(openByHand(sealed, key, aad('accounts', 'token', '17841400000000001'))).to.equal(secret);
  });

  it('a value stored by the app in the database (an account token, the key check) opens by hand too', () => {
    const account = createAccount(t, { igUserId: '17841400000000077' });
    const stored = (t.db.sqlite.prepare('SELECT token FROM accounts WHERE id = ?').get(account.id) as { token: string }).token;
    expect(openByHand(stored, key, aad('accounts', 'token', '17841400000000077'))).to.match(/^IGAAtoken\d+$/);
    const check = (t.db.sqlite.prepare("SELECT value FROM settings WHERE key = 'crypto.key_check'").get() as { value: string }).value;
    expect(openByHand(check, key, aad('settings', 'value'))).to.equal('qanat key check');
  });

  it('the key id in the value is the current key’s fingerprint (SHA-256 of "qanat-key-id" and the key, 8 base64url characters), not the key', () => {
    const { keyId } = partsOf(t.cipher.seal('x', REF));
    const fingerprint = crypto.createHash('sha256').update('qanat-key-id').update(key).digest('base64url').slice(0, 8);
    expect(keyId).to.equal(fingerprint);
    expect(keyId).to.equal(t.cipher.currentKeyId);
    expect(key.toString('base64url')).not.to.contain(keyId);
  });

  it('every seal draws a fresh random nonce: 2,000 seals of the same text have 2,000 different nonces and ciphertexts', () => {
    const nonces = new Set<string>();
    const bodies = new Set<string>();
    for (let i = 0; i < 2000; i += 1) {
      const { nonce, body } = partsOf(t.cipher.seal('the same text', REF));
      nonces.add(nonce.toString('hex'));
      bodies.add(body.toString('hex'));
    }
    expect(nonces.size).to.equal(2000);
    expect(bodies.size).to.equal(2000);
  });

  it('the AAD binds the table, the column and the row: by hand, any other one (or none) fails the tag check', () => {
    const sealed = t.cipher.seal('bound to its place', REF);
    expect(openByHand(sealed, key, aad('accounts', 'token', '17841400000000001'))).to.equal('bound to its place');
    for (const [what, other] of [
      ['another table', aad('sessions', 'token', '17841400000000001')],
      ['another column', aad('accounts', 'refresh_token', '17841400000000001')],
      ['another row', aad('accounts', 'token', '17841400000000002')],
      ['no row', aad('accounts', 'token')],
      ['no AAD at all', Buffer.alloc(0)],
    ] as const) {
      expect(() => openByHand(sealed, key, other), what).to.throw(/unable to authenticate|Unsupported state/i);
    }
  });

  it('the format is plain AES-256-GCM both ways: a value sealed by hand with node:crypto opens in the app, and only at its own table and column', () => {
    const nonce = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', key, nonce, { authTagLength: 16 });
    cipher.setAAD(aad('comments', 'text'));
    const body = Buffer.concat([cipher.update('sealed outside the app', 'utf8'), cipher.final()]);
    const sealed = ['v1', t.cipher.currentKeyId, nonce.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join(':');
    expect(t.cipher.open(sealed, { table: 'comments', column: 'text' })).to.equal('sealed outside the app');
    expect(() => t.cipher.open(sealed, { table: 'comments', column: 'username' })).to.throw(/cannot be opened/);
    expect(() => t.cipher.open(sealed, { table: 'messages', column: 'text' })).to.throw(/cannot be opened/);
  });
});

/** What a source file does with its secrets, read with the TypeScript parser. */
interface SecretUse {
  /** Equality or ordering operators with a secret on one side (===, !==, ==, !=, <, >…). */
  comparisons: string[];
  /** Comparing methods called on or with a secret (.equals, Buffer.compare, localeCompare…). */
  methodCompares: string[];
  /** Calls of timingSafeEqual / constantTimeEqual, with their argument texts. */
  constantTime: Array<{ callee: string; args: string[] }>;
}

const COMPARING_OPERATORS = new Set([
  ts.SyntaxKind.EqualsEqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsEqualsToken,
  ts.SyntaxKind.EqualsEqualsToken,
  ts.SyntaxKind.ExclamationEqualsToken,
  ts.SyntaxKind.LessThanToken,
  ts.SyntaxKind.GreaterThanToken,
]);
const COMPARING_METHODS = new Set(['equals', 'compare', 'localeCompare', 'startsWith', 'endsWith', 'includes', 'indexOf', 'match', 'test']);

/**
 * Whether `node` is (or reads from) one of the secret expressions. Its public length (`x.length`)
 * and its type (`typeof x`) are not the secret.
 */
function touchesSecret(node: ts.Node, source: ts.SourceFile, secrets: RegExp): boolean {
  if (ts.isPropertyAccessExpression(node) && node.name.text === 'length') return false;
  if (ts.isTypeOfExpression(node)) return false;
  if (ts.isLiteralExpression(node)) return false;
  if (secrets.test(node.getText(source))) {
    if (ts.isIdentifier(node) || ts.isCallExpression(node) || ts.isPropertyAccessExpression(node)) return true;
  }
  let found = false;
  node.forEachChild((child) => {
    found ||= touchesSecret(child, source, secrets);
  });
  return found;
}

/** Reads the named functions of a source text; fails when one of them is not there. */
function secretUseIn(text: string, file: string, secrets: RegExp, inFunctions: string[]): SecretUse {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
  const use: SecretUse = { comparisons: [], methodCompares: [], constantTime: [] };
  const visit = (node: ts.Node) => {
    if (ts.isBinaryExpression(node) && COMPARING_OPERATORS.has(node.operatorToken.kind)) {
      if (touchesSecret(node.left, source, secrets) || touchesSecret(node.right, source, secrets)) use.comparisons.push(node.getText(source));
    }
    if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const name = ts.isPropertyAccessExpression(callee) ? callee.name.text : ts.isIdentifier(callee) ? callee.text : '';
      if (name === 'timingSafeEqual' || name === 'constantTimeEqual') use.constantTime.push({ callee: callee.getText(source), args: node.arguments.map((a) => a.getText(source)) });
      else if (COMPARING_METHODS.has(name)) {
        const receiver = ts.isPropertyAccessExpression(callee) ? callee.expression : undefined;
        // A fixed prefix check on what the client sent ("sha256=") reveals nothing of the expected value.
        const onSecret = receiver !== undefined && touchesSecret(receiver, source, secrets) && !(name === 'startsWith' && node.arguments.every((a) => ts.isStringLiteral(a)));
        if (onSecret || node.arguments.some((a) => touchesSecret(a, source, secrets))) use.methodCompares.push(node.getText(source));
      }
    }
    node.forEachChild(visit);
  };
  let seen = 0;
  const findFunctions = (node: ts.Node) => {
    const name = (ts.isFunctionDeclaration(node) || ts.isMethodDeclaration(node)) && node.name && ts.isIdentifier(node.name) ? node.name.text : undefined;
    if (name && inFunctions.includes(name)) {
      seen += 1;
      visit(node);
      return;
    }
    node.forEachChild(findFunctions);
  };
  findFunctions(source);
  expect(seen, `functions ${inFunctions.join(', ')} found in ${file}`).to.equal(inFunctions.length);
  return use;
}

const SIGNED_REQUEST = { file: 'src/instagram/signed-request.ts', secrets: /^(signature|expected)\b/, functions: ['verifySignedRequest'] };
const WEBHOOKS = { file: 'src/features/engagement/webhooks.service.ts', secrets: /^(header|token|signatureOf\(|this\.settings\.(secret|verifyToken))/, functions: ['handshake', 'signatureValid'] };
const sourceOf = (file: string) => fs.readFileSync(path.join(projectRoot, file), 'utf8');

/** The file with one piece replaced, for showing that the check notices a naive comparison. */
function mutated(file: string, from: string, to: string): string {
  const text = sourceOf(file);
  expect(text, `${file} still contains ${from}`).to.contain(from);
  return text.replace(from, to);
}

describe('signatures and tokens are compared in constant time (security.md row 27)', () => {
  it('src/instagram/signed-request.ts compares the signature with the expected HMAC only through crypto.timingSafeEqual (no ===, !==, .equals, Buffer.compare)', () => {
    // `signature` is what Meta sent, `expected` the HMAC we computed: both are secrets to the timing.
    const use = secretUseIn(sourceOf(SIGNED_REQUEST.file), SIGNED_REQUEST.file, SIGNED_REQUEST.secrets, SIGNED_REQUEST.functions);
    expect(use.comparisons, 'plain comparisons of the signature').to.deep.equal([]);
    expect(use.methodCompares, 'comparing methods on the signature').to.deep.equal([]);
    expect(use.constantTime).to.deep.equal([{ callee: 'crypto.timingSafeEqual', args: ['signature', 'expected'] }]);
  });

  it('src/features/engagement/webhooks.service.ts compares X-Hub-Signature-256 and hub.verify_token only through constantTimeEqual', () => {
    const use = secretUseIn(sourceOf(WEBHOOKS.file), WEBHOOKS.file, WEBHOOKS.secrets, WEBHOOKS.functions);
    expect(use.comparisons, 'plain comparisons of the signature or token').to.deep.equal([]);
    expect(use.methodCompares, 'comparing methods on the signature or token').to.deep.equal([]);
    expect(use.constantTime).to.deep.equal([
      { callee: 'constantTimeEqual', args: ['token', 'this.settings.verifyToken'] },
      { callee: 'constantTimeEqual', args: ['header.trim().toLowerCase()', 'signatureOf(this.settings.secret, raw)'] },
    ]);
  });

  it('the source check notices naive comparisons: the real files with ===, .equals or Buffer.compare swapped in are reported', () => {
    const check = (spec: typeof SIGNED_REQUEST, text: string) => secretUseIn(text, spec.file, spec.secrets, spec.functions);
    const equalsSign = check(WEBHOOKS, mutated(WEBHOOKS.file, 'constantTimeEqual(header.trim().toLowerCase(), signatureOf(this.settings.secret, raw))', 'header.trim().toLowerCase() === signatureOf(this.settings.secret, raw)'));
    expect(equalsSign.comparisons).to.deep.equal(['header.trim().toLowerCase() === signatureOf(this.settings.secret, raw)']);
    const token = check(WEBHOOKS, mutated(WEBHOOKS.file, '!constantTimeEqual(token, this.settings.verifyToken)', 'token !== this.settings.verifyToken'));
    expect(token.comparisons).to.deep.equal(['token !== this.settings.verifyToken']);
    const equalsMethod = check(SIGNED_REQUEST, mutated(SIGNED_REQUEST.file, '!crypto.timingSafeEqual(signature, expected)', '!signature.equals(expected)'));
    expect(equalsMethod.methodCompares).to.deep.equal(['signature.equals(expected)']);
    const compare = check(SIGNED_REQUEST, mutated(SIGNED_REQUEST.file, '!crypto.timingSafeEqual(signature, expected)', 'Buffer.compare(signature, expected) !== 0'));
    expect(compare.methodCompares).to.deep.equal(['Buffer.compare(signature, expected)']);
  });

  it('constantTimeEqual: true for equal strings (also non-ASCII), false for any difference, and false (not a throw) for different lengths', () => {
    const token = 'a3f1c9e0b7d24f6a8c1e5b9d0f2a4c6e';
    expect(constantTimeEqual(token, token)).to.equal(true);
    expect(constantTimeEqual(`${token}`, token.slice(0, 16) + token.slice(16))).to.equal(true);
    expect(constantTimeEqual('токен-ұзақ-🔑', 'токен-ұзақ-🔑')).to.equal(true);
    expect(constantTimeEqual('', '')).to.equal(true);
    // One character different, first or last; the same length.
    expect(constantTimeEqual(`b${token.slice(1)}`, token)).to.equal(false);
    expect(constantTimeEqual(`${token.slice(0, -1)}f`, token)).to.equal(false);
    expect(constantTimeEqual(token.toUpperCase(), token)).to.equal(false);
    // Different lengths: a prefix, an extension, empty (crypto.timingSafeEqual alone would throw).
    expect(constantTimeEqual(token.slice(0, 31), token)).to.equal(false);
    expect(constantTimeEqual(`${token}0`, token)).to.equal(false);
    expect(constantTimeEqual('', token)).to.equal(false);
    expect(constantTimeEqual(token, '')).to.equal(false);
  });
});
