// security.md rows 1 and 2: password length in code points, exact verification of long Unicode
// passwords, argon2id storage and rehashing when the parameters change.
import { expect } from 'chai';
import { Invalid } from '../../../src/errors.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { $, agentFor, signIn } from '../../support/http.js';

/** 200 code points mixing Latin, Russian, Kazakh letters, emoji (astral) and spaces. */
function longUnicodePassword(): string {
  const piece = 'Қанат әіңғүұқөһ Пароль 🔐🌾🐎 Ёж ЁЛКА ✨ abc 123 ';
  const points = [...piece.repeat(10)].slice(0, 200);
  return points.join('');
}

function storedHash(t: TestApp, username: string): string {
  const row = t.db.sqlite.prepare('SELECT password_hash AS hash FROM users WHERE username = ?').get(username) as { hash: string } | undefined;
  if (!row) throw new Error(`no user ${username}`);
  return row.hash;
}

function userCount(t: TestApp): number {
  return (t.db.sqlite.prepare('SELECT count(*) AS n FROM users').get() as { n: number }).n;
}

async function expectInvalid(promise: Promise<unknown>): Promise<Invalid> {
  try {
    await promise;
  } catch (error) {
    expect(error).to.be.instanceOf(Invalid);
    return error as Invalid;
  }
  throw new Error('expected the promise to reject with Invalid');
}

describe('passwords: minimum length and exact Unicode verification', () => {
  let t: TestApp;
  beforeEach(() => {
    t = createTestApp();
  });
  afterEach(() => t.close());

  it('services.users.createUnchecked rejects an 11-character password as too short and stores nothing', async () => {
    const error = await expectInvalid(t.services.users.createUnchecked({ username: 'aigerim', password: 'elevenchars', role: 'owner' }, { ip: null }, 'test'));
    expect(error.status).to.equal(400);
    expect(error.fieldErrors).to.deep.equal({ password: 'form.error.passwordTooShort' });
    expect(userCount(t)).to.equal(0);
  });

  it('counts code points, not UTF-16 units: 11 emoji (22 units) are too short, 12 Kazakh letters are enough', async () => {
    const elevenEmoji = '🔐🌾🐎🍎🐪🌙🔑🎉🧿🐑🍇';
    expect([...elevenEmoji]).to.have.length(11);
    expect(elevenEmoji.length).to.equal(22);
    const error = await expectInvalid(t.services.users.createUnchecked({ username: 'emoji', password: elevenEmoji, role: 'owner' }, { ip: null }, 'test'));
    expect(error.fieldErrors['password']).to.equal('form.error.passwordTooShort');

    const twelveKazakh = 'әіңғүұқөһӘІҢ';
    expect([...twelveKazakh]).to.have.length(12);
    const user = await t.services.users.createUnchecked({ username: 'kazakh', password: twelveKazakh, role: 'owner' }, { ip: null }, 'test');
    expect(user.username).to.equal('kazakh');
  });

  it('POST /setup re-renders the form with a too-short message on the password field', async () => {
    const agent = agentFor(t);
    const form = await agent.get('/setup');
    const csrf = $(form.text)('input[name="_csrf"]').attr('value') ?? '';
    const res = await agent
      .post('/setup')
      .type('form')
      .send({ _csrf: csrf, code: t.services.setup.code, username: 'aigerim', password: 'short pass', passwordConfirm: 'short pass' });
    expect(res.status).to.equal(400);
    const page = $(res.text);
    expect(page('#field-password').attr('aria-invalid')).to.equal('true');
    expect(page('#field-password-error').text()).to.contain('too short');
    expect(page('input[name="username"]').attr('value')).to.equal('aigerim');
    expect(userCount(t)).to.equal(0);
  });

  it('a 200-character password mixing Cyrillic, Kazakh letters and emoji is accepted and signs in', async () => {
    const password = longUnicodePassword();
    expect([...password]).to.have.length(200);
    await createUser(t, { username: 'dana', password });
    const { agent, res } = await signIn(t, 'dana', password);
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/');
    expect((await agent.get('/')).status).to.equal(200);
  });

  it('the long Unicode password with one character changed does not sign in', async () => {
    const password = longUnicodePassword();
    await createUser(t, { username: 'dana', password });
    const points = [...password];
    // Change one Kazakh letter in the middle: ұ → у (a different letter that looks alike).
    const index = points.indexOf('ұ', 100);
    expect(index).to.be.greaterThan(-1);
    points[index] = 'у';
    const { res: wrongLetter } = await signIn(t, 'dana', points.join(''));
    expect(wrongLetter.status).to.equal(401);

    // Change the last emoji for another one.
    const emojiPoints = [...password];
    const lastEmoji = emojiPoints.lastIndexOf('🐎');
    emojiPoints[lastEmoji] = '🐴';
    const { res: wrongEmoji } = await signIn(t, 'dana', emojiPoints.join(''));
    expect(wrongEmoji.status).to.equal(401);
  });

  it('passwords are taken exactly as typed: a trailing space or different case does not sign in', async () => {
    await createUser(t, { username: 'dana', password: 'Жаңа құпия сөз 2026' });
    expect((await signIn(t, 'dana', 'Жаңа құпия сөз 2026 ')).res.status).to.equal(401);
    expect((await signIn(t, 'dana', 'жаңа құпия сөз 2026')).res.status).to.equal(401);
    expect((await signIn(t, 'dana', 'Жаңа құпия сөз 2026')).res.status).to.equal(303);
  });
});

