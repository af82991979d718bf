// security.md row 32, for the authentication events: sign-in success, failure, lockout and
// password changes are in audit_log with time, actor and source address, never with a password.
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser, PASSWORD } from '../../support/factories.js';
import { agentFor, csrfToken, signIn, viaProxy } from '../../support/http.js';

interface AuditLine {
  at: number;
  kind: string;
  actor: string | null;
  source_ip: string | null;
  detail: string;
}

const WRONG = 'wrong-password-MARKER-ёәі';
const NEW_PASSWORD = 'new-password-MARKER-ңғү-2026';

function auditRows(t: TestApp, kind?: string): AuditLine[] {
  const sql = 'SELECT at, kind, actor, source_ip, detail FROM audit_log' + (kind ? ' WHERE kind = ?' : '') + ' ORDER BY id';
  const statement = t.db.sqlite.prepare(sql);
  return (kind ? statement.all(kind) : statement.all()) as AuditLine[];
}

describe('audit trail of sign-ins and password changes', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = createTestApp({ LOGIN_MAX_FAILURES_PER_USERNAME: '3' });
    await createUser(t, { username: 'aigerim' });
  });
  afterEach(() => t.close());

  async function postLogin(username: string, password: string, ip: string) {
    const agent = agentFor(t);
    const token = await csrfToken(agent, '/login');
    return agent.post('/login').set('X-Forwarded-For', viaProxy(ip)).type('form').send({ _csrf: token, username, password });
  }

  it('a successful sign-in is recorded with the time, the username and the client address', async () => {
    expect((await postLogin('aigerim', PASSWORD, '203.0.113.7')).status).to.equal(303);
    const rows = auditRows(t, 'auth.signin.success');
    expect(rows).to.have.length(1);
    expect(rows[0]?.actor).to.equal('aigerim');
    expect(rows[0]?.source_ip).to.equal('203.0.113.7');
    expect(rows[0]?.at).to.equal(t.clock.now());
  });

  it('a failed sign-in is recorded with the attempted username and address, without the password', async () => {
    expect((await postLogin('aigerim', WRONG, '203.0.113.8')).status).to.equal(401);
    expect((await postLogin('nobody', WRONG, '203.0.113.9')).status).to.equal(401);
    const rows = auditRows(t, 'auth.signin.failure');
    expect(rows.map((r) => [r.actor, r.source_ip])).to.deep.equal([
      ['aigerim', '203.0.113.8'],
      ['nobody', '203.0.113.9'],
    ]);
    for (const row of rows) expect(row.detail).not.to.contain('MARKER');
  });

  it('a lockout is recorded once, naming the username and the address of the attempt that caused it', async () => {
    for (let i = 0; i < 3; i += 1) await postLogin('aigerim', WRONG, `198.51.100.${i + 1}`);
    expect((await postLogin('aigerim', PASSWORD, '198.51.100.50')).status).to.equal(429);
    const rows = auditRows(t, 'auth.lockout');
    expect(rows).to.have.length(1);
    expect(rows[0]?.actor).to.equal('aigerim');
    expect(rows[0]?.source_ip).to.equal('198.51.100.3');
    expect(JSON.parse(rows[0]?.detail ?? '{}')).to.deep.equal({ by: 'username' });
  });

  it('a password change is recorded with the user and address, and no password appears anywhere in the audit log', async () => {
    const { agent } = await signIn(t, 'aigerim');
    const token = await csrfToken(agent, '/settings');
    const res = await agent
      .post('/settings/password')
      .set('X-Forwarded-For', viaProxy('203.0.113.10'))
      .type('form')
      .send({ _csrf: token, currentPassword: PASSWORD, newPassword: NEW_PASSWORD, newPasswordConfirm: NEW_PASSWORD });
    expect(res.status).to.equal(303);
    const rows = auditRows(t, 'user.password.changed');
    expect(rows).to.have.length(1);
    expect(rows[0]?.actor).to.equal('aigerim');
    expect(rows[0]?.source_ip).to.equal('203.0.113.10');

    await postLogin('aigerim', WRONG, '203.0.113.11');
    const everything = JSON.stringify(auditRows(t));
    expect(everything).not.to.contain('MARKER');
    expect(everything).not.to.contain(PASSWORD);
  });

  it('the application log carries no password from sign-ins or password changes', async () => {
    await postLogin('aigerim', WRONG, '203.0.113.8');
    const { agent } = await signIn(t, 'aigerim');
    const token = await csrfToken(agent, '/settings');
    await agent.post('/settings/password').type('form').send({ _csrf: token, currentPassword: PASSWORD, newPassword: NEW_PASSWORD, newPasswordConfirm: NEW_PASSWORD });
    expect(t.logs.text).to.contain('audit');
    expect(t.logs.text).not.to.contain('MARKER');
    expect(t.logs.text).not.to.contain(PASSWORD);
  });
});
