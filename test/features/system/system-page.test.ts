// Settings → System, the owner's page: what the server is, backups made and downloaded from the
// browser, and "Can Meta reach this instance?" run against a live app on a real port, so the
// check's requests really travel over HTTP to /healthz, /m/<probe> and /webhooks/instagram.
// Editors and viewers get 403 everywhere on it; download names are only backup names; every text
// exists in en, ru and kk. hostProblem() and isPrivateAddress() are covered case by case, and a
// small stand-in server shows how the check judges answers that are wrong in other ways.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { expect } from 'chai';
import request, { type Response } from 'supertest';
import type { Language } from '../../../src/db/schema.js';
import { generateKeyText, keyIdOf, parseKey } from '../../../src/db/crypto.js';
import { hostProblem, isPrivateAddress, ReachService } from '../../../src/features/system/reach.service.js';
import type { UserRow } from '../../../src/features/users/users.repo.js';
import { missingKeys, translatorFor } from '../../../src/i18n/index.js';
import { projectRoot } from '../../../src/paths.js';
import { signInLive, type Agent } from '../../support/accounts.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { startLiveApp, type LiveApp } from '../../support/browser.js';
import { createUser } from '../../support/factories.js';
import { $, csrfFrom, signIn } from '../../support/http.js';
import { freePort } from '../../support/process.js';
import { sizeText } from '../../../src/features/system/size-text.js';

const BACKUP_NAME = /^qanat-\d{4}-\d{2}-\d{2}T\d{6}Z(?:-\d{1,3})?\.backup$/;
/** Incompressible "media", so the backup is big enough for its size to show as more than 0.0 MB. */
const MEDIA_BYTES = crypto.randomBytes(1_700_000);

interface ShownCheck {
  name: string;
  badge: string;
  badgeClass: string;
  message: string;
}

interface AuditRow {
  kind: string;
  user_id: number | null;
  detail: string;
}

function binary(res: Response, done: (error: Error | null, body: Buffer) => void): void {
  const incoming = res as unknown as IncomingMessage;
  const chunks: Buffer[] = [];
  incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
  incoming.on('end', () => done(null, Buffer.concat(chunks)));
  incoming.on('error', (error) => done(error, Buffer.alloc(0)));
}

/** The reach results as a person reads them: badge, check name, explanation. */
function checksOn(html: string): ShownCheck[] {
  const page = $(html);
  return page('ul.checklist > li.checklist__item')
    .toArray()
    .map((li) => {
      const item = page(li);
      const badge = item.children('.badge');
      return { badge: badge.text().trim(), badgeClass: badge.attr('class') ?? '', name: item.children('strong').text().trim(), message: item.children('span').last().text().trim() };
    });
}

