// Inbox → Messages against the mounted simulator: a person writes, the conversation appears with
// its unread count, replies go out inside Instagram's window (24 h, or 7 days as Human Agent when
// the owner allows it), and every refusal (closed window, Instagram's own refusal, too many bytes,
// a viewer) is explained next to the reply box with the typed text kept and nothing sent.
import { expect } from 'chai';
import type { CheerioAPI } from 'cheerio';
import { translatorFor } from '../../../src/i18n/index.js';
import type { Simulator } from '../../../src/sandbox/simulator.js';
import type { SimMessage } from '../../../src/sandbox/state.js';
import { signInLive } from '../../support/accounts.js';
import { createUser } from '../../support/factories.js';
import { $, csrfFrom, type Agent } from '../../support/http.js';
import { stage, type Stage } from '../../support/publishing.js';

const en = translatorFor('en');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** The clock moves by days here; sessions must outlive it. */
const LONG_SESSIONS = { SESSION_IDLE_MINUTES: '100000', SESSION_ABSOLUTE_HOURS: '10000' };

/** Text as a person reads it: whitespace collapsed. */
const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

function simOf(s: Stage): Simulator {
  const sim = s.t.simulator;
  if (!sim) throw new Error('the app runs without its simulator');
  return sim;
}

/** A person writes a DM; the webhook arrives and the app has processed it (and its username look-up). */
async function personWrites(s: Stage, text: string, username: string): Promise<{ conversationId: string; messageId: string; participantId: string }> {
  const sent = await simOf(s).people.message({ text, username });
  expect(sent.webhook, 'webhook delivery').to.equal('sent');
  await s.t.services.webhooks.idle();
  return sent;
}

/** The simulator's outbound messages in one of its conversations. */
function simOutbound(s: Stage, simConversationId: string): SimMessage[] {
  return [...simOf(s).state.messages.values()].filter((m) => m.conversationId === simConversationId && m.direction === 'out');
}

/** Qanat's local conversation id, read from the link on the list page. */
async function conversationIdFor(agent: Agent, username: string): Promise<number> {
  const page = $((await agent.get('/inbox/messages')).text);
  const link = page('a.conversation__link').filter((_i, el) => squash(page(el).find('.conversation__who').text()) === `@${username}`);
  expect(link.length, `a conversation with @${username} on the list`).to.equal(1);
  const id = /^\/inbox\/messages\/(\d+)$/.exec(link.attr('href') ?? '')?.[1];
  expect(id, 'conversation link').to.be.a('string');
  return Number(id);
}

async function openThread(agent: Agent, id: number): Promise<{ status: number; html: string; page: CheerioAPI }> {
  const res = await agent.get(`/inbox/messages/${id}`);
  expect(res.status, `GET /inbox/messages/${id}`).to.equal(200);
  return { status: res.status, html: res.text, page: $(res.text) };
}

function threadTexts(page: CheerioAPI): Array<{ direction: string; text: string }> {
  return page('ol.messages > li.message')
    .toArray()
    .map((el) => ({ direction: page(el).hasClass('message--out') ? 'out' : 'in', text: squash(page(el).find('.message__text').text()) }));
}

function messagesCount(page: CheerioAPI): string {
  return squash(page('[data-inbox-count="messages"]').first().text());
}

async function postReply(agent: Agent, id: number, text: string, csrf: string) {
  return agent.post(`/inbox/messages/${id}/reply`).type('form').send({ _csrf: csrf, text });
}

