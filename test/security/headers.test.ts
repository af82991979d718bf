// security.md Parameters (CSP, authenticated pages, session cookie) and issue 12: the headers a
// browser finally gets, on one response of every kind Qanat sends (signed-in page, public page,
// error pages, JSON, CSV, a file download, public media, webhook answers, redirects), checked
// against security.md — the CSP directive by directive, so a widened or added directive fails —
// plus the login cookie in production and the Traefik configuration in front of the app.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { parse } from 'yaml';
import { signatureOf } from '../../src/features/engagement/webhooks.service.js';
import { projectRoot } from '../../src/paths.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { photo, postIdFrom, submit, type Studio } from '../support/content.js';
import { createAccount, createUser, PASSWORD } from '../support/factories.js';
import { agentFor, csrfFrom, signIn, type Agent } from '../support/http.js';

type Headers = Record<string, unknown>;
interface Answer {
  status: number;
  headers: Headers;
}

/**
 * security.md's CSP, plus what src/http/security.ts documents on top of it: Instagram's CDN hosts
 * for images (analytics thumbnails are not proxied), media-src for the composer's video preview
 * and manifest-src. Every directive and every source is pinned: nothing more may appear.
 */
const CSP: ReadonlyArray<readonly [string, readonly string[]]> = [
  ['default-src', ["'none'"]],
  ['script-src', ["'self'"]],
  ['style-src', ["'self'"]],
  ['img-src', ["'self'", 'data:', 'blob:', 'https://*.cdninstagram.com', 'https://*.fbcdn.net']],
  ['media-src', ["'self'"]],
  ['font-src', ["'self'"]],
  ['connect-src', ["'self'"]],
  ['form-action', ["'self'"]],
  ['frame-ancestors', ["'none'"]],
  ['base-uri', ["'none'"]],
  ['object-src', ["'none'"]],
  ['manifest-src', ["'self'"]],
];

/** The header as directive → sources; a directive named twice fails (a browser would keep only the first). */
function directivesOf(header: unknown, where: string): Map<string, string[]> {
  expect(header, `${where}: one Content-Security-Policy header`).to.be.a('string');
  const directives = new Map<string, string[]>();
  for (const part of String(header).split(';').map((d) => d.trim()).filter(Boolean)) {
    const [name = '', ...sources] = part.split(/\s+/);
    expect(directives.has(name.toLowerCase()), `${where}: ${name} appears once`).to.equal(false);
    directives.set(name.toLowerCase(), sources);
  }
  return directives;
}

function expectCsp(res: Answer, where: string, production = false): void {
  const expected = new Map(CSP.map(([name, sources]) => [name, [...sources]]));
  // Over HTTPS the app adds upgrade-insecure-requests (it has no sources).
  if (production) expected.set('upgrade-insecure-requests', []);
  expect(Object.fromEntries(directivesOf(res.headers['content-security-policy'], where)), `${where}: Content-Security-Policy`).to.deep.equal(Object.fromEntries(expected));
  expect(res.headers['content-security-policy-report-only'], `${where}: no report-only policy beside it`).to.equal(undefined);
}

/**
 * What every answer carries: the exact CSP, nosniff, the referrer policy, no framing, no
 * framework banner. X-Frame-Options is the fallback for browsers without frame-ancestors; it must
 * be there and never allow another site (DENY or SAMEORIGIN; Traefik sends DENY in front).
 */
function expectBaseHeaders(res: Answer, where: string, production = false): void {
  expectCsp(res, where, production);
  expect(res.headers['x-content-type-options'], `${where}: X-Content-Type-Options`).to.equal('nosniff');
  expect(res.headers['referrer-policy'], `${where}: Referrer-Policy`).to.equal('same-origin');
  expect(String(res.headers['x-frame-options']), `${where}: X-Frame-Options`).to.match(/^(DENY|SAMEORIGIN)$/);
  expect(res.headers['x-powered-by'], `${where}: no X-Powered-By`).to.equal(undefined);
}

