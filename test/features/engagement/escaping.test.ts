// What other people write (comments, DMs, their usernames) is data, never markup (security.md 16),
// and it is stored sealed (security.md 26/29): markup-laden comments and messages arrive by webhook
// and by the sync job, and every page that shows them must render them as inert text; then the
// database file (and its WAL) must not hold any of their words in clear.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { CheerioAPI } from 'cheerio';
import { translatorFor } from '../../../src/i18n/index.js';
import type { Simulator } from '../../../src/sandbox/simulator.js';
import { $, csrfFrom } from '../../support/http.js';
import { stage, type Stage } from '../../support/publishing.js';

const en = translatorFor('en');

function simOf(s: Stage): Simulator {
  const sim = s.t.simulator;
  if (!sim) throw new Error('the app runs without its simulator');
  return sim;
}

/**
 * The page holds nothing a browser would run or load because of third-party text: only the app's
 * own script, no event-handler attributes, no javascript: URLs, no elements smuggled in by a payload.
 */
function assertInert(html: string, where: string): CheerioAPI {
  const page = $(html);
  const scripts = page('script').toArray();
  expect(scripts.map((el) => page(el).attr('src') ?? '(inline)'), `${where}: scripts`).to.have.length(1);
  expect(page(scripts[0]).attr('src'), `${where}: the app's own script`).to.match(/^\/assets\/js\/app\.js(\?|$)/);
  expect(page(scripts[0]).text(), `${where}: script body`).to.equal('');
  const elements = page('*')
    .toArray()
    .map((el) => ({ tag: String(page(el).prop('tagName')).toLowerCase(), attributes: page(el).attr() ?? {} }));
  const handlers = elements.flatMap((el) => Object.keys(el.attributes).filter((name) => /^on/i.test(name)).map((name) => `<${el.tag} ${name}>`));
  expect(handlers, `${where}: event-handler attributes`).to.deep.equal([]);
  const jsUrls = elements.flatMap((el) => Object.values(el.attributes).filter((value) => /^\s*javascript:/i.test(value)));
  expect(jsUrls, `${where}: javascript: URLs`).to.deep.equal([]);
  expect(page('img[src="x"]').length, `${where}: <img src=x>`).to.equal(0);
  expect(page('b').length, `${where}: <b> from a payload`).to.equal(0);
  expect(page('iframe, svg, object, embed, marquee').length, `${where}: smuggled elements`).to.equal(0);
  return page;
}

/** Every string appears in the page as text (decoded once, so it was escaped exactly once). */
function assertShownAsText(page: CheerioAPI, where: string, ...texts: string[]): void {
  const text = page('body').text();
  for (const t of texts) expect(text, `${where}: shows ${JSON.stringify(t)} as text`).to.contain(t);
}

// Payloads: each tries another way out (element, attribute, textarea, quote).
const W_COMMENT_USER = '<img src=x onerror=alert(1)>';
const W_COMMENT_TEXT = `<script>alert("x")</script><b>bold</b>"'& </textarea><img src=x onerror=alert(11)>`;
const W_REPLY_USER = `"><svg onload=alert(2)>`;
const W_REPLY_TEXT = `<iframe src="javascript:alert(12)"></iframe>'><b onclick=alert(13)>bold</b>`;
const S_COMMENT_USER = `<b onmouseover=alert(3)>bold</b>`;
const S_COMMENT_TEXT = `<script src=//evil.example/x.js></script>"/><marquee onstart=alert(14)>`;
const W_DM_USER = `<script>alert("dm")</script>`;
const W_DM_TEXT = `<img src=x onerror=alert(15)><b>bold</b>"'&`;
const S_DM_USER = `'><img src=x onerror=alert(4)>`;
const S_DM_TEXT = `</textarea><script>alert("sync")</script>`;
const TYPED = `</textarea><script>alert("typed")</script><img src=x onerror=alert(16)>"'&`;

interface Seeded {
  webhookComment: { id: string; mediaId: string };
  syncComment: { id: string };
  webhookDm: number;
  syncDm: number;
}

async function conversationIdOf(s: Stage, username: string): Promise<number> {
  const page = $((await s.agent.get('/inbox/messages')).text);
  const link = page('a.conversation__link').filter((_i, el) => page(el).find('.conversation__who').text().trim() === `@${username}`);
  expect(link.length, `a conversation with @${username}`).to.equal(1);
  return Number(/^\/inbox\/messages\/(\d+)$/.exec(link.attr('href') ?? '')?.[1]);
}

