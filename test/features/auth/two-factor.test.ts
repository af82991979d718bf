// Two-factor sign-in (TOTP): setting it up, the code step after the password, recovery codes,
// security.md row 10 (a used code cannot be reused; wrong codes are throttled), the owner's
// requirement, the audit trail and the CLI's way back in.
import { expect } from 'chai';
import * as OTPAuth from 'otpauth';
import { translatorFor } from '../../../src/i18n/index.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser, PASSWORD } from '../../support/factories.js';
import { $, agentFor, csrfFrom, signIn, type Agent } from '../../support/http.js';
import { baseEnv, runCli } from '../../support/process.js';

const en = translatorFor('en');
const WRONG_CODE_TEXT = en('totp.error.wrongCode');
const PERIOD_MS = 30_000;

function codeAt(secret: string, timestamp: number): string {
  return new OTPAuth.TOTP({ secret: OTPAuth.Secret.fromBase32(secret), digits: 6, period: 30 }).generate({ timestamp });
}

/** A six-digit code that is none of the codes valid around now (±1 step). */
function wrongCode(secret: string, now: number): string {
  const valid = new Set([-1, 0, 1].map((d) => codeAt(secret, now + d * PERIOD_MS)));
  for (let n = 123456; ; n += 1) {
    const candidate = String(n).padStart(6, '0');
    if (!valid.has(candidate)) return candidate;
  }
}

interface UserLine {
  id: number;
  totp_secret: string | null;
  totp_last_step: number | null;
}

interface AuditLine {
  kind: string;
  actor: string | null;
  user_id: number | null;
  source_ip: string | null;
  detail: string;
}