/** Authenticated and token-bearing answers are never stored by a browser or a proxy. */
function expectNoStore(res: Answer, where: string): void {
  expect(res.headers['cache-control'], `${where}: Cache-Control`).to.equal('no-store');
}

/** Answers meant for machines (probes, Meta) must not start a session. */
function expectNoCookie(res: Answer, where: string): void {
  expect(res.headers['set-cookie'], `${where}: no Set-Cookie`).to.equal(undefined);
}

describe('response headers on every kind of answer (security.md P-csp, P-authenticated-pages)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let owner: Agent;
  let viewer: Agent;
  let postId: number;
  let mediaId: number;
  let publicToken: string;

  before(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim', role: 'owner' });
    await createUser(t, { username: 'vera', role: 'viewer' });
    const account = createAccount(t);
    owner = (await signIn(t, 'aigerim')).agent;
    viewer = (await signIn(t, 'vera')).agent;
    // A scheduled photo: its preparation file is downloadable when signed in, and live at /m/<token>.
    const studio: Studio = { t, agent: owner, accountId: account.id, csrf: csrfFrom((await owner.get('/queue')).text) };
    const res = await submit(studio, '/compose', {
      fields: { type: 'feed', caption: 'Headers', date: '2026-02-01', time: '10:00', timeZone: 'UTC', action: 'schedule' },
      files: [{ name: 'p.jpg', bytes: await photo(1080, 1350) }],
    });
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    postId = postIdFrom(res.headers['location']);
    await t.services.mediaWorker.idle();
    const media = t.services.posts.repo.mediaOf(postId)[0];
    expect(media?.status, 'the photo is prepared').to.equal('ready');
    mediaId = media?.id as number;
    publicToken = media?.publicToken as string;
    expect(t.services.posts.get(postId).state).to.equal('scheduled');
  });
  after(() => t.close());

  it('a signed-in HTML page (GET /) carries the exact CSP, nosniff, same-origin referrer, no framing and no-store', async () => {
    const res = await owner.get('/');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^text\/html/);
    expectBaseHeaders(res, 'GET /');
    expectNoStore(res, 'GET /');
  });

  it('public HTML pages (GET /login, /privacy, /data-deletion) carry the same headers, and no-store (they hold a CSRF token)', async () => {
    for (const url of ['/login', '/privacy', '/data-deletion']) {
      const res = await agentFor(t).get(url);
      expect(res.status, url).to.equal(200);
      expect(res.headers['content-type'], url).to.match(/^text\/html/);
      expectBaseHeaders(res, url);
      expectNoStore(res, url);
    }
  });

  it('error pages (404 anonymous and signed in, 403 for a viewer) carry the same headers and no-store', async () => {
    const answers: Array<[string, Answer, number]> = [
      ['anonymous GET /nowhere', await agentFor(t).get('/nowhere'), 404],
      ['signed-in GET /nowhere', await owner.get('/nowhere'), 404],
      ['signed-in GET /posts/999999', await owner.get('/posts/999999'), 404],
      ['viewer GET /settings/users', await viewer.get('/settings/users'), 403],
    ];
    for (const [where, res, status] of answers) {
      expect(res.status, where).to.equal(status);
      expect(String(res.headers['content-type']), where).to.match(/^text\/html/);
      expectBaseHeaders(res, where);
      expectNoStore(res, where);
    }
  });

  it('JSON answers (GET /posts/:id/media.json signed in, GET /healthz bare) carry the same headers and no-store; /healthz sets no cookie', async () => {
    const status = await owner.get(`/posts/${postId}/media.json`);
    expect(status.status).to.equal(200);
    expect(status.headers['content-type']).to.match(/^application\/json/);
    expectBaseHeaders(status, 'media.json');
    expectNoStore(status, 'media.json');

    const health = await request(t.app).get('/healthz');
    expect(health.status).to.equal(200);
    expect(health.headers['content-type']).to.match(/^application\/json/);
    expectBaseHeaders(health, '/healthz');
    expectNoStore(health, '/healthz');
    expectNoCookie(health, '/healthz');
  });

  it('CSV exports (GET /settings/audit.csv, /analytics/export/daily) carry the same headers and no-store', async () => {
    for (const url of ['/settings/audit.csv', '/analytics/export/daily']) {
      const res = await owner.get(url);
      expect(res.status, `${url}: ${res.text.slice(0, 300)}`).to.equal(200);
      expect(res.headers['content-type'], url).to.match(/^text\/csv/);
      expectBaseHeaders(res, url);
      expectNoStore(res, url);
    }
  });

  it('the data export download (POST /settings/export, a ZIP) carries the same headers and no-store', async () => {
    const token = csrfFrom((await owner.get('/settings/export')).text);
    const res = await owner.post('/settings/export').type('form').send({ _csrf: token }).buffer(true).parse((r, done) => {
      r.on('data', () => undefined);
      r.on('end', () => done(null, null));
    });
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/zip/);
    expectBaseHeaders(res, 'POST /settings/export');
    expectNoStore(res, 'POST /settings/export');
  });

  it('a prepared file download for signed-in people (GET /posts/:id/media/:mediaId/output) carries the same headers and no-store', async () => {
    const url = `/posts/${postId}/media/${mediaId}/output`;
    const res = await owner.get(url).responseType('blob');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^image\/jpeg/);
    expectBaseHeaders(res, url);
    expectNoStore(res, url);
  });

  it('public media (GET /m/<token>, the token is the credential) carries the same headers, no-store and noindex, and sets no cookie; so does its 404', async () => {
    const res = await request(t.app).get(`/m/${publicToken}`).responseType('blob');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^image\/jpeg/);
    expectBaseHeaders(res, '/m/<token>');
    expectNoStore(res, '/m/<token>');
    expect(res.headers['x-robots-tag']).to.equal('noindex');
    expectNoCookie(res, '/m/<token>');

    const missing = await request(t.app).get(`/m/${'A'.repeat(32)}`);
    expect(missing.status).to.equal(404);
    expectBaseHeaders(missing, '/m/<guessed>');
    expectNoStore(missing, '/m/<guessed>');
    expectNoCookie(missing, '/m/<guessed>');
  });

  it('webhook answers (GET handshake, signed POST, unsigned POST) carry the same headers and set no cookie; the handshake is no-store', async () => {
    const settings = t.services.webhooks.settings;
    const challenge = await request(t.app).get('/webhooks/instagram').query({ 'hub.mode': 'subscribe', 'hub.verify_token': settings.verifyToken, 'hub.challenge': '1158201444' });
    expect(challenge.status).to.equal(200);
    expect(challenge.text).to.equal('1158201444');
    expectBaseHeaders(challenge, 'GET /webhooks/instagram');
    expectNoStore(challenge, 'GET /webhooks/instagram');
    expectNoCookie(challenge, 'GET /webhooks/instagram');

    // Sent as a string: superagent passes it through byte for byte, so the signature covers what arrives.
    const raw = JSON.stringify({ object: 'instagram', entry: [] });
    const signed = await request(t.app).post('/webhooks/instagram').set('Content-Type', 'application/json').set('X-Hub-Signature-256', signatureOf(settings.secret, Buffer.from(raw))).send(raw);
    expect(signed.status).to.equal(200);
    expect(signed.headers['content-type']).to.match(/^application\/json/);
    expectBaseHeaders(signed, 'signed POST /webhooks/instagram');
    expectNoCookie(signed, 'signed POST /webhooks/instagram');

    const unsigned = await request(t.app).post('/webhooks/instagram').set('Content-Type', 'application/json').send(raw);
    expect(unsigned.status).to.equal(401);
    expectBaseHeaders(unsigned, 'unsigned POST /webhooks/instagram');
    expectNoCookie(unsigned, 'unsigned POST /webhooks/instagram');
  });

  it('redirects (303 to /login for an anonymous visitor, 303 after signing in) carry the same headers and no-store', async () => {
    const anonymous = await agentFor(t).get('/settings');
    expect(anonymous.status).to.equal(303);
    expect(anonymous.headers['location']).to.equal('/login');
    expectBaseHeaders(anonymous, 'GET /settings anonymous');
    expectNoStore(anonymous, 'GET /settings anonymous');

    const { res: signedIn } = await signIn(t, 'aigerim');
    expect(signedIn.status).to.equal(303);
    expectBaseHeaders(signedIn, 'POST /login');
    expectNoStore(signedIn, 'POST /login');
  });

  it('every GET route of the route table, opened by the owner with real ids, answers with the exact CSP, nosniff and no framing', async () => {
    const ids: Record<string, string> = { id: String(postId), mediaId: String(mediaId), variant: 'output', token: publicToken, series: 'daily' };
    let walked = 0;
    for (const route of t.routes.filter((r) => r.method === 'get')) {
      // The event stream stays open while an account exists; its headers are the same middleware's.
      if (route.path === '/inbox/events') continue;
      const url = route.path.replace(/:(\w+)/g, (_all, name: string) => ids[name] ?? '1');
      const res = route.access === 'user' ? await owner.get(url).responseType('blob') : await request(t.app).get(url).responseType('blob');
      expectBaseHeaders(res, `GET ${url} (${res.status})`);
      walked += 1;
    }
    expect(walked).to.be.greaterThan(30);
  });

  it('a 500 page (a database write that fails) carries the same headers and no-store', async () => {
    // Its own app: the audit table is dropped to make the write fail (as test/features/http/errors.test.ts does).
    const broken = createTestApp();
    try {
      await createUser(broken, { username: 'aigerim' });
      const { agent } = await signIn(broken, 'aigerim');
      const token = csrfFrom((await agent.get('/settings')).text);
      broken.db.sqlite.exec('DROP TABLE audit_log');
      const res = await agent.post('/language').type('form').send({ _csrf: token, language: 'ru', returnTo: '/settings' });
      expect(res.status).to.equal(500);
      expect(res.headers['content-type']).to.match(/^text\/html/);
      expectBaseHeaders(res, '500 page');
      expectNoStore(res, '500 page');
    } finally {
      broken.close();
    }
  });
});

