import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser, PASSWORD } from '../../support/factories.js';
import { $, agentFor, signIn } from '../../support/http.js';

describe('sign-in', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim' });
  });
  afterEach(() => t.close());

  it('GET / redirects an anonymous visitor to /login', async () => {
    const res = await agentFor(t).get('/');
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/login');
  });

  it('POST /login with the right password reaches the dashboard', async () => {
    const { agent, res } = await signIn(t, 'aigerim');
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/');
    const home = await agent.get('/');
    expect(home.status).to.equal(200);
    expect($(home.text)('h1').text()).to.contain('aigerim');
  });

  it('POST /login with a wrong password re-renders the form with the username and an error', async () => {
    const { res } = await signIn(t, 'aigerim', 'not the password at all');
    expect(res.status).to.equal(401);
    const page = $(res.text);
    expect(page('input[name="username"]').attr('value')).to.equal('aigerim');
    expect(page('[role="alert"]').text()).to.contain('not correct');
  });

  it('usernames match regardless of case', async () => {
    const { res } = await signIn(t, 'AIGERIM', PASSWORD);
    expect(res.status).to.equal(303);
  });
});
