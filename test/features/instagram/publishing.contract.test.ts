import { expect } from 'chai';
import { MEDIA_FIELDS } from '../../../src/instagram/publishing.js';
import type { RecordedRequest } from '../../support/simulator.js';
import { useSimulator } from '../../support/sim-harness.js';

/** What every Graph request of the client must look like: versioned path, token in the header only. */
function expectGraphRequest(request: RecordedRequest | undefined, method: 'GET' | 'POST', path: string, token: string): URLSearchParams {
  expect(request, `a request to ${path}`).not.to.equal(undefined);
  const r = request as RecordedRequest;
  expect(r.method).to.equal(method);
  expect(r.url.pathname).to.equal(`/graph/v25.0/${path}`);
  expect(r.headers.get('authorization')).to.equal(`Bearer ${token}`);
  expect(r.url.searchParams.has('access_token')).to.equal(false);
  expect(r.body).not.to.contain('access_token');
  return method === 'POST' ? new URLSearchParams(r.body) : r.url.searchParams;
}

const entries = (params: URLSearchParams): Record<string, string> => Object.fromEntries(params);

describe('the publishing client against the simulator (contract §2, §3.1)', () => {
  const ctx = useSimulator({ media: true });

  const api = () => ctx.h.client.publishing;
  const last = () => ctx.h.requests.at(-1);

  it('createImage POSTs image_url, caption, alt_text and JSON-encoded user_tags and collaborators to /<IG_ID>/media', async () => {
    const id = await api().createImage(ctx.token, ctx.igId, {
      imageUrl: ctx.media.url('feed.jpg'),
      caption: 'New lot ☕ #coffee',
      altText: 'A cup on a wooden table',
      userTags: [{ username: 'jane', x: 0.5, y: 0.25 }],
      collaborators: ['nan_bakery'],
      isAiGenerated: false,
    });
    expect(id).to.match(/^\d{17}$/);
    const form = expectGraphRequest(last(), 'POST', `${ctx.igId}/media`, ctx.token);
    expect(entries(form)).to.deep.equal({
      image_url: ctx.media.url('feed.jpg'),
      caption: 'New lot ☕ #coffee',
      alt_text: 'A cup on a wooden table',
      user_tags: '[{"username":"jane","x":0.5,"y":0.25}]',
      collaborators: '["nan_bakery"]',
      is_ai_generated: 'false',
    });
  });

  it('createCarouselChild sends is_carousel_item=true with image_url, or media_type=VIDEO with video_url', async () => {
    await api().createCarouselChild(ctx.token, ctx.igId, { imageUrl: ctx.media.url('square.jpg'), altText: 'Beans' });
    expect(entries(expectGraphRequest(last(), 'POST', `${ctx.igId}/media`, ctx.token))).to.deep.equal({ is_carousel_item: 'true', image_url: ctx.media.url('square.jpg'), alt_text: 'Beans' });
    await api().createCarouselChild(ctx.token, ctx.igId, { videoUrl: ctx.media.url('reel.mp4') });
    expect(entries(expectGraphRequest(last(), 'POST', `${ctx.igId}/media`, ctx.token))).to.deep.equal({ is_carousel_item: 'true', media_type: 'VIDEO', video_url: ctx.media.url('reel.mp4') });
  });

  it('createCarousel sends media_type=CAROUSEL and the children as comma-separated ids', async () => {
    const children = [
      await api().createCarouselChild(ctx.token, ctx.igId, { imageUrl: ctx.media.url('square.jpg') }),
      await api().createCarouselChild(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg') }),
    ];
    const id = await api().createCarousel(ctx.token, ctx.igId, children, { caption: 'Two', collaborators: ['a', 'b'] });
    expect(entries(expectGraphRequest(last(), 'POST', `${ctx.igId}/media`, ctx.token))).to.deep.equal({
      media_type: 'CAROUSEL',
      children: children.join(','),
      caption: 'Two',
      collaborators: '["a","b"]',
    });
    expect((await api().containerStatus(ctx.token, id)).status_code).to.equal('FINISHED');
  });

  it('createReel sends media_type=REELS with share_to_feed, thumb_offset and trial_params as Instagram spells them', async () => {
    await api().createReel(ctx.token, ctx.igId, { videoUrl: ctx.media.url('reel.mp4'), caption: 'Launch day', shareToFeed: true, thumbOffsetMs: 1500, audioName: 'Roast', trialGraduation: 'MANUAL' });
    expect(entries(expectGraphRequest(last(), 'POST', `${ctx.igId}/media`, ctx.token))).to.deep.equal({
      media_type: 'REELS',
      video_url: ctx.media.url('reel.mp4'),
      caption: 'Launch day',
      share_to_feed: 'true',
      thumb_offset: '1500',
      audio_name: 'Roast',
      trial_params: '{"graduation_strategy":"MANUAL"}',
    });
  });

  it('createStory sends media_type=STORIES with exactly one of image_url and video_url', async () => {
    await api().createStory(ctx.token, ctx.igId, { imageUrl: ctx.media.url('story.jpg'), userTags: [{ username: 'jane' }] });
    expect(entries(expectGraphRequest(last(), 'POST', `${ctx.igId}/media`, ctx.token))).to.deep.equal({ media_type: 'STORIES', image_url: ctx.media.url('story.jpg'), user_tags: '[{"username":"jane"}]' });
    await api().createStory(ctx.token, ctx.igId, { videoUrl: ctx.media.url('reel.mp4') });
    expect(entries(expectGraphRequest(last(), 'POST', `${ctx.igId}/media`, ctx.token))).to.deep.equal({ media_type: 'STORIES', video_url: ctx.media.url('reel.mp4') });
  });

  it('containerStatus GETs /<CONTAINER_ID> with fields=id,status_code,status and reads IN_PROGRESS, then FINISHED', async () => {
    const id = await api().createReel(ctx.token, ctx.igId, { videoUrl: ctx.media.url('reel.mp4') });
    expect((await api().containerStatus(ctx.token, id)).status_code).to.equal('IN_PROGRESS');
    expect(entries(expectGraphRequest(last(), 'GET', id, ctx.token))).to.deep.equal({ fields: 'id,status_code,status' });
    ctx.h.clock.advance(ctx.h.sim.options.videoProcessingMs);
    expect(await api().containerStatus(ctx.token, id)).to.deep.equal({ id, status_code: 'FINISHED' });
  });

  it('publish POSTs creation_id to /<IG_ID>/media_publish and gets the media id back as a string', async () => {
    const container = await api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg') });
    const id = await api().publish(ctx.token, ctx.igId, container);
    expect(entries(expectGraphRequest(last(), 'POST', `${ctx.igId}/media_publish`, ctx.token))).to.deep.equal({ creation_id: container });
    expect(id).to.be.a('string').and.match(/^\d{17}$/);
    expect(ctx.h.sim.state.media.get(id)?.fromContainerId).to.equal(container);
  });

  it('publishingLimit GETs content_publishing_limit with fields=quota_usage,config and reads the configured total', async () => {
    await api().publish(ctx.token, ctx.igId, await api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg') }));
    expect(await api().publishingLimit(ctx.token, ctx.igId)).to.deep.equal({ quota_usage: 1, config: { quota_total: 100, quota_duration: 86400 } });
    expect(entries(expectGraphRequest(last(), 'GET', `${ctx.igId}/content_publishing_limit`, ctx.token))).to.deep.equal({ fields: 'quota_usage,config' });
    const since = Math.floor(ctx.h.clock.now() / 1000) - 60;
    await api().publishingLimit(ctx.token, ctx.igId, { since });
    expect(last()?.url.searchParams.get('since')).to.equal(String(since));
  });

  it('listMedia asks for every media field with limit=25, and nextPage follows paging.next without a token in the URL', async () => {
    const first = await api().listMedia(ctx.token, ctx.igId);
    expect(entries(expectGraphRequest(last(), 'GET', `${ctx.igId}/media`, ctx.token))).to.deep.equal({ fields: MEDIA_FIELDS, limit: '25' });
    expect(first.data).to.have.length(25);
    expect(first.data[0]).to.include.keys(['id', 'caption', 'media_type', 'media_product_type', 'media_url', 'permalink', 'shortcode', 'timestamp', 'username', 'like_count', 'comments_count', 'is_comment_enabled']);
    expect(first.data[0]?.timestamp).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/);
    const second = await api().nextPage(ctx.token, first);
    expect(second).not.to.equal(undefined);
    const page = await second;
    const params = expectGraphRequest(last(), 'GET', `${ctx.igId}/media`, ctx.token);
    expect(params.get('after')).to.equal(first.paging?.cursors?.after);
    expect(params.get('fields')).to.equal(MEDIA_FIELDS);
    expect(page?.data[0]?.id).not.to.equal(first.data[0]?.id);
  });

  it('mediaById GETs /<MEDIA_ID> with the media fields, children included for an album', async () => {
    const album = ctx.h.sim.state.mediaOf(ctx.igId).find((m) => m.mediaType === 'CAROUSEL_ALBUM');
    const read = await api().mediaById(ctx.token, album?.id ?? '');
    expect(entries(expectGraphRequest(last(), 'GET', album?.id ?? '', ctx.token))).to.deep.equal({ fields: MEDIA_FIELDS });
    expect(read).to.include({ id: album?.id, media_type: 'CAROUSEL_ALBUM', username: 'steppe_coffee' });
    expect(read.children?.data.every((c) => /^http:\/\/127\.0\.0\.1:\d+\/cdn\/\d{17}\.jpg$/.test(c.media_url ?? ''))).to.equal(true);
  });
});
