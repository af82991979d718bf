// Usernames may be written in Cyrillic and Kazakh letters; "usernames match regardless of case"
// has to hold for them too, or one person ends up with two accounts sharing one throttle bucket.
import { expect } from 'chai';
import { Invalid } from '../../../src/errors.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser, PASSWORD } from '../../support/factories.js';
import { signIn } from '../../support/http.js';

describe('non-Latin usernames', () => {
  let t: TestApp;
  beforeEach(() => {
    t = createTestApp();
  });
  afterEach(() => t.close());

  it('a Cyrillic username signs in with the exact spelling it was created with', async () => {
    await createUser(t, { username: 'Айгерим' });
    expect((await signIn(t, 'Айгерим', PASSWORD)).res.status).to.equal(303);
  });

  it('a Cyrillic username signs in regardless of case, like a Latin one', async () => {
    await createUser(t, { username: 'Айгерим' });
    expect((await signIn(t, 'айгерим', PASSWORD)).res.status).to.equal(303);
    expect((await signIn(t, 'АЙГЕРИМ', PASSWORD)).res.status).to.equal(303);
  });

  it('a Kazakh username differing only in case cannot be created twice', async () => {
    await createUser(t, { username: 'Ұлжан' });
    let error: unknown;
    try {
      await createUser(t, { username: 'ұлжан' });
    } catch (caught) {
      error = caught;
    }
    expect(error).to.be.instanceOf(Invalid);
    expect((error as Invalid).fieldErrors).to.deep.equal({ username: 'form.error.usernameTaken' });
  });
});
