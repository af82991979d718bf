// security.md rows 12 and 13, proven by walking the route table (src/http/routes.ts) rather than
// route by route: a state-changing route added tomorrow is refused to a viewer, or is named below
// as one a viewer may use, or this file fails until it is. Every request carries plausible fields
// and real ids, so a missing guard would have something to act on; afterwards the database, the
// data folder and the simulator (Instagram) are compared with a snapshot taken before.
//
//  a. Roles: a signed-in viewer with a valid CSRF token, and an editor on owner-only routes → 403.
//  b. CSRF: the owner with no token, another session's token, or the right token from a foreign
//     Origin or with Sec-Fetch-Site: cross-site → 403, on every POST route (multipart ones too).
//  c. Deletes, removals, disconnects and erasing are never done by GET.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { Route } from '../../src/http/routes.js';
import { translatorFor } from '../../src/i18n/index.js';
import type { Simulator } from '../../src/sandbox/simulator.js';
import { signInLive, type Agent } from '../support/accounts.js';
import { photo } from '../support/content.js';
import { createUser, PASSWORD } from '../support/factories.js';
import { $, csrfFrom } from '../support/http.js';
import { schedulePost, stage, utcParts, type Stage } from '../support/publishing.js';

const en = translatorFor('en');
const key = (route: Pick<Route, 'method' | 'path'>): string => `${route.method} ${route.path}`;

/**
 * The signed-in POST routes a viewer may use, and why: each acts only on the viewer's own login,
 * session or view. Everything else that is `post` + `user` in the route table must refuse a viewer.
 */
const VIEWER_MAY = [
  'post /logout', // ends their own session
  'post /privacy/acknowledge', // records that they read the privacy notice
  'post /accounts/select', // which account their pages show (session only)
  'post /notifications/read', // the shared bell: marking notices read hides nothing that still needs doing (posts show it)
  'post /settings/time-zone', // their own time zone
  'post /settings/password', // their own password, with the current one
  'post /settings/delete-login', // their own login, with their password
  'post /settings/2fa/start', // two-factor sign-in for themselves
  'post /settings/2fa/enable',
  'post /settings/2fa/disable',
  'post /settings/export', // their own data (the owner's export holds everything)
];

/** Routes only an owner may use: an editor is refused as well (row 12: users, the instance, its accounts). */
const OWNER_ONLY = [
  'post /accounts/:id/sync',
  'post /accounts/:id/disconnect',
  'post /settings/inbox', // the instance-wide human-agent setting
  'post /settings/erase',
  'post /settings/2fa/require',
  'post /settings/system/backup',
  'post /settings/system/reach',
  'post /settings/users',
  'post /settings/users/:id/role',
  'post /settings/users/:id/password',
  'post /settings/users/:id/remove',
];

/** Session-less routes proven by their signatures, not by CSRF tokens (rows 26 and 27). */
const SIGNED_BY_META = ['post /webhooks/instagram', 'post /data-deletion', 'post /deauthorize'];

/** Real rows the requests aim at. */
interface World {
  ownerId: number;
  viewerId: number;
  victimEditorId: number;
  victimViewerId: number;
  accountId: number;
  scheduledPostId: number;
  scheduledMediaId: number;
  attentionPostId: number;
  commentId: string;
  igMediaId: string;
  conversationId: number;
  hashtagId: number;
}

interface Attempt {
  /** `method path` of the route table. */
  route: string;
  url: string;
  fields: Record<string, string>;
  /** Sent as multipart/form-data with a photo, the token first (as the composer does). */
  multipart?: true;
}

