// The privacy policy page (/privacy) and the notice shown when its version changes: public, also
// before setup, in every language; the operator's details from config, escaped; the retention
// promises as the catalogs word them; linked from every page's footer and from the sign-in page;
// and the "Got it" acknowledgement, which needs a signed-in person and a CSRF token.
import { expect } from 'chai';
import type { CheerioAPI } from 'cheerio';
import type { Language } from '../../../src/db/schema.js';
import { LANGUAGES } from '../../../src/db/schema.js';
import { POLICY_UPDATED, POLICY_VERSION } from '../../../src/features/privacy/policy.js';
import { missingKeys, translatorFor } from '../../../src/i18n/index.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { $, agentFor, csrfFrom, signIn, type Agent } from '../../support/http.js';

const en = translatorFor('en');

/** Text as a person reads it: whitespace collapsed. */
const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

/** The policy date the way the views print it. */
const policyDate = (lang: Language): string => new Date(POLICY_UPDATED + 'T00:00:00Z').toLocaleDateString(lang, { timeZone: 'UTC', dateStyle: 'long' });

const ACCEPT: Record<Language, string> = { en: 'en-US,en;q=0.9', ru: 'ru-RU,ru;q=0.9,en;q=0.5', kk: 'kk-KZ,kk;q=0.9,ru;q=0.5' };

function policySeen(t: TestApp, userId: number): string | null {
  const row = t.db.sqlite.prepare('SELECT policy_seen FROM users WHERE id = ?').get(userId) as { policy_seen: string | null } | undefined;
  if (!row) throw new Error(`no user ${userId}`);
  return row.policy_seen;
}

function setPolicySeen(t: TestApp, userId: number, version: string | null): void {
  t.db.sqlite.prepare('UPDATE users SET policy_seen = ? WHERE id = ?').run(version, userId);
}

/** The list items of the "How long it is kept" section (the list after its heading). */
function keepItems(page: CheerioAPI): string[] {
  const lang = (page('html').attr('lang') ?? 'en') as Language;
  const heading = page('article h2')
    .filter((_i, el) => squash(page(el).text()) === translatorFor(lang)('privacy.policy.keepTitle'))
    .first();
  expect(heading, 'the "how long" heading').to.have.length(1);
  return heading
    .nextAll('ul')
    .first()
    .find('li')
    .toArray()
    .map((li) => squash(page(li).text()));
}

/** The acknowledgement forms on a page (banner and/or the one on /privacy). */
function ackForms(page: CheerioAPI) {
  return page('form[action="/privacy/acknowledge"]');
}

