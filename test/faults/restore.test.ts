// security.md, faults: "restore of an older backup → posts already published since the backup are
// recognised through the container/media lookup, not published again". Four posts are published
// on Instagram (an external simulator, shared by the app before and after the restore). The backup
// is the database as it was earlier, in the middle of their lives: one still waiting, one with its
// container made, one with its container ready to publish, one with media_publish under way. The
// backup is restored into a new data folder with the real restore, a new app starts on it against
// the same Instagram, and its engine runs until nothing is left to do.
import http from 'node:http';
import path from 'node:path';
import { expect } from 'chai';
import { ManualClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { generateKeyText, parseKey } from '../../src/db/crypto.js';
import { createLogger } from '../../src/log.js';
import { restoreBackup } from '../../src/features/system/backup-restore.js';
import { createTestApp, FAST_ARGON2, LogCapture, tempDir, type TestApp } from '../support/app.js';
import { startCrashSimulator, newSimAccount } from '../support/crash-harness.js';
import { createUser } from '../support/factories.js';
import { csrfFrom, signIn } from '../support/http.js';
import { freePort } from '../support/process.js';
import { runEngine, schedulePost, type Stage } from '../support/publishing.js';
import { recordReliability } from '../support/reliability.js';
import { SIM_APP_SECRET, type SimHarness } from '../support/simulator.js';

const DATA_KEY = generateKeyText();
const BACKUP_KEY = generateKeyText();

interface Running {
  t: TestApp;
  server: http.Server;
  url: string;
}

async function startApp(h: SimHarness, dir: string | undefined, clock: ManualClock): Promise<Running> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const t = createTestApp(
    {
      PUBLIC_URL: url,
      QANAT_DATA_KEY: DATA_KEY,
      QANAT_BACKUP_KEY: BACKUP_KEY,
      INSTAGRAM_APP_ID: h.sim.options.appId,
      INSTAGRAM_APP_SECRET: SIM_APP_SECRET,
      GRAPH_BASE_URL: `${h.base}/graph`,
      INSTAGRAM_TOKEN_URL: `${h.base}/api/oauth/access_token`,
      INSTAGRAM_AUTHORIZE_URL: `${h.base}/www/oauth/authorize`,
    },
    dir,
    clock,
  );
  // The simulator fetches image_url from PUBLIC_URL/m/<token>, as Instagram does.
  const server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return { t, server, url };
}

async function stopApp(running: Running, remove: boolean): Promise<void> {
  running.server.closeAllConnections();
  await new Promise<void>((resolve) => running.server.close(() => resolve()));
  if (remove) running.t.close();
  else running.t.db.close();
}