/** What each POST route would be sent by someone who means it: valid fields and real ids. */
function attempts(w: World): Attempt[] {
  const soon = utcParts(Date.UTC(2026, 0, 20, 10, 0));
  const composer = { accountId: String(w.accountId), type: 'feed', caption: 'Posted by the walk', firstComment: '', ...soon, timeZone: 'UTC', action: 'schedule' };
  const fresh = 'a long enough new password 123';
  const c = w.commentId;
  return [
    { route: 'post /setup', url: '/setup', fields: { code: 'ABCD-EFGH', username: 'walk_setup', password: fresh, passwordConfirm: fresh } },
    { route: 'post /login', url: '/login', fields: { username: 'walk_viewer', password: PASSWORD } },
    { route: 'post /login/code', url: '/login/code', fields: { code: '123456' } },
    { route: 'post /language', url: '/language', fields: { language: 'kk', returnTo: '/' } },
    { route: 'post /privacy/acknowledge', url: '/privacy/acknowledge', fields: { returnTo: '/' } },
    { route: 'post /logout', url: '/logout', fields: {} },
    { route: 'post /accounts/select', url: '/accounts/select', fields: { accountId: String(w.accountId), returnTo: '/' } },
    { route: 'post /accounts/:id/sync', url: `/accounts/${w.accountId}/sync`, fields: {} },
    { route: 'post /accounts/:id/disconnect', url: `/accounts/${w.accountId}/disconnect`, fields: {} },
    { route: 'post /compose', url: '/compose', fields: composer, multipart: true },
    { route: 'post /posts/:id', url: `/posts/${w.scheduledPostId}`, fields: { ...composer, caption: 'Changed by the walk', [`pos_${w.scheduledMediaId}`]: '1' }, multipart: true },
    { route: 'post /posts/:id/cancel', url: `/posts/${w.scheduledPostId}/cancel`, fields: { returnTo: '/queue' } },
    { route: 'post /posts/:id/duplicate', url: `/posts/${w.scheduledPostId}/duplicate`, fields: {} },
    { route: 'post /posts/:id/reschedule', url: `/posts/${w.scheduledPostId}/reschedule`, fields: { days: '1', returnTo: '/calendar' } },
    { route: 'post /posts/:id/reschedule', url: `/posts/${w.scheduledPostId}/reschedule`, fields: { ...utcParts(Date.UTC(2026, 0, 22, 9, 0)), timeZone: 'UTC', returnTo: '/calendar' } },
    { route: 'post /posts/:id/resolve', url: `/posts/${w.attentionPostId}/resolve`, fields: { outcome: 'retry' } },
    { route: 'post /posts/:id/resolve', url: `/posts/${w.attentionPostId}/resolve`, fields: { outcome: 'published' } },
    { route: 'post /posts/:id/delete', url: `/posts/${w.scheduledPostId}/delete`, fields: {} },
    { route: 'post /posts/:id/delete', url: `/posts/${w.attentionPostId}/delete`, fields: {} },
    { route: 'post /notifications/read', url: '/notifications/read', fields: {} },
    { route: 'post /inbox/sync', url: '/inbox/sync', fields: { returnTo: '/inbox/comments' } },
    { route: 'post /inbox/comments/:commentId/reply', url: `/inbox/comments/${c}/reply`, fields: { text: 'Thank you!', returnTo: `/inbox/comments/${c}` } },
    { route: 'post /inbox/comments/:commentId/private-reply', url: `/inbox/comments/${c}/private-reply`, fields: { text: 'Write to us here', returnTo: `/inbox/comments/${c}` } },
    { route: 'post /inbox/comments/:commentId/hide', url: `/inbox/comments/${c}/hide`, fields: { hidden: '1', returnTo: '/inbox/comments' } },
    { route: 'post /inbox/comments/:commentId/done', url: `/inbox/comments/${c}/done`, fields: { done: '1', returnTo: '/inbox/comments' } },
    { route: 'post /inbox/comments/:commentId/delete', url: `/inbox/comments/${c}/delete`, fields: { returnTo: '/inbox/comments' } },
    { route: 'post /inbox/media/:mediaId/comments', url: `/inbox/media/${w.igMediaId}/comments`, fields: { enabled: '0', returnTo: '/inbox/comments' } },
    { route: 'post /inbox/messages/:conversationId/reply', url: `/inbox/messages/${w.conversationId}/reply`, fields: { text: 'Yes, we are open' } },
    { route: 'post /analytics/refresh', url: '/analytics/refresh', fields: { returnTo: '/analytics' } },
    { route: 'post /hashtags', url: '/hashtags', fields: { name: 'walk', tags: '#walk #route' } },
    { route: 'post /hashtags/:id/remove', url: `/hashtags/${w.hashtagId}/remove`, fields: {} },
    { route: 'post /settings/time-zone', url: '/settings/time-zone', fields: { timeZone: 'Asia/Almaty' } },
    { route: 'post /settings/inbox', url: '/settings/inbox', fields: { humanAgent: '1' } },
    { route: 'post /settings/delete-login', url: '/settings/delete-login', fields: { deletePassword: PASSWORD } },
    { route: 'post /settings/erase', url: '/settings/erase', fields: { erasePassword: PASSWORD, erasePhrase: 'ERASE' } },
    { route: 'post /settings/password', url: '/settings/password', fields: { currentPassword: PASSWORD, newPassword: fresh, newPasswordConfirm: fresh } },
    { route: 'post /settings/2fa/start', url: '/settings/2fa/start', fields: {} },
    { route: 'post /settings/2fa/enable', url: '/settings/2fa/enable', fields: { code: '123456' } },
    { route: 'post /settings/2fa/disable', url: '/settings/2fa/disable', fields: { totpPassword: PASSWORD } },
    { route: 'post /settings/2fa/require', url: '/settings/2fa/require', fields: { required: '1' } },
    { route: 'post /settings/export', url: '/settings/export', fields: {} },
    { route: 'post /settings/system/backup', url: '/settings/system/backup', fields: {} },
    { route: 'post /settings/system/reach', url: '/settings/system/reach', fields: {} },
    { route: 'post /settings/users', url: '/settings/users', fields: { username: 'walk_intruder', password: fresh, role: 'owner' } },
    { route: 'post /settings/users/:id/role', url: `/settings/users/${w.victimEditorId}/role`, fields: { role: 'owner' } },
    // "not even their own": a viewer making itself owner.
    { route: 'post /settings/users/:id/role', url: `/settings/users/${w.viewerId}/role`, fields: { role: 'owner' } },
    { route: 'post /settings/users/:id/password', url: `/settings/users/${w.victimEditorId}/password`, fields: { newPassword: fresh } },
    { route: 'post /settings/users/:id/remove', url: `/settings/users/${w.victimViewerId}/remove`, fields: {} },
    { route: 'post /settings/users/:id/remove', url: `/settings/users/${w.ownerId}/remove`, fields: {} },
  ];
}