describe('privacy policy page', () => {
  let t: TestApp;
  afterEach(() => t.close());

  describe('public and in every language', () => {
    beforeEach(() => {
      missingKeys.clear();
      t = createTestApp();
    });

    it('GET /privacy answers 200 before the first owner exists, without a redirect to /setup', async () => {
      expect(t.services.setup.isNeeded()).to.equal(true);
      const res = await agentFor(t).get('/privacy');
      expect(res.status).to.equal(200);
      expect(res.headers['location']).to.equal(undefined);
      expect(res.headers['content-type']).to.match(/text\/html/);
      expect(squash($(res.text)('h1').text())).to.equal(en('privacy.policy.heading'));
      // The setup guard still applies elsewhere.
      const other = await agentFor(t).get('/login');
      expect(other.status).to.equal(303);
      expect(other.headers['location']).to.equal('/setup');
    });

    it('GET /privacy answers 200 without signing in once an owner exists (no redirect to /login)', async () => {
      await createUser(t, { username: 'aigerim' });
      const res = await agentFor(t).get('/privacy');
      expect(res.status).to.equal(200);
      expect(res.headers['location']).to.equal(undefined);
      const page = $(res.text);
      expect(squash(page('h1').text())).to.equal(en('privacy.policy.heading'));
      expect(squash(page('title').text())).to.equal(`${en('privacy.policy.title')} · Qanat`);
    });

    it('is English without an Accept-Language header', async () => {
      const res = await agentFor(t).get('/privacy');
      const page = $(res.text);
      expect(page('html').attr('lang')).to.equal('en');
      expect(squash(page('h1').text())).to.equal('Privacy policy');
    });

    for (const lang of LANGUAGES) {
      it(`renders in ${lang} from Accept-Language: lang attribute, heading, title and every section from the catalog`, async () => {
        const tr = translatorFor(lang);
        const res = await agentFor(t).get('/privacy').set('Accept-Language', ACCEPT[lang]);
        expect(res.status).to.equal(200);
        const page = $(res.text);
        expect(page('html').attr('lang')).to.equal(lang);
        expect(squash(page('h1').text())).to.equal(tr('privacy.policy.heading'));
        expect(squash(page('title').text())).to.equal(`${tr('privacy.policy.title')} · Qanat`);
        const h2 = page('article h2')
          .toArray()
          .map((el) => squash(page(el).text()));
        expect(h2).to.deep.equal(
          ['operatorTitle', 'whatTitle', 'keepTitle', 'protectTitle', 'shareTitle', 'rightsTitle'].map((key) => tr(`privacy.policy.${key}`)),
        );
        const body = squash(page('body').text());
        for (const key of ['whatTeam', 'whatInstagram', 'whatInbox', 'whatLogs', 'protect', 'share', 'rights']) {
          expect(body, key).to.contain(tr(`privacy.policy.${key}`));
        }
        expect(squash(page('article a[href="/data-deletion"]').text())).to.equal(tr('privacy.policy.deletionLink'));
        // No raw catalog key on screen, and none asked for that is missing.
        expect(body).not.to.match(/\bprivacy\.policy\.\w+/);
        expect([...missingKeys]).to.deep.equal([]);
      });
    }

    it('Russian and Kazakh headings differ from the English one (the catalogs are really translated)', () => {
      expect(translatorFor('ru')('privacy.policy.heading')).to.not.equal(en('privacy.policy.heading'));
      expect(translatorFor('kk')('privacy.policy.heading')).to.not.equal(en('privacy.policy.heading'));
      expect(translatorFor('ru')('privacy.policy.heading')).to.equal('Политика конфиденциальности');
      expect(translatorFor('kk')('privacy.policy.heading')).to.equal('Құпиялылық саясаты');
    });

    for (const lang of LANGUAGES) {
      it(`states the version and date from policy.ts (${lang})`, async () => {
        const res = await agentFor(t).get('/privacy').set('Accept-Language', ACCEPT[lang]);
        const page = $(res.text);
        const line = squash(page('.page-head .muted').text());
        expect(line).to.equal(translatorFor(lang)('privacy.policy.version', { version: POLICY_VERSION, date: policyDate(lang) }));
        expect(line).to.contain(POLICY_VERSION);
        expect(line).to.contain(POLICY_UPDATED.slice(0, 4));
      });
    }

    it('the English date reads as a date, not as the raw YYYY-MM-DD or "Invalid Date"', async () => {
      const res = await agentFor(t).get('/privacy');
      const line = squash($(res.text)('.page-head .muted').text());
      const [year, month, day] = POLICY_UPDATED.split('-').map(Number) as [number, number, number];
      const monthName = new Date(Date.UTC(year, month - 1, day)).toLocaleString('en', { month: 'long', timeZone: 'UTC' });
      expect(line).to.contain(`${monthName} ${day}, ${year}`);
      expect(line).not.to.contain('Invalid Date');
    });

    it('keeps the layout\'s app version: the footer shows Qanat <version> and the assets carry ?v=<version>', async () => {
      const res = await agentFor(t).get('/privacy');
      const page = $(res.text);
      // The handler's policy version must not replace the app version the layout prints.
      expect(squash(page('.footer__version').text())).to.equal(`Qanat ${t.config.version}`);
      expect(page('link[rel="stylesheet"]').attr('href')).to.equal(`/assets/css/app.css?v=${t.config.version}`);
      expect(page('script[src^="/assets/js/app.js"]').attr('src')).to.equal(`/assets/js/app.js?v=${t.config.version}`);
    });

    for (const lang of LANGUAGES) {
      it(`the version line and the notice read without a doubled full stop (${lang})`, async () => {
        const res = await agentFor(t).get('/privacy').set('Accept-Language', ACCEPT[lang]);
        const line = squash($(res.text)('.page-head .muted').text());
        expect(line).not.to.match(/\.\.$/);
        expect(translatorFor(lang)('privacy.policy.noticeText', { date: policyDate(lang) })).not.to.contain('..');
      });
    }

    it('POLICY_VERSION and POLICY_UPDATED are real YYYY-MM-DD dates', () => {
      for (const value of [POLICY_VERSION, POLICY_UPDATED]) {
        expect(value).to.match(/^\d{4}-\d{2}-\d{2}$/);
        expect(new Date(value + 'T00:00:00Z').toISOString().slice(0, 10)).to.equal(value);
      }
    });
  });

  describe('the operator details and retention from config', () => {
    it('shows the operator name, contact e-mail and server location, escaped', async () => {
      const name = 'Ltd <b>Bold</b> & "Sons" <script>alert(1)</script>';
      t = createTestApp({ PRIVACY_OPERATOR_NAME: name, PRIVACY_CONTACT_EMAIL: 'privacy@shop.example.kz', PRIVACY_SERVER_LOCATION: 'Almaty, <i>Kazakhstan</i>' });
      const res = await agentFor(t).get('/privacy');
      expect(res.status).to.equal(200);
      const page = $(res.text);
      const paragraphs = page('article p')
        .toArray()
        .map((p) => squash(page(p).text()));
      expect(paragraphs).to.include(en('privacy.policy.operator', { name }));
      expect(paragraphs).to.include(en('privacy.policy.contact', { email: 'privacy@shop.example.kz' }));
      expect(paragraphs).to.include(en('privacy.policy.location', { location: 'Almaty, <i>Kazakhstan</i>' }));
      expect(paragraphs).not.to.include(en('privacy.policy.operatorUnset'));
      // Shown as text, never as markup.
      expect(page('article b')).to.have.length(0);
      expect(page('article i')).to.have.length(0);
      expect(page('article script')).to.have.length(0);
      expect(page('script')
        .toArray()
        .every((s) => page(s).attr('src') !== undefined)).to.equal(true);
      expect(res.text).to.contain('Ltd &lt;b&gt;Bold&lt;/b&gt;');
      expect(res.text).not.to.contain('<b>Bold</b>');
    });

    it('shows them in Russian with the Russian sentence around them', async () => {
      t = createTestApp({ PRIVACY_OPERATOR_NAME: 'ТОО «Канат»', PRIVACY_CONTACT_EMAIL: 'dpo@qanat.example.kz', PRIVACY_SERVER_LOCATION: 'Алматы, Казахстан' });
      const ru = translatorFor('ru');
      const res = await agentFor(t).get('/privacy').set('Accept-Language', ACCEPT.ru);
      const body = squash($(res.text)('article').text());
      expect(body).to.contain(ru('privacy.policy.operator', { name: 'ТОО «Канат»' }));
      expect(body).to.contain(ru('privacy.policy.contact', { email: 'dpo@qanat.example.kz' }));
      expect(body).to.contain(ru('privacy.policy.location', { location: 'Алматы, Казахстан' }));
    });

    it('unset, says the operator has not entered their name and shows no contact or location line', async () => {
      t = createTestApp();
      const res = await agentFor(t).get('/privacy');
      const page = $(res.text);
      const paragraphs = page('article p')
        .toArray()
        .map((p) => squash(page(p).text()));
      expect(paragraphs).to.include(en('privacy.policy.operatorUnset'));
      const contactPrefix = en('privacy.policy.contact', { email: '' }).trim();
      const locationPrefix = en('privacy.policy.location', { location: '' }).trim();
      expect(paragraphs.some((p) => p.startsWith(contactPrefix))).to.equal(false);
      expect(paragraphs.some((p) => p.startsWith(locationPrefix))).to.equal(false);
      expect(squash(page('article').text())).not.to.contain('undefined');
    });

    it('empty variables (VAR= from docker-compose) count as unset', async () => {
      t = createTestApp({ PRIVACY_OPERATOR_NAME: '', PRIVACY_CONTACT_EMAIL: '', PRIVACY_SERVER_LOCATION: '' });
      const res = await agentFor(t).get('/privacy');
      const page = $(res.text);
      const body = squash(page('article').text());
      expect(body).to.contain(en('privacy.policy.operatorUnset'));
      expect(body).not.to.contain(en('privacy.policy.contact', { email: '' }).trim());
    });

    it('a contact e-mail alone shows the contact line next to the "not entered" sentence', async () => {
      t = createTestApp({ PRIVACY_CONTACT_EMAIL: 'owner@example.org' });
      const res = await agentFor(t).get('/privacy');
      const body = squash($(res.text)('article').text());
      expect(body).to.contain(en('privacy.policy.operatorUnset'));
      expect(body).to.contain(en('privacy.policy.contact', { email: 'owner@example.org' }));
    });

    it('states the audit and log retention days from config (AUDIT_RETENTION_DAYS=400, LOG_RETENTION_DAYS=14)', async () => {
      t = createTestApp({ AUDIT_RETENTION_DAYS: '400', LOG_RETENTION_DAYS: '14' });
      for (const lang of LANGUAGES) {
        const res = await agentFor(t).get('/privacy').set('Accept-Language', ACCEPT[lang]);
        const items = keepItems($(res.text));
        const expected = translatorFor(lang)('privacy.policy.keepLogs', { auditDays: 400, logDays: 14 });
        expect(items, lang).to.include(expected);
        expect(expected).to.contain('400');
        expect(expected).to.contain('14');
      }
    });

    it('states the defaults (365 audit days, 30 log days) when nothing is configured', async () => {
      t = createTestApp();
      const res = await agentFor(t).get('/privacy');
      const items = keepItems($(res.text));
      expect(items).to.include('Audit entries: 365 days. Server logs: removed within 30 days.');
    });
  });

  describe('the retention promises', () => {
    beforeEach(() => {
      t = createTestApp();
    });

    for (const lang of LANGUAGES) {
      it(`names each promise as the ${lang} catalog words it, in the "how long" list`, async () => {
        const tr = translatorFor(lang);
        const res = await agentFor(t).get('/privacy').set('Accept-Language', ACCEPT[lang]);
        const items = keepItems($(res.text));
        const promises: Array<[string, string[]]> = [
          ['keepInbox', ['24']],
          ['keepSnapshots', ['30', '729']],
          ['keepMedia', []],
          ['keepTokens', ['60']],
        ];
        for (const [key, numbers] of promises) {
          const text = tr(`privacy.policy.${key}`);
          expect(items, key).to.include(text);
          for (const n of numbers) expect(text, `${lang} ${key}`).to.match(new RegExp(`\\b${n}\\b`));
        }
      });
    }

    it('in English the promises say 24 hours, 30 days, 729 days and 60 days', async () => {
      const res = await agentFor(t).get('/privacy');
      const items = keepItems($(res.text));
      const find = (needle: RegExp): string | undefined => items.find((item) => needle.test(item));
      expect(find(/comments and direct messages/i)).to.contain('24 hours');
      expect(find(/Profile snapshots/)).to.contain('at most 30 days');
      expect(find(/follower counts/)).to.contain('at most 729 days');
      expect(find(/access tokens/i)).to.contain('60 days');
    });
  });

  describe('links to the policy', () => {
    beforeEach(() => {
      t = createTestApp();
    });

    function expectFooterLinks(html: string, where: string, lang: Language = 'en'): void {
      const page = $(html);
      const tr = translatorFor(lang);
      const privacy = page('footer a[href="/privacy"]');
      const deletion = page('footer a[href="/data-deletion"]');
      expect(privacy, `${where}: footer /privacy`).to.have.length(1);
      expect(deletion, `${where}: footer /data-deletion`).to.have.length(1);
      expect(squash(privacy.text()), where).to.equal(tr('layout.privacy'));
      expect(squash(deletion.text()), where).to.equal(tr('layout.deletion'));
    }

    it('the footer of the public pages links to /privacy and /data-deletion, also before setup', async () => {
      const agent = agentFor(t);
      for (const path of ['/setup', '/privacy', '/data-deletion', '/data-deletion/status?code=nothing']) {
        const res = await agent.get(path);
        expect(res.headers['content-type'], path).to.match(/text\/html/);
        expectFooterLinks(res.text, path);
      }
      await createUser(t, { username: 'aigerim' });
      for (const path of ['/login', '/privacy', '/no-such-page']) {
        const res = await agent.get(path);
        expect(res.headers['content-type'], path).to.match(/text\/html/);
        expectFooterLinks(res.text, path);
      }
    });

    it('the sign-in page links to /privacy in its body too, in each language', async () => {
      await createUser(t, { username: 'aigerim' });
      for (const lang of LANGUAGES) {
        const res = await agentFor(t).get('/login').set('Accept-Language', ACCEPT[lang]);
        expect(res.status).to.equal(200);
        const page = $(res.text);
        const link = page('main a[href="/privacy"]');
        expect(link, lang).to.have.length(1);
        expect(squash(link.text()), lang).to.equal(translatorFor(lang)('auth.privacyLink'));
        expectFooterLinks(res.text, `/login ${lang}`, lang);
      }
    });

    it('the footer of every signed-in page links to /privacy and /data-deletion', async () => {
      const owner = await createUser(t, { username: 'aigerim' });
      const { agent } = await signIn(t, 'aigerim');
      const paths = t.routes
        .filter((r) => r.method === 'get' && r.access === 'user' && r.path !== '/accounts/connect' && r.path !== '/inbox/events' && !r.path.endsWith('.json') && !r.path.includes(':mediaId'))
        .map((r) => r.path.replace(/:[A-Za-z]+/g, String(owner.id)))
        .concat(['/no-such-page', '/privacy', '/data-deletion']);
      let checked = 0;
      for (const path of paths) {
        const res = await agent.get(path);
        if (!/text\/html/.test(String(res.headers['content-type']))) continue;
        expectFooterLinks(res.text, path);
        checked += 1;
      }
      expect(checked).to.be.greaterThan(15);
    });
  });

  describe('the notice of a new version', () => {
    let userId: number;

    beforeEach(async () => {
      t = createTestApp();
      userId = (await createUser(t, { username: 'aigerim' })).id;
    });

    /** Signs in as someone who last saw an older version of the policy. */
    async function signInWithOldPolicy(version: string | null = '2000-01-01'): Promise<Agent> {
      setPolicySeen(t, userId, version);
      const { agent, res } = await signIn(t, 'aigerim');
      expect(res.status).to.equal(303);
      return agent;
    }

    it('a new user starts on the current version and sees no notice', async () => {
      expect(policySeen(t, userId)).to.equal(POLICY_VERSION);
      const { agent } = await signIn(t, 'aigerim');
      for (const path of ['/', '/settings', '/queue', '/privacy']) {
        const page = $((await agent.get(path)).text);
        expect(page('.notice'), path).to.have.length(0);
        expect(ackForms(page), path).to.have.length(0);
        expect(squash(page('body').text()), path).not.to.contain(en('privacy.policy.noticeText', { date: policyDate('en') }));
      }
    });

    it('an anonymous visitor sees no notice and no acknowledge button, also on /privacy', async () => {
      for (const path of ['/login', '/privacy']) {
        const page = $((await agentFor(t).get(path)).text);
        expect(page('.notice'), path).to.have.length(0);
        expect(ackForms(page), path).to.have.length(0);
      }
    });

    it('a user whose policy_seen is older sees the notice with a "Got it" form on their pages', async () => {
      const agent = await signInWithOldPolicy();
      for (const path of ['/', '/settings', '/queue', '/notifications']) {
        const res = await agent.get(path);
        expect(res.status, path).to.equal(200);
        const page = $(res.text);
        const notice = page('.notice');
        expect(notice, path).to.have.length(1);
        expect(squash(notice.text()), path).to.contain(en('privacy.policy.noticeText', { date: policyDate('en') }));
        expect(notice.find('a[href="/privacy"]').text().trim(), path).to.equal(en('privacy.policy.noticeRead'));
        const form = notice.find('form[action="/privacy/acknowledge"]');
        expect(form, path).to.have.length(1);
        expect(form.attr('method'), path).to.equal('post');
        expect(form.find('input[name="_csrf"]').attr('value'), path).to.be.a('string').and.not.equal('');
        expect(form.find('input[name="returnTo"]').attr('value'), path).to.equal(path);
        expect(squash(form.find('button[type="submit"]').text()), path).to.equal('Got it');
      }
    });

    it('a user who signed up before the policy existed (policy_seen NULL) sees the notice', async () => {
      const agent = await signInWithOldPolicy(null);
      expect($((await agent.get('/')).text)('.notice')).to.have.length(1);
    });

    it('the notice speaks the user\'s language', async () => {
      t.services.users.setLanguage({ id: userId, username: 'aigerim', role: 'owner' }, 'ru');
      const agent = await signInWithOldPolicy();
      const ru = translatorFor('ru');
      const notice = $((await agent.get('/settings')).text)('.notice');
      expect(squash(notice.text())).to.contain(ru('privacy.policy.noticeText', { date: policyDate('ru') }));
      expect(squash(notice.find('button').text())).to.equal(ru('privacy.policy.noticeAck'));
    });

    it('POST /privacy/acknowledge with CSRF answers 303 to returnTo, the notice is gone and policy_seen is POLICY_VERSION', async () => {
      const agent = await signInWithOldPolicy();
      const before = await agent.get('/settings');
      const form = $(before.text)('.notice form[action="/privacy/acknowledge"]');
      const res = await agent
        .post('/privacy/acknowledge')
        .type('form')
        .send({ _csrf: form.find('input[name="_csrf"]').attr('value'), returnTo: form.find('input[name="returnTo"]').attr('value') });
      expect(res.status).to.equal(303);
      expect(res.headers['location']).to.equal('/settings');
      expect(policySeen(t, userId)).to.equal(POLICY_VERSION);
      for (const path of ['/settings', '/', '/privacy']) {
        const page = $((await agent.get(path)).text);
        expect(page('.notice'), path).to.have.length(0);
        expect(ackForms(page), path).to.have.length(0);
      }
      // It stays acknowledged in a new session.
      const { agent: again } = await signIn(t, 'aigerim');
      expect($((await again.get('/')).text)('.notice')).to.have.length(0);
    });

    it('returnTo never leads off-site: //evil.example and https://evil.example fall back to /', async () => {
      const agent = await signInWithOldPolicy();
      for (const returnTo of ['//evil.example/x', 'https://evil.example/', '/\\evil.example']) {
        setPolicySeen(t, userId, '2000-01-01');
        const token = csrfFrom((await agent.get('/')).text);
        const res = await agent.post('/privacy/acknowledge').type('form').send({ _csrf: token, returnTo });
        expect(res.status, returnTo).to.equal(303);
        expect(res.headers['location'], returnTo).to.equal('/');
        expect(policySeen(t, userId)).to.equal(POLICY_VERSION);
      }
    });

    it('without CSRF answers 403 and changes nothing', async () => {
      const agent = await signInWithOldPolicy();
      const res = await agent.post('/privacy/acknowledge').type('form').send({ returnTo: '/settings' });
      expect(res.status).to.equal(403);
      const wrong = await agent.post('/privacy/acknowledge').type('form').send({ _csrf: 'not-the-token', returnTo: '/settings' });
      expect(wrong.status).to.equal(403);
      expect(policySeen(t, userId)).to.equal('2000-01-01');
      expect($((await agent.get('/settings')).text)('.notice')).to.have.length(1);
    });

    it('a cross-site POST with the right token is refused too (Origin check)', async () => {
      const agent = await signInWithOldPolicy();
      const token = csrfFrom((await agent.get('/')).text);
      const res = await agent.post('/privacy/acknowledge').set('Origin', 'https://evil.example').type('form').send({ _csrf: token, returnTo: '/' });
      expect(res.status).to.equal(403);
      expect(policySeen(t, userId)).to.equal('2000-01-01');
    });

    it('an anonymous POST is sent to /login and changes nothing', async () => {
      setPolicySeen(t, userId, '2000-01-01');
      const agent = agentFor(t);
      const token = csrfFrom((await agent.get('/login')).text);
      const res = await agent.post('/privacy/acknowledge').type('form').send({ _csrf: token, returnTo: '/' });
      expect(res.status).to.equal(303);
      expect(res.headers['location']).to.equal('/login');
      expect(policySeen(t, userId)).to.equal('2000-01-01');
    });

    it('on /privacy the banner is not shown, but the page offers the acknowledge button', async () => {
      const agent = await signInWithOldPolicy();
      const res = await agent.get('/privacy');
      expect(res.status).to.equal(200);
      const page = $(res.text);
      expect(page('.notice')).to.have.length(0);
      const forms = ackForms(page);
      expect(forms).to.have.length(1);
      expect(forms.closest('main')).to.have.length(1);
      expect(squash(forms.text())).to.contain(en('privacy.policy.noticeText', { date: policyDate('en') }));
      expect(squash(forms.find('button[type="submit"]').text())).to.equal(en('privacy.policy.noticeAck'));
      const token = forms.find('input[name="_csrf"]').attr('value');
      const returnTo = forms.find('input[name="returnTo"]').attr('value');
      const ack = await agent.post('/privacy/acknowledge').type('form').send({ _csrf: token, returnTo });
      expect(ack.status).to.equal(303);
      expect(ack.headers['location']).to.equal(returnTo);
      expect(policySeen(t, userId)).to.equal(POLICY_VERSION);
      const after = $((await agent.get('/privacy')).text);
      expect(ackForms(after)).to.have.length(0);
    });

    it('acknowledging affects only the person who clicked', async () => {
      const other = await createUser(t, { username: 'marat', role: 'editor' });
      setPolicySeen(t, other.id, '2000-01-01');
      const agent = await signInWithOldPolicy();
      const token = csrfFrom((await agent.get('/')).text);
      await agent.post('/privacy/acknowledge').type('form').send({ _csrf: token, returnTo: '/' });
      expect(policySeen(t, userId)).to.equal(POLICY_VERSION);
      expect(policySeen(t, other.id)).to.equal('2000-01-01');
      const { agent: marat } = await signIn(t, 'marat');
      expect($((await marat.get('/')).text)('.notice')).to.have.length(1);
    });
  });
});
