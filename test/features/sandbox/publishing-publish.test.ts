import { expect } from 'chai';
import { graphTime } from '../../../src/sandbox/clock.js';
import type { SimulatorInput } from '../../../src/sandbox/simulator.js';
import { longLivedToken, startSimulator, type SimHarness } from '../../support/simulator.js';
import { failure, graphCall, startMediaServer, type MediaServer } from '../../support/media-fixtures.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('the simulator publishes containers and counts the quota as Instagram does (contract §2.5, §2.6)', () => {
  let media: MediaServer;
  let h: SimHarness;
  let token: string;
  let igId: string;

  before(async function () {
    this.timeout(20_000);
    media = await startMediaServer();
  });
  after(() => media.close());

  async function start(input: Partial<SimulatorInput> = {}): Promise<void> {
    h = await startSimulator(input);
    token = await longLivedToken(h);
    igId = h.sim.state.primaryAccount().igId;
  }
  beforeEach(() => start());
  afterEach(() => h.close());

  const api = () => h.client.publishing;
  const image = () => api().createImage(token, igId, { imageUrl: media.url('feed.jpg'), caption: 'Fresh beans #coffee' });
  const child = () => api().createCarouselChild(token, igId, { imageUrl: media.url('square.jpg') });
  const finishVideos = () => h.clock.advance(h.sim.options.videoProcessingMs);

  it('publishing an image creates a FEED IMAGE with a permalink and marks the container PUBLISHED', async () => {
    const container = await image();
    const id = await api().publish(token, igId, container);
    const post = await api().mediaById(token, id);
    expect(post).to.include({ id, media_type: 'IMAGE', media_product_type: 'FEED', caption: 'Fresh beans #coffee', timestamp: graphTime(h.clock.now()), is_comment_enabled: true });
    expect(post.permalink).to.equal(`https://www.instagram.com/p/${post.shortcode}/`);
    expect(await api().containerStatus(token, container)).to.deep.equal({ id: container, status_code: 'PUBLISHED' });
  });

  it('a video container published before FINISHED answers 9007/2207027, classified notReady and retryable; later it publishes', async () => {
    const container = await api().createReel(token, igId, { videoUrl: media.url('reel.mp4'), caption: 'Reel' });
    const error = await failure(api().publish(token, igId, container));
    expect([error.code, error.subcode, error.errorClass, error.retryable]).to.deep.equal([9007, 2207027, 'notReady', true]);
    expect(error.message).to.equal('The media is not ready for publishing, please wait for a moment');
    expect(error.explanationKeys().text).to.equal('instagram.code.2207027');
    finishVideos();
    const reel = await api().mediaById(token, await api().publish(token, igId, container));
    // A reel reads back as VIDEO; REELS is its product type (§2.2).
    expect(reel).to.include({ media_type: 'VIDEO', media_product_type: 'REELS' });
    expect(reel.permalink).to.match(/^https:\/\/www\.instagram\.com\/reel\/[\w-]{11}\/$/);
    expect(reel.thumbnail_url).to.match(/\/cdn\/\d{17}-thumb\.jpg$/);
  });

  it('a container in ERROR is not FINISHED either: 9007/2207027, and its status_code says why', async () => {
    const container = await api().createReel(token, igId, { videoUrl: media.url('short.mp4') });
    finishVideos();
    expect((await failure(api().publish(token, igId, container))).code).to.equal(9007);
    expect((await api().containerStatus(token, container)).status_code).to.equal('ERROR');
  });

  it('unknown and expired containers answer 24/2207008', async () => {
    const unknown = await failure(api().publish(token, igId, '17800000000000000'));
    expect([unknown.code, unknown.subcode, unknown.errorClass]).to.deep.equal([24, 2207008, 'permanent']);
    expect(unknown.explanationKeys().text).to.equal('instagram.code.2207008');
    const container = await image();
    h.clock.advance(DAY);
    const expired = await failure(api().publish(token, igId, container));
    expect([expired.code, expired.subcode]).to.deep.equal([24, 2207008]);
  });

  it('publishing an already PUBLISHED container answers 24/2207008 by default and does not post twice', async () => {
    const container = await image();
    await api().publish(token, igId, container);
    const again = await failure(api().publish(token, igId, container));
    expect([again.code, again.subcode]).to.deep.equal([24, 2207008]);
    expect((await api().publishingLimit(token, igId)).quota_usage).to.equal(1);
  });

  it('with alreadyPublished: "same-id" a second publish answers the first media id and still counts once', async () => {
    await h.close();
    const input: Partial<SimulatorInput>  = { alreadyPublished: 'same-id' };
    await start(input);
    const container = await image();
    const first = await api().publish(token, igId, container);
    expect(await api().publish(token, igId, container)).to.equal(first);
    expect((await api().publishingLimit(token, igId)).quota_usage).to.equal(1);
  });

  it('over the quota media_publish answers 9/2207042 (quota), until the rolling 24 h window lets a post go', async () => {
    await h.close();
    await start({ quotaTotal: 2 });
    await api().publish(token, igId, await image());
    h.clock.advance(HOUR);
    await api().publish(token, igId, await image());
    const third = await image();
    const error = await failure(api().publish(token, igId, third));
    expect([error.code, error.subcode, error.errorClass, error.retryable]).to.deep.equal([9, 2207042, 'quota', false]);
    expect(error.explanationKeys().text).to.equal('instagram.code.2207042');
    expect(await api().publishingLimit(token, igId)).to.deep.equal({ quota_usage: 2, config: { quota_total: 2, quota_duration: 86400 } });
    h.clock.advance(DAY - HOUR);
    expect((await api().publishingLimit(token, igId)).quota_usage).to.equal(1);
    expect(await api().publish(token, igId, third)).to.match(/^\d{17}$/);
  });

  it('a carousel counts once toward quota_usage and its items read back as children', async () => {
    const children = [await child(), await child(), await api().createCarouselChild(token, igId, { videoUrl: media.url('reel.mp4') })];
    finishVideos();
    const container = await api().createCarousel(token, igId, children, { caption: 'Three' });
    const album = await api().mediaById(token, await api().publish(token, igId, container));
    expect(album).to.include({ media_type: 'CAROUSEL_ALBUM', media_product_type: 'FEED', caption: 'Three' });
    expect(album.children?.data.map((c) => c.media_type)).to.deep.equal(['IMAGE', 'IMAGE', 'VIDEO']);
    expect(album.media_url).to.equal(album.children?.data[0]?.media_url);
    expect((await api().publishingLimit(token, igId)).quota_usage).to.equal(1);
    for (const id of children) expect((await api().containerStatus(token, id)).status_code).to.equal('PUBLISHED');
    const alone = await failure(api().publish(token, igId, await child()));
    expect(alone.code).to.equal(100);
  });

  it('a story publishes as STORY, reads back as IMAGE or VIDEO, and stays out of the media list', async () => {
    const photo = await api().mediaById(token, await api().publish(token, igId, await api().createStory(token, igId, { imageUrl: media.url('story.jpg') })));
    expect(photo).to.include({ media_type: 'IMAGE', media_product_type: 'STORY' });
    expect(photo.permalink).to.contain('/stories/steppe_coffee/');
    const clip = await api().createStory(token, igId, { videoUrl: media.url('reel.mp4') });
    finishVideos();
    expect(await api().mediaById(token, await api().publish(token, igId, clip))).to.include({ media_type: 'VIDEO', media_product_type: 'STORY' });
    const listed = await api().listMedia(token, igId, { limit: 100 });
    expect(listed.data.map((m) => m.id)).not.to.include(photo.id);
    expect((await api().publishingLimit(token, igId)).quota_usage).to.equal(2);
  });

  it('counts every media_publish call per container, the refused ones too', async () => {
    const reel = await api().createReel(token, igId, { videoUrl: media.url('reel.mp4') });
    await failure(api().publish(token, igId, reel));
    await failure(api().publish(token, igId, reel));
    finishVideos();
    await api().publish(token, igId, reel);
    await failure(api().publish(token, igId, reel));
    await failure(api().publish(token, igId, '17800000000000000'));
    expect(Object.fromEntries(h.sim.state.counters.mediaPublishCalls)).to.deep.equal({ [reel]: 4, '17800000000000000': 1 });
    const counters = (await (await fetch(`${h.base}/__control/counters`)).json()) as { mediaPublishCalls: Record<string, number> };
    expect(counters.mediaPublishCalls[reel]).to.equal(4);
  });

  it('media_publish without creation_id answers 100', async () => {
    const answer = await graphCall(h, token, 'POST', `${igId}/media_publish`, new URLSearchParams());
    expect(answer.body['error']).to.deep.include({ code: 100, message: 'The parameter creation_id is required' });
  });

  it('content_publishing_limit answers only quota_usage without fields, and counts from `since` within 24 h', async () => {
    await api().publish(token, igId, await image());
    h.clock.advance(2 * HOUR);
    await api().publish(token, igId, await image());
    const bare = await graphCall(h, token, 'GET', `${igId}/content_publishing_limit`);
    expect(bare.body).to.deep.equal({ data: [{ quota_usage: 2 }] });
    const hourAgo = Math.floor((h.clock.now() - HOUR) / 1000);
    const since = await graphCall(h, token, 'GET', `${igId}/content_publishing_limit?fields=quota_usage,config&since=${hourAgo}`);
    expect(since.body).to.deep.equal({ data: [{ quota_usage: 1, config: { quota_total: 100, quota_duration: 86400 } }] });
    const tooOld = await graphCall(h, token, 'GET', `${igId}/content_publishing_limit?since=${hourAgo - 2 * 86400}`);
    expect(tooOld.status).to.equal(400);
  });
});
