import { expect } from 'chai';
import type { GraphError } from '../../../src/instagram/graph-error.js';
import { longLivedToken, startSimulator, type SimHarness } from '../../support/simulator.js';

const failure = (promise: Promise<unknown>): Promise<GraphError> =>
  promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e as GraphError,
  );

describe('Simulator engagement permissions (contract §1.1, §6.2)', () => {
  let h: SimHarness;
  let basicOnly: string;
  let igId: string;

  beforeEach(async () => {
    h = await startSimulator();
    basicOnly = await longLivedToken(h, ['instagram_business_basic', 'instagram_business_content_publish']);
    igId = h.sim.state.primaryAccount().igId;
  });
  afterEach(() => h.close());

  const newestId = () => h.sim.state.mediaOf(igId).find((m) => m.productType === 'FEED')!.id;

  it('refuses comments without instagram_business_manage_comments with (#200), classified permission', async () => {
    const error = await failure(h.client.engagement.listComments(basicOnly, newestId()));
    expect(error.code).to.equal(200);
    expect(error.message).to.contain('instagram_business_manage_comments');
    expect(error.errorClass).to.equal('permission');
    const commentId = [...h.sim.state.comments.values()].find((c) => c.mediaId === newestId())!.id;
    expect((await failure(h.client.engagement.setHidden(basicOnly, commentId, true))).errorClass).to.equal('permission');
  });

  it('refuses conversations and sending without instagram_business_manage_messages, classified permission', async () => {
    const conversations = await failure(h.client.engagement.conversations(basicOnly));
    expect(conversations.code).to.equal(200);
    expect(conversations.errorClass).to.equal('permission');
    const participant = [...h.sim.state.conversations.values()][0]!.participantId;
    expect((await failure(h.client.engagement.sendMessage(basicOnly, igId, participant, 'Hi'))).errorClass).to.equal('permission');
  });

  it('refuses insights without instagram_business_manage_insights, classified permission', async () => {
    const error = await failure(h.client.insights.account(basicOnly, igId, { metrics: ['reach'], period: 'day' }));
    expect(error.code).to.equal(200);
    expect(error.errorClass).to.equal('permission');
    expect((await failure(h.client.insights.media(basicOnly, newestId(), ['reach']))).errorClass).to.equal('permission');
  });

  it('subscribes a webhook field only with the permission that reads it', async () => {
    expect((await failure(h.client.engagement.subscribe(basicOnly, ['comments']))).errorClass).to.equal('permission');
    const commentsOnly = await longLivedToken(h, ['instagram_business_basic', 'instagram_business_manage_comments']);
    expect(await h.client.engagement.subscribe(commentsOnly, ['comments'])).to.equal(true);
    expect((await failure(h.client.engagement.subscribe(commentsOnly, ['comments', 'messages']))).code).to.equal(200);
  });

  it('refuses unknown and Facebook-only webhook fields with code 100', async () => {
    const token = await longLivedToken(h);
    expect((await failure(h.client.engagement.subscribe(token, ['comments', 'feed']))).code).to.equal(100);
    expect((await failure(h.client.engagement.subscribe(token, ['story_insights']))).code).to.equal(100);
    expect(h.sim.state.primaryAccount().subscribedFields).to.deep.equal([]);
  });
});
