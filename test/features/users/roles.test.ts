// security.md row 12 (the part that exists so far): only owners manage users, and the rule lives
// in the service, so the web, the CLI and later jobs cannot bypass it.
import { expect } from 'chai';
import type { Role } from '../../../src/db/schema.js';
import { Forbidden } from '../../../src/errors.js';
import type { Actor } from '../../../src/features/users/users.service.js';
import type { UserRow } from '../../../src/features/users/users.repo.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser, PASSWORD } from '../../support/factories.js';
import { $, csrfToken, signIn, type Agent } from '../../support/http.js';

const NEW_PASSWORD = 'a different long password';

/** The error an action throws or rejects with; fails the test if it succeeds. */
async function refusal(action: () => unknown): Promise<unknown> {
  try {
    await action();
  } catch (error) {
    return error;
  }
  throw new Error('expected the action to be refused');
}

const actor = (row: UserRow): Actor => ({ id: row.id, username: row.username, role: row.role });

describe('roles: who may manage users', () => {
  let t: TestApp;
  let owner: UserRow;
  let target: UserRow;

  beforeEach(async () => {
    t = createTestApp();
    owner = await createUser(t, { username: 'aigerim', role: 'owner' });
    target = await createUser(t, { username: 'marat', role: 'viewer' });
  });
  afterEach(() => t.close());

  for (const role of ['editor', 'viewer'] as const satisfies readonly Role[]) {
    describe(`as ${role === 'editor' ? 'an editor' : 'a viewer'}`, () => {
      let agent: Agent;
      let token: string;
      const usersCount = (): number => (t.db.sqlite.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;

      beforeEach(async () => {
        await createUser(t, { username: 'dana', role });
        agent = (await signIn(t, 'dana')).agent;
        token = await csrfToken(agent, '/settings');
      });

      it('GET /settings/users answers 403 with the "not allowed" page', async () => {
        const res = await agent.get('/settings/users');
        expect(res.status).to.equal(403);
        const page = $(res.text);
        expect(page('h1').text()).to.equal('Not allowed');
        expect(page('main').text()).to.contain('Your role does not allow this');
        expect(page('.userlist').length).to.equal(0);
      });

      it('the settings page shows no "Users and roles" tab', async () => {
        const res = await agent.get('/settings');
        expect(res.status).to.equal(200);
        expect($(res.text)('a[href="/settings/users"]').length).to.equal(0);
      });

      it('POST /settings/users with a valid CSRF token answers 403 and creates nobody', async () => {
        const before = usersCount();
        const res = await agent.post('/settings/users').type('form').send({ _csrf: token, username: 'intruder', password: PASSWORD, role: 'owner' });
        expect(res.status).to.equal(403);
        expect(usersCount()).to.equal(before);
        expect(t.services.users.repo.findByUsername('intruder')).to.equal(undefined);
      });

      it('POST /settings/users/:id/role answers 403 and changes no role — not even their own', async () => {
        const self = t.services.users.repo.findByUsername('dana');
        for (const id of [target.id, owner.id, self?.id ?? 0]) {
          const res = await agent.post(`/settings/users/${id}/role`).type('form').send({ _csrf: token, role: 'owner' });
          expect(res.status, `user ${id}`).to.equal(403);
        }
        expect(t.services.users.findById(target.id)?.role).to.equal('viewer');
        expect(t.services.users.findById(owner.id)?.role).to.equal('owner');
        expect(t.services.users.repo.findByUsername('dana')?.role).to.equal(role);
      });

      it('POST /settings/users/:id/password answers 403 and the owner’s password still works', async () => {
        const res = await agent.post(`/settings/users/${owner.id}/password`).type('form').send({ _csrf: token, newPassword: NEW_PASSWORD });
        expect(res.status).to.equal(403);
        const row = t.services.users.findById(owner.id);
        expect(await t.services.hasher.verify(row?.passwordHash ?? '', PASSWORD)).to.equal(true);
      });

      it('GET and POST /settings/users/:id/remove answer 403 and remove nobody', async () => {
        expect((await agent.get(`/settings/users/${target.id}/remove`)).status).to.equal(403);
        const res = await agent.post(`/settings/users/${target.id}/remove`).type('form').send({ _csrf: token });
        expect(res.status).to.equal(403);
        expect(t.services.users.findById(target.id)?.username).to.equal('marat');
      });

      it('may still change their own password', async () => {
        const res = await agent
          .post('/settings/password')
          .type('form')
          .send({ _csrf: token, currentPassword: PASSWORD, newPassword: NEW_PASSWORD, newPasswordConfirm: NEW_PASSWORD });
        expect(res.status).to.equal(303);
        expect(res.headers['location']).to.equal('/settings');
      });

      it('writes no audit row for the refused attempts', async () => {
        await agent.post('/settings/users').type('form').send({ _csrf: token, username: 'intruder', password: PASSWORD, role: 'owner' });
        await agent.post(`/settings/users/${target.id}/role`).type('form').send({ _csrf: token, role: 'owner' });
        await agent.post(`/settings/users/${target.id}/remove`).type('form').send({ _csrf: token });
        const kinds = t.services.audit.recent().map((row) => row.kind);
        expect(kinds).to.not.include('user.role.changed');
        expect(kinds).to.not.include('user.removed');
        expect(kinds.filter((k) => k === 'user.created')).to.have.length(3); // aigerim, marat, dana from the factory
      });
    });
  }

  describe('in the service (what the CLI and jobs call)', () => {
    let editor: UserRow;
    let viewer: UserRow;

    beforeEach(async () => {
      editor = await createUser(t, { username: 'dana', role: 'editor' });
      viewer = await createUser(t, { username: 'erlan', role: 'viewer' });
    });

    it('create with a viewer actor throws Forbidden and creates nobody', async () => {
      const error = await refusal(() => t.services.users.create(actor(viewer), { username: 'intruder', password: PASSWORD, role: 'owner' }, { ip: null }));
      expect(error).to.be.instanceOf(Forbidden);
      expect(t.services.users.repo.findByUsername('intruder')).to.equal(undefined);
    });

    it('create with an editor actor throws Forbidden', async () => {
      const error = await refusal(() => t.services.users.create(actor(editor), { username: 'intruder', password: PASSWORD, role: 'viewer' }, { ip: null }));
      expect(error).to.be.instanceOf(Forbidden);
    });

    it('list, changeRole, resetPassword and remove with an editor or viewer actor throw Forbidden', async () => {
      for (const who of [editor, viewer]) {
        expect(await refusal(() => t.services.users.list(actor(who))), `${who.role} list`).to.be.instanceOf(Forbidden);
        expect(await refusal(() => t.services.users.changeRole(actor(who), target.id, 'owner', { ip: null })), `${who.role} changeRole`).to.be.instanceOf(Forbidden);
        expect(await refusal(() => t.services.users.changeRole(actor(who), who.id, 'owner', { ip: null })), `${who.role} promote self`).to.be.instanceOf(Forbidden);
        expect(await refusal(() => t.services.users.resetPassword(actor(who), owner.id, NEW_PASSWORD, { ip: null })), `${who.role} resetPassword`).to.be.instanceOf(Forbidden);
        expect(await refusal(() => t.services.users.remove(actor(who), target.id, { ip: null })), `${who.role} remove`).to.be.instanceOf(Forbidden);
      }
      expect(t.services.users.findById(target.id)?.role).to.equal('viewer');
      expect(t.services.users.findById(editor.id)?.role).to.equal('editor');
      expect(t.services.users.findById(viewer.id)?.role).to.equal('viewer');
    });

    it('create with an owner actor succeeds with the requested role', async () => {
      const created = await t.services.users.create(actor(owner), { username: 'nurlan', password: PASSWORD, role: 'editor' }, { ip: '192.0.2.7' });
      expect(created.role).to.equal('editor');
    });
  });
});