function byName(checks: ShownCheck[], name: string): ShownCheck {
  const found = checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check named ${name} in ${JSON.stringify(checks)}`);
  return found;
}

function backupFiles(dir: string): string[] {
  return fs.existsSync(dir) ? fs.readdirSync(dir).filter((name) => BACKUP_NAME.test(name)).sort() : [];
}

function auditRows(t: TestApp, kind: string): AuditRow[] {
  return t.db.sqlite.prepare('SELECT kind, user_id, detail FROM audit_log WHERE kind = ? ORDER BY id').all(kind) as AuditRow[];
}

function tabLabels(html: string): string[] {
  const page = $(html);
  return page('nav.tabs a')
    .toArray()
    .map((a) => page(a).text().trim());
}

/** Text a person could see, without the <code> values (paths, URLs, key ids). */
function visibleText(html: string): string {
  const page = $(html);
  page('code, script, style').remove();
  return page('body').text().replace(/\s+/g, ' ');
}

async function pageCsrf(agent: Agent, at = '/settings'): Promise<string> {
  return csrfFrom((await agent.get(at)).text);
}

async function backUpNow(agent: Agent): Promise<Response> {
  const csrf = await pageCsrf(agent, '/settings/system');
  return agent.post('/settings/system/backup').type('form').send({ _csrf: csrf });
}

async function checkReach(agent: Agent): Promise<Response> {
  const csrf = await pageCsrf(agent, '/settings/system');
  return agent.post('/settings/system/reach').type('form').send({ _csrf: csrf });
}

/** Request-log lines of the app (pino-http), parsed. */
function requestLog(t: TestApp): Array<{ url: string; status: number }> {
  const out: Array<{ url: string; status: number }> = [];
  for (const line of t.logs.lines) {
    try {
      const entry = JSON.parse(line) as { req?: { url?: string }; res?: { statusCode?: number } };
      if (entry.req?.url !== undefined && entry.res?.statusCode !== undefined) out.push({ url: entry.req.url, status: entry.res.statusCode });
    } catch {
      // not JSON: not a request line
    }
  }
  return out;
}

describe('Settings → System (owner page, live app)', function () {
  this.timeout(60_000);
  let live: LiveApp;
  let owner: UserRow;
  let ownerAgent: Agent;
  let editorAgent: Agent;
  let viewerAgent: Agent;
  let backupDir: string;
  let made: string;

  before(async () => {
    live = await startLiveApp();
    owner = await createUser(live.t, { username: 'aigerim', role: 'owner' });
    await createUser(live.t, { username: 'dana_editor', role: 'editor' });
    await createUser(live.t, { username: 'timur_viewer', role: 'viewer' });
    ownerAgent = await signInLive(live, 'aigerim');
    editorAgent = await signInLive(live, 'dana_editor');
    viewerAgent = await signInLive(live, 'timur_viewer');
    backupDir = live.t.config.backup.dir;
    const mediaDir = path.join(live.t.dir, 'media', '1');
    fs.mkdirSync(mediaDir, { recursive: true });
    fs.writeFileSync(path.join(mediaDir, 'seed.jpg'), MEDIA_BYTES);
  });
  after(async () => {
    await live?.close();
  });

  it('shows the owner the version, the public address, the schedule, the keep count, "No backups yet." and the local-key warning', async () => {
    const res = await ownerAgent.get('/settings/system');
    expect(res.status).to.equal(200);
    const page = $(res.text);
    const version = (JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version: string }).version;
    expect(live.t.config.version).to.equal(version);
    const facts = page('dl.facts')
      .children('dt')
      .toArray()
      .map((dt) => [page(dt).text().trim(), page(dt).next('dd').text().trim()]);
    expect(Object.fromEntries(facts)).to.include({ Version: `Qanat ${version}`, 'Public address': live.url, Instagram: 'Built-in simulator (no Meta app configured)' });
    const backups = page('section[aria-labelledby="backups-heading"]');
    expect(backups.find('h2').text().trim()).to.equal('Backups');
    expect(backups.text()).to.contain('made on the schedule “30 3 * * *” (UTC); the newest 14 are kept.');
    expect(backups.text()).to.contain(`Written to ${backupDir}, encrypted with backup key ${live.t.services.backups.keyId}.`);
    expect(backups.find('p.muted:not(.small)').text().trim()).to.equal('No backups yet.');
    expect(backups.find('ul.backup-list')).to.have.length(0);
    const note = backups.find('[role="note"]');
    expect(note).to.have.length(1);
    expect(note.find('.badge').text().trim()).to.equal('Key on this disk');
    expect(note.text()).to.contain('set QANAT_BACKUP_KEY in .env');
    expect(page('button:contains("Back up now")')).to.have.length(1);
    expect(page('button:contains("Check now")')).to.have.length(1);
    expect(page('ul.checklist'), 'no results before a check').to.have.length(0);
    expect(page('nav.tabs a[aria-current="page"]').text().trim()).to.equal('System');
  });

  it('shows the System tab in the Settings tabs to the owner and hides it from an editor and a viewer', async () => {
    expect(tabLabels((await ownerAgent.get('/settings')).text)).to.include('System');
    for (const [who, agent] of [['editor', editorAgent], ['viewer', viewerAgent]] as const) {
      const res = await agent.get('/settings');
      expect(res.status, who).to.equal(200);
      const labels = tabLabels(res.text);
      expect(labels, who).to.include('My profile');
      expect(labels, who).not.to.include('System');
      expect($(res.text)('a[href^="/settings/system"]'), who).to.have.length(0);
    }
  });

  it('refuses "Back up now" without the CSRF token (403) and writes no backup', async () => {
    const res = await ownerAgent.post('/settings/system/backup').type('form').send({});
    expect(res.status).to.equal(403);
    const wrong = await ownerAgent.post('/settings/system/backup').type('form').send({ _csrf: 'not-the-token' });
    expect(wrong.status).to.equal(403);
    expect(backupFiles(backupDir)).to.deep.equal([]);
    expect(auditRows(live.t, 'backup.created')).to.deep.equal([]);
  });

  it('"Back up now" writes a backup, says so by name, lists it with its size and downloads its exact bytes (audited)', async () => {
    const res = await backUpNow(ownerAgent);
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    expect(res.headers['location']).to.equal('/settings/system');
    const files = backupFiles(backupDir);
    expect(files).to.have.length(1);
    made = files[0] as string;
    const bytes = fs.readFileSync(path.join(backupDir, made));
    expect(bytes.subarray(0, 8).toString('ascii')).to.equal('QANATBAK');
    expect(bytes.length, 'the media file is inside').to.be.greaterThan(MEDIA_BYTES.length);
    const mb = sizeText(bytes.length);
    expect(mb, 'a media file of more than a megabyte').to.match(/^\d+\.\d MB$/);

    const after = await ownerAgent.get('/settings/system');
    const page = $(after.text);
    expect(page('.alert--success').text().trim()).to.equal(`Backup ${made} written (${mb}).`);
    const rows = page('section[aria-labelledby="backups-heading"] ul.backup-list > li');
    expect(rows).to.have.length(1);
    const cells = rows
      .first()
      .children()
      .toArray()
      .map((part) => page(part).text().replace(/\s+/g, ' ').trim());
    expect(cells[1]).to.equal(mb);
    expect(cells[2]).to.equal(`Key ${live.t.services.backups.keyId}`);
    expect(cells[3]).to.equal(`Download ${made}`);
    expect(page('section[aria-labelledby="backups-heading"]').text()).not.to.contain('No backups yet.');
    const href = rows.first().find('a[download]').attr('href');
    expect(href).to.equal(`/settings/system/backups/${made}`);
    expect(auditRows(live.t, 'backup.created').map((r) => JSON.parse(r.detail) as { name: string }).map((d) => d.name)).to.deep.equal([made]);

    const download = await ownerAgent
      .get(href as string)
      .buffer(true)
      .parse(binary);
    expect(download.status).to.equal(200);
    expect(String(download.headers['content-disposition']).replace(/"/g, '')).to.equal(`attachment; filename=${made}`);
    expect(download.headers['cache-control']).to.equal('no-store');
    expect(Buffer.compare(download.body as Buffer, bytes), 'the exact bytes of the file').to.equal(0);
    const audited = auditRows(live.t, 'backup.downloaded');
    expect(audited).to.have.length(1);
    expect(audited[0]?.user_id).to.equal(owner.id);
    expect(JSON.parse(audited[0]?.detail ?? '{}')).to.deep.equal({ name: made });
  });

  it('answers 404, never the database, for a download name that is not a backup name', async () => {
    const database = fs.readFileSync(path.join(live.t.dir, 'qanat.db'));
    const downloadsBefore = auditRows(live.t, 'backup.downloaded').length;
    const names = [
      '../qanat.db',
      '..%2Fqanat.db',
      '..%2fqanat.db',
      '%2e%2e%2fqanat.db',
      '%2E%2E%2F%2E%2E%2Fqanat.db',
      'qanat.db',
      'qanat.key',
      'backup.key',
      `${made}%2F..%2F..%2Fqanat.db`,
      `..%2F${made}`,
      `${made}.partial`,
      'qanat-2025-12-31T235959Z.backup',
      `${made}%00`,
    ];
    for (const name of names) {
      const res = await ownerAgent
        .get(`/settings/system/backups/${name}`)
        .buffer(true)
        .parse(binary);
      expect(res.status, name).to.equal(404);
      const body = res.body as Buffer;
      expect(body.subarray(0, 15).toString('latin1'), name).not.to.equal('SQLite format 3');
      expect(body.includes(database.subarray(0, 100)), name).to.equal(false);
      expect(res.headers['content-disposition'], name).to.equal(undefined);
    }
    expect(auditRows(live.t, 'backup.downloaded')).to.have.length(downloadsBefore);
  });

  it('gives an editor and a viewer 403 on the page, "Back up now", the reach check and a real backup\'s download', async () => {
    expect(made, 'a backup exists').to.match(BACKUP_NAME);
    const filesBefore = backupFiles(backupDir);
    const downloadsBefore = auditRows(live.t, 'backup.downloaded').length;
    for (const [who, agent] of [['editor', editorAgent], ['viewer', viewerAgent]] as const) {
      const csrf = await pageCsrf(agent);
      const page = await agent.get('/settings/system');
      expect(page.status, `${who} GET page`).to.equal(403);
      expect(page.text, who).not.to.contain('Back up now');
      expect((await agent.post('/settings/system/backup').type('form').send({ _csrf: csrf })).status, `${who} backup`).to.equal(403);
      expect((await agent.post('/settings/system/reach').type('form').send({ _csrf: csrf })).status, `${who} reach`).to.equal(403);
      const download = await agent
        .get(`/settings/system/backups/${made}`)
        .buffer(true)
        .parse(binary);
      expect(download.status, `${who} download`).to.equal(403);
      expect((download.body as Buffer).subarray(0, 8).toString('ascii'), who).not.to.equal('QANATBAK');
    }
    expect(backupFiles(backupDir)).to.deep.equal(filesBefore);
    expect(auditRows(live.t, 'backup.created')).to.have.length(1);
    expect(auditRows(live.t, 'backup.downloaded')).to.have.length(downloadsBefore);
  });

  it('"Check now" over real HTTP: https and the IP host are problems, DNS not checked, server, media and webhook answer', async () => {
    const logBefore = requestLog(live.t).length;
    const res = await checkReach(ownerAgent);
    expect(res.status).to.equal(200);
    const page = $(res.text);
    expect(page('[role="status"] strong').text().trim()).to.equal('Problems to fix: 2.');
    const checks = checksOn(res.text);
    expect(checks.map((c) => c.name)).to.deep.equal(['HTTPS', 'Host name', 'DNS', 'Server', 'Media URL', 'Webhook URL']);

    const https = byName(checks, 'HTTPS');
    expect(https.badge).to.equal('Problem');
    expect(https.badgeClass).to.contain('badge--warn');
    expect(https.message).to.equal(`${live.url} is not https. Meta only calls https addresses: set PUBLIC_URL=https://your.domain in .env.`);
    const host = byName(checks, 'Host name');
    expect(host.badge).to.equal('Problem');
    expect(host.message).to.equal("127.0.0.1 is an IP address. Use a domain name (Let's Encrypt and Meta need one).");
    const dns = byName(checks, 'DNS');
    expect(dns.badge).to.equal('Not checked');
    expect(dns.badgeClass).not.to.match(/badge--(ok|warn)/);
    expect(dns.message).to.equal('Skipped: fix the address first.');
    for (const [name, message] of [
      ['Server', `The server answered through ${live.url}.`],
      ['Media URL', 'A media URL answered with the image, as Meta will fetch it.'],
      ['Webhook URL', "The webhook URL answered Meta's handshake with the right challenge."],
    ] as const) {
      const check = byName(checks, name);
      expect(check.badge, name).to.equal('OK');
      expect(check.badgeClass, name).to.contain('badge--ok');
      expect(check.message, name).to.equal(message);
    }

    // The app itself served the probe image and answered the handshake (its request log says so).
    const served = requestLog(live.t).slice(logBefore);
    const probe = served.find((r) => r.url.startsWith('/m/'));
    expect(probe, JSON.stringify(served)).not.to.equal(undefined);
    expect(probe?.status).to.equal(200);
    const handshake = served.find((r) => r.url.startsWith('/webhooks/instagram?'));
    expect(handshake?.status).to.equal(200);
    expect(handshake?.url).to.contain('hub.mode=subscribe');
    expect(handshake?.url, 'the verify token never reaches the log').to.contain('hub.verify_token=[Redacted]');

    // The probe token was good for that one check only.
    const token = probe?.url.slice('/m/'.length) ?? '';
    expect(token).to.match(/^[\w-]{20,}$/);
    expect(live.t.services.reach.isProbe(token)).to.equal(false);
    const again = await request(live.url).get(`/m/${token}`);
    expect(again.status).to.equal(404);
    expect(again.headers['content-type']).not.to.match(/image/);
  });

  it('fails the media and webhook checks when the app does not recognise the probe or the verify token', async () => {
    // A second checker against the same live app: its probe tokens are unknown to the app and its
    // verify token is wrong, so the app itself must refuse both, while /healthz still answers.
    const stranger = new ReachService(live.url, 'not-the-verify-token');
    const checks = await stranger.check({ role: 'owner' });
    const of = (id: string) => checks.find((c) => c.id === id);
    expect(of('health')).to.deep.include({ ok: true, messageKey: 'system.reach.health.ok' });
    expect(of('media')).to.deep.include({ ok: false, messageKey: 'system.reach.media.bad' });
    expect(of('media')?.params['status']).to.equal('404');
    expect(of('webhook')).to.deep.include({ ok: false, messageKey: 'system.reach.webhook.bad' });
    expect(of('webhook')?.params['status']).to.equal('403');
    const editor = new ReachService(live.url, 'whatever-token');
    let refused: unknown;
    await editor.check({ role: 'editor' }).catch((error: unknown) => (refused = error));
    expect((refused as { status?: number } | undefined)?.status).to.equal(403);
  });

  for (const lang of ['ru', 'kk'] as const satisfies readonly Language[]) {
    it(`shows the page, a backup's message and the reach results in ${lang} without a raw key`, async () => {
      missingKeys.clear();
      const t = translatorFor(lang);
      const en = translatorFor('en');
      const person = await createUser(live.t, { username: `owner_${lang}`, role: 'owner' });
      live.t.services.users.setLanguage({ id: person.id, username: person.username, role: person.role }, lang);
      const agent = await signInLive(live, person.username);

      const shown = await agent.get('/settings/system');
      expect(shown.status).to.equal(200);
      const page = $(shown.text);
      expect(page('html').attr('lang')).to.equal(lang);
      for (const key of ['system.about.heading', 'system.backup.heading', 'system.backup.now', 'system.reach.heading', 'system.reach.run', 'system.tab']) {
        expect(t(key), key).not.to.equal(en(key));
        expect(shown.text, key).to.contain(t(key));
      }
      expect(visibleText(shown.text)).to.contain(t('system.backup.scheduled', { schedule: '30 3 * * *', keep: 14 }));

      const before = backupFiles(backupDir);
      const posted = await agent.post('/settings/system/backup').type('form').send({ _csrf: csrfFrom(shown.text) });
      expect(posted.status).to.equal(303);
      const withFlash = await agent.get('/settings/system');
      const added = backupFiles(backupDir).filter((name) => !before.includes(name));
      expect(added).to.have.length(1);
      const newest = added[0] ?? '';
      const size = sizeText(fs.statSync(path.join(backupDir, newest)).size);
      expect($(withFlash.text)('.alert--success').text().trim()).to.equal(t('system.backup.done', { name: newest, size }));

      const reach = await agent.post('/settings/system/reach').type('form').send({ _csrf: csrfFrom(withFlash.text) });
      expect(reach.status).to.equal(200);
      const checks = checksOn(reach.text);
      expect(checks.map((c) => c.name)).to.deep.equal(['https', 'host', 'dns', 'health', 'media', 'webhook'].map((id) => t(`system.reach.check.${id}`)));
      expect(checks.map((c) => c.badge)).to.deep.equal([t('system.reach.bad'), t('system.reach.bad'), t('system.reach.notRun'), t('system.reach.ok'), t('system.reach.ok'), t('system.reach.ok')]);
      expect(byName(checks, t('system.reach.check.https')).message).to.equal(t('system.reach.https.bad', { url: live.url }));
      expect(byName(checks, t('system.reach.check.https')).message).to.contain('PUBLIC_URL=https://');
      expect(byName(checks, t('system.reach.check.health')).message).to.equal(t('system.reach.health.ok', { url: live.url }));
      expect($(reach.text)('[role="status"]').text().trim()).to.equal(t('system.reach.problems', { count: 2 }));

      for (const html of [shown.text, withFlash.text, reach.text]) {
        const text = visibleText(html);
        expect(text).not.to.match(/\bsystem\.[a-z]\w*(?:\.\w+)*/);
        expect(text).not.to.contain('{{');
      }
      expect([...missingKeys]).to.deep.equal([]);
    });
  }
});

