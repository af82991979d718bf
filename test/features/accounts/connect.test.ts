import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import request from 'supertest';
import { createTestApp } from '../../support/app.js';
import { startLiveApp, type LiveApp } from '../../support/browser.js';
import { createUser } from '../../support/factories.js';
import { $, csrfFrom, signIn } from '../../support/http.js';
import { consent as approve, type Agent, type ConsentOptions } from '../../support/accounts.js';


/** The consent window shows the seeded account; returns the callback path Qanat gets back. */
async function consent(live: LiveApp, authorizeUrl: string, options: ConsentOptions = {}): Promise<string> {
  const { html, callback } = await approve(live, authorizeUrl, options);
  expect(html).to.contain('@steppe_coffee');
  return callback;
}

async function startConnect(agent: Agent, live: LiveApp): Promise<string> {
  const res = await agent.get('/accounts/connect');
  expect(res.status).to.equal(303);
  const location = String(res.headers['location']);
  expect(location.startsWith(`${live.url}/sandbox/www/oauth/authorize?`)).to.equal(true);
  return location;
}

describe('connecting an account in sandbox mode (through the same OAuth and client path)', function () {
  this.timeout(30_000);
  let live: LiveApp;
  let agent: Agent;
  beforeEach(async () => {
    live = await startLiveApp();
    await createUser(live.t, { username: 'owner' });
    agent = request.agent(live.url);
    const form = await agent.get('/login');
    await agent.post('/login').type('form').send({ _csrf: csrfFrom(form.text), username: 'owner', password: 'correct horse battery staple' });
  });
  afterEach(() => live.close());

  it('connect → consent → callback lands on /accounts with the seeded account, its token stored encrypted', async () => {
    const callback = await consent(live, await startConnect(agent, live));
    const res = await agent.get(callback);
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.match(/^\/accounts\/\d+$/);
    const health = $((await agent.get(String(res.headers['location']))).text);
    expect(health('h1').text()).to.equal('@steppe_coffee');
    expect(health('[role="status"]').text()).to.contain('@steppe_coffee is connected');
    const page = $((await agent.get('/accounts')).text);
    expect(page('.account__name').text()).to.contain('@steppe_coffee');
    const row = live.t.db.sqlite.prepare('SELECT * FROM accounts').get() as Record<string, unknown>;
    expect(row['token']).to.match(/^v1:/);
    expect(row['sandbox']).to.equal(1);
    expect(row['webhook_subscribed']).to.equal(1);
    expect(row['ig_user_id']).to.equal(live.t.simulator?.state.primaryAccount().igId);
    expect(Number(row['token_expires_at']) - live.t.clock.now()).to.be.greaterThan(59 * 86_400_000);
    const token = live.t.services.accounts.tokenOf(live.t.services.accounts.repo.findById(Number(row['id']))!);
    expect(token).to.match(/^IGAA/);
    const bytes = Buffer.concat(['qanat.db', 'qanat.db-wal'].map((f) => path.join(live.t.dir, f)).filter((f) => fs.existsSync(f)).map((f) => fs.readFileSync(f)));
    expect(bytes.includes(Buffer.from(token))).to.equal(false);
    // Nor in the logs (debug level in tests: every Instagram call is logged).
    expect(live.t.logs.text).not.to.contain(token);
    expect(live.t.logs.text).not.to.contain(live.t.services.instagram.appSecret);
    expect(live.t.logs.text).to.contain('instagram request');
    const audit = live.t.db.sqlite.prepare("SELECT kind FROM audit_log WHERE kind LIKE 'account.%'").all();
    expect(audit).to.deep.equal([{ kind: 'account.connected' }]);
  });

  it('connecting again replaces the token and keeps the same account row', async () => {
    await agent.get(await consent(live, await startConnect(agent, live)));
    const first = live.t.db.sqlite.prepare('SELECT id, token FROM accounts').get() as { id: number; token: string };
    await agent.get(await consent(live, await startConnect(agent, live)));
    const rows = live.t.db.sqlite.prepare('SELECT id, token FROM accounts').all() as Array<{ id: number; token: string }>;
    expect(rows).to.have.length(1);
    expect(rows[0]?.id).to.equal(first.id);
    expect(rows[0]?.token).not.to.equal(first.token);
    expect($((await agent.get(`/accounts/${first.id}`)).text)('[role="status"]').text()).to.contain('reconnected');
  });

  it('a denied consent shows a friendly page and connects nothing', async () => {
    const res = await agent.get(await consent(live, await startConnect(agent, live), { deny: true }));
    expect(res.status).to.equal(400);
    expect($(res.text)('main').text()).to.contain('You cancelled on Instagram');
    expect(live.t.db.sqlite.prepare('SELECT count(*) AS n FROM accounts').get()).to.deep.equal({ n: 0 });
  });

  it('a callback whose state does not match this session is refused', async () => {
    const callback = await consent(live, await startConnect(agent, live));
    const forged = callback.replace(/state=[^&]+/, 'state=forged');
    const res = await agent.get(forged);
    expect(res.status).to.equal(400);
    expect($(res.text)('main').text()).to.contain('does not belong to this browser session');
    expect(live.t.db.sqlite.prepare('SELECT count(*) AS n FROM accounts').get()).to.deep.equal({ n: 0 });
  });

  it('a callback after the ten-minute state lifetime is refused as expired', async () => {
    const callback = await consent(live, await startConnect(agent, live));
    live.t.clock.advance(11 * 60_000);
    const res = await agent.get(callback);
    expect(res.status).to.equal(400);
    expect($(res.text)('main').text()).to.contain('expired');
  });

  it('a code used twice is refused by Instagram and explained', async () => {
    const callback = await consent(live, await startConnect(agent, live));
    await agent.get(callback);
    // A fresh state for this session, but the old, already used code.
    const state = new URL(await startConnect(agent, live)).searchParams.get('state') ?? '';
    const replay = callback.replace(/state=[^&]+/, `state=${state}`);
    const res = await agent.get(replay);
    expect(res.status).to.equal(502);
    expect($(res.text)('main').text()).to.contain('Instagram refused to finish the connection');
  });

  it('a permission left out at consent shows on the accounts page', async () => {
    const callback = await consent(live, await startConnect(agent, live), { scopes: ['instagram_business_basic', 'instagram_business_content_publish'] });
    await agent.get(callback);
    const alert = $((await agent.get('/accounts')).text)('.account [role="alert"]').text();
    expect(alert).to.contain('instagram_business_manage_comments');
    expect(alert).to.contain('instagram_business_manage_insights');
  });

  it('only an owner may start a connection', async () => {
    await createUser(live.t, { username: 'editor1', role: 'editor' });
    const editor = request.agent(live.url);
    const form = await editor.get('/login');
    await editor.post('/login').type('form').send({ _csrf: csrfFrom(form.text), username: 'editor1', password: 'correct horse battery staple' });
    expect((await editor.get('/accounts/connect')).status).to.equal(403);
    const page = $((await editor.get('/accounts')).text);
    expect(page('a[href="/accounts/connect"]').length).to.equal(0);
  });
});

