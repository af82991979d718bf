// "Delete my login" for anyone (with their password, throttled like sign-in, never the last
// owner) and "erase everything" for the owner only (the typed phrase and the password): every
// table emptied except the data key's check row, every media file removed, and Qanat back at
// first-run setup with the code shown on the answer page.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { ERASE_PHRASE } from '../../../src/features/privacy/erase.service.js';
import { translatorFor } from '../../../src/i18n/index.js';
import type { UserRow } from '../../../src/features/users/users.repo.js';
import type { Simulator } from '../../../src/sandbox/simulator.js';
import { KEY_CHECK, KEY_FILE } from '../../../src/secrets.js';
import type { LiveApp } from '../../support/browser.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { mediaFiles, studio, submit } from '../../support/content.js';
import { createAccount, createUser, PASSWORD } from '../../support/factories.js';
import { $, agentFor, csrfFrom, csrfToken, sessionCookie, signIn, type Agent } from '../../support/http.js';
import { connectAccount } from '../../support/accounts.js';
import { schedulePost, stage, type Stage } from '../../support/publishing.js';
import { filesUnder } from '../../support/files.js';

const en = translatorFor('en');
const NEW_OWNER_PASSWORD = 'a brand new owner password 2026';

/** Text as a person reads it: whitespace collapsed. */
const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** Every table Qanat keeps data in (the migrations journal and SQLite's own tables aside). */
function tablesOf(t: TestApp): string[] {
  return (t.db.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
}

function countsOf(t: TestApp): Record<string, number> {
  return Object.fromEntries(tablesOf(t).map((table) => [table, (t.db.sqlite.prepare(`SELECT count(*) AS n FROM "${table}"`).get() as { n: number }).n]));
}

/** Row counts of every table but the throttle's (a wrong password is meant to count there). */
function dataCounts(t: TestApp): Record<string, number> {
  const counts = countsOf(t);
  delete counts['login_throttle'];
  return counts;
}

function count(t: TestApp, sql: string, ...params: unknown[]): number {
  return (t.db.sqlite.prepare(sql).get(...params) as { n: number }).n;
}

function sessionsOf(t: TestApp, userId: number): number {
  return count(t, 'SELECT count(*) AS n FROM sessions WHERE user_id = ?', userId);
}

interface AuditLine {
  actor: string | null;
  source_ip: string | null;
  detail: Record<string, unknown>;
}

function auditOf(t: TestApp, kind: string): AuditLine[] {
  const rows = t.db.sqlite.prepare('SELECT actor, source_ip, detail FROM audit_log WHERE kind = ? ORDER BY id').all(kind) as Array<Omit<AuditLine, 'detail'> & { detail: string }>;
  return rows.map((r) => ({ ...r, detail: JSON.parse(r.detail) as Record<string, unknown> }));
}

/** The error shown under a form field (the field partial's id scheme). */
function fieldError(html: string, name: string): string {
  return squash($(html)(`#field-${name}-error`).text());
}

function flashTexts(html: string): string[] {
  const page = $(html);
  return page('.flashes .alert')
    .toArray()
    .map((el) => squash(page(el).text()));
}

async function deleteLogin(agent: Agent, password: string | undefined, csrf?: string | false) {
  const token = csrf === undefined ? await csrfToken(agent, '/settings') : csrf;
  const body: Record<string, string> = {};
  if (token !== false) body['_csrf'] = token;
  if (password !== undefined) body['deletePassword'] = password;
  return agent.post('/settings/delete-login').type('form').send(body);
}

async function erase(agent: Agent, fields: { erasePhrase?: string; erasePassword?: string }, csrf?: string | false) {
  // The erase page is for the owner only; anyone else takes the token from their profile page.
  const token = csrf === undefined ? await csrfToken(agent, '/settings') : csrf;
  const body: Record<string, string> = {};
  for (const [name, value] of Object.entries(fields)) if (value !== undefined) body[name] = value;
  if (token !== false) body['_csrf'] = token;
  return agent.post('/settings/erase').type('form').send(body);
}

describe('privacy: delete my login', () => {
  let t: TestApp;

  let owner: UserRow;

  beforeEach(async () => {
    t = createTestApp();
    owner = await createUser(t, { username: 'aigerim', role: 'owner' });
  });
  afterEach(() => t.close());

  it('an editor deletes their own login with the right password: 303 to /login, which shows the "deleted" flash', async () => {
    const dana = await createUser(t, { username: 'dana', role: 'editor' });
    const { agent } = await signIn(t, 'dana');
    const res = await deleteLogin(agent, PASSWORD);
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    expect(res.headers['location']).to.equal('/login');
    const login = await agent.get('/login');
    expect(login.status).to.equal(200);
    expect($(login.text)('form[action="/login"]')).to.have.length(1);
    expect(flashTexts(login.text)).to.deep.equal([en('settings.delete.done')]);
    expect(t.services.users.findById(dana.id)).to.equal(undefined);
    // The flash is shown once.
    expect(flashTexts((await agent.get('/login')).text)).to.deep.equal([]);
  });

  it('the users row and every session of that person are gone: a second signed-in browser is signed out on its next request', async () => {
    const dana = await createUser(t, { username: 'dana', role: 'editor' });
    const { agent } = await signIn(t, 'dana');
    const { agent: phone } = await signIn(t, 'dana');
    expect((await phone.get('/settings')).status).to.equal(200);
    expect(sessionsOf(t, dana.id)).to.equal(2);

    const res = await deleteLogin(agent, PASSWORD);
    expect(res.status).to.equal(303);
    expect(count(t, 'SELECT count(*) AS n FROM users WHERE id = ?', dana.id)).to.equal(0);
    expect(count(t, "SELECT count(*) AS n FROM users WHERE username = 'dana'")).to.equal(0);
    expect(sessionsOf(t, dana.id)).to.equal(0);

    const next = await phone.get('/settings');
    expect(next.status).to.equal(303);
    expect(next.headers['location']).to.equal('/login');
    expect((await agent.get('/settings')).headers['location']).to.equal('/login');
    // The password no longer signs anyone in.
    expect((await signIn(t, 'dana')).res.status).to.equal(401);
    // Everyone else is untouched.
    expect(t.services.users.repo.findByUsername('aigerim')).not.to.equal(undefined);
    expect((await signIn(t, 'aigerim')).res.status).to.equal(303);
  });

  it('writes one user.removed audit row with self: true, the actor and the source address (no password)', async () => {
    await createUser(t, { username: 'dana', role: 'editor' });
    const { agent } = await signIn(t, 'dana');
    expect((await deleteLogin(agent, PASSWORD)).status).to.equal(303);
    const lines = auditOf(t, 'user.removed');
    expect(lines).to.have.length(1);
    expect(lines[0]).to.deep.include({ actor: 'dana', source_ip: '127.0.0.1' });
    expect(lines[0]!.detail).to.deep.equal({ username: 'dana', self: true });
    expect(JSON.stringify(lines[0])).not.to.contain(PASSWORD);
  });

  it('a viewer may delete their own login too', async () => {
    const erlan = await createUser(t, { username: 'erlan', role: 'viewer' });
    const { agent } = await signIn(t, 'erlan');
    const res = await deleteLogin(agent, PASSWORD);
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/login');
    expect(t.services.users.findById(erlan.id)).to.equal(undefined);
  });

  it("the person's posts stay for the team (their author is cleared)", async () => {
    const s = await studio(t, 'editor');
    const res = await submit(s, '/compose', { fields: { type: 'feed', caption: 'Editor draft', action: 'draft' } });
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    const before = t.db.sqlite.prepare("SELECT id, created_by AS createdBy FROM posts WHERE caption = 'Editor draft'").get() as { id: number; createdBy: number | null } | undefined;
    expect(before?.createdBy, 'the editor wrote the draft').to.be.a('number');
    expect((await deleteLogin(s.agent, PASSWORD)).status).to.equal(303);
    expect(t.services.users.findById(before!.createdBy!)).to.equal(undefined);
    const after = t.db.sqlite.prepare('SELECT id, created_by AS createdBy FROM posts WHERE id = ?').get(before!.id) as { id: number; createdBy: number | null } | undefined;
    expect(after).to.deep.equal({ id: before!.id, createdBy: null });
  });

  it('a wrong password re-renders the profile (400) with the error on the password field and removes nothing', async () => {
    const dana = await createUser(t, { username: 'dana', role: 'editor' });
    const { agent } = await signIn(t, 'dana');
    const res = await deleteLogin(agent, 'not my password at all');
    expect(res.status).to.equal(400);
    const page = $(res.text);
    expect(page('form[action="/settings/delete-login"]')).to.have.length(1);
    expect(fieldError(res.text, 'deletePassword')).to.equal(en('form.error.currentPasswordWrong'));
    expect(page('#field-deletePassword').attr('aria-invalid')).to.equal('true');
    // The password typed is never echoed back.
    expect(res.text).not.to.contain('not my password at all');
    expect(t.services.users.findById(dana.id)).not.to.equal(undefined);
    expect(sessionsOf(t, dana.id)).to.equal(1);
    expect(auditOf(t, 'user.removed')).to.deep.equal([]);
    expect((await agent.get('/settings')).status).to.equal(200);
  });

  it('an empty or missing password is a wrong password (400), nothing removed', async () => {
    const dana = await createUser(t, { username: 'dana', role: 'editor' });
    const { agent } = await signIn(t, 'dana');
    for (const password of ['', undefined]) {
      const res = await deleteLogin(agent, password);
      expect(res.status, `password ${String(password)}`).to.equal(400);
      expect(fieldError(res.text, 'deletePassword')).to.equal(en('form.error.currentPasswordWrong'));
    }
    expect(t.services.users.findById(dana.id)).not.to.equal(undefined);
  });

  it('repeated wrong passwords are throttled: after the limit even the right password answers 429, and nothing is removed until the lock ends', async () => {
    const limit = t.config.login.maxFailuresPerUsername;
    expect(limit).to.equal(5);
    const dana = await createUser(t, { username: 'dana', role: 'editor' });
    const { agent } = await signIn(t, 'dana');
    const token = await csrfToken(agent, '/settings');
    for (let i = 1; i <= limit; i += 1) {
      const res = await deleteLogin(agent, `wrong guess ${i}`, token);
      expect(res.status, `wrong guess ${i}`).to.equal(400);
    }
    const locked = await deleteLogin(agent, PASSWORD, token);
    expect(locked.status).to.equal(429);
    expect(Number(locked.headers['retry-after'])).to.be.greaterThan(0);
    expect(squash($(locked.text)('main').text())).to.contain(en('error.tooMany.title'));
    expect((await deleteLogin(agent, 'wrong again', token)).status).to.equal(429);
    expect(t.services.users.findById(dana.id)).not.to.equal(undefined);
    expect(sessionsOf(t, dana.id)).to.equal(1);
    expect(auditOf(t, 'user.removed')).to.deep.equal([]);

    // Someone else's attempts are not locked by dana's guesses.
    const owner2 = await createUser(t, { username: 'bolat', role: 'owner' });
    const { agent: bolat } = await signIn(t, 'bolat');
    expect((await deleteLogin(bolat, PASSWORD)).status).to.equal(303);
    expect(t.services.users.findById(owner2.id)).to.equal(undefined);

    t.clock.advance(t.config.login.lockMs + 1000);
    // The idle timeout may have ended the session meanwhile: sign in again.
    const { agent: again } = await signIn(t, 'dana');
    const res = await deleteLogin(again, PASSWORD);
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    expect(t.services.users.findById(dana.id)).to.equal(undefined);
  });

  it('without the CSRF token (or with a wrong one) the request is refused with 403 and nothing is removed', async () => {
    const dana = await createUser(t, { username: 'dana', role: 'editor' });
    const { agent } = await signIn(t, 'dana');
    await agent.get('/settings');
    expect((await deleteLogin(agent, PASSWORD, false)).status).to.equal(403);
    expect((await deleteLogin(agent, PASSWORD, 'not-the-token')).status).to.equal(403);
    expect(t.services.users.findById(dana.id)).not.to.equal(undefined);
    expect(sessionsOf(t, dana.id)).to.equal(1);
    expect(auditOf(t, 'user.removed')).to.deep.equal([]);
  });

  it('the only owner is refused with 409 and told what to do instead; the owner stays, signed in', async () => {
    await createUser(t, { username: 'dana', role: 'editor' });
    const { agent } = await signIn(t, 'aigerim');
    const res = await deleteLogin(agent, PASSWORD);
    expect(res.status).to.equal(409);
    expect($(res.text)('form[action="/settings/delete-login"]')).to.have.length(1);
    expect(fieldError(res.text, 'deletePassword')).to.equal(en('settings.delete.lastOwner'));
    expect(count(t, "SELECT count(*) AS n FROM users WHERE username = 'aigerim' AND role = 'owner'")).to.equal(1);
    expect(sessionsOf(t, owner.id)).to.equal(1);
    expect(auditOf(t, 'user.removed')).to.deep.equal([]);
    expect((await agent.get('/settings')).status).to.equal(200);
  });

  it('with two owners, one may delete their login; the other stays owner and signed in', async () => {
    const bolat = await createUser(t, { username: 'bolat', role: 'owner' });
    const { agent: aigerim } = await signIn(t, 'aigerim');
    const { agent } = await signIn(t, 'bolat');
    const res = await deleteLogin(agent, PASSWORD);
    expect(res.status, res.text.slice(0, 300)).to.equal(303);
    expect(res.headers['location']).to.equal('/login');
    expect(t.services.users.findById(bolat.id)).to.equal(undefined);
    expect(t.services.users.repo.countByRole('owner')).to.equal(1);
    expect((await aigerim.get('/settings')).status).to.equal(200);
    // Now aigerim is the only owner again.
    expect((await deleteLogin(aigerim, PASSWORD)).status).to.equal(409);
  });
});

describe('privacy: erase everything is for the owner, with the phrase and the password', () => {
  let t: TestApp;
  let owner: Agent;
  let sentinel: string;

  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim', role: 'owner' });
    await createUser(t, { username: 'dana', role: 'editor' });
    await createUser(t, { username: 'erlan', role: 'viewer' });
    const account = createAccount(t);
    sentinel = path.join(t.dir, 'media', String(account.id), 'originals', 'keep.bin');
    fs.mkdirSync(path.dirname(sentinel), { recursive: true });
    fs.writeFileSync(sentinel, 'a file of the business');
    owner = (await signIn(t, 'aigerim')).agent;
  });
  afterEach(() => t.close());

  /** Nothing of the business went anywhere. */
  function expectUntouched(before: Record<string, number>): void {
    expect(dataCounts(t)).to.deep.equal(before);
    expect(count(t, 'SELECT count(*) AS n FROM users')).to.equal(3);
    expect(count(t, 'SELECT count(*) AS n FROM accounts')).to.equal(1);
    expect(fs.existsSync(sentinel), 'media file').to.equal(true);
  }

  for (const role of ['dana', 'erlan'] as const) {
    it(`GET /settings/erase is 403 for the ${role === 'dana' ? 'editor' : 'viewer'}`, async () => {
      const { agent } = await signIn(t, role);
      const res = await agent.get('/settings/erase');
      expect(res.status).to.equal(403);
      expect(squash($(res.text)('main').text())).to.contain(en('settings.erase.ownerOnly'));
      expect($(res.text)('form[action="/settings/erase"]')).to.have.length(0);
    });
  }

  it('GET /settings/erase is 200 for the owner: the phrase field, the password field and a way back', async () => {
    const res = await owner.get('/settings/erase');
    expect(res.status).to.equal(200);
    const page = $(res.text);
    const form = page('form[action="/settings/erase"][method="post"]');
    expect(form).to.have.length(1);
    expect(form.find('input[name="_csrf"]').attr('value')).to.have.length.greaterThan(20);
    expect(form.find('input[name="erasePhrase"]')).to.have.length(1);
    expect(form.find('input[name="erasePhrase"]').attr('value')).to.equal('');
    expect(form.find('input[name="erasePassword"]').attr('type')).to.equal('password');
    expect(squash(page('main').text())).to.contain(en('settings.erase.phraseLabel'));
    expect(squash(page('main').text())).to.contain(en('settings.erase.text'));
    expect(page('a[href="/settings"]').filter((_i, el) => squash(page(el).text()) === en('settings.erase.keep'))).to.have.length(1);
  });

  for (const role of ['dana', 'erlan'] as const) {
    it(`POST /settings/erase by the ${role === 'dana' ? 'editor' : 'viewer'} (right phrase, own right password) → 403, nothing erased`, async () => {
      const { agent } = await signIn(t, role);
      const before = dataCounts(t);
      const res = await erase(agent, { erasePhrase: ERASE_PHRASE, erasePassword: PASSWORD });
      expect(res.status).to.equal(403);
      expect(squash($(res.text)('main').text())).to.contain(en('settings.erase.ownerOnly'));
      expectUntouched(before);
      expect((await agent.get('/settings')).status).to.equal(200);
    });
  }

  for (const phrase of ['erase', ' ERAS', '', 'Erase', 'ERASE!', 'ERASE EVERYTHING']) {
    it(`a wrong phrase ${JSON.stringify(phrase)} → 400 with the phrase error, nothing erased`, async () => {
      const before = dataCounts(t);
      const res = await erase(owner, { erasePhrase: phrase, erasePassword: PASSWORD });
      expect(res.status).to.equal(400);
      expect($(res.text)('form[action="/settings/erase"]')).to.have.length(1);
      expect(fieldError(res.text, 'erasePhrase')).to.equal(en('settings.erase.phraseWrong'));
      expect($(res.text)('#field-erasePhrase').attr('aria-invalid')).to.equal('true');
      expectUntouched(before);
      expect((await owner.get('/settings')).status).to.equal(200);
    });
  }

  it('no phrase field at all → 400, nothing erased', async () => {
    const before = dataCounts(t);
    const res = await erase(owner, { erasePassword: PASSWORD });
    expect(res.status).to.equal(400);
    expect(fieldError(res.text, 'erasePhrase')).to.equal(en('settings.erase.phraseWrong'));
    expectUntouched(before);
  });

  it('the right phrase with a wrong password → 400 with the error on the password field, nothing erased', async () => {
    const before = dataCounts(t);
    const res = await erase(owner, { erasePhrase: ERASE_PHRASE, erasePassword: 'not the owner password' });
    expect(res.status).to.equal(400);
    expect($(res.text)('form[action="/settings/erase"]')).to.have.length(1);
    expect(fieldError(res.text, 'erasePassword')).to.equal(en('form.error.currentPasswordWrong'));
    expect(fieldError(res.text, 'erasePhrase')).to.equal('');
    expect(res.text).not.to.contain('not the owner password');
    expectUntouched(before);
    expect((await owner.get('/settings')).status).to.equal(200);
  });

  it('wrong passwords here are throttled too: after the limit the right ones answer 429 and nothing is erased', async () => {
    const before = dataCounts(t);
    const token = await csrfToken(owner, '/settings/erase');
    for (let i = 1; i <= t.config.login.maxFailuresPerUsername; i += 1) {
      expect((await erase(owner, { erasePhrase: ERASE_PHRASE, erasePassword: `guess ${i}` }, token)).status, `guess ${i}`).to.equal(400);
    }
    const res = await erase(owner, { erasePhrase: ERASE_PHRASE, erasePassword: PASSWORD }, token);
    expect(res.status).to.equal(429);
    expectUntouched(before);
  });

  it('without the CSRF token → 403, nothing erased', async () => {
    const before = dataCounts(t);
    await owner.get('/settings/erase');
    expect((await erase(owner, { erasePhrase: ERASE_PHRASE, erasePassword: PASSWORD }, false)).status).to.equal(403);
    expectUntouched(before);
  });
});

