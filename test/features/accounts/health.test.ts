import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import { findJob } from '../../../src/jobs/registry.js';
import { runJob } from '../../../src/jobs/scheduler.js';
import { seedAdditionalAccount } from '../../../src/sandbox/seed.js';
import { connectAccount, rowsOf, signInLive, type Agent } from '../../support/accounts.js';
import { startLiveApp, type LiveApp } from '../../support/browser.js';
import { createUser } from '../../support/factories.js';
import { $, csrfFrom } from '../../support/http.js';

const DAY = 86_400_000;

describe('staying connected: token refresh, profile sync, reconnect banner', function () {
  this.timeout(30_000);
  let live: LiveApp;
  let agent: Agent;
  let accountId: number;
  const job = (name: string) => runJob(findJob(name)!, { config: live.t.config, db: live.t.db, cipher: live.t.cipher, clock: live.t.clock, log: live.t.log, services: live.t.services });
  const account = () => live.t.services.accounts.repo.findById(accountId)!;

  beforeEach(async () => {
    live = await startLiveApp();
    await createUser(live.t, { username: 'owner' });
    agent = await signInLive(live, 'owner');
    accountId = await connectAccount(live, agent);
  });
  afterEach(() => live.close());

  it('refresh-tokens renews a token ten days from expiry and stores the new one encrypted', async () => {
    live.t.clock.advance(50 * DAY);
    const before = account();
    const counts = await job('refresh-tokens');
    expect(counts).to.deep.include({ due: 1, refreshed: 1, needsReconnect: 0 });
    const after = account();
    expect(after.token).not.to.equal(before.token);
    expect(after.token).to.match(/^v1:/);
    expect(after.tokenExpiresAt).to.equal(live.t.clock.now() + 60 * DAY);
    expect(after.tokenRefreshedAt).to.equal(live.t.clock.now());
    // The new token works against Instagram.
    const me = await live.t.services.instagram.client.publishing.me(live.t.services.accounts.tokenOf(after));
    expect(me.username).to.equal('steppe_coffee');
  });

  it('refresh-tokens leaves a token younger than 24 hours alone, even when it expires soon', async () => {
    live.t.db.sqlite.prepare('UPDATE accounts SET token_expires_at = ? WHERE id = ?').run(live.t.clock.now() + 5 * DAY, accountId);
    live.t.clock.advance(23 * 3_600_000);
    const before = account().token;
    expect(await job('refresh-tokens')).to.deep.include({ due: 0, refreshed: 0 });
    expect(account().token).to.equal(before);
  });

  it('refresh-tokens leaves a token that expires after the window alone', async () => {
    live.t.clock.advance(30 * DAY);
    expect(await job('refresh-tokens')).to.deep.include({ due: 0 });
  });

  it('a revoked token flips the account to needs-reconnect and every page shows the banner with a one-click reconnect', async () => {
    live.t.clock.advance(50 * DAY);
    for (const token of live.t.simulator!.state.tokens.values()) token.revokedSubcode = 460;
    expect(await job('refresh-tokens')).to.deep.include({ needsReconnect: 1 });
    expect(account().status).to.equal('needs_reconnect');
    expect(account().statusReason).to.equal('reconnect:190/460');
    // A fresh sign-in, since the 50 days also ended the session.
    agent = await signInLive(live, 'owner');
    for (const pathname of ['/', '/accounts', '/settings', `/accounts/${accountId}`]) {
      const page = $((await agent.get(pathname)).text);
      expect(page('.banner').text(), pathname).to.contain('@steppe_coffee');
      expect(page('.banner a[href="/accounts/connect"]').length, pathname).to.equal(1);
    }
    const audit = live.t.db.sqlite.prepare("SELECT kind FROM audit_log WHERE kind = 'account.needs_reconnect'").all();
    expect(audit).to.have.length(1);
    // Reconnecting clears it.
    for (const token of live.t.simulator!.state.tokens.values()) delete token.revokedSubcode;
    await connectAccount(live, agent);
    expect(account().status).to.equal('ok');
    expect($((await agent.get('/')).text)('.banner').length).to.equal(0);
  });

  it('a temporary Instagram failure during refresh keeps the account connected and tries again next run', async () => {
    live.t.clock.advance(50 * DAY);
    live.t.simulator!.state.faults.push({ kind: 'server-error', remaining: 1, pathIncludes: 'refresh_access_token' });
    expect(await job('refresh-tokens')).to.deep.include({ retryLater: 1, needsReconnect: 0 });
    expect(account().status).to.equal('ok');
    expect(await job('refresh-tokens')).to.deep.include({ refreshed: 1 });
  });

  it('sync-profiles writes a snapshot per sync and one follower row per day', async () => {
    const count = (table: string) => (live.t.db.sqlite.prepare(`SELECT count(*) AS n FROM ${table} WHERE account_id = ?`).get(accountId) as { n: number }).n;
    expect([count('profile_snapshots'), count('follower_days')]).to.deep.equal([1, 1]);
    live.t.clock.advance(3_600_000);
    expect(await job('sync-profiles')).to.deep.equal({ synced: 1, needsReconnect: 0, failed: 0 });
    expect([count('profile_snapshots'), count('follower_days')]).to.deep.equal([2, 1]);
    live.t.clock.advance(DAY);
    await job('sync-profiles');
    expect([count('profile_snapshots'), count('follower_days')]).to.deep.equal([3, 2]);
    expect(account().lastSyncAt).to.equal(live.t.clock.now());
  });

  it('sync-profiles marks an account whose token was revoked as needing reconnect', async () => {
    for (const token of live.t.simulator!.state.tokens.values()) token.revokedSubcode = 460;
    expect(await job('sync-profiles')).to.deep.include({ needsReconnect: 1 });
    expect(account().status).to.equal('needs_reconnect');
  });

  it('the health panel lists each missing permission with what stops working', async () => {
    await connectAccount(live, agent, { scopes: ['instagram_business_basic', 'instagram_business_content_publish', 'instagram_business_manage_messages'] });
    const page = $((await agent.get(`/accounts/${accountId}`)).text);
    const missing = page('.permission--missing');
    expect(missing.length).to.equal(2);
    expect(missing.text()).to.contain('instagram_business_manage_comments');
    expect(missing.text()).to.contain('cannot show, answer, hide or delete comments');
    expect(missing.text()).to.contain('instagram_business_manage_insights');
    expect(page('.permission--ok').length).to.equal(3);
    expect(page('main').text()).to.contain('Sandbox (simulated Instagram)');
  });
});

