import { expect } from 'chai';
import type { GraphError } from '../../../src/instagram/graph-error.js';
import type { SimulatorInput } from '../../../src/sandbox/simulator.js';
import { longLivedToken } from '../../support/simulator.js';
import { failure, graphCall, graphErrorOf } from '../../support/media-fixtures.js';
import { useSimulator } from '../../support/sim-harness.js';

/** Code, subcode and class together, as a test reads them. */
function summary(error: GraphError): { code: number | undefined; subcode: number | undefined; errorClass: string } {
  return { code: error.code, subcode: error.subcode, errorClass: error.errorClass };
}

describe('the simulator creates publishing containers as Instagram does (contract §2.2, §2.7, §2.8)', () => {
  const ctx = useSimulator({ media: true });

  const api = () => ctx.h.client.publishing;
  const post = (params: Record<string, string>) => graphCall(ctx.h, ctx.token, 'POST', `${ctx.igId}/media`, new URLSearchParams(params));

  describe('images', () => {
    it('a 4:5 JPEG becomes a FINISHED container at once', async () => {
      const id = await api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg'), caption: 'Hello' });
      expect(await api().containerStatus(ctx.token, id)).to.deep.equal({ id, status_code: 'FINISHED' });
      expect(ctx.media.hits.get('feed.jpg')).to.be.greaterThan(0);
    });

    it('refuses a PNG with 36001/2207005 although the server calls it image/jpeg', async () => {
      const error = await failure(api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('picture.png') }));
      expect(summary(error)).to.deep.equal({ code: 36001, subcode: 2207005, errorClass: 'invalidMedia' });
      expect(error.explanationKeys().text).to.equal('instagram.code.2207005');
    });

    it('refuses a 3:1 feed image with 36003/2207009 but takes the same picture as a story', async () => {
      const error = await failure(api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('wide-3x1.jpg') }));
      expect(summary(error)).to.deep.equal({ code: 36003, subcode: 2207009, errorClass: 'invalidMedia' });
      expect(error.explanationKeys().text).to.equal('instagram.code.2207009');
      const story = await api().createStory(ctx.token, ctx.igId, { imageUrl: ctx.media.url('wide-3x1.jpg') });
      expect((await api().containerStatus(ctx.token, story)).status_code).to.equal('FINISHED');
    });

    it('refuses a 3:1 carousel item too', async () => {
      const error = await failure(api().createCarouselChild(ctx.token, ctx.igId, { imageUrl: ctx.media.url('wide-3x1.jpg') }));
      expect(error.subcode).to.equal(2207009);
    });

    it('refuses an image over 8 MiB with 36000/2207004', async () => {
      const error = await failure(api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('huge.jpg') }));
      expect(summary(error)).to.deep.equal({ code: 36000, subcode: 2207004, errorClass: 'invalidMedia' });
      expect(error.explanationKeys().text).to.equal('instagram.code.2207004');
    });

    it('answers 9004/2207052 when the image URL is missing, refused or not http', async () => {
      for (const url of [ctx.media.url('missing.jpg'), 'http://127.0.0.1:1/nothing-listens-here.jpg', 'file:///etc/hostname']) {
        const error = await failure(api().createImage(ctx.token, ctx.igId, { imageUrl: url }));
        expect(summary(error), url).to.deep.equal({ code: 9004, subcode: 2207052, errorClass: 'invalidMedia' });
        expect(error.explanationKeys().text).to.equal('instagram.code.2207052');
      }
      expect(ctx.h.sim.state.containers.size).to.equal(0);
    });

    it('answers the retryable −2/2207003 when the image server does not answer in time', async () => {
      const input: Partial<SimulatorInput>  = { mediaFetchTimeoutMs: 300 };
      await ctx.restart(input);
      const error = await failure(api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('slow.jpg') }));
      expect(summary(error)).to.deep.equal({ code: -2, subcode: 2207003, errorClass: 'transient' });
      expect(error.explanationKeys().text).to.equal('instagram.code.2207003');
    });
  });

  describe('captions (§2.8)', () => {
    it('takes 2,200 characters, counting an emoji as one', async () => {
      await api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg'), caption: '☕' + 'a'.repeat(2199) });
    });

    it('refuses 2,201 characters with 36004/2207010', async () => {
      const error = await failure(api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg'), caption: 'a'.repeat(2201) }));
      expect(summary(error)).to.deep.equal({ code: 36004, subcode: 2207010, errorClass: 'invalidCaption' });
      expect(error.explanationKeys().text).to.equal('instagram.code.2207010');
    });

    it('refuses 21 distinct @mentions with 100/2207040 but takes 20 mentioned twice', async () => {
      const names = Array.from({ length: 21 }, (_, i) => `@friend_${i}`);
      const error = await failure(api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg'), caption: names.join(' ') }));
      expect(summary(error)).to.deep.equal({ code: 100, subcode: 2207040, errorClass: 'invalidCaption' });
      expect(error.explanationKeys().text).to.equal('instagram.code.2207040');
      const twenty = names.slice(0, 20).join(' ');
      await api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg'), caption: `${twenty} ${twenty} mail@example.com` });
    });

    it('refuses 31 hashtags with the configured error, 36004/2207010 by default', async () => {
      const caption = Array.from({ length: 31 }, (_, i) => `#tag${i}`).join(' ');
      const byDefault = await failure(api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg'), caption }));
      expect(summary(byDefault)).to.deep.equal({ code: 36004, subcode: 2207010, errorClass: 'invalidCaption' });
      await api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg'), caption: caption.replace('#tag30', 'C# tag30') });
      await ctx.restart({ hashtagLimit: { code: 100, subcode: 2207010, message: 'Too many hashtags' } });
      const configured = await failure(api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg'), caption }));
      expect([configured.code, configured.message]).to.deep.equal([100, 'Too many hashtags']);
    });
  });

  describe('media types and parameters (§2.2)', () => {
    it('answers 100/2207023 for an unknown media_type, IMAGE included (an image sends none)', async () => {
      for (const type of ['GIF', 'IMAGE', 'reels']) {
        const answer = await post({ media_type: type, image_url: ctx.media.url('feed.jpg') });
        expect(answer.status).to.equal(400);
        expect(graphErrorOf(answer)).to.include({ code: 100, error_subcode: 2207023, type: 'IGApiException' });
      }
    });

    it('refuses media_type=VIDEO outside a carousel: single feed videos are gone, use REELS', async () => {
      const answer = await post({ media_type: 'VIDEO', video_url: ctx.media.url('reel.mp4') });
      expect(graphErrorOf(answer)).to.include({ code: 100, error_subcode: 2207023 });
      expect(graphErrorOf(answer).message).to.contain('REELS');
    });

    it('answers 100 "The parameter video_url is required" for upload_type=resumable without video_url', async () => {
      const answer = await post({ media_type: 'REELS', upload_type: 'resumable', caption: 'x' });
      expect(graphErrorOf(answer)).to.deep.include({ code: 100, message: 'The parameter video_url is required' });
      expect(graphErrorOf(answer).error_subcode).to.equal(undefined);
    });

    it('wants exactly one of image_url and video_url on a story', async () => {
      expect(graphErrorOf(await post({ media_type: 'STORIES' })).code).to.equal(100);
      expect(graphErrorOf(await post({ media_type: 'STORIES', image_url: ctx.media.url('story.jpg'), video_url: ctx.media.url('reel.mp4') })).code).to.equal(100);
    });

    it('refuses parameters a type does not take: caption, collaborators and is_ai_generated on carousel items, alt_text on reels', async () => {
      const child = { is_carousel_item: 'true', image_url: ctx.media.url('square.jpg') };
      const extras: Array<Record<string, string>> = [{ caption: 'no' }, { collaborators: '["a"]' }, { is_ai_generated: 'true' }];
      for (const extra of extras) {
        const error = graphErrorOf(await post({ ...child, ...extra }));
        expect(error.code).to.equal(100);
        expect(error.message).to.match(/Param \w+ is not allowed for carousel items/);
      }
      const reel = graphErrorOf(await post({ media_type: 'REELS', video_url: ctx.media.url('reel.mp4'), alt_text: 'a cup' }));
      expect(reel.message).to.contain('Param alt_text is not allowed for reels');
      const story = graphErrorOf(await post({ media_type: 'STORIES', image_url: ctx.media.url('story.jpg'), collaborators: '["a"]' }));
      expect(story.message).to.contain('not allowed for stories');
      expect(graphErrorOf(await post({ image_url: ctx.media.url('feed.jpg'), product_tags: '[]' })).code).to.equal(100);
    });

    it('checks alt_text (≤1000), collaborators (≤3) and user_tags (JSON, x/y in 0–1)', async () => {
      const image = { image_url: ctx.media.url('feed.jpg') };
      expect(graphErrorOf(await post({ ...image, alt_text: 'a'.repeat(1001) })).code).to.equal(100);
      expect((await post({ ...image, alt_text: 'a'.repeat(1000) })).status).to.equal(200);
      expect(graphErrorOf(await post({ ...image, collaborators: '["a","b","c","d"]' })).code).to.equal(100);
      expect((await post({ ...image, collaborators: '["a","b","c"]' })).status).to.equal(200);
      expect(graphErrorOf(await post({ ...image, user_tags: 'not json' })).code).to.equal(100);
      expect(graphErrorOf(await post({ ...image, user_tags: '[{"username":"jane","x":1.5,"y":0.2}]' })).code).to.equal(100);
      expect(graphErrorOf(await post({ ...image, user_tags: '[{"username":"jane"}]' })).code).to.equal(100);
      expect((await post({ ...image, user_tags: '[{"username":"jane","x":0.5,"y":0.2}]' })).status).to.equal(200);
      // On stories the position is optional (§2.2).
      expect((await post({ media_type: 'STORIES', image_url: ctx.media.url('story.jpg'), user_tags: '[{"username":"jane"}]' })).status).to.equal(200);
    });

    it('accepts a JSON body, with complex values JSON-encoded or as plain JSON, and parameters in the query string', async () => {
      const tags = [{ username: 'jane', x: 0.1, y: 0.9 }];
      const encoded = await graphCall(ctx.h, ctx.token, 'POST', `${ctx.igId}/media`, { image_url: ctx.media.url('feed.jpg'), user_tags: JSON.stringify(tags), caption: 'json' });
      expect(encoded.status).to.equal(200);
      const plain = await graphCall(ctx.h, ctx.token, 'POST', `${ctx.igId}/media`, { image_url: ctx.media.url('feed.jpg'), user_tags: tags, collaborators: ['a'] });
      expect(plain.status).to.equal(200);
      const query = await graphCall(ctx.h, ctx.token, 'POST', `${ctx.igId}/media?image_url=${encodeURIComponent(ctx.media.url('feed.jpg'))}&caption=q`);
      expect(query.status).to.equal(200);
      expect(ctx.h.sim.state.containers.get(String(query.body['id']))?.caption).to.equal('q');
    });

    it('needs the content-publish permission and the token’s own account', async () => {
      const basicOnly = await longLivedToken(ctx.h, ['instagram_business_basic']);
      const denied = await failure(api().createImage(basicOnly, ctx.igId, { imageUrl: ctx.media.url('feed.jpg') }));
      expect([denied.code, denied.httpStatus, denied.errorClass]).to.deep.equal([200, 403, 'permission']);
      const stranger = await failure(api().createImage(ctx.token, '17841400000000001', { imageUrl: ctx.media.url('feed.jpg') }));
      expect(stranger.code).to.equal(100);
      expect(await api().createImage(ctx.token, 'me', { imageUrl: ctx.media.url('feed.jpg') })).to.match(/^\d{17}$/);
    });
  });

  describe('carousels', () => {
    const child = () => api().createCarouselChild(ctx.token, ctx.igId, { imageUrl: ctx.media.url('square.jpg') });

    it('refuses 11 children and a single child with 100/2207028', async () => {
      const ids = await Promise.all(Array.from({ length: 11 }, child));
      for (const children of [ids, ids.slice(0, 1)]) {
        const error = await failure(api().createCarousel(ctx.token, ctx.igId, children));
        expect(summary(error)).to.deep.equal({ code: 100, subcode: 2207028, errorClass: 'invalidMedia' });
        expect(error.explanationKeys().text).to.equal('instagram.code.2207028');
      }
      const carousel = await api().createCarousel(ctx.token, ctx.igId, ids.slice(0, 10), { caption: 'ten' });
      expect((await api().containerStatus(ctx.token, carousel)).status_code).to.equal('FINISHED');
    });

    it('wants children that exist, are carousel items and are FINISHED', async () => {
      const [a, b] = [await child(), await child()];
      const unknown = await failure(api().createCarousel(ctx.token, ctx.igId, [a, '17800000000000000']));
      expect([unknown.code, unknown.subcode]).to.deep.equal([24, 2207008]);
      const feedImage = await api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg') });
      expect((await failure(api().createCarousel(ctx.token, ctx.igId, [a, feedImage]))).code).to.equal(100);
      const video = await api().createCarouselChild(ctx.token, ctx.igId, { videoUrl: ctx.media.url('reel.mp4') });
      const pending = await failure(api().createCarousel(ctx.token, ctx.igId, [a, video]));
      expect([pending.code, pending.subcode, pending.errorClass]).to.deep.equal([9007, 2207027, 'notReady']);
      ctx.h.clock.advance(ctx.h.sim.options.videoProcessingMs);
      expect(await api().createCarousel(ctx.token, ctx.igId, [a, b, video])).to.match(/^\d{17}$/);
    });
  });
});
