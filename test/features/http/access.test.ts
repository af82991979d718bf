// security.md row 11: every route outside the short public list sends an anonymous visitor to
// the sign-in page, and never runs its action. The route table is walked, so a new route is
// covered the day it is added.
import { expect } from 'chai';
import type { Express } from 'express';
import type { Route } from '../../../src/http/routes.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { createUser } from '../../support/factories.js';
import { agentFor, csrfToken, signIn } from '../../support/http.js';

/** What security.md allows without signing in, so far (method and path). */
// /m/<token> is public by design (Meta fetches scheduled media there) and answers 404 unless the token is live.
const PUBLIC_ROUTES = [
  'get /healthz',
  'get /m/:token',
  'get /webhooks/instagram',
  'post /webhooks/instagram',
  'post /data-deletion',
  'post /deauthorize',
  'get /privacy',
  'get /data-deletion',
  'get /data-deletion/status',
  'get /setup',
  'post /setup',
  'get /login',
  'post /login',
  'get /login/code',
  'post /login/code',
  'post /language',
];

/** Plausible fields for every form, so a guard that let a request through would have something to act on. */
const TEMPTING_FIELDS = {
  username: 'intruder',
  password: 'a long enough password',
  role: 'owner',
  newPassword: 'a long enough password',
  newPasswordConfirm: 'a long enough password',
  currentPassword: 'correct horse battery staple',
  language: 'kk',
};

interface RouterLayer {
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: RouterLayer[] };
}

/** Every `method path` Express actually serves, read from the mounted routers. */
/** Routes Qanat itself serves; the sandbox simulator (Instagram's stand-in) is walked separately. */
function mountedRoutes(app: Express, skip?: unknown): string[] {
  const found: string[] = [];
  const walk = (stack: RouterLayer[]): void => {
    for (const layer of stack) {
      if (skip !== undefined && layer.handle === skip) continue;
      if (layer.route) {
        for (const [method, on] of Object.entries(layer.route.methods)) if (on) found.push(`${method} ${layer.route.path}`);
      } else if (layer.handle?.stack) {
        walk(layer.handle.stack);
      }
    }
  };
  walk((app as unknown as { router: { stack: RouterLayer[] } }).router.stack);
  return found;
}

const key = (route: Pick<Route, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/** Everything a guarded action could change: users, signed-in sessions and the audit trail. */
function snapshot(t: TestApp): string {
  return JSON.stringify({
    users: t.db.sqlite.prepare('SELECT * FROM users ORDER BY id').all(),
    sessions: t.db.sqlite.prepare('SELECT sid_hash, user_id FROM sessions WHERE user_id IS NOT NULL ORDER BY sid_hash').all(),
    audit: t.db.sqlite.prepare('SELECT kind, actor FROM audit_log ORDER BY id').all(),
  });
}

describe('access control (security row 11)', () => {
  let t: TestApp;
  let guarded: Route[];
  let targetId: number;

  beforeEach(async () => {
    t = createTestApp();
    await createUser(t, { username: 'aigerim', role: 'owner' });
    const editor = await createUser(t, { username: 'dana', role: 'editor' });
    targetId = editor.id;
    // A signed-in session that a role change, reset or removal would delete.
    await signIn(t, 'dana');
    guarded = t.routes.filter((route) => route.access !== 'bare' && route.access !== 'public');
  });
  afterEach(() => t.close());

  const concrete = (route: Route): string => route.path.replace(':id', String(targetId));

  it('the routes reachable without signing in are exactly the ones security.md allows', () => {
    const open = t.routes.filter((route) => route.access === 'bare' || route.access === 'public').map(key);
    expect(open.sort()).to.deep.equal([...PUBLIC_ROUTES].sort());
  });

  it('every route Express serves is listed in the route table, so none escapes the walk', () => {
    expect(mountedRoutes(t.app, t.simulator?.router).sort()).to.deep.equal(t.routes.map(key).sort());
  });

  it('the route table has signed-in routes to walk', () => {
    expect(guarded.length).to.be.greaterThan(5);
    expect(guarded.every((route) => route.access === 'user')).to.equal(true);
  });

  it('every signed-in GET route redirects an anonymous visitor to /login with 303', async () => {
    for (const route of guarded.filter((r) => r.method === 'get')) {
      const res = await agentFor(t).get(concrete(route));
      expect(res.status, key(route)).to.equal(303);
      expect(res.headers['location'], key(route)).to.equal('/login');
    }
  });

  it('every signed-in POST route redirects an anonymous visitor with a valid CSRF token to /login and changes nothing', async () => {
    for (const route of guarded.filter((r) => r.method === 'post')) {
      const before = snapshot(t);
      const agent = agentFor(t);
      const token = await csrfToken(agent, '/login');
      const res = await agent.post(concrete(route)).type('form').send({ _csrf: token, ...TEMPTING_FIELDS });
      expect(res.status, key(route)).to.equal(303);
      expect(res.headers['location'], key(route)).to.equal('/login');
      expect(snapshot(t), key(route)).to.equal(before);
    }
  });

  it('every signed-in POST route answers 403 to an anonymous visitor without a CSRF token and changes nothing', async () => {
    for (const route of guarded.filter((r) => r.method === 'post')) {
      const before = snapshot(t);
      const res = await agentFor(t).post(concrete(route)).type('form').send(TEMPTING_FIELDS);
      expect(res.status, key(route)).to.equal(403);
      expect(snapshot(t), key(route)).to.equal(before);
    }
  });

  it('a signed-in GET route remembers where the anonymous visitor wanted to go', async () => {
    const agent = agentFor(t);
    await agent.get('/settings/users');
    const token = await csrfToken(agent, '/login');
    const res = await agent.post('/login').type('form').send({ _csrf: token, username: 'aigerim', password: 'correct horse battery staple' });
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/settings/users');
  });
});

describe('access before setup', () => {
  let t: TestApp;
  beforeEach(() => {
    t = createTestApp();
  });
  afterEach(() => t.close());

  it('every signed-in GET route redirects to /setup while no owner exists', async () => {
    for (const route of t.routes.filter((r) => r.access === 'user' && r.method === 'get')) {
      const res = await agentFor(t).get(route.path.replace(':id', '1'));
      expect(res.status, key(route)).to.equal(303);
      expect(res.headers['location'], key(route)).to.equal('/setup');
    }
  });
});