describe('sandbox mode', () => {
  it('shows a Sandbox badge on every page while no Meta app is configured', async () => {
    const t = createTestApp();
    try {
      for (const pathname of ['/setup']) {
        const res = await request(t.app).get(pathname);
        expect($(res.text)('.topbar .badge--sandbox').text()).to.equal('Sandbox');
      }
      await createUser(t, { username: 'owner' });
      const { agent } = await signIn(t, 'owner');
      for (const pathname of ['/', '/accounts', '/settings', '/settings/users', '/nope']) {
        const res = await agent.get(pathname);
        expect($(res.text)('.topbar .badge--sandbox').length, pathname).to.equal(1);
      }
      expect((await request(t.app).get('/sandbox/www/oauth/authorize')).status).to.equal(400);
    } finally {
      t.close();
    }
  });

  it('with Meta credentials configured no simulator route exists and no badge shows', async () => {
    const t = createTestApp({ INSTAGRAM_APP_ID: '1234567890', INSTAGRAM_APP_SECRET: 'a-real-looking-app-secret-0123' });
    try {
      expect(t.simulator).to.equal(undefined);
      await createUser(t, { username: 'owner' });
      const { agent } = await signIn(t, 'owner');
      for (const pathname of ['/sandbox/www/oauth/authorize', '/sandbox/api/oauth/access_token', '/sandbox/graph/v25.0/me', '/sandbox/cdn/x.jpg']) {
        expect((await agent.get(pathname)).status, pathname).to.equal(404);
      }
      expect($((await agent.get('/')).text)('.badge--sandbox').length).to.equal(0);
      const connect = await agent.get('/accounts/connect');
      expect(String(connect.headers['location'])).to.match(/^https:\/\/www\.instagram\.com\/oauth\/authorize\?client_id=1234567890&/);
    } finally {
      t.close();
    }
  });
});
