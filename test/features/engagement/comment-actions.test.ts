// Issue acceptance 3, comments half: every moderation action in the comments inbox works against
// the simulator, and every refusal shows its explanation. Each action goes through the real forms
// (GET the page, take its CSRF token, POST) and is checked twice: on the simulator (Instagram's
// truth) and on the next page the person sees.
import fs from 'node:fs';
import path from 'node:path';
import { expect } from 'chai';
import type { CheerioAPI } from 'cheerio';
import { localesDir } from '../../../src/paths.js';
import type { Simulator } from '../../../src/sandbox/simulator.js';
import type { SimComment } from '../../../src/sandbox/state.js';
import { signInLive, type Agent } from '../../support/accounts.js';
import { flatten, type Tree } from '../../support/catalog.js';
import { createUser } from '../../support/factories.js';
import { $, csrfFrom } from '../../support/http.js';
import { stage, type Stage } from '../../support/publishing.js';

const DAY = 86_400_000;

// The English catalog as the app loads it: en.json, plus Instagram's explanations under `instagram`.
const readCatalog = (file: string): Tree => JSON.parse(fs.readFileSync(path.join(localesDir, file), 'utf8')) as Tree;
const EN = flatten({ ...readCatalog('en.json'), instagram: readCatalog('instagram.en.json') });

/** The English text of a key, with {{params}} filled in as i18next does. */
function en(key: string, params: Record<string, string | number> = {}): string {
  const text = EN.get(key);
  if (text === undefined) throw new Error(`no English text for ${key}`);
  return text.replace(/\{\{\s*(\w+)\s*\}\}/g, (_all, name: string) => String(params[name] ?? `{{${name}}}`));
}

const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();

interface Inbound {
  id: string;
  mediaId: string;
  fromId: string;
  username: string;
}