describe('privacy: the profile page', () => {
  let t: TestApp;

  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim', role: 'owner' });
    await createUser(t, { username: 'dana', role: 'editor' });
    await createUser(t, { username: 'erlan', role: 'viewer' });
  });
  afterEach(() => t.close());

  for (const [username, role, seesErase] of [
    ['aigerim', 'owner', true],
    ['dana', 'editor', false],
    ['erlan', 'viewer', false],
  ] as const) {
    it(`shows the ${role} the delete-login form${seesErase ? ' and the "Erase everything" link' : ', without the "Erase everything" link'}`, async () => {
      const { agent } = await signIn(t, username);
      const res = await agent.get('/settings');
      expect(res.status).to.equal(200);
      const page = $(res.text);
      const form = page('form[action="/settings/delete-login"][method="post"]');
      expect(form).to.have.length(1);
      expect(form.find('input[name="_csrf"]').attr('value')).to.have.length.greaterThan(20);
      expect(form.find('input[name="deletePassword"]').attr('type')).to.equal('password');
      expect(form.find('input[name="deletePassword"]').attr('autocomplete')).to.equal('current-password');
      expect(squash(form.find('button[type="submit"]').text())).to.equal(en('settings.delete.submit'));
      expect(squash(page('main').text())).to.contain(en('settings.delete.lead'));
      expect(page('a[href="/settings/erase"]'), 'erase link').to.have.length(seesErase ? 1 : 0);
      expect(squash(page('main').text()).includes(en('settings.erase.link')), 'erase link text').to.equal(seesErase);
    });
  }
});