describe('disconnecting an account', function () {
  this.timeout(30_000);
  let live: LiveApp;
  let agent: Agent;
  let first: number;
  let second: number;

  beforeEach(async () => {
    live = await startLiveApp();
    await createUser(live.t, { username: 'owner' });
    agent = await signInLive(live, 'owner');
    const other = seedAdditionalAccount(live.t.simulator!.state, 9, 'nan_bakery', 'Nan Bakery');
    first = await connectAccount(live, agent);
    second = await connectAccount(live, agent, { igId: other.igId });
    for (const id of [first, second]) {
      const dir = live.t.services.accounts.mediaDir(id);
      fs.mkdirSync(path.join(dir, 'originals'), { recursive: true });
      fs.writeFileSync(path.join(dir, 'a.jpg'), 'x');
      fs.writeFileSync(path.join(dir, 'originals', 'b.mp4'), 'y');
    }
    live.t.clock.advance(DAY);
    await live.t.services.profileSync.syncAll();
    agent = await signInLive(live, 'owner'); // the day ended the session
  });
  afterEach(() => live.close());

  it('the confirmation page says exactly what will be deleted, and GET deletes nothing', async () => {
    const page = $((await agent.get(`/accounts/${first}/disconnect`)).text);
    expect(page('h1').text()).to.equal('Disconnect @steppe_coffee?');
    const items = page('main li').map((_i, el) => page(el).text()).get();
    expect(items).to.include('profile snapshots: 2');
    expect(items).to.include('days of follower history: 2');
    expect(items).to.include('uploaded media files: 2');
    expect(rowsOf(live, first)['accounts']).to.equal(1);
  });

  it('removes every row and file of that account and nothing of the other', async () => {
    const beforeFirst = rowsOf(live, first);
    const beforeSecond = rowsOf(live, second);
    expect(beforeFirst['profile_snapshots']).to.equal(2);
    expect(beforeSecond['follower_days']).to.equal(2);
    const form = await agent.get(`/accounts/${first}/disconnect`);
    const res = await agent.post(`/accounts/${first}/disconnect`).type('form').send({ _csrf: csrfFrom(form.text) });
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/accounts');
    expect(Object.values(rowsOf(live, first)).every((n) => n === 0)).to.equal(true);
    expect(rowsOf(live, second)).to.deep.equal(beforeSecond);
    expect(fs.existsSync(live.t.services.accounts.mediaDir(first))).to.equal(false);
    expect(fs.readdirSync(live.t.services.accounts.mediaDir(second)).sort()).to.deep.equal(['a.jpg', 'originals']);
    const audit = live.t.db.sqlite.prepare("SELECT actor, detail FROM audit_log WHERE kind = 'account.disconnected'").all() as Array<{ actor: string; detail: string }>;
    expect(audit).to.have.length(1);
    expect(JSON.parse(audit[0]!.detail)).to.deep.include({ account: 'steppe_coffee', files: 2, snapshots: 2 });
    expect(live.t.simulator!.state.accounts.get(live.t.simulator!.state.primaryAccount().igId)?.subscribedFields).to.deep.equal([]);
  });

  it('only an owner may disconnect', async () => {
    await createUser(live.t, { username: 'editor1', role: 'editor' });
    const editor = await signInLive(live, 'editor1');
    const page = await editor.get(`/accounts/${first}`);
    expect($(page.text)(`a[href="/accounts/${first}/disconnect"]`).length).to.equal(0);
    expect((await editor.get(`/accounts/${first}/disconnect`)).status).to.equal(403);
    const res = await editor.post(`/accounts/${first}/disconnect`).type('form').send({ _csrf: csrfFrom(page.text) });
    expect(res.status).to.equal(403);
    expect(rowsOf(live, first)['accounts']).to.equal(1);
  });

  it('a token copied into another account row does not open: that account shows reconnect, the other is untouched', async () => {
    const tokenOfFirst = (live.t.db.sqlite.prepare('SELECT token FROM accounts WHERE id = ?').get(first) as { token: string }).token;
    live.t.db.sqlite.prepare('UPDATE accounts SET token = ? WHERE id = ?').run(tokenOfFirst, second);
    const counts = await live.t.services.profileSync.syncAll();
    expect(counts).to.deep.include({ synced: 1, needsReconnect: 1 });
    expect(live.t.services.accounts.repo.findById(second)?.status).to.equal('needs_reconnect');
    expect(live.t.services.accounts.repo.findById(second)?.statusReason).to.equal('token-unreadable');
    expect(live.t.services.accounts.repo.findById(first)?.status).to.equal('ok');
  });

  it('the account switcher chooses which account the pages show', async () => {
    const home = await agent.get('/');
    const switcher = $(home.text)('.account-switcher select option');
    expect(switcher.map((_i, el) => $(home.text)(el).text()).get().sort()).to.deep.equal(['@nan_bakery', '@steppe_coffee']);
    await agent.post('/accounts/select').type('form').send({ _csrf: csrfFrom(home.text), accountId: String(second), returnTo: '/settings' });
    const page = $((await agent.get('/')).text);
    expect(page('.account-switcher option[selected]').text()).to.equal('@nan_bakery');
    // Home says which account it shows.
    expect(page('main h2 a').first().text()).to.equal('@nan_bakery');
  });
});