describe('passwords: argon2id storage and rehashing', () => {
  let t: TestApp;
  let upgraded: TestApp | undefined;
  beforeEach(() => {
    t = createTestApp();
  });
  afterEach(() => {
    upgraded?.close();
    upgraded = undefined;
    t.close();
  });

  it('the users table stores an argon2id hash with the configured parameters and never the password', async () => {
    await createUser(t, { username: 'aigerim', password: 'correct horse battery staple' });
    const hash = storedHash(t, 'aigerim');
    expect(hash.startsWith('$argon2id$')).to.equal(true);
    expect(hash).to.match(/\$m=19456,p=1,t=2\$/);
    expect(hash).not.to.contain('correct horse');
  });

  it('a hash made with older parameters is upgraded at the next successful sign-in', async () => {
    await createUser(t, { username: 'aigerim', password: 'correct horse battery staple' });
    const before = storedHash(t, 'aigerim');
    expect(before).to.match(/[$,]t=2[$,]/);
    t.db.close();

    upgraded = createTestApp({ ARGON2_TIME_COST: '3' }, t.dir, t.clock);
    expect(upgraded.config.argon2.timeCost).to.equal(3);
    const { res } = await signIn(upgraded, 'aigerim', 'correct horse battery staple');
    expect(res.status).to.equal(303);

    const after = storedHash(upgraded, 'aigerim');
    expect(after).not.to.equal(before);
    expect(after.startsWith('$argon2id$')).to.equal(true);
    expect(after).to.match(/[$,]t=3[$,]/);
    // The upgraded hash still verifies the same password.
    expect((await signIn(upgraded, 'aigerim', 'correct horse battery staple')).res.status).to.equal(303);
  });

  it('a wrong password under new parameters leaves the old hash untouched', async () => {
    await createUser(t, { username: 'aigerim', password: 'correct horse battery staple' });
    const before = storedHash(t, 'aigerim');
    t.db.close();

    upgraded = createTestApp({ ARGON2_TIME_COST: '3' }, t.dir, t.clock);
    const { res } = await signIn(upgraded, 'aigerim', 'not the password at all');
    expect(res.status).to.equal(401);
    expect(storedHash(upgraded, 'aigerim')).to.equal(before);
  });

  it('a sign-in with unchanged parameters keeps the stored hash as it is', async () => {
    await createUser(t, { username: 'aigerim', password: 'correct horse battery staple' });
    const before = storedHash(t, 'aigerim');
    expect((await signIn(t, 'aigerim', 'correct horse battery staple')).res.status).to.equal(303);
    expect(storedHash(t, 'aigerim')).to.equal(before);
  });
});
