// The owner's users page: list, add, change a role, reset a password, remove — each with its
// effect on the person's sessions and a line in the audit trail.
import { expect } from 'chai';
import type { CheerioAPI } from 'cheerio';
import { Conflict } from '../../../src/errors.js';
import type { UserRow } from '../../../src/features/users/users.repo.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser, PASSWORD } from '../../support/factories.js';
import { $, agentFor, csrfToken, signIn, type Agent } from '../../support/http.js';

const NEW_PASSWORD = 'a different long password';

interface AuditLine {
  kind: string;
  actor: string | null;
  source_ip: string | null;
  detail: string;
}

function auditLines(t: TestApp, kind: string): AuditLine[] {
  return t.db.sqlite.prepare('SELECT kind, actor, source_ip, detail FROM audit_log WHERE kind = ? ORDER BY id').all(kind) as AuditLine[];
}

/** Session rows that belong to a user (signed-in browsers). */
function sessionsOf(t: TestApp, userId: number): number {
  return (t.db.sqlite.prepare('SELECT count(*) AS n FROM sessions WHERE user_id = ?').get(userId) as { n: number }).n;
}

const errorBeside = (page: CheerioAPI, userId: number): string => page(`#user-${userId} [role="alert"]`).text().trim();

describe('managing users as the owner', () => {
  let t: TestApp;
  let ownerRow: UserRow;
  let owner: Agent;
  let token: string;

  const post = (path: string, fields: Record<string, string>) => owner.post(path).type('form').send({ _csrf: token, ...fields });

  beforeEach(async () => {
    t = createTestApp();
    ownerRow = await createUser(t, { username: 'aigerim', role: 'owner' });
    owner = (await signIn(t, 'aigerim')).agent;
    token = await csrfToken(owner, '/settings/users');
  });
  afterEach(() => t.close());

  describe('listing', () => {
    it('GET /settings/users lists every user with their role, and marks the owner as "you" without actions', async () => {
      const dana = await createUser(t, { username: 'dana', role: 'editor' });
      const erlan = await createUser(t, { username: 'erlan', role: 'viewer' });
      const res = await owner.get('/settings/users');
      expect(res.status).to.equal(200);
      const page = $(res.text);
      expect(page('title').text()).to.equal('Users · Qanat');
      expect(page('.userlist__item strong').toArray().map((el) => page(el).text())).to.deep.equal(['aigerim', 'dana', 'erlan']);
      expect(page(`#user-${dana.id} .badge`).text()).to.equal('Editor');
      expect(page(`#user-${erlan.id} .badge`).text()).to.equal('Viewer');
      expect(page(`#user-${ownerRow.id} .badge`).text()).to.equal('Owner');
      expect(page(`#user-${ownerRow.id}`).text()).to.contain('(you)');
      expect(page(`#user-${ownerRow.id} form`).length).to.equal(0);
      expect(page(`#user-${dana.id} form[action="/settings/users/${dana.id}/role"]`).attr('method')).to.equal('post');
      expect(page(`#user-${dana.id} form[action="/settings/users/${dana.id}/password"]`).attr('method')).to.equal('post');
      expect(page(`#user-${dana.id} a[href="/settings/users/${dana.id}/remove"]`).length).to.equal(1);
    });

    it('the settings page shows the owner a "Users and roles" tab', async () => {
      const res = await owner.get('/settings');
      expect($(res.text)('a[href="/settings/users"]').text()).to.equal('Users and roles');
    });
  });

  describe('adding', () => {
    it('POST /settings/users adds an editor and a viewer, each with a confirmation', async () => {
      const first = await post('/settings/users', { username: 'dana', password: PASSWORD, role: 'editor' });
      expect(first.status).to.equal(303);
      expect(first.headers['location']).to.equal('/settings/users');
      const listed = await owner.get('/settings/users');
      expect($(listed.text)('[role="status"]').text()).to.contain('dana has been added.');

      const second = await post('/settings/users', { username: 'erlan', password: PASSWORD, role: 'viewer' });
      expect(second.status).to.equal(303);

      expect(t.services.users.repo.findByUsername('dana')?.role).to.equal('editor');
      expect(t.services.users.repo.findByUsername('erlan')?.role).to.equal('viewer');
      const page = $((await owner.get('/settings/users')).text);
      expect(page('.userlist__item strong').toArray().map((el) => page(el).text())).to.include.members(['dana', 'erlan']);
    });

    it('a newly added user can sign in with the password the owner chose', async () => {
      await post('/settings/users', { username: 'dana', password: PASSWORD, role: 'editor' });
      const { res } = await signIn(t, 'dana');
      expect(res.status).to.equal(303);
      expect(res.headers['location']).to.equal('/');
    });

    it('POST /settings/users with a short password answers 400 and re-renders the form with the username, role and error', async () => {
      const res = await post('/settings/users', { username: 'dana', password: 'short', role: 'viewer' });
      expect(res.status).to.equal(400);
      const page = $(res.text);
      expect(page('#new-username').attr('value')).to.equal('dana');
      expect(page('#new-password').attr('value')).to.equal('');
      expect(page('#new-password-error').text()).to.contain('too short');
      expect(page('#new-password').attr('aria-invalid')).to.equal('true');
      expect(page('#new-role option[selected]').attr('value')).to.equal('viewer');
      expect(res.text).to.not.contain('value="short"');
      expect(t.services.users.repo.findByUsername('dana')).to.equal(undefined);
    });

    it('POST /settings/users with a taken username (any case) answers 400 with the reason and keeps the username', async () => {
      const res = await post('/settings/users', { username: 'AIGERIM', password: PASSWORD, role: 'editor' });
      expect(res.status).to.equal(400);
      const page = $(res.text);
      expect(page('#new-username').attr('value')).to.equal('AIGERIM');
      expect(page('#new-username-error').text()).to.contain('already taken');
      expect((t.db.sqlite.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n).to.equal(1);
    });

    it('POST /settings/users with a badly formed username answers 400 with the format rule and keeps the username', async () => {
      const res = await post('/settings/users', { username: 'two words', password: PASSWORD, role: 'editor' });
      expect(res.status).to.equal(400);
      const page = $(res.text);
      expect(page('#new-username').attr('value')).to.equal('two words');
      expect(page('#new-username-error').text()).to.contain('letters, digits, dots, dashes or underscores');
    });

    it('POST /settings/users with an empty username answers 400 asking to fill it in', async () => {
      const res = await post('/settings/users', { username: '   ', password: PASSWORD, role: 'editor' });
      expect(res.status).to.equal(400);
      expect($(res.text)('#new-username-error').text()).to.contain('Please fill in this field');
    });

    it('adding a user writes a user.created audit row with the owner as actor and the source address', async () => {
      await post('/settings/users', { username: 'dana', password: PASSWORD, role: 'editor' });
      const line = auditLines(t, 'user.created').at(-1);
      expect(line?.actor).to.equal('aigerim');
      expect(line?.source_ip).to.equal('127.0.0.1');
      expect(JSON.parse(line?.detail ?? '{}')).to.deep.equal({ username: 'dana', role: 'editor' });
      expect(line?.detail).to.not.contain(PASSWORD);
    });
  });

  describe('changing a role', () => {
    let dana: UserRow;
    let danaAgent: Agent;

    beforeEach(async () => {
      dana = await createUser(t, { username: 'dana', role: 'editor' });
      danaAgent = (await signIn(t, 'dana')).agent;
    });

    it('POST /settings/users/:id/role changes the role and ends the person’s sessions', async () => {
      expect(sessionsOf(t, dana.id)).to.equal(1);
      const res = await post(`/settings/users/${dana.id}/role`, { role: 'viewer' });
      expect(res.status).to.equal(303);
      expect(res.headers['location']).to.equal('/settings/users');
      expect(t.services.users.findById(dana.id)?.role).to.equal('viewer');
      expect(sessionsOf(t, dana.id)).to.equal(0);
      const back = await danaAgent.get('/');
      expect(back.status).to.equal(303);
      expect(back.headers['location']).to.equal('/login');
      const page = $((await owner.get('/settings/users')).text);
      expect(page('[role="status"]').text()).to.contain('The role has been changed');
      expect(page(`#user-${dana.id} .badge`).text()).to.equal('Viewer');
    });

    it('the new role applies at the next sign-in', async () => {
      await post(`/settings/users/${dana.id}/role`, { role: 'owner' });
      const again = (await signIn(t, 'dana')).agent;
      expect((await again.get('/settings/users')).status).to.equal(200);
    });

    it('changing a role writes a user.role.changed audit row with from and to', async () => {
      await post(`/settings/users/${dana.id}/role`, { role: 'viewer' });
      const line = auditLines(t, 'user.role.changed').at(-1);
      expect(line?.actor).to.equal('aigerim');
      expect(line?.source_ip).to.equal('127.0.0.1');
      expect(JSON.parse(line?.detail ?? '{}')).to.deep.equal({ username: 'dana', from: 'editor', to: 'viewer' });
    });

    it('POST /settings/users/:id/role for an unknown user answers 404', async () => {
      const res = await post('/settings/users/999/role', { role: 'viewer' });
      expect(res.status).to.equal(404);
    });
  });

  describe('resetting a password', () => {
    let dana: UserRow;
    let danaAgent: Agent;

    beforeEach(async () => {
      dana = await createUser(t, { username: 'dana', role: 'editor' });
      danaAgent = (await signIn(t, 'dana')).agent;
    });

    it('POST /settings/users/:id/password ends the person’s sessions and only the new password works', async () => {
      const res = await post(`/settings/users/${dana.id}/password`, { newPassword: NEW_PASSWORD });
      expect(res.status).to.equal(303);
      expect(res.headers['location']).to.equal('/settings/users');
      expect(sessionsOf(t, dana.id)).to.equal(0);
      expect((await danaAgent.get('/')).headers['location']).to.equal('/login');
      expect((await signIn(t, 'dana', PASSWORD)).res.status).to.equal(401);
      expect((await signIn(t, 'dana', NEW_PASSWORD)).res.status).to.equal(303);
    });

    it('the owner stays signed in after resetting someone else’s password', async () => {
      await post(`/settings/users/${dana.id}/password`, { newPassword: NEW_PASSWORD });
      expect((await owner.get('/settings/users')).status).to.equal(200);
    });

    it('a too-short new password re-renders the list with the reason beside that user and changes nothing', async () => {
      const res = await post(`/settings/users/${dana.id}/password`, { newPassword: 'short' });
      expect(res.status).to.equal(400);
      expect(errorBeside($(res.text), dana.id)).to.contain('too short');
      expect(sessionsOf(t, dana.id)).to.equal(1);
      expect((await signIn(t, 'dana', PASSWORD)).res.status).to.equal(303);
    });

    it('resetting a password writes a user.password.reset audit row without the password', async () => {
      await post(`/settings/users/${dana.id}/password`, { newPassword: NEW_PASSWORD });
      const line = auditLines(t, 'user.password.reset').at(-1);
      expect(line?.actor).to.equal('aigerim');
      expect(line?.source_ip).to.equal('127.0.0.1');
      expect(JSON.parse(line?.detail ?? '{}')).to.deep.equal({ username: 'dana' });
      expect(line?.detail).to.not.contain(NEW_PASSWORD);
    });
  });

  describe('removing', () => {
    it('POST /settings/users/:id/remove removes the user and deletes all their sessions', async () => {
      const dana = await createUser(t, { username: 'dana', role: 'editor' });
      const phone = (await signIn(t, 'dana')).agent;
      await signIn(t, 'dana');
      expect(sessionsOf(t, dana.id)).to.equal(2);
      const res = await post(`/settings/users/${dana.id}/remove`, {});
      expect(res.status).to.equal(303);
      expect(res.headers['location']).to.equal('/settings/users');
      expect(t.services.users.findById(dana.id)).to.equal(undefined);
      expect(sessionsOf(t, dana.id)).to.equal(0);
      expect((await phone.get('/')).headers['location']).to.equal('/login');
      expect((await signIn(t, 'dana')).res.status).to.equal(401);
      expect($((await owner.get('/settings/users')).text)('[role="status"]').text()).to.contain('The user has been removed.');
    });

    it('removing a user writes a user.removed audit row that outlives the user', async () => {
      const dana = await createUser(t, { username: 'dana', role: 'viewer' });
      await post(`/settings/users/${dana.id}/remove`, {});
      const line = auditLines(t, 'user.removed').at(-1);
      expect(line?.actor).to.equal('aigerim');
      expect(line?.source_ip).to.equal('127.0.0.1');
      expect(JSON.parse(line?.detail ?? '{}')).to.deep.equal({ username: 'dana' });
      // The trail of what dana did survives too (user_id set null, actor kept as text).
      expect(auditLines(t, 'user.created').map((l) => JSON.parse(l.detail) as { username: string }).map((d) => d.username)).to.include('dana');
    });

    it('the owner cannot remove themself: 409 and the reason beside their own row', async () => {
      const res = await post(`/settings/users/${ownerRow.id}/remove`, {});
      expect(res.status).to.equal(409);
      expect(errorBeside($(res.text), ownerRow.id)).to.equal('You cannot remove yourself. Ask another owner.');
      expect(t.services.users.findById(ownerRow.id)?.role).to.equal('owner');
      expect((await owner.get('/settings/users')).status).to.equal(200);
    });

    it('the last owner cannot make themself an editor: 409 with the reason', async () => {
      const res = await post(`/settings/users/${ownerRow.id}/role`, { role: 'editor' });
      expect(res.status).to.equal(409);
      expect(errorBeside($(res.text), ownerRow.id)).to.equal('This is the last owner. Make someone else an owner first.');
      expect(t.services.users.findById(ownerRow.id)?.role).to.equal('owner');
      expect(auditLines(t, 'user.role.changed')).to.have.length(0);
    });

    it('with two owners one may demote the other, and then is the last owner', async () => {
      const second = await createUser(t, { username: 'bolat', role: 'owner' });
      expect((await post(`/settings/users/${second.id}/role`, { role: 'editor' })).status).to.equal(303);
      expect(t.services.users.findById(second.id)?.role).to.equal('editor');
      const res = await post(`/settings/users/${ownerRow.id}/role`, { role: 'viewer' });
      expect(res.status).to.equal(409);
      expect(t.services.users.findById(ownerRow.id)?.role).to.equal('owner');
    });

    it('with two owners one may remove the other', async () => {
      const second = await createUser(t, { username: 'bolat', role: 'owner' });
      expect((await post(`/settings/users/${second.id}/remove`, {})).status).to.equal(303);
      expect(t.services.users.findById(second.id)).to.equal(undefined);
    });

    it('the service refuses to remove the actor or the last owner with a Conflict', async () => {
      const self = { id: ownerRow.id, username: ownerRow.username, role: ownerRow.role };
      expect(() => t.services.users.remove(self, ownerRow.id, { ip: null })).to.throw(Conflict, 'users.error.cannotRemoveSelf');
      expect(() => t.services.users.changeRole(self, ownerRow.id, 'viewer', { ip: null })).to.throw(Conflict, 'users.error.lastOwner');
      expect(t.services.users.findById(ownerRow.id)?.role).to.equal('owner');
    });

    it('POST /settings/users/:id/remove for an unknown user answers 404', async () => {
      const res = await post('/settings/users/999/remove', {});
      expect(res.status).to.equal(404);
    });
  });

  it('an anonymous visitor is sent to sign in before seeing the users page', async () => {
    const res = await agentFor(t).get('/settings/users');
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/login');
  });
});