describe('inbox: third-party text is escaped on every page (security.md 16)', function () {
  this.timeout(120_000);
  let s: Stage;
  let seeded: Seeded;

  before(async () => {
    s = await stage();
    const sim = simOf(s);
    // By webhook: a comment, a reply to it, a DM.
    const comment = await sim.people.comment({ text: W_COMMENT_TEXT, username: W_COMMENT_USER });
    const reply = await sim.people.comment({ text: W_REPLY_TEXT, username: W_REPLY_USER, parentId: comment.id });
    const dm = await sim.people.message({ text: W_DM_TEXT, username: W_DM_USER });
    expect([comment.webhook, reply.webhook, dm.webhook]).to.deep.equal(['sent', 'sent', 'sent']);
    await s.t.services.webhooks.idle();
    // Only by the sync job: webhooks off.
    s.t.clock.advance(60_000);
    sim.webhooks.url = undefined;
    const quiet = await sim.people.comment({ text: S_COMMENT_TEXT, username: S_COMMENT_USER });
    const quietDm = await sim.people.message({ text: S_DM_TEXT, username: S_DM_USER });
    expect([quiet.webhook, quietDm.webhook]).to.deep.equal(['no-url', 'no-url']);
    const counts = await s.t.services.inboxSync.syncAll();
    expect(counts.failed).to.equal(0);
    expect(s.t.services.ingest.comments.find(s.accountId, quiet.id), 'the sync loaded the quiet comment').to.not.equal(undefined);

    // The quiet comment is hidden, so the "hidden" filter has a payload to show.
    const thread = await s.agent.get(`/inbox/comments/${quiet.id}`);
    const hide = await s.agent.post(`/inbox/comments/${quiet.id}/hide`).type('form').send({ _csrf: csrfFrom(thread.text), hidden: '1', returnTo: `/inbox/comments/${quiet.id}` });
    expect(hide.status, hide.text.slice(0, 1000)).to.equal(303);
    expect(sim.state.comments.get(quiet.id)?.hidden).to.equal(true);

    seeded = {
      webhookComment: { id: comment.id, mediaId: comment.mediaId },
      syncComment: { id: quiet.id },
      webhookDm: await conversationIdOf(s, W_DM_USER),
      syncDm: await conversationIdOf(s, S_DM_USER),
    };
  });
  after(async () => {
    await s?.live.close();
  });

  it('the comment list, under every filter, for one post, and searched by a payload, shows payloads as text only', async () => {
    const all = assertInert((await s.agent.get('/inbox/comments')).text, '/inbox/comments');
    assertShownAsText(all, '/inbox/comments', `@${W_COMMENT_USER}`, W_COMMENT_TEXT, `@${W_REPLY_USER}`, W_REPLY_TEXT, `@${S_COMMENT_USER}`, S_COMMENT_TEXT);
    expect(all(`#c-${seeded.webhookComment.id} .comment__text`).text()).to.equal(W_COMMENT_TEXT);
    expect(all(`#c-${seeded.webhookComment.id} .comment__who`).text()).to.equal(`@${W_COMMENT_USER}`);

    const needsReply = assertInert((await s.agent.get('/inbox/comments?filter=needs_reply')).text, 'needs_reply');
    assertShownAsText(needsReply, 'needs_reply', W_COMMENT_TEXT, `@${W_COMMENT_USER}`);

    const hidden = assertInert((await s.agent.get('/inbox/comments?filter=hidden')).text, 'hidden');
    assertShownAsText(hidden, 'hidden', S_COMMENT_TEXT, `@${S_COMMENT_USER}`);
    expect(hidden(`#c-${seeded.syncComment.id} .comment__text`).text()).to.equal(S_COMMENT_TEXT);

    const onePost = assertInert((await s.agent.get(`/inbox/comments?media=${seeded.webhookComment.mediaId}`)).text, '?media=');
    assertShownAsText(onePost, '?media=', W_COMMENT_TEXT, W_REPLY_TEXT, S_COMMENT_TEXT);

    for (const [q, expected] of [
      ['<script>alert("x")</script>', W_COMMENT_TEXT],
      [W_COMMENT_USER, W_COMMENT_TEXT],
      [`"><svg onload=alert(2)>`, W_REPLY_TEXT],
      [`"/><marquee onstart=alert(14)>`, S_COMMENT_TEXT],
    ] as const) {
      for (const filter of ['all', 'needs_reply', 'hidden'] as const) {
        const res = await s.agent.get('/inbox/comments').query({ filter, q });
        expect(res.status).to.equal(200);
        const page = assertInert(res.text, `search ${filter} ${q}`);
        expect(page('#filter-q').val(), 'the search box keeps the query as typed').to.equal(q);
        if (filter === 'all') assertShownAsText(page, `search ${q}`, expected);
      }
    }
  });

  it('the comment thread and the delete confirmation show payloads as text only', async () => {
    for (const id of [seeded.webhookComment.id, seeded.syncComment.id]) {
      const thread = assertInert((await s.agent.get(`/inbox/comments/${id}`)).text, `/inbox/comments/${id}`);
      const confirm = assertInert((await s.agent.get(`/inbox/comments/${id}/delete`)).text, `/inbox/comments/${id}/delete`);
      if (id === seeded.webhookComment.id) {
        assertShownAsText(thread, 'thread', `@${W_COMMENT_USER}`, W_COMMENT_TEXT, `@${W_REPLY_USER}`, W_REPLY_TEXT, en('engagement.comments.replyLabel', { username: W_COMMENT_USER }));
        assertShownAsText(confirm, 'delete', en('engagement.delete.text', { username: W_COMMENT_USER }));
        expect(confirm('blockquote').text()).to.equal(W_COMMENT_TEXT);
      } else {
        assertShownAsText(thread, 'thread', `@${S_COMMENT_USER}`, S_COMMENT_TEXT);
        assertShownAsText(confirm, 'delete', en('engagement.delete.text', { username: S_COMMENT_USER }));
        expect(confirm('blockquote').text()).to.equal(S_COMMENT_TEXT);
      }
    }
    // A reply's own confirmation page, reached by the reply's id.
    const replyId = [...simOf(s).state.comments.values()].find((c) => c.parentId === seeded.webhookComment.id && c.text === W_REPLY_TEXT)?.id;
    expect(replyId).to.be.a('string');
    const replyConfirm = assertInert((await s.agent.get(`/inbox/comments/${replyId}/delete`)).text, 'reply delete');
    expect(replyConfirm('blockquote').text()).to.equal(W_REPLY_TEXT);
    assertShownAsText(replyConfirm, 'reply delete', en('engagement.delete.text', { username: W_REPLY_USER }));
  });

  it('the conversation list and both conversations (webhook and sync) show payloads as text only', async () => {
    const list = assertInert((await s.agent.get('/inbox/messages')).text, '/inbox/messages');
    assertShownAsText(list, '/inbox/messages', `@${W_DM_USER}`, W_DM_TEXT, `@${S_DM_USER}`, S_DM_TEXT);

    for (const [id, user, text] of [
      [seeded.webhookDm, W_DM_USER, W_DM_TEXT],
      [seeded.syncDm, S_DM_USER, S_DM_TEXT],
    ] as const) {
      const res = await s.agent.get(`/inbox/messages/${id}`);
      expect(res.status).to.equal(200);
      const page = assertInert(res.text, `/inbox/messages/${id}`);
      expect(page('h1').text().trim()).to.equal(en('engagement.messages.with', { username: user }));
      expect(page('.message__text').first().text()).to.equal(text);
      expect(page('.message__meta').first().text()).to.contain(`@${user}`);
      expect(page('textarea[name="text"]').text(), 'the reply box starts empty').to.equal('');
    }
  });

  it('the dashboard stays inert with payloads in the inbox', async () => {
    const res = await s.agent.get('/');
    expect(res.status).to.equal(200);
    const page = assertInert(res.text, '/');
    expect(page('[data-inbox-count="total"]').text().trim()).to.match(/^\d+$/);
  });

  it('422 re-renders echo a typed payload as text: DM reply, public comment reply, private reply', async () => {
    // A DM of over 1000 bytes is refused before it is sent.
    const dmPage = await s.agent.get(`/inbox/messages/${seeded.webhookDm}`);
    const dmText = TYPED + 'щ'.repeat(500);
    const dm = await s.agent.post(`/inbox/messages/${seeded.webhookDm}/reply`).type('form').send({ _csrf: csrfFrom(dmPage.text), text: dmText });
    expect(dm.status).to.equal(422);
    const dmRerender = assertInert(dm.text, 'DM 422');
    expect(dmRerender('textarea[name="text"]').text()).to.equal(dmText);
    assertShownAsText(dmRerender, 'DM 422', W_DM_TEXT, `@${W_DM_USER}`);
    expect([...simOf(s).state.messages.values()].filter((m) => m.direction === 'out' && m.text.startsWith('</textarea>'))).to.deep.equal([]);

    // A public reply over 2200 characters.
    const id = seeded.webhookComment.id;
    const threadPage = await s.agent.get(`/inbox/comments/${id}`);
    const long = TYPED + 'a'.repeat(2200);
    const reply = await s.agent.post(`/inbox/comments/${id}/reply`).type('form').send({ _csrf: csrfFrom(threadPage.text), text: long, returnTo: `/inbox/comments/${id}` });
    expect(reply.status).to.equal(422);
    const replyRerender = assertInert(reply.text, 'comment reply 422');
    expect(replyRerender(`#reply-${id}`).text()).to.equal(long);
    assertShownAsText(replyRerender, 'comment reply 422', W_COMMENT_TEXT);

    // A private reply over 1000 bytes.
    const privateText = TYPED + 'ж'.repeat(500);
    const privateReply = await s.agent.post(`/inbox/comments/${id}/private-reply`).type('form').send({ _csrf: csrfFrom(threadPage.text), text: privateText, returnTo: `/inbox/comments/${id}` });
    expect(privateReply.status).to.equal(422);
    const privateRerender = assertInert(privateReply.text, 'private reply 422');
    expect(privateRerender(`#private-${id}`).text()).to.equal(privateText);
    expect([...simOf(s).state.comments.values()].filter((c) => c.text.startsWith('</textarea>'))).to.deep.equal([]);
  });
});