/** Extra request headers and which token a request carries. */
interface Variant {
  token: string | undefined;
  headers?: Record<string, string>;
}

function simulatorOf(s: Stage): Simulator {
  const sim = s.t.simulator;
  if (!sim) throw new Error('the app runs without its simulator');
  return sim;
}

/** Files under the data folder (media, incoming uploads, backups), without the live database files. */
function dataFiles(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && !/^qanat\.db(-wal|-shm)?$/.test(e.name))
    .map((e) => `${path.relative(dir, path.join(e.parentPath, e.name))}:${fs.statSync(path.join(e.parentPath, e.name)).size}`)
    .sort();
}

/**
 * Everything a request could change: every table (signed-in sessions by owner only; the store
 * rewrites the rest of a session row as it likes), the files of the data folder, and what
 * Instagram (the simulator) holds: comments, messages, media settings, containers and posts.
 */
function snapshot(s: Stage): string {
  const db = s.t.db.sqlite;
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%' AND name <> 'sessions' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
  const rows: Record<string, unknown> = {};
  for (const table of tables) rows[table] = db.prepare(`SELECT * FROM "${table}" ORDER BY rowid`).all();
  rows['sessions'] = db.prepare('SELECT sid_hash, user_id FROM sessions WHERE user_id IS NOT NULL ORDER BY sid_hash').all();
  const sim = simulatorOf(s).state;
  return JSON.stringify({
    rows,
    files: dataFiles(s.t.dir),
    instagram: {
      comments: [...sim.comments.values()].map((c) => [c.id, c.text, c.hidden, c.privateReplySent ?? false]),
      messages: [...sim.messages.keys()],
      media: [...sim.media.values()].map((m) => [m.id, m.caption, m.commentEnabled]),
      containers: [...sim.containers.keys()],
      publishes: sim.publishes.length,
      tokens: [...sim.tokens.values()].map((t) => [t.token, t.revokedSubcode ?? null]),
    },
  });
}