describe('Settings → System (configuration variants)', function () {
  this.timeout(60_000);
  const apps: TestApp[] = [];
  afterEach(() => {
    for (const t of apps.splice(0)) t.close();
  });

  it('shows no "Key on this disk" warning when QANAT_BACKUP_KEY is set, and names that key', async () => {
    const key = generateKeyText();
    const t = createTestApp({ QANAT_BACKUP_KEY: key, BACKUP_KEEP: '3', BACKUP_SCHEDULE: '0 4 * * 1' });
    apps.push(t);
    await createUser(t, { username: 'owner_key' });
    const { agent } = await signIn(t, 'owner_key');
    const res = await agent.get('/settings/system');
    expect(res.status).to.equal(200);
    const page = $(res.text);
    expect(page('[role="note"]')).to.have.length(0);
    expect(res.text).not.to.contain('Key on this disk');
    expect(page('section[aria-labelledby="backups-heading"]').text()).to.contain('made on the schedule “0 4 * * 1” (UTC); the newest 3 are kept.');
    expect(page('section[aria-labelledby="backups-heading"]').text()).to.contain(`encrypted with backup key ${keyIdOf(parseKey(key))}.`);
    expect(fs.existsSync(path.join(t.dir, 'backup.key')), 'no key file generated').to.equal(false);
  });

  it('says scheduled backups are off with BACKUP_SCHEDULE=off, and "Back up now" keeps only BACKUP_KEEP', async () => {
    const t = createTestApp({ BACKUP_SCHEDULE: 'off', BACKUP_KEEP: '1' });
    apps.push(t);
    await createUser(t, { username: 'owner_off' });
    const { agent } = await signIn(t, 'owner_off');
    const res = await agent.get('/settings/system');
    expect($(res.text)('section[aria-labelledby="backups-heading"]').text()).to.contain('Scheduled backups are off (BACKUP_SCHEDULE=off). You can still make one now.');
    expect(res.text).to.contain('Key on this disk');
    expect((await backUpNow(agent)).status).to.equal(303);
    const first = backupFiles(t.config.backup.dir);
    t.clock.advance(60_000);
    expect((await backUpNow(agent)).status).to.equal(303);
    const second = backupFiles(t.config.backup.dir);
    expect(first).to.have.length(1);
    expect(second).to.have.length(1);
    expect(second[0]).not.to.equal(first[0]);
    const rows = $((await agent.get('/settings/system')).text)('section[aria-labelledby="backups-heading"] ul.backup-list > li');
    expect(rows).to.have.length(1);
    expect(rows.find('a[download]').attr('href')).to.equal(`/settings/system/backups/${second[0] ?? ''}`);
  });

  it('reports server, media and webhook as unreachable when nothing listens at PUBLIC_URL, and still renders the page', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const t = createTestApp({ PUBLIC_URL: url });
    apps.push(t);
    await createUser(t, { username: 'owner_far' });
    const { agent } = await signIn(t, 'owner_far');
    const res = await checkReach(agent);
    expect(res.status).to.equal(200);
    const checks = checksOn(res.text);
    expect(checks).to.have.length(6);
    expect($(res.text)('[role="status"]').text().trim()).to.equal('Problems to fix: 5.');
    expect(byName(checks, 'DNS').badge).to.equal('Not checked');
    for (const name of ['Server', 'Media URL', 'Webhook URL']) {
      const check = byName(checks, name);
      expect(check.badge, name).to.equal('Problem');
      const match = /^No answer through (\S+): (.+?)\. Check DNS, the firewall/.exec(check.message);
      expect(match, check.message).not.to.equal(null);
      expect(match?.[1], name).to.equal(url);
      expect(match?.[2], `${name}: a reason`).to.equal('ECONNREFUSED');
    }
    expect($(res.text)('button:contains("Back up now")')).to.have.length(1);
  });
});