describe('inbox: third-party words are stored only sealed (security.md 26, 29)', function () {
  this.timeout(120_000);
  let s: Stage;

  beforeEach(async () => {
    s = await stage();
  });
  afterEach(() => s.live.close());

  it('after comments and messages by webhook and by sync, the database file, its WAL and the logs hold none of their words or usernames', async () => {
    const sim = simOf(s);
    const markers = {
      webhookCommentText: 'SECRETCOMMENT-qz7 ЖАСЫРЫН-ПІКІР-44',
      webhookCommentUser: 'marker_user_77',
      webhookReplyText: 'SECRETREPLY-h2w ҚҰПИЯ-ЖАУАП-18',
      webhookDmText: 'SECRETMESSAGE-m3k ЖАСЫРЫН-ХАБАР-91',
      webhookDmUser: 'marker_dm_user_79',
      syncCommentText: 'SYNCSECRET-c81 ҚҰПИЯ-СЫР-52',
      syncCommentUser: 'marker_user_78',
      syncDmText: 'SYNCMESSAGE-x9p ҚҰПИЯ-ХАТ-63',
      syncDmUser: 'marker_dm_user_80',
      ourReply: 'OUTBOUND-REPLY-r55 БІЗДІҢ-ЖАУАП-07',
    };

    const comment = await sim.people.comment({ text: markers.webhookCommentText, username: markers.webhookCommentUser });
    const reply = await sim.people.comment({ text: markers.webhookReplyText, username: markers.webhookCommentUser, parentId: comment.id });
    const dm = await sim.people.message({ text: markers.webhookDmText, username: markers.webhookDmUser });
    expect([comment.webhook, reply.webhook, dm.webhook]).to.deep.equal(['sent', 'sent', 'sent']);
    await s.t.services.webhooks.idle();

    // Our own reply goes out and comes back as an echo webhook.
    const id = await conversationIdOf(s, markers.webhookDmUser);
    const thread = await s.agent.get(`/inbox/messages/${id}`);
    const sentBefore = sim.state.counters.webhooksSent + sim.state.counters.webhooksFailed;
    const sent = await s.agent.post(`/inbox/messages/${id}/reply`).type('form').send({ _csrf: csrfFrom(thread.text), text: markers.ourReply });
    expect(sent.status, sent.text.slice(0, 1000)).to.equal(303);
    const deadline = Date.now() + 5_000;
    while (sim.state.counters.webhooksSent + sim.state.counters.webhooksFailed <= sentBefore) {
      if (Date.now() > deadline) throw new Error('the echo webhook was never delivered');
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    await s.t.services.webhooks.idle();

    s.t.clock.advance(60_000);
    sim.webhooks.url = undefined;
    await sim.people.comment({ text: markers.syncCommentText, username: markers.syncCommentUser });
    await sim.people.message({ text: markers.syncDmText, username: markers.syncDmUser });
    const counts = await s.t.services.inboxSync.syncAll();
    expect(counts.failed).to.equal(0);

    // Everything arrived and reads back in the app.
    const comments = $((await s.agent.get('/inbox/comments')).text)('body').text();
    for (const m of [markers.webhookCommentText, markers.webhookCommentUser, markers.webhookReplyText, markers.syncCommentText, markers.syncCommentUser]) expect(comments).to.contain(m);
    const conversations = $((await s.agent.get('/inbox/messages')).text)('body').text();
    for (const m of [markers.webhookDmUser, markers.syncDmText, markers.syncDmUser, markers.ourReply]) expect(conversations).to.contain(m);
    const threadPage = $((await s.agent.get(`/inbox/messages/${id}`)).text);
    expect(threadPage('.message__text').toArray().map((el) => threadPage(el).text())).to.deep.equal([markers.webhookDmText, markers.ourReply]);

    // The raw webhook payloads are dropped once processed.
    const events = s.t.db.sqlite.prepare('SELECT field, processed_at AS processedAt, payload FROM webhook_events').all() as Array<{ field: string; processedAt: number | null; payload: string | null }>;
    expect(events.length).to.be.greaterThan(3);
    expect(events.filter((e) => e.processedAt === null || e.payload !== null)).to.deep.equal([]);

    // Every text and username column holds the cipher's format, under the current key.
    const prefix = `v1:${s.t.cipher.currentKeyId}:`;
    const sealed = /^v1:[A-Za-z0-9_-]+:[A-Za-z0-9_-]+:[A-Za-z0-9_-]*:[A-Za-z0-9_-]+$/;
    const commentRows = s.t.db.sqlite.prepare('SELECT text, username FROM comments').all() as Array<{ text: string; username: string }>;
    const messageRows = s.t.db.sqlite.prepare('SELECT text FROM messages WHERE text IS NOT NULL').all() as Array<{ text: string }>;
    const conversationRows = s.t.db.sqlite.prepare('SELECT participant_username AS username FROM conversations WHERE participant_username IS NOT NULL').all() as Array<{ username: string }>;
    expect(commentRows.length).to.be.greaterThan(3);
    expect(messageRows.length).to.be.greaterThan(3);
    expect(conversationRows.length).to.be.greaterThan(1);
    const values = [...commentRows.flatMap((r) => [r.text, r.username]), ...messageRows.map((r) => r.text), ...conversationRows.map((r) => r.username)];
    expect(values.filter((v) => !v.startsWith(prefix) || !sealed.test(v))).to.deep.equal([]);

    // The bytes on disk: the database, its WAL, and anything else in the data folder.
    s.t.db.sqlite.pragma('wal_checkpoint(TRUNCATE)');
    const files = filesUnder(s.t.dir);
    expect(files.map((f) => path.basename(f))).to.include('qanat.db');
    const needles = Object.entries(markers).flatMap(([name, text]) => [
      { name: `${name} (utf-8)`, bytes: Buffer.from(text, 'utf8') },
      { name: `${name} (utf-16le)`, bytes: Buffer.from(text, 'utf16le') },
      // Each word on its own too: a partial leak (one half of the marker) counts.
      ...text.split(' ').map((word) => ({ name: `${name}:${word}`, bytes: Buffer.from(word, 'utf8') })),
    ]);
    const found: string[] = [];
    for (const file of files) {
      const bytes = fs.readFileSync(file);
      for (const needle of needles) if (bytes.includes(needle.bytes)) found.push(`${path.relative(s.t.dir, file)}: ${needle.name}`);
    }
    expect(found).to.deep.equal([]);
    // Nor the logs (debug level here).
    const logs = s.t.logs.text;
    expect(Object.entries(markers).filter(([, text]) => text.split(' ').some((word) => logs.includes(word))).map(([name]) => name)).to.deep.equal([]);
  });
});

function filesUnder(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) return filesUnder(full);
    return entry.isFile() ? [full] : [];
  });
}