describe('two-factor sign-in (TOTP)', function () {
  this.timeout(60_000);
  let t: TestApp;

  beforeEach(() => {
    t = createTestApp();
  });
  afterEach(() => t.close());

  const userRow = (username: string): UserLine =>
    t.db.sqlite.prepare('SELECT id, totp_secret, totp_last_step FROM users WHERE username = ?').get(username) as UserLine;
  const recoveryRows = (userId: number) =>
    t.db.sqlite.prepare('SELECT code_hash, used_at FROM recovery_codes WHERE user_id = ? ORDER BY id').all(userId) as { code_hash: string; used_at: number | null }[];
  const auditRows = (kind: string): AuditLine[] =>
    t.db.sqlite.prepare('SELECT kind, actor, user_id, source_ip, detail FROM audit_log WHERE kind = ? ORDER BY id').all(kind) as AuditLine[];

  async function settingsToken(agent: Agent): Promise<string> {
    const page = await agent.get('/settings/2fa');
    expect(page.status).to.equal(200);
    return csrfFrom(page.text);
  }

  /** Start the setup and confirm with the current code; returns the key and the recovery codes. */
  async function enableTwoFactor(agent: Agent): Promise<{ secret: string; codes: string[] }> {
    const started = await agent.post('/settings/2fa/start').type('form').send({ _csrf: await settingsToken(agent) });
    expect(started.status).to.equal(200);
    const secret = $(started.text)('code.secret').text().trim();
    const enabled = await agent.post('/settings/2fa/enable').type('form').send({ _csrf: csrfFrom(started.text), code: codeAt(secret, t.clock.now()) });
    expect(enabled.status).to.equal(200);
    const codes = $(enabled.text)('ul.recovery-codes li code')
      .map((_i, el) => $(enabled.text)(el).text().trim())
      .get();
    return { secret, codes };
  }

  /** The password step; expects to be sent on to the code page. */
  async function passwordStep(username: string): Promise<Agent> {
    const { agent, res } = await signIn(t, username);
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/login/code');
    return agent;
  }

  async function postCode(agent: Agent, code: string) {
    const page = await agent.get('/login/code');
    expect(page.status).to.equal(200);
    return agent.post('/login/code').type('form').send({ _csrf: csrfFrom(page.text), code });
  }

  async function isSignedIn(agent: Agent): Promise<boolean> {
    const home = await agent.get('/');
    if (home.status === 200) return true;
    expect(home.status).to.equal(303);
    expect(home.headers['location']).to.equal('/login');
    return false;
  }

  /** An owner who has switched two-factor on; the clock is moved to the next step afterwards. */
  async function ownerWithTwoFactor(username = 'aigerim') {
    await createUser(t, { username, role: 'owner' });
    const { agent } = await signIn(t, username);
    const setup = await enableTwoFactor(agent);
    await agent.post('/logout').type('form').send({ _csrf: await settingsToken(agent) });
    t.clock.advance(PERIOD_MS);
    return setup;
  }

  describe('setting it up', () => {
    it('shows a QR code and the key, refuses a wrong code keeping the key, and a right code gives 10 recovery codes; the secret is sealed and the codes hashed', async () => {
      const user = await createUser(t, { username: 'aigerim' });
      const { agent } = await signIn(t, 'aigerim');

      const off = await agent.get('/settings/2fa');
      expect(off.status).to.equal(200);
      expect($(off.text)('main').text()).to.contain(en('totp.stateOff'));
      expect($(off.text)('form[action="/settings/2fa/start"]')).to.have.length(1);

      const started = await agent.post('/settings/2fa/start').type('form').send({ _csrf: csrfFrom(off.text) });
      expect(started.status).to.equal(200);
      const qr = $(started.text)('img.qr').attr('src') ?? '';
      expect(qr.startsWith('data:image/svg+xml;base64,')).to.equal(true);
      expect(Buffer.from(qr.slice('data:image/svg+xml;base64,'.length), 'base64').toString('utf8')).to.contain('<svg');
      const secret = $(started.text)('code.secret').text().trim();
      expect(secret).to.match(/^[A-Z2-7]{32}$/);

      const wrong = await agent.post('/settings/2fa/enable').type('form').send({ _csrf: csrfFrom(started.text), code: wrongCode(secret, t.clock.now()) });
      expect(wrong.status).to.equal(400);
      expect($(wrong.text)('main').text()).to.contain(WRONG_CODE_TEXT);
      expect($(wrong.text)('code.secret').text().trim()).to.equal(secret);
      expect(userRow('aigerim').totp_secret).to.equal(null);

      const right = await agent.post('/settings/2fa/enable').type('form').send({ _csrf: csrfFrom(wrong.text), code: codeAt(secret, t.clock.now()) });
      expect(right.status).to.equal(200);
      expect($(right.text)('main').text()).to.contain(en('totp.stateOn'));
      const codes = $(right.text)('ul.recovery-codes li code')
        .map((_i, el) => $(right.text)(el).text().trim())
        .get();
      expect(codes).to.have.length(10);
      expect(new Set(codes).size).to.equal(10);
      for (const c of codes) expect(c).to.match(/^[0-9a-f]{5}-[0-9a-f]{5}$/);

      const row = userRow('aigerim');
      expect(row.totp_secret).to.be.a('string');
      expect(row.totp_secret).not.to.contain(secret);
      expect(t.cipher.open(row.totp_secret ?? '', { table: 'users', column: 'totp_secret', row: String(user.id) })).to.equal(secret);
      const hashes = recoveryRows(user.id);
      expect(hashes).to.have.length(10);
      for (const h of hashes) {
        expect(h.code_hash).to.match(/^[0-9a-f]{64}$/);
        expect(h.used_at).to.equal(null);
      }
      const stored = hashes.map((h) => h.code_hash).join(' ');
      for (const c of codes) {
        expect(stored).not.to.contain(c);
        expect(stored).not.to.contain(c.replace('-', ''));
      }

      // Afterwards the page says it is on, with the count of unused codes, and no codes again.
      const after = await agent.get('/settings/2fa');
      expect($(after.text)('ul.recovery-codes')).to.have.length(0);
      expect($(after.text)('main').text()).to.contain(en('totp.remaining', { count: 10 }));
    });
  });

  describe('signing in', () => {
    it('the password alone does not sign in; a wrong code is refused with 401; the right code signs in', async () => {
      const { secret } = await ownerWithTwoFactor();
      const agent = await passwordStep('aigerim');
      expect(await isSignedIn(agent)).to.equal(false);

      const page = await agent.get('/login/code');
      expect(page.status).to.equal(200);
      expect($(page.text)('input[name="code"]')).to.have.length(1);

      const wrong = await postCode(agent, wrongCode(secret, t.clock.now()));
      expect(wrong.status).to.equal(401);
      expect($(wrong.text)('[role="alert"]').text()).to.contain(WRONG_CODE_TEXT);
      expect(await isSignedIn(agent)).to.equal(false);

      const right = await postCode(agent, codeAt(secret, t.clock.now()));
      expect(right.status).to.equal(303);
      expect(right.headers['location']).to.equal('/');
      expect(await isSignedIn(agent)).to.equal(true);
    });

    it('row 10: a used code cannot be used again in the same step; the next step’s code works', async () => {
      const { secret } = await ownerWithTwoFactor();
      const code = codeAt(secret, t.clock.now());
      const first = await passwordStep('aigerim');
      expect((await postCode(first, code)).status).to.equal(303);
      expect(await isSignedIn(first)).to.equal(true);

      t.clock.advance(5_000); // still the same 30 s step
      const again = await passwordStep('aigerim');
      const replay = await postCode(again, code);
      expect(replay.status).to.equal(401);
      expect(await isSignedIn(again)).to.equal(false);

      t.clock.advance(PERIOD_MS);
      const next = await postCode(again, codeAt(secret, t.clock.now()));
      expect(next.status).to.equal(303);
      expect(await isSignedIn(again)).to.equal(true);
    });

    it('the code of the setup step itself cannot be replayed at sign-in', async () => {
      await createUser(t, { username: 'aigerim' });
      const { agent } = await signIn(t, 'aigerim');
      const { secret } = await enableTwoFactor(agent);
      const setupCode = codeAt(secret, t.clock.now());
      const fresh = await passwordStep('aigerim');
      expect((await postCode(fresh, setupCode)).status).to.equal(401);
    });

    it('a recovery code works once and never again', async () => {
      const { codes } = await ownerWithTwoFactor();
      const user = userRow('aigerim');
      const [recovery] = codes;
      if (!recovery) throw new Error('no recovery code');

      const first = await passwordStep('aigerim');
      expect((await postCode(first, recovery.toUpperCase())).status).to.equal(303);
      expect(await isSignedIn(first)).to.equal(true);
      expect(recoveryRows(user.id).filter((r) => r.used_at !== null)).to.have.length(1);

      const second = await passwordStep('aigerim');
      const reused = await postCode(second, recovery);
      expect(reused.status).to.equal(401);
      expect(await isSignedIn(second)).to.equal(false);

      const remaining = await first.get('/settings/2fa');
      expect($(remaining.text)('main').text()).to.contain(en('totp.remaining', { count: 9 }));
    });

    it('row 10: after 5 wrong codes further attempts get 429 with Retry-After, even with the right code', async () => {
      const { secret } = await ownerWithTwoFactor();
      const agent = await passwordStep('aigerim');
      for (let i = 0; i < 5; i += 1) {
        const res = await postCode(agent, i % 2 === 0 ? wrongCode(secret, t.clock.now()) : 'abcde-fghij');
        expect(res.status, `attempt ${i + 1}`).to.equal(401);
      }
      const locked = await postCode(agent, wrongCode(secret, t.clock.now()));
      expect(locked.status).to.equal(429);
      expect(Number(locked.headers['retry-after'])).to.be.greaterThan(0);
      expect(Number(locked.headers['retry-after'])).to.be.at.most(15 * 60);
      expect($(locked.text)('[role="alert"]').text()).to.contain(en('error.tooMany.text', { minutes: 15 }));

      const rightButLocked = await postCode(agent, codeAt(secret, t.clock.now()));
      expect(rightButLocked.status).to.equal(429);
      expect(rightButLocked.headers['retry-after']).to.be.a('string');
      expect(await isSignedIn(agent)).to.equal(false);

      // A fresh password step does not reset the code lock.
      const another = await passwordStep('aigerim');
      expect((await postCode(another, codeAt(secret, t.clock.now()))).status).to.equal(429);

      // After the lock period the right code works again.
      t.clock.advance(15 * 60_000 + 1_000);
      const later = await passwordStep('aigerim');
      expect((await postCode(later, codeAt(secret, t.clock.now()))).status).to.equal(303);
      expect(await isSignedIn(later)).to.equal(true);
    });

    it('the password step expires after 5 minutes: the code page leads back to /login', async () => {
      const { secret } = await ownerWithTwoFactor();
      const agent = await passwordStep('aigerim');
      t.clock.advance(4 * 60_000 + 50_000);
      expect((await agent.get('/login/code')).status).to.equal(200);
      const token = csrfFrom((await agent.get('/login/code')).text);

      t.clock.advance(20_000); // 5 min 10 s after the password
      const page = await agent.get('/login/code');
      expect(page.status).to.equal(303);
      expect(page.headers['location']).to.equal('/login');
      const post = await agent.post('/login/code').type('form').send({ _csrf: token, code: codeAt(secret, t.clock.now()) });
      expect(post.status).to.equal(303);
      expect(post.headers['location']).to.equal('/login');
      expect(await isSignedIn(agent)).to.equal(false);
    });

    it('without a password step the code page leads to /login', async () => {
      await ownerWithTwoFactor();
      const agent = agentFor(t);
      const page = await agent.get('/login/code');
      expect(page.status).to.equal(303);
      expect(page.headers['location']).to.equal('/login');
    });
  });

  describe('turning it off and requiring it', () => {
    it('turning off needs the right password; afterwards the password alone signs in', async () => {
      const { secret } = await ownerWithTwoFactor();
      const agent = await passwordStep('aigerim');
      expect((await postCode(agent, codeAt(secret, t.clock.now()))).status).to.equal(303);

      const wrong = await agent.post('/settings/2fa/disable').type('form').send({ _csrf: await settingsToken(agent), totpPassword: 'not the password' });
      expect(wrong.status).to.equal(400);
      expect($(wrong.text)('main').text()).to.contain(en('form.error.currentPasswordWrong'));
      expect(userRow('aigerim').totp_secret).not.to.equal(null);

      const ok = await agent.post('/settings/2fa/disable').type('form').send({ _csrf: await settingsToken(agent), totpPassword: PASSWORD });
      expect(ok.status).to.equal(303);
      expect(ok.headers['location']).to.equal('/settings/2fa');
      const row = userRow('aigerim');
      expect(row.totp_secret).to.equal(null);
      expect(recoveryRows(row.id)).to.have.length(0);

      const { agent: plain, res } = await signIn(t, 'aigerim');
      expect(res.status).to.equal(303);
      expect(res.headers['location']).to.equal('/');
      expect(await isSignedIn(plain)).to.equal(true);
    });

    it('when the owner requires it, an editor without it is sent to /settings/2fa everywhere but can set it up or sign out; disabling is refused; an editor cannot change it', async () => {
      const { secret } = await ownerWithTwoFactor('owner');
      await createUser(t, { username: 'dana', role: 'editor' });
      const owner = await passwordStep('owner');
      expect((await postCode(owner, codeAt(secret, t.clock.now()))).status).to.equal(303);

      const saved = await owner.post('/settings/2fa/require').type('form').send({ _csrf: await settingsToken(owner), required: '1' });
      expect(saved.status).to.equal(303);
      expect(t.services.totp.required()).to.equal(true);

      // While required, the owner's own two-factor cannot be switched off, not even with the password.
      const ownerPage = await owner.get('/settings/2fa');
      expect($(ownerPage.text)('form[action="/settings/2fa/disable"]')).to.have.length(0);
      const refused = await owner.post('/settings/2fa/disable').type('form').send({ _csrf: csrfFrom(ownerPage.text), totpPassword: PASSWORD });
      expect(refused.status).to.equal(400);
      expect($(refused.text)('main').text()).to.contain(en('totp.error.required'));
      expect(userRow('owner').totp_secret).not.to.equal(null);
      // The owner has two-factor, so the owner is not redirected.
      expect((await owner.get('/')).status).to.equal(200);

      const { agent: editor, res } = await signIn(t, 'dana');
      expect(res.status).to.equal(303);
      for (const path of ['/', '/accounts', '/compose', '/calendar', '/settings', '/settings/export', '/analytics']) {
        const page = await editor.get(path);
        expect(page.status, path).to.equal(303);
        expect(page.headers['location'], path).to.equal('/settings/2fa');
      }
      const setupPage = await editor.get('/settings/2fa');
      expect(setupPage.status).to.equal(200);
      expect($(setupPage.text)('main').text()).to.contain(en('totp.requiredNotice'));
      expect($(setupPage.text)('form[action="/settings/2fa/require"]')).to.have.length(0);

      const forbidden = await editor.post('/settings/2fa/require').type('form').send({ _csrf: csrfFrom(setupPage.text), required: '0' });
      expect(forbidden.status).to.equal(403);
      expect(t.services.totp.required()).to.equal(true);

      const out = await editor.post('/logout').type('form').send({ _csrf: csrfFrom(setupPage.text) });
      expect(out.status).to.equal(303);
      expect(out.headers['location']).to.equal('/login');
      expect(await isSignedIn(editor)).to.equal(false);

      // Once the editor sets it up, the app opens up.
      const { agent: again } = await signIn(t, 'dana');
      await enableTwoFactor(again);
      expect((await again.get('/')).status).to.equal(200);
    });
  });

  it('audit: enabling, a wrong code, a recovery code, disabling and the requirement are recorded', async () => {
    const { codes, secret } = await ownerWithTwoFactor();
    const owner = userRow('aigerim');
    const agent = await passwordStep('aigerim');
    expect((await postCode(agent, wrongCode(secret, t.clock.now()))).status).to.equal(401);
    expect((await postCode(agent, codes[0] ?? '')).status).to.equal(303);
    expect((await agent.post('/settings/2fa/require').type('form').send({ _csrf: await settingsToken(agent), required: '1' })).status).to.equal(303);
    expect((await agent.post('/settings/2fa/require').type('form').send({ _csrf: await settingsToken(agent) })).status).to.equal(303);
    expect((await agent.post('/settings/2fa/disable').type('form').send({ _csrf: await settingsToken(agent), totpPassword: PASSWORD })).status).to.equal(303);

    for (const kind of ['user.totp.enabled', 'auth.totp.failure', 'auth.recovery_code.used', 'user.totp.disabled']) {
      const rows = auditRows(kind);
      expect(rows, kind).to.have.length(1);
      expect(rows[0]?.actor, kind).to.equal('aigerim');
      expect(rows[0]?.user_id, kind).to.equal(owner.id);
    }
    const required = auditRows('settings.totp_required');
    expect(required.map((r) => JSON.parse(r.detail) as { required: boolean })).to.deep.equal([{ required: true }, { required: false }]);
    expect(required[0]?.actor).to.equal('aigerim');

    // security.md row 32: sign-in events carry the source address.
    for (const kind of ['user.totp.enabled', 'auth.totp.failure', 'user.totp.disabled', 'settings.totp_required']) {
      expect(auditRows(kind)[0]?.source_ip, kind).to.equal('127.0.0.1');
    }
    // Nothing in the audit log holds the key or a recovery code.
    const all = (t.db.sqlite.prepare('SELECT detail FROM audit_log').all() as { detail: string }[]).map((r) => r.detail).join('\n');
    expect(all).not.to.contain(secret);
    for (const c of codes) expect(all).not.to.contain(c);
  });

  it('audit: a recovery code used at sign-in is recorded with the source address (row 32)', async () => {
    const { codes } = await ownerWithTwoFactor();
    const agent = await passwordStep('aigerim');
    expect((await postCode(agent, codes[0] ?? '')).status).to.equal(303);
    expect(auditRows('auth.recovery_code.used')[0]?.source_ip).to.equal('127.0.0.1');
  });

  describe('command line', () => {
    it('user:disable-2fa turns it off: the person then signs in with the password only; an unknown user exits 2', async () => {
      await ownerWithTwoFactor();
      const before = userRow('aigerim');
      expect(before.totp_secret).not.to.equal(null);

      const result = runCli(['user:disable-2fa', 'aigerim'], baseEnv(t.dir));
      expect(result.status, result.stderr).to.equal(0);
      expect(result.stdout).to.contain('aigerim');
      const after = userRow('aigerim');
      expect(after.totp_secret).to.equal(null);
      expect(after.totp_last_step).to.equal(null);
      expect(recoveryRows(after.id)).to.have.length(0);
      const audit = auditRows('user.totp.disabled');
      expect(audit).to.have.length(1);
      expect(audit[0]?.actor).to.equal('cli');

      const { agent, res } = await signIn(t, 'aigerim');
      expect(res.status).to.equal(303);
      expect(res.headers['location']).to.equal('/');
      expect(await isSignedIn(agent)).to.equal(true);

      const unknown = runCli(['user:disable-2fa', 'nobody'], baseEnv(t.dir));
      expect(unknown.status).to.equal(2);
      expect(unknown.stderr).to.contain('nobody');
    });
  });
});