/** The first table, file list or simulator part that differs, for a readable failure. */
function difference(before: string, after: string): string {
  if (before === after) return 'nothing';
  const a = JSON.parse(before) as { rows: Record<string, unknown>; files: unknown; instagram: Record<string, unknown> };
  const b = JSON.parse(after) as typeof a;
  const changed = [
    ...Object.keys(b.rows).filter((t) => JSON.stringify(a.rows[t]) !== JSON.stringify(b.rows[t])).map((t) => `table ${t}`),
    ...(JSON.stringify(a.files) !== JSON.stringify(b.files) ? ['data files'] : []),
    ...Object.keys(b.instagram).filter((k) => JSON.stringify(a.instagram[k]) !== JSON.stringify(b.instagram[k])).map((k) => `Instagram ${k}`),
  ];
  return changed.join(', ');
}

async function send(agent: Agent, attempt: Attempt, variant: Variant) {
  let req = agent.post(attempt.url);
  for (const [name, value] of Object.entries(variant.headers ?? {})) req = req.set(name, value);
  if (attempt.multipart) {
    if (variant.token !== undefined) req = req.field('_csrf', variant.token);
    for (const [name, value] of Object.entries(attempt.fields)) req = req.field(name, value);
    return req.attach('files', await photo(1080, 1080), 'walk.jpg');
  }
  return req.type('form').send(variant.token === undefined ? attempt.fields : { _csrf: variant.token, ...attempt.fields });
}

/**
 * A 403 page: the error layout with the "not allowed" title, never a redirect or a half page.
 * `csrf`: the refusal must be the CSRF one (true) or must not be (false: the token was accepted
 * and the role refused the request).
 */
function expect403(res: { status: number; text: string; headers: Record<string, unknown> }, where: string, csrf: boolean): void {
  expect(res.status, `${where}: ${res.status} ${String(res.headers['location'] ?? '')} ${res.text.slice(0, 200)}`).to.equal(403);
  expect(String(res.headers['content-type']), where).to.match(/^text\/html/);
  const page = $(res.text);
  expect(page('h1').first().text().trim(), `${where}: the page title`).to.equal(en('error.forbidden.title'));
  const reason = page('.error-page p').eq(1).text().trim();
  if (csrf) expect(reason, `${where}: the reason`).to.equal(en('error.csrf.text'));
  else expect(reason, `${where}: refused for the role, not for the token`).to.not.equal(en('error.csrf.text')).and.not.equal('');
}

