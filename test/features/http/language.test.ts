// Choosing the interface language: anonymous visitors keep it in the session, signed-in people
// keep it as a setting, and the form's returnTo never leads off-site.
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { $, agentFor, csrfToken, signIn, type Agent } from '../../support/http.js';

const htmlLang = (html: string): string | undefined => $(html)('html').attr('lang');

async function chooseLanguage(agent: Agent, language: string, returnTo: string, from = '/login') {
  const token = await csrfToken(agent, from);
  return agent.post('/language').type('form').send({ _csrf: token, language, returnTo });
}

describe('interface language', () => {
  let t: TestApp;
  let ownerId: number;

  beforeEach(async () => {
    t = createTestApp();
    ownerId = (await createUser(t, { username: 'aigerim', role: 'owner' })).id;
  });
  afterEach(() => t.close());

  it('GET /login renders English with no Accept-Language header', async () => {
    const res = await agentFor(t).get('/login');
    expect(htmlLang(res.text)).to.equal('en');
    expect($(res.text)('h1').text()).to.equal('Sign in to Qanat');
  });

  it('GET /login with Accept-Language: ru renders Russian for an anonymous visitor', async () => {
    const res = await agentFor(t).get('/login').set('Accept-Language', 'ru-RU,ru;q=0.9,en;q=0.5');
    expect(htmlLang(res.text)).to.equal('ru');
    expect($(res.text)('title').text()).to.equal('Вход · Qanat');
    expect(res.headers['vary']).to.match(/accept-language/i);
  });

  it('GET /login with an unsupported Accept-Language falls back to English', async () => {
    const res = await agentFor(t).get('/login').set('Accept-Language', 'de-DE,fr;q=0.8');
    expect(htmlLang(res.text)).to.equal('en');
  });

  it('POST /language with language=kk makes /login render in Kazakh for an anonymous visitor', async () => {
    const agent = agentFor(t);
    const res = await chooseLanguage(agent, 'kk', '/login');
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/login');
    const page = await agent.get('/login').set('Accept-Language', 'ru');
    expect(htmlLang(page.text)).to.equal('kk');
    expect($(page.text)('title').text()).to.equal('Кіру · Qanat');
  });

  it('POST /language with an unknown language falls back to English', async () => {
    const agent = agentFor(t);
    await chooseLanguage(agent, 'xx', '/login');
    const page = await agent.get('/login').set('Accept-Language', 'ru');
    expect(htmlLang(page.text)).to.equal('en');
  });

  it('POST /language for a signed-in person is stored in users.language and survives a new sign-in', async () => {
    const { agent } = await signIn(t, 'aigerim');
    const res = await chooseLanguage(agent, 'kk', '/settings', '/settings');
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/settings');
    expect(t.services.users.findById(ownerId)?.language).to.equal('kk');
    expect(htmlLang((await agent.get('/settings')).text)).to.equal('kk');
    expect(t.services.audit.recent().map((row) => row.kind)).to.include('user.language.changed');

    // A different browser that prefers Russian still gets the stored choice after signing in.
    const other = agentFor(t);
    await signIn(t, 'aigerim', undefined, other);
    const home = await other.get('/').set('Accept-Language', 'ru');
    expect(home.status).to.equal(200);
    expect(htmlLang(home.text)).to.equal('kk');
  });

  it('the language chosen while signed in stays on the sign-in page after signing out', async () => {
    const { agent } = await signIn(t, 'aigerim');
    await chooseLanguage(agent, 'ru', '/settings', '/settings');
    const token = await csrfToken(agent, '/settings');
    const out = await agent.post('/logout').type('form').send({ _csrf: token });
    expect(out.headers['location']).to.equal('/login');
    expect(htmlLang((await agent.get('/login')).text)).to.equal('ru');
  });

  for (const returnTo of ['//evil.example', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', '']) {
    it(`POST /language with returnTo=${JSON.stringify(returnTo)} redirects to / and not off-site`, async () => {
      const res = await chooseLanguage(agentFor(t), 'ru', returnTo);
      expect(res.status).to.equal(303);
      expect(res.headers['location']).to.equal('/');
    });
  }

  it('POST /language with a same-site returnTo goes back to that page', async () => {
    const res = await chooseLanguage(agentFor(t), 'ru', '/login');
    expect(res.headers['location']).to.equal('/login');
  });

  it('every page’s language form returns to the page it is on', async () => {
    const res = await agentFor(t).get('/login');
    const form = $(res.text)('form[action="/language"]');
    expect(form.attr('method')).to.equal('post');
    expect(form.find('input[name="returnTo"]').attr('value')).to.equal('/login');
    expect(form.find('input[name="_csrf"]').attr('value')).to.be.a('string').and.not.equal('');
  });
});
