import { expect } from 'chai';
import crypto from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { longLivedToken, SIM_APP_SECRET, startSimulator, type SimHarness } from '../../support/simulator.js';

interface Received {
  headers: http.IncomingHttpHeaders;
  raw: Buffer;
}

interface Receiver {
  url: string;
  received: Received[];
  waitFor(count: number): Promise<void>;
  close(): Promise<void>;
}

/** A webhook endpoint on 127.0.0.1 that keeps the raw bytes and answers the given statuses, then 200. */
async function startReceiver(statuses: number[] = []): Promise<Receiver> {
  const received: Received[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({ headers: req.headers, raw: Buffer.concat(chunks) });
      res.writeHead(statuses.shift() ?? 200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/webhooks/instagram`,
    received,
    async waitFor(count) {
      const deadline = Date.now() + 3000;
      while (received.length < count) {
        if (Date.now() > deadline) throw new Error(`expected ${count} deliveries, got ${received.length}`);
        await new Promise((r) => setTimeout(r, 10));
      }
    },
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** What a receiver must do (§7.2): HMAC-SHA256 over the raw bytes, hex, prefixed sha256=. */
const signed = (secret: string, raw: Buffer) => 'sha256=' + crypto.createHmac('sha256', secret).update(raw).digest('hex');

interface CommentValue {
  id: string;
  text: string;
  parent_id?: string;
  from: { id: string; username: string };
  media: { id: string; media_product_type: string };
}
interface Payload {
  object: string;
  entry: Array<{
    id: string;
    time: number;
    changes?: Array<{ field: string; value: CommentValue }>;
    messaging?: Array<{ sender: { id: string }; recipient: { id: string }; timestamp: number; message: { mid: string; text: string; is_echo?: boolean } }>;
  }>;
}
const payloadOf = (r: Received) => JSON.parse(r.raw.toString('utf8')) as Payload;

describe('Simulator webhooks (contract §7)', () => {
  let h: SimHarness;
  let receiver: Receiver;
  let token: string;
  let igId: string;

  async function start(statuses: number[] = [], options: { webhookSecret?: string; subscribe?: boolean } = {}): Promise<void> {
    receiver = await startReceiver(statuses);
    h = await startSimulator({ webhookUrl: receiver.url, ...(options.webhookSecret ? { webhookSecret: options.webhookSecret } : {}) });
    token = await longLivedToken(h);
    igId = h.sim.state.primaryAccount().igId;
    if (options.subscribe ?? true) await h.client.engagement.subscribe(token);
  }
  afterEach(async () => {
    await h.close();
    await receiver.close();
  });

  const control = (path: string, body: object) =>
    fetch(`${h.base}/__control/${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }).then((r) => r.json() as Promise<Record<string, string>>);

  it('sends an inbound comment as a comments change signed with the app secret over the raw body', async () => {
    await start();
    const answer = await control('comments', { text: 'Керемет! ☕', username: 'aigerim.k' });
    expect(answer['webhook']).to.equal('sent');
    const [delivery] = receiver.received;
    expect(delivery!.headers['content-type']).to.equal('application/json');
    expect(delivery!.headers['x-hub-signature-256']).to.equal(signed(SIM_APP_SECRET, delivery!.raw));
    const newest = h.sim.state.mediaOf(igId).find((m) => m.productType === 'FEED')!;
    const author = [...h.sim.state.comments.values()].find((c) => c.username === 'aigerim.k')!;
    expect(payloadOf(delivery!)).to.deep.equal({
      object: 'instagram',
      entry: [
        {
          id: igId,
          time: Math.floor(h.clock.now() / 1000),
          changes: [{ field: 'comments', value: { id: answer['id'], text: 'Керемет! ☕', from: { id: author.fromId, username: 'aigerim.k' }, media: { id: newest.id, media_product_type: 'FEED' } } }],
        },
      ],
    });
  });

  it('sends an inbound message with non-ASCII text as a messages event whose signature matches the raw UTF-8 bytes', async () => {
    await start();
    const answer = await control('messages', { text: 'Сәлем! 👋', username: 'new.customer' });
    expect(answer['webhook']).to.equal('sent');
    const [delivery] = receiver.received;
    expect(delivery!.raw.includes(Buffer.from('Сәлем! 👋', 'utf8'))).to.equal(true);
    expect(delivery!.headers['x-hub-signature-256']).to.equal(signed(SIM_APP_SECRET, delivery!.raw));
    expect(delivery!.headers['x-hub-signature-256']).not.to.equal(signed('some-other-secret', delivery!.raw));
    expect(payloadOf(delivery!)).to.deep.equal({
      object: 'instagram',
      entry: [
        {
          id: igId,
          time: h.clock.now(),
          messaging: [{ sender: { id: answer['participantId'] }, recipient: { id: igId }, timestamp: h.clock.now(), message: { mid: answer['messageId'], text: 'Сәлем! 👋' } }],
        },
      ],
    });
  });

  it('signs with webhookSecret instead of the app secret when one is set', async () => {
    await start([], { webhookSecret: 'separate-webhook-secret' });
    await control('messages', { text: 'Сәлем! 👋' });
    const [delivery] = receiver.received;
    expect(delivery!.headers['x-hub-signature-256']).to.equal(signed('separate-webhook-secret', delivery!.raw));
    expect(delivery!.headers['x-hub-signature-256']).not.to.equal(signed(SIM_APP_SECRET, delivery!.raw));
  });

  it('redelivers the same signed bytes after a receiver answered 500', async () => {
    await start([500]);
    const answer = await control('comments', { text: 'Is this available for delivery?' });
    expect(answer['webhook']).to.equal('failed');
    await receiver.waitFor(2);
    const [first, second] = receiver.received;
    expect(second!.raw.equals(first!.raw)).to.equal(true);
    expect(second!.headers['x-hub-signature-256']).to.equal(signed(SIM_APP_SECRET, second!.raw));
    // The sender counts the redelivery once it has read the 200, just after the receiver saw it.
    const counters = h.sim.state.counters;
    for (let i = 0; i < 100 && counters.webhooksSent === 0; i += 1) await new Promise((r) => setTimeout(r, 10));
    expect(counters).to.include({ webhooksSent: 1, webhooksFailed: 1 });
  });

  it('sends the account’s own comments and replies too, replies with parent_id', async () => {
    await start();
    const newest = h.sim.state.mediaOf(igId).find((m) => m.productType === 'FEED')!;
    const parent = [...h.sim.state.comments.values()].find((c) => c.mediaId === newest.id && !c.parentId && c.fromId !== igId)!;
    const commentId = await h.client.engagement.createComment(token, newest.id, 'Link in bio!');
    const replyId = await h.client.engagement.reply(token, parent.id, 'Thank you! 🙏');
    await receiver.waitFor(2);
    const values = receiver.received.map((r) => payloadOf(r).entry[0]!.changes![0]!.value);
    expect(values.map((v) => v.id)).to.have.members([commentId, replyId]);
    expect(values.every((v) => v.from.id === igId && v.from.username === 'steppe_coffee')).to.equal(true);
    expect(values.find((v) => v.id === replyId)!.parent_id).to.equal(parent.id);
    expect(values.find((v) => v.id === commentId)).not.to.have.property('parent_id');
  });

  it('echoes every outbound message, private replies included, with is_echo and sender and recipient swapped', async () => {
    await start();
    const { participantId } = await control('messages', { text: 'Do you sell beans by the kilo?' });
    const comment = [...h.sim.state.comments.values()].find((c) => !c.parentId && c.fromId !== igId && h.clock.now() - c.timestamp < 86_400_000)!;
    const sent = await h.client.engagement.sendMessage(token, igId, participantId!, 'Yes, 1 kg bags ☕');
    await h.client.engagement.privateReply(token, igId, comment.id, 'Sent you the price list');
    await receiver.waitFor(3);
    const echoes = receiver.received.slice(1).map((r) => payloadOf(r).entry[0]!.messaging![0]!);
    expect(echoes.every((e) => e.message.is_echo === true && e.sender.id === igId)).to.equal(true);
    expect(echoes.map((e) => e.recipient.id)).to.have.members([participantId, comment.fromId]);
    expect(echoes.find((e) => e.recipient.id === participantId)!.message).to.deep.equal({ mid: sent.message_id, text: 'Yes, 1 kg bags ☕', is_echo: true });
  });

  it('sends nothing for an account the app has not subscribed (§7.4)', async () => {
    await start([], { subscribe: false });
    expect((await control('comments', { text: 'Hello?' }))['webhook']).to.equal('not-subscribed');
    await new Promise((r) => setTimeout(r, 50));
    expect(receiver.received).to.have.length(0);
  });

  it('follows a new webhook URL set through the control API', async () => {
    await start();
    const other = await startReceiver();
    try {
      await control('webhook-url', { url: other.url });
      await control('messages', { text: 'Hi' });
      expect(other.received).to.have.length(1);
      expect(receiver.received).to.have.length(0);
    } finally {
      await other.close();
    }
  });
});