describe('route walks: roles and CSRF over every state-changing route (security rows 12 and 13)', function () {
  this.timeout(180_000);
  let s: Stage;
  let w: World;
  let all: Attempt[];
  const agents = {} as Record<'viewer' | 'editor' | 'ownerElsewhere', Agent>;
  const tokens = {} as Record<'owner' | 'viewer' | 'editor' | 'ownerElsewhere', string>;

  const userPosts = (): Route[] => s.t.routes.filter((r) => r.method === 'post' && r.access === 'user');
  const tokenOf = async (agent: Agent): Promise<string> => csrfFrom((await agent.get('/settings')).text);

  before(async () => {
    s = await stage({ SESSION_IDLE_MINUTES: '100000', SESSION_ABSOLUTE_HOURS: '10000' });
    const t = s.t;
    const sim = simulatorOf(s);
    const owner = t.services.users.repo.list().find((u) => u.role === 'owner');
    if (!owner) throw new Error('no owner');
    const viewer = await createUser(t, { username: 'walk_viewer', role: 'viewer' });
    await createUser(t, { username: 'walk_editor', role: 'editor' });
    const victimEditor = await createUser(t, { username: 'victim_editor', role: 'editor' });
    const victimViewer = await createUser(t, { username: 'victim_viewer', role: 'viewer' });
    agents.viewer = await signInLive(s.live, 'walk_viewer');
    agents.editor = await signInLive(s.live, 'walk_editor');
    // The owner again, in another browser: its token must not work in the first one.
    agents.ownerElsewhere = await signInLive(s.live, owner.username);
    // Signed in, so "remove" and "role" have sessions they would end.
    await signInLive(s.live, 'victim_editor');

    const scheduledPostId = await schedulePost(s, { caption: 'Walk target', inMinutes: 3 * 24 * 60 });
    const attentionPostId = await schedulePost(s, { caption: 'Walk attention', inMinutes: 4 * 24 * 60 });
    // How a post comes to need attention does not matter to a refusal; the engine's way is in faults.test.ts.
    t.db.sqlite.prepare("UPDATE posts SET state = 'needs_attention', reason_key = 'instagram.errorClass.transient.text' WHERE id = ?").run(attentionPostId);
    const comment = await sim.people.comment({ text: 'Lovely!', username: 'walk_fan' });
    await sim.people.message({ text: 'Hello, are you open today?', username: 'walk_fan' });
    await t.services.webhooks.idle();
    const conversation = t.db.sqlite.prepare('SELECT id FROM conversations ORDER BY id LIMIT 1').get() as { id: number } | undefined;
    tokens.owner = await tokenOf(s.agent);
    const saved = await s.agent.post('/hashtags').type('form').send({ _csrf: tokens.owner, name: 'summer', tags: '#summer #sea' });
    expect(saved.status).to.equal(303);
    const hashtag = t.db.sqlite.prepare('SELECT id FROM hashtag_sets ORDER BY id LIMIT 1').get() as { id: number };

    w = {
      ownerId: owner.id,
      viewerId: viewer.id,
      victimEditorId: victimEditor.id,
      victimViewerId: victimViewer.id,
      accountId: s.accountId,
      scheduledPostId,
      scheduledMediaId: t.services.posts.repo.mediaOf(scheduledPostId)[0]?.id as number,
      attentionPostId,
      commentId: comment.id,
      igMediaId: comment.mediaId,
      conversationId: conversation?.id ?? 0,
      hashtagId: hashtag.id,
    };
    expect(t.services.ingest.comments.find(s.accountId, comment.id), 'the comment is in the inbox').to.not.equal(undefined);
    expect(w.conversationId, 'a conversation').to.be.greaterThan(0);
    all = attempts(w);
    tokens.viewer = await tokenOf(agents.viewer);
    tokens.editor = await tokenOf(agents.editor);
    tokens.ownerElsewhere = await tokenOf(agents.ownerElsewhere);
  });
  after(async () => {
    await s?.live.close();
  });

  it('every signed-in POST route is either one a viewer may use (the commented list) or refused to a viewer, and each has a request to walk', () => {
    const posts = userPosts().map(key);
    expect(posts.length).to.be.greaterThan(30);
    expect(VIEWER_MAY.filter((r) => !posts.includes(r)), 'listed as allowed but not in the route table').to.deep.equal([]);
    expect(OWNER_ONLY.filter((r) => !posts.includes(r) || VIEWER_MAY.includes(r)), 'owner-only routes are signed-in routes a viewer is refused').to.deep.equal([]);
    const nonBarePosts = s.t.routes.filter((r) => r.method === 'post' && r.access !== 'bare').map(key);
    const walked = new Set(all.map((a) => a.route));
    expect(nonBarePosts.filter((r) => !walked.has(r)), 'POST routes without a request in attempts() — add one').to.deep.equal([]);
    expect([...walked].filter((r) => !nonBarePosts.includes(r)), 'requests for routes that do not exist').to.deep.equal([]);
    expect(s.t.routes.filter((r) => r.method === 'post' && r.access === 'bare').map(key).sort()).to.deep.equal([...SIGNED_BY_META].sort());
  });

  it('a viewer with a valid CSRF token gets the 403 page on every state-changing route it must not use, with plausible fields and real ids, and nothing changes', async () => {
    const refused = userPosts().map(key).filter((r) => !VIEWER_MAY.includes(r));
    const walked: string[] = [];
    for (const attempt of all.filter((a) => refused.includes(a.route))) {
      const before = snapshot(s);
      const res = await send(agents.viewer, attempt, { token: tokens.viewer });
      const where = `viewer POST ${attempt.url} ${JSON.stringify(attempt.fields)}`;
      expect403(res, where, false);
      expect(difference(before, snapshot(s)), `${where} changed`).to.equal('nothing');
      walked.push(attempt.route);
    }
    expect([...new Set(walked)].sort()).to.deep.equal([...refused].sort());
    // Still signed in as a viewer (a refusal is not a sign-out), and still a viewer.
    expect((await agents.viewer.get('/settings')).status).to.equal(200);
    expect(s.t.services.users.findById(w.viewerId)?.role).to.equal('viewer');
  });

  it('an editor with a valid CSRF token gets the 403 page on every owner-only route (users, erase, backup, reach, disconnect, sync, inbox setting, 2fa require), and nothing changes', async () => {
    const walked: string[] = [];
    for (const attempt of all.filter((a) => OWNER_ONLY.includes(a.route))) {
      const before = snapshot(s);
      const res = await send(agents.editor, attempt, { token: tokens.editor });
      const where = `editor POST ${attempt.url} ${JSON.stringify(attempt.fields)}`;
      expect403(res, where, false);
      expect(difference(before, snapshot(s)), `${where} changed`).to.equal('nothing');
      walked.push(attempt.route);
    }
    expect([...new Set(walked)].sort()).to.deep.equal([...OWNER_ONLY].sort());
  });

  /** The owner could do all of it with the right token from Qanat's own pages; here each request lacks one proof. */
  const csrfWalk = (variant: () => Variant) => async () => {
    const nonBare = s.t.routes.filter((r) => r.method === 'post' && r.access !== 'bare').map(key);
    const walked = new Set<string>();
    for (const attempt of all) {
      const before = snapshot(s);
      const res = await send(s.agent, attempt, variant());
      const where = `owner POST ${attempt.url}${attempt.multipart ? ' (multipart)' : ''}`;
      expect403(res, where, true);
      expect(difference(before, snapshot(s)), `${where} changed`).to.equal('nothing');
      walked.add(attempt.route);
    }
    expect([...walked].sort()).to.deep.equal([...nonBare].sort());
    expect((await s.agent.get('/settings')).status, 'the owner is still signed in').to.equal(200);
  };

  it("the owner's POST to every route without a CSRF token answers 403 and changes nothing", csrfWalk(() => ({ token: undefined })));

  it("the owner's POST to every route with another session's CSRF token (the owner's own other browser) answers 403 and changes nothing", csrfWalk(() => ({ token: tokens.ownerElsewhere })));

  it("the owner's POST to every route with the right token but Origin: https://evil.example answers 403 and changes nothing", csrfWalk(() => ({ token: tokens.owner, headers: { Origin: 'https://evil.example' } })));

  it("the owner's POST to every route with the right token but Sec-Fetch-Site: cross-site answers 403 and changes nothing", csrfWalk(() => ({ token: tokens.owner, headers: { 'Sec-Fetch-Site': 'cross-site' } })));

  it('every route whose path says delete, remove, disconnect or erase changes nothing by GET: a confirmation page that posts back, or 404', async () => {
    const ids: Record<string, Record<string, string>> = {
      '/posts/:id/delete': { id: String(w.scheduledPostId) },
      '/inbox/comments/:commentId/delete': { commentId: w.commentId },
      '/hashtags/:id/remove': { id: String(w.hashtagId) },
      '/accounts/:id/disconnect': { id: String(w.accountId) },
      '/settings/users/:id/remove': { id: String(w.victimEditorId) },
    };
    const paths = [...new Set(s.t.routes.filter((r) => /delete|remove|disconnect|erase/.test(r.path)).map((r) => r.path))];
    // Meta's data-deletion callback says "deletion", not "delete"; it is a signed POST (row 27).
    expect(paths.sort()).to.deep.equal(['/accounts/:id/disconnect', '/hashtags/:id/remove', '/inbox/comments/:commentId/delete', '/posts/:id/delete', '/settings/delete-login', '/settings/erase', '/settings/users/:id/remove']);
    for (const route of paths) {
      const url = route.replace(/:(\w+)/g, (_all, name: string) => ids[route]?.[name] ?? '1');
      const before = snapshot(s);
      // Twice: a prefetching browser or a link checker may open the same URL again.
      for (let i = 0; i < 2; i += 1) {
        const res = await s.agent.get(url);
        expect([200, 404], `GET ${url}`).to.include(res.status);
        if (res.status === 200) {
          const page = $(res.text);
          const forms = page('form').filter((_i, el) => page(el).attr('action') === url);
          expect(forms.length, `GET ${url} shows a form that posts back`).to.equal(1);
          expect(String(forms.attr('method')).toLowerCase(), `GET ${url}: the form's method`).to.equal('post');
        }
      }
      expect(difference(before, snapshot(s)), `GET ${url} changed`).to.equal('nothing');
    }
  });

  it('a viewer may use its own routes with the same token: time zone, privacy notice and account choice change only its own user row or session', async () => {
    for (const route of ['post /settings/time-zone', 'post /privacy/acknowledge', 'post /accounts/select']) {
      const attempt = all.find((a) => a.route === route) as Attempt;
      const before = snapshot(s);
      const res = await send(agents.viewer, attempt, { token: tokens.viewer });
      expect(res.status, `viewer POST ${attempt.url}: ${res.text.slice(0, 300)}`).to.equal(303);
      // The time zone change is audited too (its own audit row, by the viewer).
      expect(['nothing', 'table users', 'table audit_log, table users'], `viewer POST ${attempt.url} changed`).to.include(difference(before, snapshot(s)));
    }
    expect(s.t.services.users.findById(w.viewerId)?.timeZone).to.equal('Asia/Almaty');
    const audit = s.t.db.sqlite.prepare("SELECT actor FROM audit_log WHERE kind = 'user.timezone.changed'").all() as Array<{ actor: string }>;
    expect(audit.map((a) => a.actor)).to.deep.equal(['walk_viewer']);
  });

  // Last: it changes the world on purpose.
  it('control: the same requests with the right token and no foreign headers do change the snapshot, so the walks above could see a change', async () => {
    const controls = ['post /hashtags', 'post /posts/:id/cancel', 'post /settings/users', 'post /inbox/comments/:commentId/hide', 'post /inbox/messages/:conversationId/reply', 'post /compose'];
    for (const route of controls) {
      const attempt = all.find((a) => a.route === route) as Attempt;
      const before = snapshot(s);
      const res = await send(s.agent, attempt, { token: tokens.owner });
      expect(res.status, `owner POST ${attempt.url}: ${res.text.slice(0, 300)}`).to.equal(303);
      await s.t.services.mediaWorker.idle();
      expect(difference(before, snapshot(s)), `owner POST ${attempt.url}`).to.not.equal('nothing');
    }
  });
});
