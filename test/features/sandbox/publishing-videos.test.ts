import { expect } from 'chai';
import { failure } from '../../support/media-fixtures.js';
import { useSimulator } from '../../support/sim-harness.js';

const DAY = 24 * 3_600_000;

describe('the simulator processes videos and ages containers as Instagram does (contract §2.1, §2.4)', () => {
  const ctx = useSimulator({ media: true });

  const api = () => ctx.h.client.publishing;

  describe('videos (§2.4)', () => {
    it('a reel is IN_PROGRESS until videoProcessingMs have passed on the sim clock, then FINISHED', async () => {
      const id = await api().createReel(ctx.token, ctx.igId, { videoUrl: ctx.media.url('reel.mp4'), caption: 'Launch day', shareToFeed: true, thumbOffsetMs: 1500 });
      expect(await api().containerStatus(ctx.token, id)).to.deep.include({ id, status_code: 'IN_PROGRESS' });
      ctx.h.clock.advance(ctx.h.sim.options.videoProcessingMs - 1);
      expect((await api().containerStatus(ctx.token, id)).status_code).to.equal('IN_PROGRESS');
      ctx.h.clock.advance(1);
      const status = await api().containerStatus(ctx.token, id);
      expect(status).to.deep.equal({ id, status_code: 'FINISHED' });
    });

    for (const [name, why] of [
      ['short.mp4', 'shorter than 3 seconds'],
      ['mpeg4.mp4', 'MPEG-4 Part 2 instead of H.264/HEVC'],
      ['reel.mkv', 'in Matroska instead of MP4/MOV'],
    ] as const) {
      it(`a reel ${why} ends in ERROR with "Media upload has failed with error code 2207026"`, async () => {
        const id = await api().createReel(ctx.token, ctx.igId, { videoUrl: ctx.media.url(name) });
        expect((await api().containerStatus(ctx.token, id)).status_code).to.equal('IN_PROGRESS');
        ctx.h.clock.advance(ctx.h.sim.options.videoProcessingMs);
        expect(await api().containerStatus(ctx.token, id)).to.deep.equal({ id, status_code: 'ERROR', status: 'Error: Media upload has failed with error code 2207026' });
      });
    }

    it('a video that cannot be downloaded ends in ERROR with 2207052', async () => {
      const id = await api().createStory(ctx.token, ctx.igId, { videoUrl: ctx.media.url('missing.jpg') });
      ctx.h.clock.advance(ctx.h.sim.options.videoProcessingMs);
      expect((await api().containerStatus(ctx.token, id)).status).to.equal('Error: Media upload has failed with error code 2207052');
    });

    it('a thumb_offset past the end of the video ends in ERROR with 2207057', async () => {
      const id = await api().createReel(ctx.token, ctx.igId, { videoUrl: ctx.media.url('reel.mp4'), thumbOffsetMs: 60_000 });
      ctx.h.clock.advance(ctx.h.sim.options.videoProcessingMs);
      expect((await api().containerStatus(ctx.token, id)).status).to.contain('2207057');
    });

    it('an injected container-error fault fails the next video container only, with its subcode', async () => {
      ctx.h.sim.state.faults.push({ kind: 'container-error', subcode: 2207076 });
      const failed = await api().createReel(ctx.token, ctx.igId, { videoUrl: ctx.media.url('reel.mp4') });
      const fine = await api().createReel(ctx.token, ctx.igId, { videoUrl: ctx.media.url('reel.mp4') });
      ctx.h.clock.advance(ctx.h.sim.options.videoProcessingMs);
      expect((await api().containerStatus(ctx.token, failed)).status).to.equal('Error: Media upload has failed with error code 2207076');
      expect((await api().containerStatus(ctx.token, fine)).status_code).to.equal('FINISHED');
      expect(ctx.h.sim.state.faults).to.deep.equal([]);
    });
  });

  describe('lifetime and the 24 h cap (§2.1)', () => {
    it('a container nobody publishes is EXPIRED 24 h after it was created', async () => {
      const id = await api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg') });
      ctx.h.clock.advance(DAY - 1);
      expect((await api().containerStatus(ctx.token, id)).status_code).to.equal('FINISHED');
      ctx.h.clock.advance(1);
      expect((await api().containerStatus(ctx.token, id)).status_code).to.equal('EXPIRED');
    });

    it('refuses a container past the cap with 9/2207042 (classified quota) until the window rolls on', async () => {
      await ctx.restart({ containerCap: 2 });
      await api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg') });
      await api().createReel(ctx.token, ctx.igId, { videoUrl: ctx.media.url('reel.mp4') });
      const error = await failure(api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg') }));
      expect([error.code, error.subcode, error.errorClass]).to.deep.equal([9, 2207042, 'quota']);
      expect(error.message).to.contain('2 media containers');
      expect(error.explanationKeys().text).to.equal('instagram.code.2207042');
      ctx.h.clock.advance(DAY);
      expect(await api().createImage(ctx.token, ctx.igId, { imageUrl: ctx.media.url('feed.jpg') })).to.match(/^\d{17}$/);
    });
  });
});
