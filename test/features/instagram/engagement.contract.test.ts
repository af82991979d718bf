import { expect } from 'chai';
import { COMMENT_FIELDS, MESSAGE_FIELDS } from '../../../src/instagram/engagement.js';
import type { SimComment, SimConversation, SimMedia } from '../../../src/sandbox/state.js';
import type { RecordedRequest, SimHarness } from '../../support/simulator.js';
import { useSimulator } from '../../support/sim-harness.js';

/** The request the client just sent: method, versioned path, token only in the Authorization header. */
function lastCall(h: SimHarness, method: string, path: string): RecordedRequest {
  const request = h.requests.at(-1)!;
  expect(request.method).to.equal(method);
  expect(request.url.pathname).to.equal(`/graph/v25.0/${path}`);
  expect(request.headers.get('authorization')).to.match(/^Bearer IGAA/);
  expect(request.url.searchParams.has('access_token')).to.equal(false);
  expect(new URLSearchParams(request.body).has('access_token')).to.equal(false);
  return request;
}

const form = (request: RecordedRequest) => new URLSearchParams(request.body);

describe('Comments, messaging and subscriptions client against the simulator (contract §3, §4, §7.4)', () => {
  const ctx = useSimulator();
  let newest: SimMedia;
  beforeEach(() => {
    newest = ctx.h.sim.state.mediaOf(ctx.igId).find((m) => m.productType === 'FEED')!;
  });

  const commentsOf = (mediaId: string): SimComment[] => [...ctx.h.sim.state.comments.values()].filter((c) => c.mediaId === mediaId);
  const openConversation = (): SimConversation => [...ctx.h.sim.state.conversations.values()].find((c) => ctx.h.clock.now() - c.lastInboundAt < 3_600_000 * 3)!;

  it('listComments GETs /<media-id>/comments with the full field list, limit=50 and the after cursor', async () => {
    const first = await ctx.h.client.engagement.listComments(ctx.token, newest.id);
    let request = lastCall(ctx.h, 'GET', `${newest.id}/comments`);
    expect(request.url.searchParams.get('fields')).to.equal(COMMENT_FIELDS);
    expect(request.url.searchParams.get('limit')).to.equal('50');
    expect(first.data).to.have.length(50);
    expect(first.data[0]).to.include.keys('id', 'text', 'timestamp', 'username', 'like_count', 'hidden', 'from');
    expect(first.data[0]!.from).to.have.keys('id', 'username');

    const second = await ctx.h.client.engagement.listComments(ctx.token, newest.id, { after: first.paging!.cursors!.after! });
    request = lastCall(ctx.h, 'GET', `${newest.id}/comments`);
    expect(request.url.searchParams.get('after')).to.equal(first.paging!.cursors!.after);
    expect(second.data).to.have.length(5);
  });

  it('listReplies GETs /<comment-id>/replies and each reply names its parent', async () => {
    const parent = commentsOf(newest.id).find((c) => c.parentId === undefined && commentsOf(newest.id).some((r) => r.parentId === c.id))!;
    const replies = await ctx.h.client.engagement.listReplies(ctx.token, parent.id);
    lastCall(ctx.h, 'GET', `${parent.id}/replies`);
    expect(replies.data.length).to.be.greaterThan(0);
    expect(replies.data.every((r) => r.parent_id === parent.id)).to.equal(true);
  });

  it('createComment POSTs message=… to /<media-id>/comments and answers the new id', async () => {
    const id = await ctx.h.client.engagement.createComment(ctx.token, newest.id, 'First comment: see the link in bio ☕');
    const request = lastCall(ctx.h, 'POST', `${newest.id}/comments`);
    expect(form(request).get('message')).to.equal('First comment: see the link in bio ☕');
    expect(ctx.h.sim.state.comments.get(id)).to.include({ mediaId: newest.id, fromId: ctx.igId, text: 'First comment: see the link in bio ☕' });
  });

  it('reply POSTs message=… to /<comment-id>/replies', async () => {
    const parent = commentsOf(newest.id).find((c) => !c.parentId && c.fromId !== ctx.igId)!;
    const id = await ctx.h.client.engagement.reply(ctx.token, parent.id, 'Рахмет!');
    const request = lastCall(ctx.h, 'POST', `${parent.id}/replies`);
    expect(form(request).get('message')).to.equal('Рахмет!');
    expect(ctx.h.sim.state.comments.get(id)?.parentId).to.equal(parent.id);
  });

  it('setHidden POSTs hide=true to /<comment-id> and answers success', async () => {
    const comment = commentsOf(newest.id).find((c) => !c.parentId && c.fromId !== ctx.igId)!;
    expect(await ctx.h.client.engagement.setHidden(ctx.token, comment.id, true)).to.equal(true);
    expect(form(lastCall(ctx.h, 'POST', comment.id)).get('hide')).to.equal('true');
    expect(comment.hidden).to.equal(true);
  });

  it('deleteComment sends DELETE /<comment-id> and answers success', async () => {
    const comment = commentsOf(newest.id).find((c) => !c.parentId)!;
    expect(await ctx.h.client.engagement.deleteComment(ctx.token, comment.id)).to.equal(true);
    lastCall(ctx.h, 'DELETE', comment.id);
    expect(ctx.h.sim.state.comments.has(comment.id)).to.equal(false);
  });

  it('conversations GETs /me/conversations with platform=instagram, the fields and an optional user_id', async () => {
    const all = await ctx.h.client.engagement.conversations(ctx.token);
    let request = lastCall(ctx.h, 'GET', 'me/conversations');
    expect(request.url.searchParams.get('platform')).to.equal('instagram');
    expect(request.url.searchParams.get('fields')).to.equal('id,updated_time,participants');
    expect(all.data).to.have.length(5);
    expect(all.data[0]!.updated_time).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);

    const customer = openConversation().participantId;
    const one = await ctx.h.client.engagement.conversations(ctx.token, { userId: customer });
    request = lastCall(ctx.h, 'GET', 'me/conversations');
    expect(request.url.searchParams.get('user_id')).to.equal(customer);
    expect(one.data).to.have.length(1);
    expect(one.data[0]!.participants!.data.map((p) => p.id)).to.have.members([ctx.igId, customer]);
  });

  it('conversationMessages GETs /<conversation-id>?fields=messages and message GETs /<message-id> with the detail fields', async () => {
    const conversation = openConversation();
    const messages = await ctx.h.client.engagement.conversationMessages(ctx.token, conversation.id);
    expect(lastCall(ctx.h, 'GET', conversation.id).url.searchParams.get('fields')).to.equal('messages');
    expect(messages).to.have.length(3);

    const detail = await ctx.h.client.engagement.message(ctx.token, messages[0]!.id);
    expect(lastCall(ctx.h, 'GET', messages[0]!.id).url.searchParams.get('fields')).to.equal(MESSAGE_FIELDS);
    expect(detail).to.deep.equal({
      id: messages[0]!.id,
      created_time: messages[0]!.created_time,
      from: { username: conversation.participantUsername, id: conversation.participantId },
      to: { data: [{ username: 'steppe_coffee', id: ctx.igId }] },
      message: 'Thank you!',
    });
  });

  it('sendMessage POSTs JSON-encoded recipient and message to /<IG_ID>/messages', async () => {
    const conversation = openConversation();
    const sent = await ctx.h.client.engagement.sendMessage(ctx.token, ctx.igId, conversation.participantId, 'Your order shipped 📦');
    const body = form(lastCall(ctx.h, 'POST', `${ctx.igId}/messages`));
    expect(JSON.parse(body.get('recipient')!)).to.deep.equal({ id: conversation.participantId });
    expect(JSON.parse(body.get('message')!)).to.deep.equal({ text: 'Your order shipped 📦' });
    expect(body.has('messaging_type')).to.equal(false);
    expect(sent.recipient_id).to.equal(conversation.participantId);
    expect(ctx.h.sim.state.messages.get(sent.message_id)).to.include({ direction: 'out', text: 'Your order shipped 📦' });
  });

  it('sendMessage with humanAgent adds messaging_type=MESSAGE_TAG and tag=HUMAN_AGENT', async () => {
    const conversation = [...ctx.h.sim.state.conversations.values()].find((c) => ctx.h.clock.now() - c.lastInboundAt > 2 * 86_400_000 && ctx.h.clock.now() - c.lastInboundAt < 7 * 86_400_000)!;
    const sent = await ctx.h.client.engagement.sendMessage(ctx.token, ctx.igId, conversation.participantId, 'Sorry for the wait!', { humanAgent: true });
    const body = form(lastCall(ctx.h, 'POST', `${ctx.igId}/messages`));
    expect(body.get('messaging_type')).to.equal('MESSAGE_TAG');
    expect(body.get('tag')).to.equal('HUMAN_AGENT');
    expect(sent.message_id).to.be.a('string');
  });

  it('privateReply POSTs recipient {comment_id} to /<IG_ID>/messages and answers the commenter as recipient', async () => {
    const comment = commentsOf(newest.id).find((c) => !c.parentId && c.fromId !== ctx.igId)!;
    const sent = await ctx.h.client.engagement.privateReply(ctx.token, ctx.igId, comment.id, 'We sent you the price list');
    const body = form(lastCall(ctx.h, 'POST', `${ctx.igId}/messages`));
    expect(JSON.parse(body.get('recipient')!)).to.deep.equal({ comment_id: comment.id });
    expect(JSON.parse(body.get('message')!)).to.deep.equal({ text: 'We sent you the price list' });
    expect(sent.recipient_id).to.equal(comment.fromId);
  });

  it('subscribe POSTs subscribed_fields to /me/subscribed_apps; subscriptions reads them back; unsubscribe DELETEs', async () => {
    expect((await ctx.h.client.engagement.subscriptions(ctx.token)).data).to.deep.equal([]);
    expect(await ctx.h.client.engagement.subscribe(ctx.token)).to.equal(true);
    expect(form(lastCall(ctx.h, 'POST', 'me/subscribed_apps')).get('subscribed_fields')).to.equal('comments,messages');
    expect((await ctx.h.client.engagement.subscriptions(ctx.token)).data).to.deep.equal([{ subscribed_fields: ['comments', 'messages'] }]);
    lastCall(ctx.h, 'GET', 'me/subscribed_apps');
    expect(await ctx.h.client.engagement.unsubscribe(ctx.token)).to.equal(true);
    lastCall(ctx.h, 'DELETE', 'me/subscribed_apps');
    expect(ctx.h.sim.state.primaryAccount().subscribedFields).to.deep.equal([]);
  });
});
