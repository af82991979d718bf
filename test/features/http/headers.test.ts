// The health probe stays bare (no session, no cookie); pages carry the caching and content
// security headers from security.md's parameters table.
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { agentFor, signIn } from '../../support/http.js';

const sessionRows = (t: TestApp): number => (t.db.sqlite.prepare('SELECT count(*) AS n FROM sessions').get() as { n: number }).n;

describe('GET /healthz', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim' });
  });
  afterEach(() => t.close());

  it('answers 200 JSON with status, version and database ok', async () => {
    const res = await agentFor(t).get('/healthz');
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^application\/json/);
    expect(res.body).to.deep.equal({ status: 'ok', version: t.config.version, database: 'ok' });
    expect(res.headers['cache-control']).to.equal('no-store');
  });

  it('creates no session row and sends no Set-Cookie header, however often it is called', async () => {
    const before = sessionRows(t);
    for (let i = 0; i < 5; i += 1) {
      const res = await agentFor(t).get('/healthz');
      expect(res.headers['set-cookie']).to.equal(undefined);
    }
    expect(sessionRows(t)).to.equal(before);
  });

  it('answers 200 before setup too (a probe must not be redirected to /setup)', async () => {
    const fresh = createTestApp();
    try {
      const res = await agentFor(fresh).get('/healthz');
      expect(res.status).to.equal(200);
      expect(res.headers['set-cookie']).to.equal(undefined);
    } finally {
      fresh.close();
    }
  });

  it('is not written to the request log (a probe every few seconds would drown it)', async () => {
    await agentFor(t).get('/healthz');
    expect(t.logs.text).to.not.contain('/healthz');
  });
});

describe('page headers', () => {
  let t: TestApp;
  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim' });
  });
  afterEach(() => t.close());

  it('every signed-in GET page carries Cache-Control: no-store', async () => {
    const other = await createUser(t, { username: 'dana', role: 'editor' });
    const { agent } = await signIn(t, 'aigerim');
    for (const route of t.routes.filter((r) => r.access === 'user' && r.method === 'get')) {
      const res = await agent.get(route.path.replace(':id', String(other.id)));
      // /accounts/connect redirects to Instagram; /accounts/callback without a state shows a refusal page.
      // No Instagram account exists here, so /accounts/:id pages answer 404 (still never cached).
      // Likewise no post exists, so /posts/:id pages answer 404.
      // Inbox pages of a comment or conversation that does not exist answer 404; the event stream without an account 204;
      // a backup download of a name that is no backup 404.
      const expected = { '/accounts/connect': 303, '/accounts/callback': 400, '/inbox/events': 204 }[route.path] ?? (/^\/((accounts|posts)\/:id|inbox\/\w+\/:|analytics\/export\/:|settings\/system\/backups\/:)/.test(route.path) ? 404 : 200);
      expect(res.status, route.path).to.equal(expected);
      expect(res.headers['cache-control'], route.path).to.equal('no-store');
    }
  });

  it('the sign-in page carries Cache-Control: no-store (it holds a CSRF token)', async () => {
    const res = await agentFor(t).get('/login');
    expect(res.headers['cache-control']).to.equal('no-store');
  });

  it("the Content-Security-Policy allows script-src 'self' only, with no 'unsafe-inline' or 'unsafe-eval'", async () => {
    const { agent } = await signIn(t, 'aigerim');
    const res = await agent.get('/');
    const csp = String(res.headers['content-security-policy'] ?? '');
    const directives = new Map(
      csp
        .split(';')
        .map((d) => d.trim())
        .filter(Boolean)
        .map((d) => {
          const [name = '', ...values] = d.split(/\s+/);
          return [name, values] as const;
        }),
    );
    expect(directives.get('script-src')).to.deep.equal(["'self'"]);
    expect(directives.get('default-src')).to.deep.equal(["'none'"]);
    expect(directives.get('frame-ancestors')).to.deep.equal(["'none'"]);
    expect(directives.get('form-action')).to.deep.equal(["'self'"]);
    expect(directives.get('base-uri')).to.deep.equal(["'none'"]);
    expect(directives.get('object-src')).to.deep.equal(["'none'"]);
    expect(csp).to.not.contain('unsafe-inline');
    expect(csp).to.not.contain('unsafe-eval');
  });

  it('pages carry no inline script or inline event handler the CSP would have to allow', async () => {
    const { agent } = await signIn(t, 'aigerim');
    for (const path of ['/', '/settings', '/settings/users', '/settings/users/1/remove', '/login', '/nowhere']) {
      const res = await agent.get(path);
      expect(res.text, path).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/i);
      expect(res.text, path).to.not.match(/\son[a-z]+\s*=/i);
      expect(res.text, path).to.not.match(/\sstyle\s*=/i);
    }
  });

  it('no X-Powered-By header reveals the framework', async () => {
    const res = await agentFor(t).get('/login');
    expect(res.headers['x-powered-by']).to.equal(undefined);
  });
});