describe('Inbox → Comments: every action against the simulator, every refusal explained', function () {
  this.timeout(60_000);
  let s: Stage;
  let sim: Simulator;

  beforeEach(async () => {
    s = await stage();
    sim = s.t.simulator!;
  });
  afterEach(async () => {
    await s?.live.close();
  });

  const igUserId = (): string => s.t.services.accounts.repo.findById(s.accountId)!.igUserId;

  /** A person comments on Instagram; the webhook lands and is processed before this returns. */
  async function inbound(text: string, username: string, options: { mediaId?: string; parentId?: string } = {}): Promise<Inbound> {
    const sent = await sim.people.comment({ text, username, ...options });
    expect(sent.webhook, 'webhook delivered').to.equal('sent');
    await s.t.services.webhooks.idle();
    expect(s.t.services.ingest.comments.find(s.accountId, sent.id), 'comment cached').to.not.equal(undefined);
    return { id: sent.id, mediaId: sent.mediaId, fromId: sent.fromId, username: sent.username };
  }

  const simReplies = (commentId: string): SimComment[] => [...sim.state.comments.values()].filter((c) => c.parentId === commentId);
  const ownReplies = (commentId: string): SimComment[] => simReplies(commentId).filter((c) => c.fromId === igUserId());
  const messagesTo = (fromId: string) => [...sim.state.messages.values()].filter((m) => m.toId === fromId && m.direction === 'out');

  async function getPage(agent: Agent, url: string, status = 200): Promise<CheerioAPI> {
    const res = await agent.get(url);
    expect(res.status, `GET ${url}: ${res.text.slice(0, 500)}`).to.equal(status);
    return $(res.text);
  }

  /** GETs `from` for its CSRF token, then POSTs the form fields to `to`. */
  async function submit(agent: Agent, from: string, to: string, fields: Record<string, string>) {
    const page = await agent.get(from);
    expect(page.status, `GET ${from}`).to.equal(200);
    const res = await agent.post(to).type('form').send({ _csrf: csrfFrom(page.text), ...fields });
    // The account's own reply comes back as a webhook too; let it settle before looking.
    await s.t.services.webhooks.idle();
    return res;
  }

  const threadUrl = (id: string) => `/inbox/comments/${id}`;

  function reply(id: string, text: string, agent: Agent = s.agent) {
    return submit(agent, threadUrl(id), `/inbox/comments/${id}/reply`, { text, returnTo: threadUrl(id) });
  }

  function privateReply(id: string, text: string, agent: Agent = s.agent) {
    return submit(agent, threadUrl(id), `/inbox/comments/${id}/private-reply`, { text, returnTo: threadUrl(id) });
  }

  function hide(id: string, hidden: boolean, agent: Agent = s.agent) {
    return submit(agent, threadUrl(id), `/inbox/comments/${id}/hide`, { hidden: hidden ? '1' : '0', returnTo: threadUrl(id) });
  }

  /** The top-level comment ids the list shows, in order. */
  async function listed(query = '', agent: Agent = s.agent): Promise<string[]> {
    const page = await getPage(agent, `/inbox/comments${query}`);
    return page('article.thread')
      .map((_i, el) => page(el).attr('aria-labelledby')?.replace(/^t-/, '') ?? '')
      .get();
  }

  /** The "needs a reply" count in the inbox tabs (0 when hidden). */
  function commentsCount(page: CheerioAPI): number {
    const badge = page('.tabs [data-inbox-count="comments"]');
    expect(badge, 'comments count badge').to.have.length(1);
    return badge.attr('hidden') !== undefined ? 0 : Number(badge.text().trim());
  }

  const flashes = (page: CheerioAPI, kind: 'success' | 'error') => page(`.flashes .alert--${kind}`).map((_i, el) => squash(page(el).text())).get();
  const commentEl = (page: CheerioAPI, id: string) => page(`#c-${id}`);
  const replyError = (page: CheerioAPI, id: string) => squash(page(`#reply-${id}-error`).text());
  /** What the page's text boxes hold (a refused form keeps what was typed). */
  const textareas = (page: CheerioAPI) => page('textarea').map((_i, el) => page(el).text()).get();
  const privateError = (page: CheerioAPI, id: string) => squash(page(`#private-${id}-error`).text());

  it('reply: posted on Instagram under the comment, shown in the thread, and the comment stops needing a reply', async () => {
    const question = await inbound('Do you ship to Almaty?', 'aida_k');
    const other = await inbound('Nice colours!', 'bolat.s');

    const before = await getPage(s.agent, '/inbox/comments');
    expect(commentsCount(before)).to.equal(2);
    expect(await listed('?filter=needs_reply')).to.have.members([question.id, other.id]);

    const res = await reply(question.id, 'Yes, in 2–3 days!');
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    expect(res.headers['location']).to.equal(threadUrl(question.id));

    // Instagram has the reply, by the account, under that comment.
    const onInstagram = ownReplies(question.id);
    expect(onInstagram.map((c) => c.text)).to.deep.equal(['Yes, in 2–3 days!']);
    expect(simReplies(other.id)).to.have.length(0);

    const thread = await getPage(s.agent, threadUrl(question.id));
    expect(flashes(thread, 'success')).to.deep.equal([en('engagement.flash.replied')]);
    const shown = thread('.thread__replies .comment');
    expect(shown, 'the reply once, even after its own webhook came back').to.have.length(1);
    expect(shown.attr('id')).to.equal(`c-${onInstagram[0]!.id}`);
    expect(shown.hasClass('comment--own')).to.equal(true);
    expect(squash(shown.find('.comment__text').text())).to.equal('Yes, in 2–3 days!');
    expect(thread('.thread__head').text()).to.not.contain(en('engagement.comments.needsReply'));

    expect(await listed('?filter=needs_reply')).to.deep.equal([other.id]);
    expect(commentsCount(thread)).to.equal(1);
  });

  it('hide and unhide: Instagram hides it, the thread shows the badge and the hidden filter lists it; unhide reverses both', async () => {
    const rude = await inbound('This shop is a scam', 'troll_42');
    const polite = await inbound('When do you open?', 'gulnar');

    const hid = await hide(rude.id, true);
    expect(hid.status, hid.text.slice(0, 500)).to.equal(303);
    expect(sim.state.comments.get(rude.id)?.hidden).to.equal(true);
    expect(sim.state.comments.get(polite.id)?.hidden).to.equal(false);

    let thread = await getPage(s.agent, threadUrl(rude.id));
    expect(flashes(thread, 'success')).to.deep.equal([en('engagement.flash.hidden')]);
    expect(commentEl(thread, rude.id).hasClass('comment--hidden')).to.equal(true);
    expect(squash(commentEl(thread, rude.id).find('.state--held').text())).to.equal(en('engagement.comments.hiddenBadge'));
    expect(squash(thread(`form[action="/inbox/comments/${rude.id}/hide"] button`).text())).to.equal(en('engagement.comments.unhide'));
    expect(await listed('?filter=hidden')).to.deep.equal([rude.id]);
    expect(await listed('?filter=needs_reply')).to.deep.equal([polite.id]);

    const shown = await hide(rude.id, false);
    expect(shown.status, shown.text.slice(0, 500)).to.equal(303);
    expect(sim.state.comments.get(rude.id)?.hidden).to.equal(false);

    thread = await getPage(s.agent, threadUrl(rude.id));
    expect(flashes(thread, 'success')).to.deep.equal([en('engagement.flash.unhidden')]);
    expect(commentEl(thread, rude.id).hasClass('comment--hidden')).to.equal(false);
    expect(commentEl(thread, rude.id).find('.state--held')).to.have.length(0);
    expect(squash(thread(`form[action="/inbox/comments/${rude.id}/hide"] button`).text())).to.equal(en('engagement.comments.hide'));
    expect(await listed('?filter=hidden')).to.deep.equal([]);
  });

  it('delete: the confirmation quotes the comment and counts its replies; confirming deletes it and its replies on Instagram and in the inbox', async () => {
    const doomed = await inbound('Buy followers at spam.example', 'spam_bot');
    const answer1 = await inbound('Reported.', 'ainur', { parentId: doomed.id });
    const answer2 = await inbound('Same here', 'yerlan', { parentId: doomed.id });
    const keeper = await inbound('Lovely scarf', 'madina');

    const confirm = await getPage(s.agent, `/inbox/comments/${doomed.id}/delete`);
    expect(squash(confirm('blockquote.quote').text())).to.equal('Buy followers at spam.example');
    expect(confirm('.card').text()).to.contain(en('engagement.delete.text', { username: 'spam_bot' }));
    expect(confirm('.card').text()).to.contain(en('engagement.delete.replies', { count: 2 }));
    expect(confirm(`form[action="/inbox/comments/${doomed.id}/delete"]`)).to.have.length(1);
    // Looking is not deleting.
    expect(sim.state.comments.has(doomed.id)).to.equal(true);

    const res = await submit(s.agent, `/inbox/comments/${doomed.id}/delete`, `/inbox/comments/${doomed.id}/delete`, {});
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    expect(res.headers['location']).to.equal('/inbox/comments');

    for (const id of [doomed.id, answer1.id, answer2.id]) expect(sim.state.comments.has(id), `simulator still has ${id}`).to.equal(false);
    expect(sim.state.comments.has(keeper.id)).to.equal(true);

    const list = await getPage(s.agent, '/inbox/comments');
    expect(flashes(list, 'success')).to.deep.equal([en('engagement.flash.deleted')]);
    expect(await listed()).to.deep.equal([keeper.id]);
    for (const id of [doomed.id, answer1.id, answer2.id]) expect(s.t.services.ingest.comments.find(s.accountId, id), `cache still has ${id}`).to.equal(undefined);
    await getPage(s.agent, threadUrl(doomed.id), 404);
  });

  it('comments off and on for one post: Instagram follows, and the per-post view says which', async () => {
    const c = await inbound('First!', 'nurlan');
    const postView = `/inbox/comments?media=${c.mediaId}`;
    expect(sim.state.media.get(c.mediaId)?.commentEnabled).to.equal(true);

    let view = await getPage(s.agent, postView);
    expect(view('.post-head').text()).to.contain(en('engagement.comments.enabledState'));
    expect(view(`.post-head form[action="/inbox/media/${c.mediaId}/comments"] input[name="enabled"]`).attr('value')).to.equal('0');

    const off = await submit(s.agent, postView, `/inbox/media/${c.mediaId}/comments`, { enabled: '0' });
    expect(off.status, off.text.slice(0, 500)).to.equal(303);
    expect(off.headers['location']).to.equal(postView);
    expect(sim.state.media.get(c.mediaId)?.commentEnabled).to.equal(false);

    view = await getPage(s.agent, postView);
    expect(flashes(view, 'success')).to.deep.equal([en('engagement.flash.commentsOff')]);
    expect(view('.post-head').text()).to.contain(en('engagement.comments.disabledState'));
    expect(view('.post-head').text()).to.not.contain(en('engagement.comments.enabledState'));
    expect(squash(view('.post-head form button').text())).to.equal(en('engagement.comments.turnOn'));

    const on = await submit(s.agent, postView, `/inbox/media/${c.mediaId}/comments`, { enabled: '1' });
    expect(on.status, on.text.slice(0, 500)).to.equal(303);
    expect(sim.state.media.get(c.mediaId)?.commentEnabled).to.equal(true);

    view = await getPage(s.agent, postView);
    expect(flashes(view, 'success')).to.deep.equal([en('engagement.flash.commentsOn')]);
    expect(view('.post-head').text()).to.contain(en('engagement.comments.enabledState'));
    expect(squash(view('.post-head form button').text())).to.equal(en('engagement.comments.turnOff'));
  });

  it('private reply: sent to the commenter once; a second one is refused with the explanation and the text kept', async () => {
    const c = await inbound('How much is the blue one?', 'saltanat');
    const explanation = en('instagram.code.2534025');

    const res = await privateReply(c.id, 'It is 12 000 ₸, I have sent you the details.');
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    expect(messagesTo(c.fromId).map((m) => m.text)).to.deep.equal(['It is 12 000 ₸, I have sent you the details.']);
    expect(sim.state.comments.get(c.id)?.privateReplySent).to.equal(true);

    const thread = await getPage(s.agent, threadUrl(c.id));
    expect(flashes(thread, 'success')).to.deep.equal([en('engagement.flash.privateSent')]);
    expect(squash(thread('.thread__head .state--published').text())).to.equal(en('engagement.comments.privateSent'));
    expect(thread(`form[action="/inbox/comments/${c.id}/private-reply"]`), 'no second private reply offered').to.have.length(0);
    expect(await listed('?filter=needs_reply'), 'a private reply answers the comment').to.deep.equal([]);

    const again = await privateReply(c.id, 'One more thing…');
    expect(again.status).to.equal(422);
    const refused = $(again.text);
    expect(privateError(refused, c.id)).to.contain(explanation);
    expect(refused(`#private-${c.id}`).text()).to.equal('One more thing…');
    expect(messagesTo(c.fromId), 'nothing more sent').to.have.length(1);
  });

  it('private reply already sent on Instagram (from elsewhere): Instagram refuses, Qanat explains it the same way and remembers', async () => {
    const c = await inbound('Do you have it in green?', 'dariga');
    const row = s.t.services.accounts.repo.findById(s.accountId)!;
    await s.t.services.instagram.client.engagement.privateReply(s.t.services.accounts.tokenOf(row), row.igUserId, c.id, 'Sent from the phone');
    expect(messagesTo(c.fromId)).to.have.length(1);

    // Qanat does not know yet: the form is still offered.
    const before = await getPage(s.agent, threadUrl(c.id));
    expect(before(`form[action="/inbox/comments/${c.id}/private-reply"]`)).to.have.length(1);

    const res = await privateReply(c.id, 'Yes, green is in stock');
    expect(res.status).to.equal(422);
    const refused = $(res.text);
    expect(privateError(refused, c.id)).to.contain(en('instagram.code.2534025'));
    expect(refused(`#private-${c.id}`).text()).to.equal('Yes, green is in stock');
    expect(messagesTo(c.fromId).map((m) => m.text)).to.deep.equal(['Sent from the phone']);

    const after = await getPage(s.agent, threadUrl(c.id));
    expect(squash(after('.thread__head .state--published').text())).to.equal(en('engagement.comments.privateSent'));
    expect(after(`form[action="/inbox/comments/${c.id}/private-reply"]`)).to.have.length(0);
  });

  it('reply to a comment hidden in Qanat: refused before calling Instagram, with the explanation and the text kept', async () => {
    const c = await inbound('You are all thieves', 'angry_user');
    expect((await hide(c.id, true)).status).to.equal(303);
    const requests = sim.state.counters.requests;

    const res = await reply(c.id, 'Please write to us in Direct');
    expect(res.status).to.equal(422);
    expect(sim.state.counters.requests, 'no call to Instagram').to.equal(requests);
    expect(simReplies(c.id)).to.have.length(0);
    const page = $(res.text);
    expect(squash(page('.thread').text())).to.contain(en('engagement.refused.hiddenReply'));
    expect(textareas(page), 'the typed reply is kept').to.include('Please write to us in Direct');
  });

  it('reply to a comment hidden on Instagram only: Instagram refuses, Qanat re-reads it, explains, and now shows it hidden', async () => {
    const c = await inbound('Rubbish quality', 'hidden_elsewhere');
    sim.state.comments.get(c.id)!.hidden = true;
    expect(s.t.services.ingest.comments.find(s.accountId, c.id)?.hidden, 'the cache still says visible').to.equal(false);

    const res = await reply(c.id, 'Sorry to hear that, write to us');
    expect(res.status).to.equal(422);
    expect(simReplies(c.id)).to.have.length(0);
    const page = $(res.text);
    expect(squash(page('.thread').text())).to.contain(en('engagement.refused.hiddenReply'));
    expect(commentEl(page, c.id).hasClass('comment--hidden')).to.equal(true);
    expect(squash(commentEl(page, c.id).find('.state--held').text())).to.equal(en('engagement.comments.hiddenBadge'));
    expect(s.t.services.ingest.comments.find(s.accountId, c.id)?.hidden).to.equal(true);
    expect(await listed('?filter=hidden')).to.deep.equal([c.id]);
    expect(textareas(page), 'the typed reply is kept').to.include('Sorry to hear that, write to us');
  });

  it('reply when comments were turned off on Instagram only: refused with the comments-off explanation, text kept, the post shown as off', async () => {
    const c = await inbound('Is this still available?', 'askhat');
    sim.state.media.get(c.mediaId)!.commentEnabled = false;

    const res = await reply(c.id, 'Yes it is!');
    expect(res.status).to.equal(422);
    expect(simReplies(c.id)).to.have.length(0);
    const page = $(res.text);
    expect(replyError(page, c.id)).to.contain(en('engagement.refused.commentsOff'));
    expect(page(`#reply-${c.id}`).text()).to.equal('Yes it is!');

    const view = await getPage(s.agent, `/inbox/comments?media=${c.mediaId}`);
    expect(view('.post-head').text()).to.contain(en('engagement.comments.disabledState'));
  });

  it('reply to a comment deleted on Instagram meanwhile: the list explains it and the comment leaves the inbox', async () => {
    const c = await inbound('Never mind', 'changed_mind');
    const stays = await inbound('Great service', 'happy_client');
    sim.state.comments.delete(c.id);

    const res = await reply(c.id, 'No problem!');
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    expect(res.headers['location']).to.equal('/inbox/comments');
    expect(simReplies(c.id)).to.have.length(0);

    const list = await getPage(s.agent, '/inbox/comments');
    expect(flashes(list, 'error')).to.deep.equal([en('engagement.refused.deleted')]);
    expect(await listed()).to.deep.equal([stays.id]);
    expect(s.t.services.ingest.comments.find(s.accountId, c.id)).to.equal(undefined);
    await getPage(s.agent, threadUrl(c.id), 404);
  });

  it('reply text checks: 2201 characters and an empty reply are refused with their explanation and nothing is sent; 2200 go through', async () => {
    const c = await inbound('Tell me everything', 'long_reader');

    const tooLong = 'a'.repeat(2196) + 'ü🎉xyz'; // 2201 characters, more UTF-16 units
    expect([...tooLong]).to.have.length(2201);
    const res = await reply(c.id, tooLong);
    expect(res.status).to.equal(422);
    let page = $(res.text);
    expect(replyError(page, c.id)).to.contain(en('engagement.form.tooLongChars', { chars: 2201, max: 2200 }));
    expect(page(`#reply-${c.id}`).text()).to.equal(tooLong);
    expect(page(`#reply-${c.id}`).attr('aria-invalid')).to.equal('true');
    expect(simReplies(c.id)).to.have.length(0);

    const empty = await reply(c.id, '   \r\n  ');
    expect(empty.status).to.equal(422);
    page = $(empty.text);
    expect(replyError(page, c.id)).to.contain(en('engagement.form.empty'));
    expect(simReplies(c.id)).to.have.length(0);

    const longest = 'b'.repeat(2199) + '🎉';
    const ok = await reply(c.id, longest);
    expect(ok.status, ok.text.slice(0, 500)).to.equal(303);
    expect(ownReplies(c.id).map((r) => r.text)).to.deep.equal([longest]);
  });

  it('private reply more than 7 days after the comment: no longer offered, and a stale form is refused with the explanation', async () => {
    const c = await inbound('Can you send me the catalogue?', 'late_answer');
    const thread = await getPage(s.agent, threadUrl(c.id));
    expect(thread(`form[action="/inbox/comments/${c.id}/private-reply"]`)).to.have.length(1);

    s.t.clock.advance(8 * DAY);
    // Sessions time out on the same clock: sign in again (as an editor) after the week.
    await createUser(s.t, { username: 'week_later', role: 'editor' });
    const agent = await signInLive(s.live, 'week_later');

    const now = await getPage(agent, threadUrl(c.id));
    expect(now(`form[action="/inbox/comments/${c.id}/private-reply"]`), 'the form is not offered any more').to.have.length(0);
    expect(now(`form[action="/inbox/comments/${c.id}/reply"]`), 'a public reply still is').to.have.length(1);

    const res = await privateReply(c.id, 'Here is the catalogue', agent);
    expect(res.status).to.equal(422);
    const page = $(res.text);
    expect(privateError(page, c.id)).to.contain(en('engagement.refused.privateTooOld'));
    expect(page(`#private-${c.id}`).text()).to.equal('Here is the catalogue');
    expect(messagesTo(c.fromId)).to.have.length(0);
  });

  it('roles: an editor replies; a viewer reads the inbox without any action form, and a viewer\'s POST is refused with 403', async () => {
    const c = await inbound('Who answers here?', 'curious_cat');
    await createUser(s.t, { username: 'dana', role: 'editor' });
    await createUser(s.t, { username: 'vera', role: 'viewer' });
    const editor = await signInLive(s.live, 'dana');
    const viewer = await signInLive(s.live, 'vera');

    const res = await reply(c.id, 'An editor does', editor);
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    expect(ownReplies(c.id).map((r) => r.text)).to.deep.equal(['An editor does']);

    for (const url of ['/inbox/comments', threadUrl(c.id), `/inbox/comments?media=${c.mediaId}`]) {
      const page = await getPage(viewer, url);
      expect(page(`#c-${c.id} .comment__text`).text(), `${url} shows the comment`).to.equal('Who answers here?');
      expect(page('form[method="post"][action^="/inbox/"]'), `${url} offers no action`).to.have.length(0);
      expect(page('textarea'), `${url} offers no textarea`).to.have.length(0);
      expect(page('a[href$="/delete"]'), `${url} offers no delete link`).to.have.length(0);
    }

    const requests = sim.state.counters.requests;
    const refused = await reply(c.id, 'A viewer tries', viewer);
    expect(refused.status).to.equal(403);
    const hid = await hide(c.id, true, viewer);
    expect(hid.status).to.equal(403);
    const deleted = await submit(viewer, '/inbox/comments', `/inbox/comments/${c.id}/delete`, {});
    expect(deleted.status).to.equal(403);
    const off = await submit(viewer, '/inbox/comments', `/inbox/media/${c.mediaId}/comments`, { enabled: '0' });
    expect(off.status).to.equal(403);
    expect(sim.state.counters.requests, 'no call to Instagram').to.equal(requests);
    expect(ownReplies(c.id).map((r) => r.text)).to.deep.equal(['An editor does']);
    expect(sim.state.comments.get(c.id)?.hidden).to.equal(false);
    expect(sim.state.media.get(c.mediaId)?.commentEnabled).to.equal(true);
    expect(await listed('', viewer)).to.deep.equal([c.id]);
  });

  it('filters: needs a reply, hidden, by post, and a search that ignores case and accents and matches usernames', async () => {
    const feed = sim.state.mediaOf(igUserId()).filter((m) => m.productType === 'FEED');
    expect(feed.length).to.be.at.least(2);
    const [newest, older] = [feed[0]!, feed[1]!];

    const cafe = await inbound('Is the Café open on Sunday?', 'marat');
    const elsewhere = await inbound('Where do you deliver?', 'Dana.Shop', { mediaId: older.id });
    const rude = await inbound('Boring', 'grumpy');
    const answered = await inbound('Thanks for the quick delivery!', 'alia');
    expect(cafe.mediaId).to.equal(newest.id);
    expect((await hide(rude.id, true)).status).to.equal(303);
    expect((await reply(answered.id, 'Thank you, Alia!')).status).to.equal(303);

    expect(await listed()).to.have.members([cafe.id, elsewhere.id, rude.id, answered.id]);
    expect(await listed('?filter=needs_reply')).to.have.members([cafe.id, elsewhere.id]);
    expect(await listed('?filter=hidden')).to.deep.equal([rude.id]);
    expect(await listed(`?media=${older.id}`)).to.deep.equal([elsewhere.id]);
    expect(await listed(`?media=${newest.id}`)).to.have.members([cafe.id, rude.id, answered.id]);
    expect(await listed(`?filter=needs_reply&media=${newest.id}`)).to.deep.equal([cafe.id]);

    expect(await listed('?q=CAFE'), 'case and accents ignored').to.deep.equal([cafe.id]);
    expect(await listed(`?q=${encodeURIComponent('cafÉ')}`)).to.deep.equal([cafe.id]);
    expect(await listed('?q=dana.shop'), 'username, any case').to.deep.equal([elsewhere.id]);
    expect(await listed('?q=SHOP'), 'part of a username').to.deep.equal([elsewhere.id]);
    expect(await listed(`?q=${encodeURIComponent('thank you')}`), "a reply's text finds its thread").to.deep.equal([answered.id]);

    const none = await getPage(s.agent, '/inbox/comments?q=nothing-like-this');
    expect(none('article.thread')).to.have.length(0);
    expect(squash(none('.empty-state').text())).to.equal(en('engagement.empty.filtered'));

    // The search box says "Search text or @name": an @ in front of the name finds it too.
    expect(await listed(`?q=${encodeURIComponent('@dana.shop')}`), '@name').to.deep.equal([elsewhere.id]);
  });
});