describe('production headers and the login cookie (security.md P-session-cookie, P-csp)', function () {
  this.timeout(60_000);
  let t: TestApp;

  before(async () => {
    // Production behind Traefik: an https PUBLIC_URL, one trusted proxy hop that says the request came over HTTPS.
    t = createTestApp({ NODE_ENV: 'production', PUBLIC_URL: 'https://qanat.example.com', TRUST_PROXY_HOPS: '1' });
    await createUser(t, { username: 'aigerim' });
  });
  after(() => t.close());

  const setCookies = (res: Answer): string[] => (res.headers['set-cookie'] as string[] | undefined) ?? [];

  it('in production the sign-in Set-Cookie is __Host-qanat.sid with Secure, HttpOnly, SameSite=Lax, Path=/, no Domain and no lifetime', async () => {
    expect(t.config.env).to.equal('production');
    const form = await request(t.app).get('/login').set('X-Forwarded-Proto', 'https');
    expect(form.status).to.equal(200);
    const preLogin = setCookies(form).find((c) => c.startsWith('__Host-qanat.sid='))?.split(';')[0];
    expect(preLogin, 'the form sets the session cookie').to.be.a('string');
    const res = await request(t.app)
      .post('/login')
      .set('X-Forwarded-Proto', 'https')
      .set('Cookie', preLogin as string)
      .type('form')
      .send({ _csrf: csrfFrom(form.text), username: 'aigerim', password: PASSWORD });
    expect(res.status).to.equal(303);
    const cookies = setCookies(res);
    expect(cookies.map((c) => c.split('=')[0]), 'exactly one cookie, the session').to.deep.equal(['__Host-qanat.sid']);
    const attributes = (cookies[0] ?? '')
      .split(';')
      .slice(1)
      .map((a) => a.trim().toLowerCase())
      .sort();
    expect(attributes).to.deep.equal(['httponly', 'path=/', 'samesite=lax', 'secure']);
  });

  it('in production every page also carries the exact CSP with upgrade-insecure-requests, and HSTS of at least a year', async () => {
    for (const url of ['/login', '/privacy', '/nowhere', '/healthz']) {
      const res = await request(t.app).get(url).set('X-Forwarded-Proto', 'https');
      expectBaseHeaders(res, `production ${url}`, true);
      const hsts = String(res.headers['strict-transport-security'] ?? '');
      const maxAge = Number(/max-age=(\d+)/.exec(hsts)?.[1] ?? 0);
      expect(maxAge, `production ${url}: HSTS max-age`).to.be.at.least(31_536_000);
    }
  });
});