function simOf(s: Stage): Simulator {
  const sim = s.t.simulator;
  if (!sim) throw new Error('the app runs without its simulator');
  return sim;
}

/** Signs in through the form and keeps the session cookie the browser got. */
async function signInKeepingCookie(live: LiveApp, username: string): Promise<{ agent: Agent; cookie: string }> {
  const agent = request.agent(live.url);
  const form = await agent.get('/login');
  const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(form.text), username, password: PASSWORD });
  expect(res.status, 'sign-in').to.equal(303);
  const cookie = sessionCookie(res);
  if (!cookie) throw new Error('no session cookie after sign-in');
  return { agent, cookie };
}

describe('privacy: erasing everything on a populated instance', function () {
  this.timeout(120_000);
  let s: Stage;
  let ownerName: string;
  let accountName: string;
  let countsBefore: Record<string, number>;
  let mediaBefore: string[];
  let eraser: Agent;
  let ownerCookie: string;
  let editorCookie: string;
  let answer: request.Response;
  let countsAfter: Record<string, number>;
  let settingsAfter: Array<{ key: string; value: string }>;
  let sessionsAfter: Array<{ userId: number | null; data: Record<string, unknown> }>;

  before(async () => {
    s = await stage();
    const ownerRow = s.t.db.sqlite.prepare("SELECT username FROM users WHERE role = 'owner'").get() as { username: string };
    ownerName = ownerRow.username;
    accountName = s.t.services.accounts.repo.findById(s.accountId)!.username;
    await schedulePost(s, { caption: 'Spring beans are here', inMinutes: 60 });
    const sim = simOf(s);
    const igUserId = s.t.services.accounts.repo.findById(s.accountId)!.igUserId;
    const media = sim.state.mediaOf(igUserId).find((m) => m.productType === 'FEED');
    if (!media) throw new Error('no feed media in the sandbox');
    const comment = await sim.people.comment({ text: 'Lovely beans', username: 'coffee_fan', mediaId: media.id });
    expect(comment.webhook, 'comment webhook').to.equal('sent');
    await s.t.services.webhooks.idle();
    await createUser(s.t, { username: 'dana', role: 'editor' });
    await createUser(s.t, { username: 'erlan', role: 'viewer' });
    ({ cookie: editorCookie } = await signInKeepingCookie(s.live, 'dana'));
    ({ agent: eraser, cookie: ownerCookie } = await signInKeepingCookie(s.live, ownerName));

    countsBefore = countsOf(s.t);
    mediaBefore = mediaFiles(s.t);

    const form = await eraser.get('/settings/erase');
    expect(form.status).to.equal(200);
    answer = await eraser.post('/settings/erase').type('form').send({ _csrf: csrfFrom(form.text), erasePhrase: ERASE_PHRASE, erasePassword: PASSWORD });
    // Taken at once: any later request may store a fresh anonymous session.
    countsAfter = countsOf(s.t);
    settingsAfter = s.t.db.sqlite.prepare('SELECT key, value FROM settings ORDER BY key').all() as Array<{ key: string; value: string }>;
    const sessionRows = s.t.db.sqlite.prepare('SELECT sid_hash AS sidHash, user_id AS userId, data FROM sessions').all() as Array<{ sidHash: string; userId: number | null; data: string }>;
    sessionsAfter = sessionRows.map((r) => ({ userId: r.userId, data: JSON.parse(s.t.cipher.open(r.data, { table: 'sessions', column: 'data', row: r.sidHash })) as Record<string, unknown> }));
  });
  after(() => s.live.close());

  it('the instance was populated before: users, sessions, the account, the post with its photo, the comment, the webhook, the audit trail', () => {
    for (const table of ['users', 'sessions', 'accounts', 'posts', 'post_media', 'post_events', 'comments', 'webhook_events', 'audit_log', 'settings']) {
      expect(countsBefore[table], `rows in ${table} before`).to.be.greaterThan(0);
    }
    expect(countsBefore['users']).to.equal(3);
    expect(mediaBefore, 'media files before').not.to.deep.equal([]);
  });

  it('answers 200 with the setup code and a link to /setup, and shows nobody as signed in', () => {
    expect(answer.status, answer.text.slice(0, 1000)).to.equal(200);
    expect(answer.headers['cache-control']).to.contain('no-store');
    const page = $(answer.text);
    expect(squash(page('h1').text())).to.contain(en('settings.erase.doneHeading'));
    expect(page('main code').text()).to.equal(s.t.services.setup.code);
    expect(page('main a[href="/setup"]')).to.have.length(1);
    expect(answer.text).not.to.contain(accountName);
    expect(page('form[action="/logout"]'), 'sign-out form').to.have.length(0);
    expect(page('a[href="/settings"]'), 'settings link').to.have.length(0);
  });

  it('every table except settings is empty afterwards (walking sqlite_master)', () => {
    expect(Object.keys(countsAfter)).to.deep.equal(Object.keys(countsBefore));
    const left = Object.entries(countsAfter).filter(([table, n]) => table !== 'settings' && n !== 0);
    expect(left, 'tables with rows left').to.deep.equal([]);
  });

  it('no session row left right after the erase belongs to anyone or carries anything but the cookie', () => {
    for (const row of sessionsAfter) {
      expect(row.userId).to.equal(null);
      expect(Object.keys(row.data)).to.deep.equal(['cookie']);
    }
  });

  it('settings holds only the key check row, and the data key still opens it', () => {
    expect(settingsAfter.map((r) => r.key)).to.deep.equal([KEY_CHECK]);
    expect(s.t.cipher.open(settingsAfter[0]!.value, { table: 'settings', column: 'value' })).to.equal('qanat key check');
    expect(fs.existsSync(path.join(s.t.dir, KEY_FILE)), 'the key file').to.equal(true);
  });

  it('data/media is gone', () => {
    expect(fs.existsSync(path.join(s.t.dir, 'media'))).to.equal(false);
    expect(filesUnder(path.join(s.t.dir, 'media'))).to.deep.equal([]);
    for (const file of mediaBefore) expect(fs.existsSync(file), file).to.equal(false);
  });

  it('the migrations journal stays (the schema is not re-created on the next start)', () => {
    const journal = s.t.db.sqlite.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE '__drizzle%'").all() as Array<{ name: string }>;
    expect(journal).to.have.length(1);
    expect(count(s.t, `SELECT count(*) AS n FROM "${journal[0]!.name}"`)).to.be.greaterThan(0);
  });

  it('the server log keeps the fact (the audit trail went with everything else)', () => {
    expect(s.t.logs.text).to.contain('the owner erased everything');
  });

  it('the next GET / redirects to /setup, and the old cookies of the owner and of the editor sign nobody in', async () => {
    const next = await eraser.get('/');
    expect(next.status).to.equal(303);
    expect(next.headers['location']).to.equal('/setup');
    for (const cookie of [ownerCookie, editorCookie]) {
      const res = await request(s.live.url).get('/settings').set('Cookie', cookie);
      expect(res.status).to.equal(303);
      expect(res.headers['location']).to.equal('/setup');
    }
    const stale = await request(s.live.url).get('/').set('Cookie', ownerCookie);
    expect(stale.headers['location']).to.equal('/setup');
    const setup = await eraser.get('/setup');
    expect(setup.status).to.equal(200);
    expect($(setup.text)('form[action="/setup"]')).to.have.length(1);
  });

  it('POST /setup with the code creates a new owner; the old cookies still sign nobody in, and the app works again', async () => {
    const browser = request.agent(s.live.url);
    const form = await browser.get('/setup');
    expect(form.status).to.equal(200);
    const res = await browser
      .post('/setup')
      .type('form')
      .send({ _csrf: csrfFrom(form.text), code: s.t.services.setup.code, username: 'nurlan', password: NEW_OWNER_PASSWORD, passwordConfirm: NEW_OWNER_PASSWORD });
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    expect(res.headers['location']).to.equal('/');
    expect((await browser.get('/')).status).to.equal(200);
    const users = s.t.db.sqlite.prepare('SELECT username, role FROM users').all();
    expect(users).to.deep.equal([{ username: 'nurlan', role: 'owner' }]);

    for (const cookie of [ownerCookie, editorCookie]) {
      const stale = await request(s.live.url).get('/settings').set('Cookie', cookie);
      expect(stale.status, 'an old cookie').to.equal(303);
      expect(stale.headers['location']).to.equal('/login');
    }
    // The old logins are gone with everything else.
    for (const username of [ownerName, 'dana']) {
      const agent = request.agent(s.live.url);
      const login = await agent.get('/login');
      const refused = await agent.post('/login').type('form').send({ _csrf: csrfFrom(login.text), username, password: PASSWORD });
      expect(refused.status, `${username} signs in`).to.equal(401);
    }

    const fresh = request.agent(s.live.url);
    const login = await fresh.get('/login');
    const signedIn = await fresh.post('/login').type('form').send({ _csrf: csrfFrom(login.text), username: 'nurlan', password: NEW_OWNER_PASSWORD });
    expect(signedIn.status).to.equal(303);
    const home = await fresh.get('/');
    expect(home.status).to.equal(200);
    expect((await fresh.get('/settings')).status).to.equal(200);
  });

  it('after setup, connecting the Instagram account again and scheduling a post with a photo work (data/media comes back)', async () => {
    const agent = request.agent(s.live.url);
    const login = await agent.get('/login');
    expect((await agent.post('/login').type('form').send({ _csrf: csrfFrom(login.text), username: 'nurlan', password: NEW_OWNER_PASSWORD })).status).to.equal(303);
    const accountId = await connectAccount(s.live, agent);
    const again: Stage = { ...s, agent, accountId, csrf: csrfFrom((await agent.get('/queue')).text) };
    await schedulePost(again, { caption: 'Back in business', inMinutes: 30 });
    expect(mediaFiles(s.t), 'media files after').not.to.deep.equal([]);
  });

  it('a restart on the same data folder with the same key starts fine', () => {
    const restarted = s.t.restart();
    try {
      expect(restarted.services.setup.isNeeded()).to.equal(false);
      expect(count(restarted, 'SELECT count(*) AS n FROM users')).to.equal(1);
    } finally {
      restarted.db.close();
    }
  });
});

describe('privacy: erasing everything on a fresh app (no live server)', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('the erasing browser keeps no session; the next GET / redirects to /setup', async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim', role: 'owner' });
    const agent = agentFor(t);
    const token = await csrfToken(agent, '/login');
    const login = await agent.post('/login').type('form').send({ _csrf: token, username: 'aigerim', password: PASSWORD });
    const oldCookie = sessionCookie(login);
    expect(oldCookie).to.be.a('string');
    const res = await erase(agent, { erasePhrase: ` ${ERASE_PHRASE} `, erasePassword: PASSWORD });
    expect(res.status, 'the phrase is trimmed').to.equal(200);
    // The session is destroyed, not regenerated: nothing of the erased instance is stored again.
    expect(sessionCookie(res), 'no new session is handed out').to.not.be.a('string');
    expect(count(t, 'SELECT count(*) AS n FROM sessions'), 'no session row').to.equal(0);
    expect(count(t, 'SELECT count(*) AS n FROM users')).to.equal(0);
    const next = await agent.get('/');
    expect(next.status).to.equal(303);
    expect(next.headers['location']).to.equal('/setup');
  });
});
