import { expect } from 'chai';
import type { SimulatorInput } from '../../../src/sandbox/simulator.js';
import { longLivedToken, startSimulator, type SimHarness } from '../../support/simulator.js';
import { failure, startMediaServer, type MediaServer } from '../../support/media-fixtures.js';

const DAY = 24 * 3_600_000;

describe('the simulator processes videos and ages containers as Instagram does (contract §2.1, §2.4)', () => {
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

  describe('videos (§2.4)', () => {
    it('a reel is IN_PROGRESS until videoProcessingMs have passed on the sim clock, then FINISHED', async () => {
      const id = await api().createReel(token, igId, { videoUrl: media.url('reel.mp4'), caption: 'Launch day', shareToFeed: true, thumbOffsetMs: 1500 });
      expect(await api().containerStatus(token, id)).to.deep.include({ id, status_code: 'IN_PROGRESS' });
      h.clock.advance(h.sim.options.videoProcessingMs - 1);
      expect((await api().containerStatus(token, id)).status_code).to.equal('IN_PROGRESS');
      h.clock.advance(1);
      const status = await api().containerStatus(token, id);
      expect(status).to.deep.equal({ id, status_code: 'FINISHED' });
    });

    for (const [name, why] of [
      ['short.mp4', 'shorter than 3 seconds'],
      ['mpeg4.mp4', 'MPEG-4 Part 2 instead of H.264/HEVC'],
      ['reel.mkv', 'in Matroska instead of MP4/MOV'],
    ] as const) {
      it(`a reel ${why} ends in ERROR with "Media upload has failed with error code 2207026"`, async () => {
        const id = await api().createReel(token, igId, { videoUrl: media.url(name) });
        expect((await api().containerStatus(token, id)).status_code).to.equal('IN_PROGRESS');
        h.clock.advance(h.sim.options.videoProcessingMs);
        expect(await api().containerStatus(token, id)).to.deep.equal({ id, status_code: 'ERROR', status: 'Error: Media upload has failed with error code 2207026' });
      });
    }

    it('a video that cannot be downloaded ends in ERROR with 2207052', async () => {
      const id = await api().createStory(token, igId, { videoUrl: media.url('missing.jpg') });
      h.clock.advance(h.sim.options.videoProcessingMs);
      expect((await api().containerStatus(token, id)).status).to.equal('Error: Media upload has failed with error code 2207052');
    });

    it('a thumb_offset past the end of the video ends in ERROR with 2207057', async () => {
      const id = await api().createReel(token, igId, { videoUrl: media.url('reel.mp4'), thumbOffsetMs: 60_000 });
      h.clock.advance(h.sim.options.videoProcessingMs);
      expect((await api().containerStatus(token, id)).status).to.contain('2207057');
    });

    it('an injected container-error fault fails the next video container only, with its subcode', async () => {
      h.sim.state.faults.push({ kind: 'container-error', subcode: 2207076 });
      const failed = await api().createReel(token, igId, { videoUrl: media.url('reel.mp4') });
      const fine = await api().createReel(token, igId, { videoUrl: media.url('reel.mp4') });
      h.clock.advance(h.sim.options.videoProcessingMs);
      expect((await api().containerStatus(token, failed)).status).to.equal('Error: Media upload has failed with error code 2207076');
      expect((await api().containerStatus(token, fine)).status_code).to.equal('FINISHED');
      expect(h.sim.state.faults).to.deep.equal([]);
    });
  });

  describe('lifetime and the 24 h cap (§2.1)', () => {
    it('a container nobody publishes is EXPIRED 24 h after it was created', async () => {
      const id = await api().createImage(token, igId, { imageUrl: media.url('feed.jpg') });
      h.clock.advance(DAY - 1);
      expect((await api().containerStatus(token, id)).status_code).to.equal('FINISHED');
      h.clock.advance(1);
      expect((await api().containerStatus(token, id)).status_code).to.equal('EXPIRED');
    });

    it('refuses a container past the cap with 9/2207042 (classified quota) until the window rolls on', async () => {
      await h.close();
      await start({ containerCap: 2 });
      await api().createImage(token, igId, { imageUrl: media.url('feed.jpg') });
      await api().createReel(token, igId, { videoUrl: media.url('reel.mp4') });
      const error = await failure(api().createImage(token, igId, { imageUrl: media.url('feed.jpg') }));
      expect([error.code, error.subcode, error.errorClass]).to.deep.equal([9, 2207042, 'quota']);
      expect(error.message).to.contain('2 media containers');
      expect(error.explanationKeys().text).to.equal('instagram.code.2207042');
      h.clock.advance(DAY);
      expect(await api().createImage(token, igId, { imageUrl: media.url('feed.jpg') })).to.match(/^\d{17}$/);
    });
  });
});
