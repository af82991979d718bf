import { expect } from 'chai';
import type { GraphError } from '../../../src/instagram/graph-error.js';
import type { Comment } from '../../../src/instagram/types.js';
import type { SimComment, SimMedia } from '../../../src/sandbox/state.js';
import type { SimHarness } from '../../support/simulator.js';
import { useSimulator } from '../../support/sim-harness.js';

interface Answer {
  status: number;
  body: { data?: Comment[]; paging?: { next?: string }; error?: { code: number; message: string } };
}

async function graphGet(h: SimHarness, token: string, path: string, params: Record<string, string> = {}): Promise<Answer> {
  const url = new URL(`${h.base}/graph/v25.0/${path}`);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: (await res.json()) as Answer['body'] };
}

const failure = (promise: Promise<unknown>): Promise<GraphError> =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as GraphError,
  );

describe('Simulator comments and moderation (contract §3.2–3.3)', () => {
  const ctx = useSimulator();
  let newest: SimMedia;
  beforeEach(() => {
    newest = ctx.h.sim.state.mediaOf(ctx.igId).find((m) => m.productType === 'FEED')!;
  });

  const all = (): SimComment[] => [...ctx.h.sim.state.comments.values()].filter((c) => c.mediaId === newest.id);
  const customerComment = (): SimComment => all().find((c) => !c.parentId && c.fromId !== ctx.igId)!;
  const withReplies = (): SimComment => all().find((c) => !c.parentId && all().some((r) => r.parentId === c.id))!;

  it('lists the 55 top-level comments of the newest post newest first, 50 on the first page and 5 on the next', async () => {
    const first = await ctx.h.client.engagement.listComments(ctx.token, newest.id);
    const second = await ctx.h.client.engagement.listComments(ctx.token, newest.id, { after: first.paging!.cursors!.after! });
    const listed = [...first.data, ...second.data];
    expect(first.data).to.have.length(50);
    expect(second.data).to.have.length(5);
    expect(second.paging?.next).to.equal(undefined);
    expect(new Set(listed.map((c) => c.id)).size).to.equal(55);
    const times = listed.map((c) => Date.parse(c.timestamp.replace('+0000', 'Z')));
    expect(times).to.deep.equal([...times].sort((a, b) => b - a));
    expect(listed.every((c) => c.parent_id === undefined)).to.equal(true);
  });

  it('caps limit at 50, defaults to 25 a page, and the next link leads on', async () => {
    const capped = await graphGet(ctx.h, ctx.token, `${newest.id}/comments`, { limit: '100' });
    expect(capped.body.data).to.have.length(50);
    const byDefault = await graphGet(ctx.h, ctx.token, `${newest.id}/comments`);
    expect(byDefault.body.data).to.have.length(25);
    const next = await fetch(byDefault.body.paging!.next!, { headers: { authorization: `Bearer ${ctx.token}` } });
    const page = (await next.json()) as Answer['body'];
    expect(page.data).to.have.length(25);
    expect(page.data![0]!.id).not.to.equal(byDefault.body.data![0]!.id);
  });

  it('shows replies only through the replies{…} expansion, oldest first, each naming its parent', async () => {
    const parent = withReplies();
    const page = await ctx.h.client.engagement.listComments(ctx.token, newest.id, { limit: 50 });
    const listed = [...page.data, ...(await ctx.h.client.engagement.listComments(ctx.token, newest.id, { after: page.paging!.cursors!.after! })).data];
    const shown = listed.find((c) => c.id === parent.id)!;
    expect(listed.some((c) => all().find((r) => r.id === c.id)?.parentId)).to.equal(false);
    const replies = shown.replies!.data;
    expect(replies.length).to.be.greaterThan(0);
    expect(replies.every((r) => r.parent_id === parent.id && r.from?.id === ctx.igId)).to.equal(true);
    expect(replies.map((r) => r.timestamp)).to.deep.equal([...replies.map((r) => r.timestamp)].sort());
  });

  it('answers a comment node with media and user only on the account’s own comment', async () => {
    const own = all().find((c) => c.fromId === ctx.igId)!;
    const theirs = customerComment();
    const fields = 'id,text,user,media{id,media_product_type},from';
    const ownBody = (await graphGet(ctx.h, ctx.token, own.id, { fields })).body as Record<string, unknown>;
    const theirBody = (await graphGet(ctx.h, ctx.token, theirs.id, { fields })).body as Record<string, unknown>;
    expect(ownBody['user']).to.deep.equal({ id: ctx.igId });
    expect(ownBody['media']).to.deep.equal({ id: newest.id, media_product_type: 'FEED' });
    expect(theirBody).not.to.have.property('user');
    expect(theirBody['from']).to.deep.equal({ id: theirs.fromId, username: theirs.username });
  });

  it('refuses a field comments do not have with code 100', async () => {
    const answer = await graphGet(ctx.h, ctx.token, `${newest.id}/comments`, { fields: 'id,caption' });
    expect(answer.status).to.equal(400);
    expect(answer.body.error?.code).to.equal(100);
    expect(answer.body.error?.message).to.contain('nonexisting field (caption)');
  });

  it('puts a reply to a reply on its top-level comment', async () => {
    const parent = withReplies();
    const reply = all().find((r) => r.parentId === parent.id)!;
    const id = await ctx.h.client.engagement.reply(ctx.token, reply.id, 'Replying to the reply');
    expect(ctx.h.sim.state.comments.get(id)?.parentId).to.equal(parent.id);
  });

  it('refuses replies to a hidden comment and accepts them again once it is shown', async () => {
    const comment = customerComment();
    await ctx.h.client.engagement.setHidden(ctx.token, comment.id, true);
    const error = await failure(ctx.h.client.engagement.reply(ctx.token, comment.id, 'Hello?'));
    expect(error.code).to.equal(100);
    expect(error.errorClass).to.equal('permanent');
    await ctx.h.client.engagement.setHidden(ctx.token, comment.id, false);
    expect(await ctx.h.client.engagement.reply(ctx.token, comment.id, 'Hello!')).to.be.a('string');
  });

  it('answers success to hiding the account’s own comment but keeps it visible', async () => {
    const own = all().find((c) => c.fromId === ctx.igId)!;
    expect(await ctx.h.client.engagement.setHidden(ctx.token, own.id, true)).to.equal(true);
    const body = (await graphGet(ctx.h, ctx.token, own.id, { fields: 'hidden' })).body as Record<string, unknown>;
    expect(body['hidden']).to.equal(false);
  });

  it('asks for hide when a moderation POST lacks it', async () => {
    const comment = customerComment();
    const res = await fetch(`${ctx.h.base}/graph/v25.0/${comment.id}`, { method: 'POST', headers: { authorization: `Bearer ${ctx.token}` }, body: new URLSearchParams({ is_pinned: 'true' }) });
    const body = (await res.json()) as Answer['body'];
    expect(body.error).to.include({ code: 100, message: 'The parameter hide is required' });
  });

  it('deletes a comment with its replies; afterwards the comment and its replies edge answer as missing', async () => {
    const parent = withReplies();
    const replyIds = all().filter((r) => r.parentId === parent.id).map((r) => r.id);
    const count = newest.commentsCount;
    expect(await ctx.h.client.engagement.deleteComment(ctx.token, parent.id)).to.equal(true);
    expect(replyIds.some((id) => ctx.h.sim.state.comments.has(id))).to.equal(false);
    expect(newest.commentsCount).to.equal(count - 1);
    const gone = await failure(ctx.h.client.engagement.listReplies(ctx.token, parent.id));
    expect(gone.code).to.equal(100);
    const again = await failure(ctx.h.client.engagement.deleteComment(ctx.token, parent.id));
    expect(again.code).to.equal(100);
  });

  it('refuses new comments and replies while comments are turned off for the media', async () => {
    newest.commentEnabled = false;
    const comment = await failure(ctx.h.client.engagement.createComment(ctx.token, newest.id, 'First!'));
    expect(comment.code).to.equal(100);
    const reply = await failure(ctx.h.client.engagement.reply(ctx.token, customerComment().id, 'Thanks'));
    expect(reply.code).to.equal(100);
    newest.commentEnabled = true;
    expect(await ctx.h.client.engagement.createComment(ctx.token, newest.id, 'First!')).to.be.a('string');
  });

  it('answers code 100 for comments on media the account does not own', async () => {
    const error = await failure(ctx.h.client.engagement.listComments(ctx.token, '17999999999999999'));
    expect(error.code).to.equal(100);
    expect(error.subcode).to.equal(33);
  });
});