/** The simulator echoes every sent message as a webhook in the background (§7.5); wait for it to be delivered and processed. */
async function echoProcessed(s: Stage, deliveriesBefore: number): Promise<void> {
  const counters = simOf(s).state.counters;
  const deadline = Date.now() + 5_000;
  while (counters.webhooksSent + counters.webhooksFailed <= deliveriesBefore) {
    if (Date.now() > deadline) throw new Error('the echo webhook was never delivered');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await s.t.services.webhooks.idle();
}

function deliveries(s: Stage): number {
  const counters = simOf(s).state.counters;
  return counters.webhooksSent + counters.webhooksFailed;
}

async function setHumanAgent(s: Stage, on: boolean): Promise<void> {
  const settings = await s.agent.get('/settings/inbox');
  const res = await s.agent
    .post('/settings/inbox')
    .type('form')
    .send({ _csrf: csrfFrom(settings.text), ...(on ? { humanAgent: '1' } : {}) });
  expect(res.status, res.text.slice(0, 1000)).to.equal(303);
}

describe('inbox: direct messages (sandbox)', function () {
  this.timeout(120_000);
  let s: Stage;

  beforeEach(async () => {
    s = await stage(LONG_SESSIONS);
  });
  afterEach(() => s.live.close());

  it('a new message shows in the list with @username, last text and unread count; opening the thread (oldest first) marks it read', async () => {
    const first = await personWrites(s, 'Salem! Do you ship to Shymkent?', 'aigerim_k');
    s.t.clock.advance(60_000);
    const second = await personWrites(s, 'And how much is the blue scarf?', 'aigerim_k');
    expect(second.conversationId, 'one conversation on Instagram').to.equal(first.conversationId);

    const list = $((await s.agent.get('/inbox/messages')).text);
    const item = list('li.conversation').filter((_i, el) => squash(list(el).find('.conversation__who').text()) === '@aigerim_k');
    expect(item.length).to.equal(1);
    expect(item.hasClass('conversation--unread')).to.equal(true);
    expect(squash(item.find('.conversation__last').text())).to.equal('And how much is the blue scarf?');
    expect(squash(item.find('.count').text())).to.equal(`2 ${en('engagement.messages.unread')}`);
    expect(messagesCount(list)).to.equal('1');
    expect(list('[data-inbox-count="messages"]').attr('hidden')).to.equal(undefined);
    expect(squash(list('[data-inbox-count="total"]').text())).to.equal('1');

    const id = await conversationIdFor(s.agent, 'aigerim_k');
    s.t.clock.advance(60_000);
    const thread = await openThread(s.agent, id);
    expect(thread.status).to.equal(200);
    expect(squash(thread.page('h1').text())).to.equal(en('engagement.messages.with', { username: 'aigerim_k' }));
    expect(threadTexts(thread.page)).to.deep.equal([
      { direction: 'in', text: 'Salem! Do you ship to Shymkent?' },
      { direction: 'in', text: 'And how much is the blue scarf?' },
    ]);
    expect(squash(thread.page('ol.messages .message__meta').first().text())).to.match(/^@aigerim_k ·/);

    // Read now: the next page shows no count, and the list no unread badge.
    const after = $((await s.agent.get('/inbox/messages')).text);
    expect(messagesCount(after)).to.equal('0');
    expect(after('[data-inbox-count="messages"]').attr('hidden')).to.not.equal(undefined);
    const readItem = after('li.conversation').filter((_i, el) => squash(after(el).find('.conversation__who').text()) === '@aigerim_k');
    expect(readItem.hasClass('conversation--unread')).to.equal(false);
    expect(readItem.find('.count').length).to.equal(0);

    // A new message makes it unread again.
    s.t.clock.advance(60_000);
    await personWrites(s, 'Hello?', 'aigerim_k');
    expect(squash($((await s.agent.get('/')).text)('[data-inbox-count="total"]').text())).to.equal('1');
    expect(messagesCount($((await s.agent.get('/inbox/messages')).text))).to.equal('1');
  });

  it('a reply inside the 24 h window reaches Instagram once, shows once (the echo does not duplicate it) and the window box says how long is left', async () => {
    const inbound = await personWrites(s, 'Is the shop open on Sunday?', 'nurlan_b');
    const id = await conversationIdFor(s.agent, 'nurlan_b');
    s.t.clock.advance(2 * HOUR + 15 * 60_000);

    const thread = await openThread(s.agent, id);
    expect(squash(thread.page('#window').text())).to.contain(en('engagement.window.open', { hours: 21, minutes: 45 }));
    expect(thread.page('#window').hasClass('window--open')).to.equal(true);
    expect(thread.page('form#reply textarea[name="text"]').length).to.equal(1);
    expect(squash(thread.page('form#reply button[type="submit"]').text())).to.equal(en('engagement.messages.send'));

    const before = deliveries(s);
    const res = await postReply(s.agent, id, 'Yes, from 10 to 18. Welcome!', csrfFrom(thread.html));
    expect(res.status, res.text.slice(0, 2000)).to.equal(303);
    expect(res.headers['location']).to.equal(`/inbox/messages/${id}#reply`);

    const out = simOutbound(s, inbound.conversationId);
    expect(out.map((m) => m.text)).to.deep.equal(['Yes, from 10 to 18. Welcome!']);
    expect(out[0]?.toId).to.equal(inbound.participantId);

    await echoProcessed(s, before);
    const echo = s.t.db.sqlite.prepare("SELECT outcome, payload FROM webhook_events WHERE field = 'messages' ORDER BY received_at DESC, rowid DESC LIMIT 1").get() as { outcome: string; payload: string | null };
    expect(echo.outcome, 'the echo was processed').to.equal('done');

    const shown = await openThread(s.agent, id);
    expect(shown.page('.flashes').text()).to.contain(en('engagement.flash.sent'));
    expect(threadTexts(shown.page)).to.deep.equal([
      { direction: 'in', text: 'Is the shop open on Sunday?' },
      { direction: 'out', text: 'Yes, from 10 to 18. Welcome!' },
    ]);
    expect(squash(shown.page('li.message--out .message__meta').text())).to.match(new RegExp(`^${en('engagement.messages.you')} ·`));
    expect(shown.page('li.message--out').text()).to.not.contain(en('engagement.messages.humanAgentBadge'));
    const list = $((await s.agent.get('/inbox/messages')).text);
    expect(squash(list('.conversation__last').first().text())).to.equal(`${en('engagement.messages.youPrefix')} Yes, from 10 to 18. Welcome!`);
  });

  it('after 24 h the thread explains the closed window, offers no reply box, and a forced reply is refused (422) without reaching Instagram', async () => {
    const inbound = await personWrites(s, 'Do you have it in size M?', 'dana_s');
    const id = await conversationIdFor(s.agent, 'dana_s');
    s.t.clock.advance(25 * HOUR);

    const thread = await openThread(s.agent, id);
    expect(thread.page('#window').hasClass('window--closed')).to.equal(true);
    expect(squash(thread.page('#window').text())).to.contain(en('engagement.window.closed.expired_human_agent_off'));
    expect(squash(thread.page('#window').text())).to.contain(en('engagement.window.closedTitle'));
    expect(thread.page('form#reply').length).to.equal(0);
    expect(thread.page('textarea').length).to.equal(0);

    const res = await postReply(s.agent, id, 'Sorry for the late answer', csrfFrom(thread.html));
    expect(res.status).to.equal(422);
    const page = $(res.text);
    expect(squash(page('[role="alert"]').text())).to.contain(en('engagement.window.closed.expired_human_agent_off'));
    expect(page('form#reply').length).to.equal(0);
    expect(simOutbound(s, inbound.conversationId)).to.deep.equal([]);
    expect(threadTexts((await openThread(s.agent, id)).page).filter((m) => m.direction === 'out')).to.deep.equal([]);
  });

  it('Human Agent: only the owner can allow it; then a reply after 24 h goes out as Human Agent, and after 7 days not even that', async () => {
    const inbound = await personWrites(s, 'My order has not arrived', 'serik_t');
    const id = await conversationIdFor(s.agent, 'serik_t');

    const off = $((await s.agent.get('/settings/inbox')).text);
    expect(off('#human-agent').prop('checked')).to.equal(false);
    await setHumanAgent(s, true);
    const on = $((await s.agent.get('/settings/inbox')).text);
    expect(on('#human-agent').prop('checked')).to.equal(true);
    expect(on('.flashes').text()).to.contain(en('engagement.settings.saved'));

    // An editor sees the state but cannot change it.
    await createUser(s.t, { username: 'editor_erlan', role: 'editor' });
    const editor = await signInLive(s.live, 'editor_erlan');
    const editorPage = await editor.get('/settings/inbox');
    expect(editorPage.status).to.equal(200);
    const ep = $(editorPage.text);
    expect(ep('#human-agent').length).to.equal(0);
    expect(squash(ep('main').text() || ep('body').text())).to.contain(en('engagement.settings.humanAgentOn'));
    const refused = await editor.post('/settings/inbox').type('form').send({ _csrf: csrfFrom(editorPage.text) });
    expect(refused.status).to.equal(403);
    expect(s.t.services.messages.humanAgentEnabled(), 'still on after the editor tried').to.equal(true);
    expect($((await s.agent.get('/settings/inbox')).text)('#human-agent').prop('checked')).to.equal(true);

    s.t.clock.advance(25 * HOUR);
    const thread = await openThread(s.agent, id);
    expect(thread.page('#window').hasClass('window--human_agent')).to.equal(true);
    const notice = squash(thread.page('#window').text());
    expect(notice).to.contain(en('engagement.window.humanAgentTitle'));
    expect(notice).to.contain(en('engagement.window.humanAgent'));
    expect(squash(thread.page('form#reply button[type="submit"]').text())).to.equal(en('engagement.messages.sendHumanAgent'));

    const res = await postReply(s.agent, id, 'We are sorry: it ships again tomorrow.', csrfFrom(thread.html));
    expect(res.status, res.text.slice(0, 2000)).to.equal(303);
    // The simulator refuses anything but a HUMAN_AGENT tagged message after 24 h, so its presence proves the tag.
    expect(simOutbound(s, inbound.conversationId).map((m) => m.text)).to.deep.equal(['We are sorry: it ships again tomorrow.']);
    const sentPage = await openThread(s.agent, id);
    const outItem = sentPage.page('li.message--out');
    expect(outItem.length).to.equal(1);
    expect(squash(outItem.find('.message__text').text())).to.equal('We are sorry: it ships again tomorrow.');
    expect(squash(outItem.find('.message__meta').text())).to.contain(en('engagement.messages.humanAgentBadge'));
    const row = s.t.db.sqlite.prepare("SELECT human_agent AS humanAgent FROM messages WHERE direction = 'out' AND conversation_id = ?").get(id) as { humanAgent: number };
    expect(row.humanAgent).to.equal(1);

    // 8 days after their last message: closed even for Human Agent.
    s.t.clock.advance(7 * DAY);
    const late = await openThread(s.agent, id);
    expect(late.page('#window').hasClass('window--closed')).to.equal(true);
    expect(squash(late.page('#window').text())).to.contain(en('engagement.window.closed.expired'));
    expect(late.page('form#reply').length).to.equal(0);
    const lateRes = await postReply(s.agent, id, 'Are you still there?', csrfFrom(late.html));
    expect(lateRes.status).to.equal(422);
    expect(squash($(lateRes.text)('[role="alert"]').text())).to.contain(en('engagement.window.closed.expired'));
    expect(simOutbound(s, inbound.conversationId)).to.have.length(1);
  });

  it("when Instagram refuses a reply outside its window although Qanat's cache thought it open, the page explains it (422) and keeps the text", async () => {
    const inbound = await personWrites(s, 'Can I pay by Kaspi?', 'madina_o');
    const id = await conversationIdFor(s.agent, 'madina_o');
    // Instagram's truth: their last message is three days old (Qanat's cache still says minutes).
    const simConversation = simOf(s).state.conversations.get(inbound.conversationId);
    if (!simConversation) throw new Error('no simulator conversation');
    simConversation.lastInboundAt = s.t.clock.now() - 3 * DAY;

    const thread = await openThread(s.agent, id);
    expect(thread.page('#window').hasClass('window--open')).to.equal(true);
    const text = 'Yes, Kaspi QR works & "Kaspi Red" too';
    const res = await postReply(s.agent, id, text, csrfFrom(thread.html));
    expect(res.status).to.equal(422);
    const page = $(res.text);
    const error = squash(page('#message-error').text());
    expect(error).to.contain(en('instagram.code.2534022'));
    expect(page('textarea[name="text"]').text()).to.equal(text);
    expect(page('textarea[name="text"]').attr('aria-invalid')).to.equal('true');
    expect(simOutbound(s, inbound.conversationId)).to.deep.equal([]);
    expect(threadTexts((await openThread(s.agent, id)).page).filter((m) => m.direction === 'out')).to.deep.equal([]);
  });

  it('a message over 1000 bytes (501 Cyrillic letters) is refused with the byte count and kept; exactly 1000 bytes is sent', async () => {
    const inbound = await personWrites(s, 'Сәлем! Бағасы қанша?', 'asel_zh');
    const id = await conversationIdFor(s.agent, 'asel_zh');
    const thread = await openThread(s.agent, id);
    expect(thread.page('textarea[name="text"]').attr('data-max-bytes')).to.equal('1000');

    const tooLong = 'щ'.repeat(501);
    expect([...tooLong].length).to.equal(501);
    expect(Buffer.byteLength(tooLong, 'utf8')).to.equal(1002);
    const res = await postReply(s.agent, id, tooLong, csrfFrom(thread.html));
    expect(res.status).to.equal(422);
    const page = $(res.text);
    expect(squash(page('#message-error').text())).to.contain(en('engagement.form.tooLongBytes', { bytes: 1002, max: 1000 }));
    expect(page('textarea[name="text"]').text()).to.equal(tooLong);
    expect(simOutbound(s, inbound.conversationId)).to.deep.equal([]);

    const exact = 'щ'.repeat(500);
    expect(Buffer.byteLength(exact, 'utf8')).to.equal(1000);
    const ok = await postReply(s.agent, id, exact, csrfFrom(res.text));
    expect(ok.status, ok.text.slice(0, 2000)).to.equal(303);
    expect(simOutbound(s, inbound.conversationId).map((m) => m.text)).to.deep.equal([exact]);
    expect(threadTexts((await openThread(s.agent, id)).page).filter((m) => m.direction === 'out').map((m) => m.text)).to.deep.equal([exact]);
  });

  it('a viewer reads conversations but cannot reply (403, nothing sent); an editor can', async () => {
    const inbound = await personWrites(s, 'Where is your shop?', 'bolat_m');
    const id = await conversationIdFor(s.agent, 'bolat_m');
    await createUser(s.t, { username: 'viewer_vera', role: 'viewer' });
    const viewer = await signInLive(s.live, 'viewer_vera');

    expect(await conversationIdFor(viewer, 'bolat_m')).to.equal(id);
    const thread = await openThread(viewer, id);
    expect(thread.status).to.equal(200);
    expect(threadTexts(thread.page)).to.deep.equal([{ direction: 'in', text: 'Where is your shop?' }]);
    expect(thread.page('form#reply').length).to.equal(0);
    expect(thread.page('textarea').length).to.equal(0);

    const res = await postReply(viewer, id, 'Abay avenue 10', csrfFrom(thread.html));
    expect(res.status).to.equal(403);
    expect(squash($(res.text)('body').text())).to.contain(en('engagement.error.viewerOnly'));
    expect(simOutbound(s, inbound.conversationId)).to.deep.equal([]);

    await createUser(s.t, { username: 'editor_erzhan', role: 'editor' });
    const editor = await signInLive(s.live, 'editor_erzhan');
    const editorThread = await openThread(editor, id);
    expect(editorThread.page('form#reply').length).to.equal(1);
    const sent = await postReply(editor, id, 'Abay avenue 10', csrfFrom(editorThread.html));
    expect(sent.status, sent.text.slice(0, 2000)).to.equal(303);
    expect(simOutbound(s, inbound.conversationId).map((m) => m.text)).to.deep.equal(['Abay avenue 10']);
  });

  it('the thread says only the 20 most recent messages are readable; a long conversation syncs without failures', async () => {
    // 25 messages by webhook.
    for (let i = 1; i <= 25; i += 1) {
      s.t.clock.advance(60_000);
      await personWrites(s, `Question number ${i}`, 'long_talker');
    }
    const id = await conversationIdFor(s.agent, 'long_talker');
    const counts = await s.t.services.inboxSync.syncAll();
    expect(counts.failed).to.equal(0);
    expect(counts.conversations).to.be.greaterThan(0);

    const thread = await openThread(s.agent, id);
    expect(squash(thread.page('[data-live-region="messages"] > p').first().text())).to.equal(en('engagement.messages.historyLimit', { count: 20 }));
    const texts = threadTexts(thread.page).map((m) => m.text);
    // Webhooks delivered all 25; the sync could read (and confirm) only the newest 20 and added nothing.
    expect(texts).to.have.length(25);
    expect(new Set(texts).size).to.equal(25);
    expect(texts[0]).to.equal('Question number 1');
    expect(texts[24]).to.equal('Question number 25');

    // Without webhooks, the sync alone reads the newest 20 of another 25.
    simOf(s).webhooks.url = undefined;
    for (let i = 1; i <= 25; i += 1) {
      s.t.clock.advance(60_000);
      const sent = await simOf(s).people.message({ text: `Quiet question ${i}`, username: 'quiet_talker' });
      expect(sent.webhook).to.equal('no-url');
    }
    const again = await s.t.services.inboxSync.syncAll();
    expect(again.failed).to.equal(0);
    const quietId = await conversationIdFor(s.agent, 'quiet_talker');
    const quiet = await openThread(s.agent, quietId);
    expect(quiet.page('[data-live-region="messages"]').text()).to.contain(en('engagement.messages.historyLimit', { count: 20 }));
    expect(threadTexts(quiet.page).map((m) => m.text)).to.deep.equal(Array.from({ length: 20 }, (_v, i) => `Quiet question ${i + 6}`));
  });
});
