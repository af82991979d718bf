// security.md row 14: fields a form does not ask for are ignored — no mass assignment, no
// prototype pollution, no privilege from a field the attacker adds.
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser, PASSWORD } from '../../support/factories.js';
import { csrfToken, signIn, type Agent } from '../../support/http.js';

const NEW_PASSWORD = 'a different long password';

/** A urlencoded body built by hand, so keys like `__proto__[role]` reach the server as typed. */
function rawForm(fields: Array<[string, string]>): string {
  return fields.map(([k, v]) => `${encodeURIComponent(k).replace(/%5B/g, '[').replace(/%5D/g, ']')}=${encodeURIComponent(v)}`).join('&');
}

function prototypeIsClean(): void {
  const probe = {} as Record<string, unknown>;
  expect(probe['role']).to.equal(undefined);
  expect(probe['isAdmin']).to.equal(undefined);
  expect(Object.prototype).to.not.have.own.property('role');
}

describe('extra form fields (security row 14)', () => {
  let t: TestApp;
  let ownerId: number;
  let owner: Agent;
  let token: string;

  beforeEach(async () => {
    t = createTestApp();
    ownerId = (await createUser(t, { username: 'aigerim', role: 'owner' })).id;
    owner = (await signIn(t, 'aigerim')).agent;
    token = await csrfToken(owner, '/settings/users');
  });
  afterEach(() => {
    prototypeIsClean();
    t.close();
  });

  it('POST /settings/users ignores id, passwordHash, language, totpSecret and createdAt and keeps the submitted role', async () => {
    const res = await owner
      .post('/settings/users')
      .type('form')
      .send(
        rawForm([
          ['_csrf', token],
          ['username', 'marat'],
          ['password', PASSWORD],
          ['role', 'editor'],
          ['id', String(ownerId)],
          ['passwordHash', 'x'],
          ['password_hash', 'x'],
          ['language', 'kk'],
          ['totpSecret', 'JBSWY3DPEHPK3PXP'],
          ['createdAt', '0'],
        ]),
      );
    expect(res.status).to.equal(303);
    const marat = t.services.users.repo.findByUsername('marat');
    expect(marat).to.not.equal(undefined);
    expect(marat?.id).to.not.equal(ownerId);
    expect(marat?.role).to.equal('editor');
    expect(marat?.language).to.equal('en');
    expect(marat?.totpSecret).to.equal(null);
    expect(marat?.createdAt).to.equal(t.clock.now());
    expect(marat?.passwordHash).to.match(/^\$argon2id\$/);
    expect(await t.services.hasher.verify(marat?.passwordHash ?? '', PASSWORD)).to.equal(true);
    // The owner row is untouched.
    expect(t.services.users.findById(ownerId)?.username).to.equal('aigerim');
  });

  it('POST /settings/users with __proto__[role]=owner creates a viewer and pollutes no prototype', async () => {
    const res = await owner
      .post('/settings/users')
      .type('form')
      .send(
        rawForm([
          ['_csrf', token],
          ['username', 'marat'],
          ['password', PASSWORD],
          ['role', 'viewer'],
          ['__proto__[role]', 'owner'],
          ['__proto__[isAdmin]', 'true'],
          ['constructor[prototype][role]', 'owner'],
          ['__proto__', 'owner'],
        ]),
      );
    expect(res.status).to.equal(303);
    expect(t.services.users.repo.findByUsername('marat')?.role).to.equal('viewer');
    prototypeIsClean();
  });

  it('POST /settings/users with the role field sent twice falls back to the least-privileged role', async () => {
    const res = await owner
      .post('/settings/users')
      .type('form')
      .send(rawForm([['_csrf', token], ['username', 'marat'], ['password', PASSWORD], ['role', 'viewer'], ['role', 'owner']]));
    expect(res.status).to.equal(303);
    expect(t.services.users.repo.findByUsername('marat')?.role).to.equal('viewer');
  });

  it('POST /settings/users with an unknown role creates a viewer, never an owner', async () => {
    const res = await owner.post('/settings/users').type('form').send({ _csrf: token, username: 'marat', password: PASSWORD, role: 'superadmin' });
    expect(res.status).to.equal(303);
    expect(t.services.users.repo.findByUsername('marat')?.role).to.equal('viewer');
  });

  it('POST /settings/users ignores role=owner in the query string', async () => {
    const res = await owner.post('/settings/users?role=owner&id=1').type('form').send({ _csrf: token, username: 'marat', password: PASSWORD, role: 'viewer' });
    expect(res.status).to.equal(303);
    expect(t.services.users.repo.findByUsername('marat')?.role).to.equal('viewer');
  });

  it('POST /settings/users with a JSON body is not parsed, so nothing is created', async () => {
    const res = await owner
      .post('/settings/users')
      .set('X-CSRF-Token', token)
      .set('Content-Type', 'application/json')
      .send(`{"username":"marat","password":"${PASSWORD}","role":"owner","__proto__":{"role":"owner"}}`);
    expect(res.status).to.be.within(400, 499);
    expect(t.services.users.repo.findByUsername('marat')).to.equal(undefined);
  });
});

describe('extra fields on a person’s own settings (security row 14)', () => {
  let t: TestApp;
  let editorId: number;
  let ownerId: number;
  let editor: Agent;

  beforeEach(async () => {
    t = createTestApp();
    ownerId = (await createUser(t, { username: 'aigerim', role: 'owner' })).id;
    editorId = (await createUser(t, { username: 'dana', role: 'editor' })).id;
    editor = (await signIn(t, 'dana')).agent;
  });
  afterEach(() => {
    prototypeIsClean();
    t.close();
  });

  it('POST /settings/password with role=owner changes the password but not the role', async () => {
    const token = await csrfToken(editor, '/settings');
    const res = await editor
      .post('/settings/password')
      .type('form')
      .send(
        rawForm([
          ['_csrf', token],
          ['currentPassword', PASSWORD],
          ['newPassword', NEW_PASSWORD],
          ['newPasswordConfirm', NEW_PASSWORD],
          ['role', 'owner'],
          ['__proto__[role]', 'owner'],
          ['id', String(ownerId)],
          ['username', 'aigerim'],
        ]),
      );
    expect(res.status).to.equal(303);
    const dana = t.services.users.findById(editorId);
    expect(dana?.role).to.equal('editor');
    expect(dana?.username).to.equal('dana');
    expect(await t.services.hasher.verify(dana?.passwordHash ?? '', NEW_PASSWORD)).to.equal(true);
    // The owner named in the extra fields keeps the old password.
    const aigerim = t.services.users.findById(ownerId);
    expect(await t.services.hasher.verify(aigerim?.passwordHash ?? '', PASSWORD)).to.equal(true);
    // Still an editor on the next request too.
    expect((await editor.get('/settings/users')).status).to.equal(403);
  });

  it('POST /language with id of another user only changes the sender’s own language', async () => {
    const token = await csrfToken(editor, '/settings');
    const res = await editor.post('/language').type('form').send({ _csrf: token, language: 'ru', returnTo: '/settings', id: String(ownerId), userId: String(ownerId) });
    expect(res.status).to.equal(303);
    expect(t.services.users.findById(editorId)?.language).to.equal('ru');
    expect(t.services.users.findById(ownerId)?.language).to.equal('en');
  });
});
