import { expect } from 'chai';
import { graphTime } from '../../../src/sandbox/clock.js';
import type { SimulatorInput } from '../../../src/sandbox/simulator.js';
import { failure, graphCall } from '../../support/media-fixtures.js';
import { useSimulator } from '../../support/sim-harness.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('the simulator publishes containers and counts the quota as Instagram does (contract §2.5, §2.6)', () => {
  const ctx = useSimulator({ media: true });

  const api = () => ctx.h.client.publishing;
  const image = () => api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg'), caption: 'Fresh beans #coffee' });
  const child = () => api().createCarouselChild(ctx.token, ctx.igId, { imageUrl: ctx.media.url('square.jpg') });
  const finishVideos = () => ctx.h.clock.advance(ctx.h.sim.options.videoProcessingMs);

  it('publishing an image creates a FEED IMAGE with a permalink and marks the container PUBLISHED', async () => {
    const container = await image();
    const id = await api().publish(ctx.token, ctx.igId, container);
    const post = await api().mediaById(ctx.token, id);
    expect(post).to.include({ id, media_type: 'IMAGE', media_product_type: 'FEED', caption: 'Fresh beans #coffee', timestamp: graphTime(ctx.h.clock.now()), is_comment_enabled: true });
    expect(post.permalink).to.equal(`https://www.instagram.com/p/${post.shortcode}/`);
    expect(await api().containerStatus(ctx.token, container)).to.deep.equal({ id: container, status_code: 'PUBLISHED' });
  });

  it('a video container published before FINISHED answers 9007/2207027, classified notReady and retryable; later it publishes', async () => {
    const container = await api().createReel(ctx.token, ctx.igId, { videoUrl: ctx.media.url('reel.mp4'), caption: 'Reel' });
    const error = await failure(api().publish(ctx.token, ctx.igId, container));
    expect([error.code, error.subcode, error.errorClass, error.retryable]).to.deep.equal([9007, 2207027, 'notReady', true]);
    expect(error.message).to.equal('The media is not ready for publishing, please wait for a moment');
    expect(error.explanationKeys().text).to.equal('instagram.code.2207027');
    finishVideos();
    const reel = await api().mediaById(ctx.token, await api().publish(ctx.token, ctx.igId, container));
    // A reel reads back as VIDEO; REELS is its product type (§2.2).
    expect(reel).to.include({ media_type: 'VIDEO', media_product_type: 'REELS' });
    expect(reel.permalink).to.match(/^https:\/\/www\.instagram\.com\/reel\/[\w-]{11}\/$/);
    expect(reel.thumbnail_url).to.match(/\/cdn\/\d{17}-thumb\.jpg$/);
  });

  it('a container in ERROR is not FINISHED either: 9007/2207027, and its status_code says why', async () => {
    const container = await api().createReel(ctx.token, ctx.igId, { videoUrl: ctx.media.url('short.mp4') });
    finishVideos();
    expect((await failure(api().publish(ctx.token, ctx.igId, container))).code).to.equal(9007);
    expect((await api().containerStatus(ctx.token, container)).status_code).to.equal('ERROR');
  });

  it('unknown and expired containers answer 24/2207008', async () => {
    const unknown = await failure(api().publish(ctx.token, ctx.igId, '17800000000000000'));
    expect([unknown.code, unknown.subcode, unknown.errorClass]).to.deep.equal([24, 2207008, 'permanent']);
    expect(unknown.explanationKeys().text).to.equal('instagram.code.2207008');
    const container = await image();
    ctx.h.clock.advance(DAY);
    const expired = await failure(api().publish(ctx.token, ctx.igId, container));
    expect([expired.code, expired.subcode]).to.deep.equal([24, 2207008]);
  });

  it('publishing an already PUBLISHED container answers 24/2207008 by default and does not post twice', async () => {
    const container = await image();
    await api().publish(ctx.token, ctx.igId, container);
    const again = await failure(api().publish(ctx.token, ctx.igId, container));
    expect([again.code, again.subcode]).to.deep.equal([24, 2207008]);
    expect((await api().publishingLimit(ctx.token, ctx.igId)).quota_usage).to.equal(1);
  });

  it('with alreadyPublished: "same-id" a second publish answers the first media id and still counts once', async () => {
    const input: Partial<SimulatorInput>  = { alreadyPublished: 'same-id' };
    await ctx.restart(input);
    const container = await image();
    const first = await api().publish(ctx.token, ctx.igId, container);
    expect(await api().publish(ctx.token, ctx.igId, container)).to.equal(first);
    expect((await api().publishingLimit(ctx.token, ctx.igId)).quota_usage).to.equal(1);
  });

  it('over the quota media_publish answers 9/2207042 (quota), until the rolling 24 h window lets a post go', async () => {
    await ctx.restart({ quotaTotal: 2 });
    await api().publish(ctx.token, ctx.igId, await image());
    ctx.h.clock.advance(HOUR);
    await api().publish(ctx.token, ctx.igId, await image());
    const third = await image();
    const error = await failure(api().publish(ctx.token, ctx.igId, third));
    expect([error.code, error.subcode, error.errorClass, error.retryable]).to.deep.equal([9, 2207042, 'quota', false]);
    expect(error.explanationKeys().text).to.equal('instagram.code.2207042');
    expect(await api().publishingLimit(ctx.token, ctx.igId)).to.deep.equal({ quota_usage: 2, config: { quota_total: 2, quota_duration: 86400 } });
    ctx.h.clock.advance(DAY - HOUR);
    expect((await api().publishingLimit(ctx.token, ctx.igId)).quota_usage).to.equal(1);
    expect(await api().publish(ctx.token, ctx.igId, third)).to.match(/^\d{17}$/);
  });

  it('a carousel counts once toward quota_usage and its items read back as children', async () => {
    const children = [await child(), await child(), await api().createCarouselChild(ctx.token, ctx.igId, { videoUrl: ctx.media.url('reel.mp4') })];
    finishVideos();
    const container = await api().createCarousel(ctx.token, ctx.igId, children, { caption: 'Three' });
    const album = await api().mediaById(ctx.token, await api().publish(ctx.token, ctx.igId, container));
    expect(album).to.include({ media_type: 'CAROUSEL_ALBUM', media_product_type: 'FEED', caption: 'Three' });
    expect(album.children?.data.map((c) => c.media_type)).to.deep.equal(['IMAGE', 'IMAGE', 'VIDEO']);
    expect(album.media_url).to.equal(album.children?.data[0]?.media_url);
    expect((await api().publishingLimit(ctx.token, ctx.igId)).quota_usage).to.equal(1);
    for (const id of children) expect((await api().containerStatus(ctx.token, id)).status_code).to.equal('PUBLISHED');
    const alone = await failure(api().publish(ctx.token, ctx.igId, await child()));
    expect(alone.code).to.equal(100);
  });

  it('a story publishes as STORY, reads back as IMAGE or VIDEO, and stays out of the media list', async () => {
    const photo = await api().mediaById(ctx.token, await api().publish(ctx.token, ctx.igId, await api().createStory(ctx.token, ctx.igId, { imageUrl: ctx.media.url('story.jpg') })));
    expect(photo).to.include({ media_type: 'IMAGE', media_product_type: 'STORY' });
    expect(photo.permalink).to.contain('/stories/steppe_coffee/');
    const clip = await api().createStory(ctx.token, ctx.igId, { videoUrl: ctx.media.url('reel.mp4') });
    finishVideos();
    expect(await api().mediaById(ctx.token, await api().publish(ctx.token, ctx.igId, clip))).to.include({ media_type: 'VIDEO', media_product_type: 'STORY' });
    const listed = await api().listMedia(ctx.token, ctx.igId, { limit: 100 });
    expect(listed.data.map((m) => m.id)).not.to.include(photo.id);
    expect((await api().publishingLimit(ctx.token, ctx.igId)).quota_usage).to.equal(2);
  });

  it('counts every media_publish call per container, the refused ones too', async () => {
    const reel = await api().createReel(ctx.token, ctx.igId, { videoUrl: ctx.media.url('reel.mp4') });
    await failure(api().publish(ctx.token, ctx.igId, reel));
    await failure(api().publish(ctx.token, ctx.igId, reel));
    finishVideos();
    await api().publish(ctx.token, ctx.igId, reel);
    await failure(api().publish(ctx.token, ctx.igId, reel));
    await failure(api().publish(ctx.token, ctx.igId, '17800000000000000'));
    expect(Object.fromEntries(ctx.h.sim.state.counters.mediaPublishCalls)).to.deep.equal({ [reel]: 4, '17800000000000000': 1 });
    const counters = (await (await fetch(`${ctx.h.base}/__control/counters`)).json()) as { mediaPublishCalls: Record<string, number> };
    expect(counters.mediaPublishCalls[reel]).to.equal(4);
  });

  it('media_publish without creation_id answers 100', async () => {
    const answer = await graphCall(ctx.h, ctx.token, 'POST', `${ctx.igId}/media_publish`, new URLSearchParams());
    expect(answer.body['error']).to.deep.include({ code: 100, message: 'The parameter creation_id is required' });
  });

  it('content_publishing_limit answers only quota_usage without fields, and counts from `since` within 24 h', async () => {
    await api().publish(ctx.token, ctx.igId, await image());
    ctx.h.clock.advance(2 * HOUR);
    await api().publish(ctx.token, ctx.igId, await image());
    const bare = await graphCall(ctx.h, ctx.token, 'GET', `${ctx.igId}/content_publishing_limit`);
    expect(bare.body).to.deep.equal({ data: [{ quota_usage: 2 }] });
    const hourAgo = Math.floor((ctx.h.clock.now() - HOUR) / 1000);
    const since = await graphCall(ctx.h, ctx.token, 'GET', `${ctx.igId}/content_publishing_limit?fields=quota_usage,config&since=${hourAgo}`);
    expect(since.body).to.deep.equal({ data: [{ quota_usage: 1, config: { quota_total: 100, quota_duration: 86400 } }] });
    const tooOld = await graphCall(ctx.h, ctx.token, 'GET', `${ctx.igId}/content_publishing_limit?since=${hourAgo - 2 * 86400}`);
    expect(tooOld.status).to.equal(400);
  });
});