describe('fault: restore of an older backup', function () {
  this.timeout(180_000);
  let h: SimHarness;
  before(async () => {
    h = await startCrashSimulator();
  });
  after(async () => {
    await h?.close();
  });

  it('posts published since the backup are recognised through their container or held for the owner; none is published twice', async () => {
    const clock = new ManualClock(Date.now());
    const first = await startApp(h, undefined, clock);
    const user = await createUser(first.t, { username: 'owner' });
    const login = await newSimAccount(h, 424_242);
    const now = Date.now();
    const accountId = first.t.services.accounts.repo.insert({
      igUserId: login.igId,
      appScopedId: `app-${login.igId}`,
      username: login.username,
      token: first.t.cipher.seal(login.token, { table: 'accounts', column: 'token', row: login.igId }),
      tokenExpiresAt: now + 60 * 86_400_000,
      tokenRefreshedAt: now,
      scopes: [],
      sandbox: false,
      connectedAt: now,
      createdAt: now,
    }).id;
    const { agent } = await signIn(first.t, user.username);
    const s = { live: { t: first.t, url: first.url, close: async () => undefined }, t: first.t, agent, accountId, csrf: csrfFrom((await agent.get('/queue')).text) } as Stage;

    // Four posts, published for real.
    const names = ['waiting', 'container made', 'ready', 'publishing'] as const;
    const ids: Record<(typeof names)[number], number> = { waiting: 0, 'container made': 0, ready: 0, publishing: 0 };
    for (const name of names) ids[name] = await schedulePost(s, { caption: `Restore ${name} ${login.igId}` });
    clock.set(Date.now() + 120_000);
    await runEngine(s);
    const db = first.t.db.sqlite;
    const published = db.prepare(`SELECT id, state, container_id AS containerId FROM posts ORDER BY id`).all() as Array<{ id: number; state: string; containerId: string }>;
    expect(published.map((p) => p.state)).to.deep.equal(['published', 'published', 'published', 'published']);
    const ours = () => h.sim.state.mediaOf(login.igId).filter((m) => (m.caption ?? '').startsWith('Restore ')).length;
    const mediaBefore = ours();
    expect(mediaBefore).to.equal(4);

    // The database as an earlier backup holds it: each post at another point of its life.
    const earlier = clock.now() - 90_000;
    db.transaction(() => {
      const back = db.prepare(`UPDATE posts SET state = ?, ig_media_id = NULL, permalink = NULL, published_at = NULL, publish_started_at = ?, container_id = ?, lease_owner = NULL, lease_until = NULL WHERE id = ?`);
      back.run('scheduled', null, null, ids.waiting);
      back.run('container_created', null, published[1]?.containerId, ids['container made']);
      back.run('ready', null, published[2]?.containerId, ids.ready);
      back.run('publishing', earlier, published[3]?.containerId, ids.publishing);
      db.prepare(`DELETE FROM post_events WHERE step IN ('published', 'publishing')`).run();
    })();
    const backup = await first.t.services.backups.create('cli');
    await stopApp(first, false);

    // Restored into a new folder with the real restore, and a new app on it.
    const target = tempDir('qanat-restored-');
    const config = loadConfig({ NODE_ENV: 'test', DATA_DIR: target, ...FAST_ARGON2, QANAT_DATA_KEY: DATA_KEY, QANAT_BACKUP_KEY: BACKUP_KEY });
    const result = await restoreBackup({ config, file: path.join(first.t.config.backup.dir, backup.name), backupKey: parseKey(BACKUP_KEY), force: false, clock, log: createLogger({ level: 'info', destination: new LogCapture() }) });
    expect(result.heldPosts, 'the post that was still waiting is held for the owner').to.equal(1);
    const second = await startApp(h, target, clock);
    try {
      const again = { ...s, t: second.t, live: { t: second.t, url: second.url, close: async () => undefined } } as Stage;
      clock.set(Date.now() + 180_000);
      await runEngine(again);
      const rows = second.t.db.sqlite.prepare(`SELECT id, state, ig_media_id AS media FROM posts ORDER BY id`).all() as Array<{ id: number; state: string; media: string | null }>;
      const byId = new Map(rows.map((r) => [r.id, r]));
      expect(byId.get(ids.waiting)?.state, 'waiting in the backup: held for the owner, not published again').to.equal('held');
      for (const name of ['container made', 'ready', 'publishing'] as const) {
        const row = byId.get(ids[name]);
        expect(row?.state, `${name} in the backup`).to.equal('published');
        expect(row?.media, `${name}: the media Instagram made then`).to.equal(h.sim.state.mediaOf(login.igId).find((m) => m.caption === `Restore ${name} ${login.igId}`)?.id);
      }
      const mediaAfter = ours();
      expect(mediaAfter, 'no second post on Instagram').to.equal(mediaBefore);
      recordReliability('restore', {
        title: 'Restore of an older backup',
        figures: { 'posts published before the restore': 4, 'recognised through their container': 3, 'held for the owner': 1, 'published again': mediaAfter - mediaBefore },
        notes: ['The backup holds one post waiting, one with its container made, one ready to publish and one with media_publish under way; all four were published on Instagram after it was taken.'],
      });
    } finally {
      await stopApp(second, true);
    }
  });
});