describe('reach check: answers judged, probe lifetime (stand-in server)', function () {
  this.timeout(30_000);
  let server: http.Server;
  let url: string;
  let now = Date.UTC(2026, 0, 15, 12, 0, 0);
  let service: ReachService;
  const seenWhileServing: Array<{ token: string; fresh: boolean; at59s: boolean; at60s: boolean }> = [];

  before(async () => {
    server = http.createServer((req, res) => {
      const target = req.url ?? '';
      if (target === '/healthz') {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
      } else if (target.startsWith('/m/')) {
        const token = target.slice(3);
        const start = now;
        const fresh = service.isProbe(token);
        now = start + 59_999;
        const at59s = service.isProbe(token);
        now = start + 60_000;
        const at60s = service.isProbe(token);
        now = start;
        seenWhileServing.push({ token, fresh, at59s, at60s });
        res.writeHead(302, { location: 'https://elsewhere.example.com/' }).end();
      } else if (target.startsWith('/webhooks/instagram?')) {
        res.writeHead(200, { 'content-type': 'text/plain' }).end('not the challenge');
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    service = new ReachService(url, 'verify-token-123', () => now);
  });
  after(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('flags a redirect and a wrong handshake answer; the probe lives a minute at most and not past its check', async () => {
    const checks = await service.check({ role: 'owner' });
    const of = (id: string) => checks.find((c) => c.id === id);
    expect(of('health')).to.deep.include({ ok: true });
    expect(of('media')).to.deep.include({ ok: false, messageKey: 'system.reach.redirected' });
    expect(of('media')?.params['status']).to.equal('302');
    expect(of('webhook')).to.deep.include({ ok: false, messageKey: 'system.reach.webhook.bad' });
    expect(of('webhook')?.params['status']).to.equal('200');
    expect(seenWhileServing).to.have.length(1);
    expect(seenWhileServing[0]).to.include({ fresh: true, at59s: true, at60s: false });
    expect(service.isProbe(seenWhileServing[0]?.token ?? ''), 'gone after the check').to.equal(false);
    expect(service.isProbe('')).to.equal(false);
  });
});

describe('hostProblem() and isPrivateAddress()', () => {
  it('treats loopback, private, link-local, CGNAT and unique-local addresses as private', () => {
    for (const address of ['127.0.0.1', '127.8.9.10', '10.0.0.1', '10.255.255.255', '172.16.0.1', '172.20.3.4', '172.31.255.255', '192.168.0.1', '192.168.100.7', '169.254.1.1', '100.64.0.1', '100.127.255.254', '0.0.0.0', '::1', '::', 'fc00::', 'fc00::1', 'fd12:3456::1', 'fe80::', 'fe80::1', 'FE80::ABCD', '::ffff:10.0.0.1', '::ffff:127.0.0.1', '::FFFF:192.168.1.1']) {
      expect(isPrivateAddress(address), address).to.equal(true);
    }
  });

  it('treats public addresses as public, including the neighbours of the private ranges', () => {
    for (const address of ['8.8.8.8', '1.1.1.1', '172.15.255.255', '172.32.0.1', '192.167.1.1', '169.253.1.1', '100.63.255.255', '100.128.0.1', '11.0.0.1', '2001:4860::8888', '2001:4860:4860::8888', '::ffff:8.8.8.8', '2a00:1450:4001::200e']) {
      expect(isPrivateAddress(address), address).to.equal(false);
    }
  });

  it('refuses localhost, IP addresses, single-label and local names, and accepts public domain names', () => {
    const cases: Array<[string, string | undefined]> = [
      ['localhost', 'system.reach.host.localhost'],
      ['LOCALHOST', 'system.reach.host.localhost'],
      ['127.0.0.1', 'system.reach.host.address'],
      ['8.8.8.8', 'system.reach.host.address'],
      ['[::1]', 'system.reach.host.address'],
      ['[2001:4860::8888]', 'system.reach.host.address'],
      ['qanat', 'system.reach.host.noDot'],
      ['box.local', 'system.reach.host.local'],
      ['x.internal', 'system.reach.host.local'],
      ['x.home.arpa', 'system.reach.host.local'],
      ['shop.lan', 'system.reach.host.local'],
      ['app.localhost', 'system.reach.host.local'],
      ['qanat.test', 'system.reach.host.local'],
      ['qanat.example', 'system.reach.host.local'],
      ['qanat.invalid', 'system.reach.host.local'],
      ['Box.Local', 'system.reach.host.local'],
      ['qanat.example.com', undefined],
      ['qanat.kz', undefined],
      ['instagram.shop-almaty.com', undefined],
      ['local.example.org', undefined],
      ['example.com', undefined],
    ];
    for (const [host, expected] of cases) expect(hostProblem(host), host).to.equal(expected);
  });
});
