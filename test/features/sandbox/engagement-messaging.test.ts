import { expect } from 'chai';
import type { GraphError } from '../../../src/instagram/graph-error.js';
import type { SimComment, SimConversation } from '../../../src/sandbox/state.js';
import { longLivedToken, startSimulator, type SimHarness } from '../../support/simulator.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

const failure = (promise: Promise<unknown>): Promise<GraphError> =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as GraphError,
  );

describe('Simulator direct messages and private replies (contract §3.5, §4)', () => {
  let h: SimHarness;
  let token: string;
  let igId: string;

  beforeEach(async () => {
    h = await startSimulator();
    token = await longLivedToken(h);
    igId = h.sim.state.primaryAccount().igId;
  });
  afterEach(() => h.close());

  /** The seeded conversation whose customer last wrote this long ago. */
  const lastWrote = (ms: number): SimConversation => [...h.sim.state.conversations.values()].find((c) => h.clock.now() - c.lastInboundAt === ms)!;
  const send = (to: SimConversation, text: string, humanAgent = false) => h.client.engagement.sendMessage(token, igId, to.participantId, text, { humanAgent });
  const customerComment = (): SimComment => {
    const newest = h.sim.state.mediaOf(igId).find((m) => m.productType === 'FEED')!;
    return [...h.sim.state.comments.values()].find((c) => c.mediaId === newest.id && !c.parentId && c.fromId !== igId)!;
  };
  const inbound = (body: Record<string, string>) =>
    fetch(`${h.base}/__control/messages`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then(
      (r) => r.json() as Promise<{ conversationId: string; messageId: string; participantId: string }>,
    );

  it('sends inside 24 h of the customer’s last message', async () => {
    const sent = await send(lastWrote(20 * HOUR), 'We open at 9:00');
    expect(sent.recipient_id).to.equal(lastWrote(20 * HOUR).participantId);
  });

  it('refuses a plain message three days later with 10/2534022, which the client treats as permanent', async () => {
    const error = await failure(send(lastWrote(3 * DAY), 'Still interested?'));
    expect(error.code).to.equal(10);
    expect(error.subcode).to.equal(2534022);
    expect(error.message).to.contain('This message is sent outside of allowed window');
    expect(error.errorClass).to.equal('permanent');
    expect(error.retryable).to.equal(false);
  });

  it('sends a HUMAN_AGENT reply within 7 days and refuses it after 7 days', async () => {
    expect((await send(lastWrote(6 * DAY), 'Sorry, we were closed', true)).message_id).to.be.a('string');
    const late = await failure(send(lastWrote(12 * DAY), 'Sorry, we were closed', true));
    expect([late.code, late.subcode]).to.deep.equal([10, 2534022]);
  });

  it('reopens the window when the customer writes again', async () => {
    const conversation = lastWrote(3 * DAY);
    await inbound({ participantId: conversation.participantId, text: 'Hello again' });
    expect((await send(conversation, 'Hi! How can we help?')).message_id).to.be.a('string');
  });

  it('counts the 1000 limit in UTF-8 bytes: 500 Cyrillic letters pass, one byte more or 334 three-byte signs fail with 100', async () => {
    const open = lastWrote(2 * HOUR);
    const thousandBytes = 'ж'.repeat(500);
    expect(Buffer.byteLength(thousandBytes)).to.equal(1000);
    expect((await send(open, thousandBytes)).message_id).to.be.a('string');
    const error = await failure(send(open, thousandBytes + '!'));
    expect(error.code).to.equal(100);
    expect(error.errorClass).to.equal('permanent');
    const euros = '€'.repeat(334);
    expect([euros.length, Buffer.byteLength(euros)]).to.deep.equal([334, 1002]);
    expect((await failure(send(open, euros))).code).to.equal(100);
  });

  it('refuses a recipient who never wrote with subcode 2534014', async () => {
    const error = await failure(h.client.engagement.sendMessage(token, igId, '5999999999999999', 'Hi'));
    expect(error.subcode).to.equal(2534014);
  });

  it('accepts recipient and message as objects in a JSON body, on /me/messages too', async () => {
    const open = lastWrote(2 * HOUR);
    const res = await fetch(`${h.base}/graph/v25.0/me/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ recipient: { id: open.participantId }, message: { text: 'Thanks! Your order shipped.' } }),
    });
    expect(res.status).to.equal(200);
    expect(await res.json()).to.have.keys('recipient_id', 'message_id');
  });

  it('sends one private reply per comment; the second fails with 2534025', async () => {
    const comment = customerComment();
    expect((await h.client.engagement.privateReply(token, igId, comment.id, 'Check your DMs')).recipient_id).to.equal(comment.fromId);
    const error = await failure(h.client.engagement.privateReply(token, igId, comment.id, 'Check your DMs again'));
    expect([error.code, error.subcode]).to.deep.equal([100, 2534025]);
    expect(error.errorClass).to.equal('permanent');
  });

  it('does not open the messaging window with a private reply', async () => {
    const comment = customerComment();
    await h.client.engagement.privateReply(token, igId, comment.id, 'Check your DMs');
    const error = await failure(h.client.engagement.sendMessage(token, igId, comment.fromId, 'Did you see it?'));
    expect(error.subcode).to.equal(2534022);
  });

  it('refuses a private reply to a comment older than 7 days', async () => {
    const comment = customerComment();
    h.clock.advance(8 * DAY);
    const error = await failure(h.client.engagement.privateReply(token, igId, comment.id, 'Too late'));
    expect(error.subcode).to.equal(2534025);
  });

  it('lists every message newest first but reads only the 20 newest in detail; older ones answer as deleted', async () => {
    const conversation = lastWrote(2 * HOUR);
    for (let i = 0; i < 22; i += 1) {
      h.clock.advance(1000);
      await inbound({ participantId: conversation.participantId, text: `message ${i}` });
    }
    const listed = await h.client.engagement.conversationMessages(token, conversation.id);
    expect(listed).to.have.length(25);
    expect(listed.map((m) => m.created_time)).to.deep.equal([...listed.map((m) => m.created_time)].sort().reverse());
    expect((await h.client.engagement.message(token, listed[0]!.id)).message).to.equal('message 21');
    expect((await h.client.engagement.message(token, listed[19]!.id)).message).to.equal('message 2');
    const old = await failure(h.client.engagement.message(token, listed[20]!.id));
    expect(old.code).to.equal(100);
  });

  it('starts a conversation for a new customer and finds it by user_id', async () => {
    const { participantId, conversationId } = await inbound({ text: 'Сәлем! 👋', username: 'new.customer' });
    const page = await h.client.engagement.conversations(token, { userId: participantId });
    expect(page.data.map((c) => c.id)).to.deep.equal([conversationId]);
    expect(page.data[0]!.participants!.data).to.deep.include({ id: participantId, username: 'new.customer' });
  });

  it('requires platform on /me/conversations', async () => {
    const res = await fetch(`${h.base}/graph/v25.0/me/conversations`, { headers: { authorization: `Bearer ${token}` } });
    const body = (await res.json()) as { error: { code: number; message: string } };
    expect(body.error).to.include({ code: 100, message: 'The parameter platform is required' });
  });
});