type Doc = Record<string, unknown>;

/** A nested value by path; fails with the path when a level is missing. */
function at(doc: unknown, ...keys: string[]): unknown {
  let value = doc;
  for (const [i, key] of keys.entries()) {
    expect(value, `${keys.slice(0, i).join('.') || 'document'} is an object`).to.be.an('object');
    value = (value as Doc)[key];
  }
  return value;
}

describe('Traefik in front of the app: HTTPS only, HSTS, headers on every router', () => {
  const traefik = parse(fs.readFileSync(path.join(projectRoot, 'traefik/traefik.yml'), 'utf8')) as Doc;
  const dynamic = parse(fs.readFileSync(path.join(projectRoot, 'traefik/dynamic/qanat.yml'), 'utf8')) as Doc;

  it('the web entry point (port 80) redirects every request permanently to websecure over https, and routes nothing itself', () => {
    expect(at(traefik, 'entryPoints', 'web', 'address')).to.equal(':80');
    expect(at(traefik, 'entryPoints', 'web', 'http', 'redirections', 'entryPoint')).to.deep.equal({ to: 'websecure', scheme: 'https', permanent: true });
    expect(at(traefik, 'entryPoints', 'websecure', 'address')).to.equal(':443');
    const routers = at(dynamic, 'http', 'routers') as Record<string, Doc>;
    for (const [name, router] of Object.entries(routers)) expect(router['entryPoints'], `${name} listens on websecure only`).to.deep.equal(['websecure']);
  });

  it('the security-headers middleware sends HSTS of at least a year with includeSubDomains (forced), nosniff, frame deny and the same referrer policy as the app', () => {
    const headers = at(dynamic, 'http', 'middlewares', 'security-headers', 'headers') as Doc;
    expect(headers['stsSeconds']).to.be.a('number').and.at.least(31_536_000);
    expect(headers['stsIncludeSubdomains']).to.equal(true);
    expect(headers['forceSTSHeader'], 'HSTS even on answers Traefik sees as plain HTTP from the app').to.equal(true);
    expect(headers['contentTypeNosniff']).to.equal(true);
    expect(headers['frameDeny']).to.equal(true);
    expect(headers['referrerPolicy']).to.equal('same-origin');
    // Only headers that remove banners; nothing that could loosen what the app sends.
    expect(headers['customResponseHeaders']).to.deep.equal({ Server: '', 'X-Powered-By': '' });
    expect(headers, 'Traefik does not replace the app’s CSP').to.not.have.property('contentSecurityPolicy');
  });

  it('every router uses the security-headers middleware and TLS with the Let’s Encrypt resolver, which exists', () => {
    const routers = at(dynamic, 'http', 'routers') as Record<string, Doc>;
    expect(Object.keys(routers).length).to.be.greaterThan(0);
    for (const [name, router] of Object.entries(routers)) {
      expect(router['middlewares'], `${name}: middlewares`).to.include('security-headers');
      expect(at(router, 'tls', 'certResolver'), `${name}: TLS resolver`).to.equal('letsencrypt');
    }
    expect(at(traefik, 'entryPoints', 'websecure', 'http', 'tls', 'certResolver')).to.equal('letsencrypt');
    expect(at(traefik, 'certificatesResolvers', 'letsencrypt', 'acme', 'storage')).to.be.a('string');
    expect(at(dynamic, 'tls', 'options', 'default', 'minVersion')).to.equal('VersionTLS12');
  });
});
