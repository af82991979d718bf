import { expect } from 'chai';
import { MediaRejected, VIDEO_LIMITS, type VideoUse } from '../../../src/features/content/media/rules.js';
import { checkVideo, maxVideoBitRate, outputFps, outputSize, probeVideo, type VideoProbe } from '../../../src/features/content/media/video.js';
import { englishText, expectRejected, mediaCorpus, type Corpus, type CorpusName } from '../../support/media-corpus.js';

/** A clean 1080×1920 H.264/AAC reel, to vary one property at a time. */
const fine: VideoProbe = {
  formats: ['mov', 'mp4', 'm4a', '3gp', '3g2', 'mj2'],
  videoCodec: 'h264',
  pixFmt: 'yuv420p',
  width: 1080,
  height: 1920,
  fps: 30,
  durationMs: 10_000,
  bitRate: 6_000_000,
  hasAudio: true,
  audioCodec: 'aac',
  audioSampleRate: 48_000,
  audioChannels: 2,
  bytes: 8_000_000,
};

function rejectionOf(probe: VideoProbe, use: VideoUse): MediaRejected {
  const { rejection, transcodeReasons } = checkVideo(probe, use);
  expect(rejection, 'a rejection').to.be.instanceOf(MediaRejected);
  expect(transcodeReasons).to.deep.equal([]);
  return rejection as MediaRejected;
}

describe('videos are read with ffprobe and checked against the limits of each use (contract §2.7, security.md #23)', () => {
  let corpus: Corpus;
  before(async function () {
    this.timeout(120_000);
    corpus = await mediaCorpus();
  });

  describe('probeVideo', () => {
    it('reads the 4K HEVC reel: hevc, 2160×3840, 60 fps, 3.5 s, AAC sound', async () => {
      expect(await probeVideo(corpus.path('hevc-4k60.mp4'))).to.deep.include({ videoCodec: 'hevc', width: 2160, height: 3840, fps: 60, durationMs: 3500, hasAudio: true, audioCodec: 'aac' });
    });

    it('reports the size people see: a 640×360 stream with a 90° display matrix is 360×640', async () => {
      expect(await probeVideo(corpus.path('rotated.mov'))).to.deep.include({ width: 360, height: 640, rotation: 90 });
    });

    it('reads a video without sound as hasAudio false, and a sound file as having no video codec', async () => {
      expect(await probeVideo(corpus.path('silent.mp4'))).to.deep.include({ hasAudio: false, videoCodec: 'h264' });
      expect(await probeVideo(corpus.path('sound-only.mp4'))).to.deep.include({ hasAudio: true, videoCodec: '' });
    });

    for (const [name, what] of [
      ['truncated.mp4', 'an MP4 cut off before its index'],
      ['page.html.jpg', 'an HTML page'],
      ['empty.jpg', 'an empty file'],
    ] as Array<[CorpusName, string]>) {
      it(`refuses ${what} with media.reason.corruptVideo`, async () => {
        await expectRejected(probeVideo(corpus.path(name)), 'media.reason.corruptVideo');
      });
    }

    it('lets a missing ffprobe through as ENOENT: a broken installation is not the file’s fault', async () => {
      const path = process.env['PATH'];
      process.env['PATH'] = '/nonexistent';
      try {
        const error = await probeVideo(corpus.path('silent.mp4')).catch((e: unknown) => e);
        expect((error as NodeJS.ErrnoException).code).to.equal('ENOENT');
        expect(error).not.to.be.instanceOf(MediaRejected);
      } finally {
        process.env['PATH'] = path;
      }
    });
  });

  describe('checkVideo refuses what no conversion can fix, saying the numbers', () => {
    it('a 2-second video, for every use: "2 seconds, at least 3"', async () => {
      const probe = await probeVideo(corpus.path('short-2s.mp4'));
      for (const use of ['reel', 'story', 'carousel'] as const) {
        const rejection = rejectionOf(probe, use);
        expect([rejection.reasonKey, rejection.params]).to.deep.equal(['media.reason.videoTooShort', { seconds: 2, minSeconds: 3 }]);
      }
    });

    it('a 20-minute video: over 15 minutes for a reel, over 60 seconds for a story or carousel', async () => {
      const probe = await probeVideo(corpus.path('long-20min.mp4'));
      const reel = rejectionOf(probe, 'reel');
      expect([reel.reasonKey, reel.params]).to.deep.equal(['media.reason.reelTooLong', { minutes: 20, seconds: 0, maxMinutes: 15 }]);
      expect(rejectionOf(probe, 'story').params).to.deep.equal({ minutes: 20, seconds: 0, maxSeconds: 60 });
      expect(rejectionOf(probe, 'carousel').reasonKey).to.equal('media.reason.carouselVideoTooLong');
    });

    it('a 61-second story is "1 min 1 s" (rounded up), a 2.96-second one is "2.9 seconds" (rounded down)', () => {
      expect(rejectionOf({ ...fine, durationMs: 60_400 }, 'story').params).to.deep.equal({ minutes: 1, seconds: 1, maxSeconds: 60 });
      expect(rejectionOf({ ...fine, durationMs: 2_960 }, 'reel').params).to.deep.equal({ seconds: 2.9, minSeconds: 3 });
    });

    it('an unknown, negative or absurd (over a day) duration', () => {
      for (const durationMs of [NaN, -5, 0, 90_000_000_000]) expect(rejectionOf({ ...fine, durationMs }, 'reel').reasonKey).to.equal('media.reason.durationUnknown');
    });

    it('a file with sound and no picture', async () => {
      expect(rejectionOf(await probeVideo(corpus.path('sound-only.mp4')), 'reel').reasonKey).to.equal('media.reason.noVideoStream');
    });

    it('a shape outside 0.01:1–10:1 (reel) or 0.1:1–10:1 (story), with its size', () => {
      expect(rejectionOf({ ...fine, width: 3000, height: 200 }, 'reel').params).to.deep.equal({ width: 3000, height: 200 });
      expect(rejectionOf({ ...fine, width: 100, height: 1920 }, 'story').reasonKey).to.equal('media.reason.videoShape');
      expect(checkVideo({ ...fine, width: 100, height: 1920 }, 'reel').rejection).to.equal(undefined);
    });

    it('every rejection key it can produce is in the catalog with the placeholders it fills', () => {
      const cases: Array<[VideoProbe, VideoUse]> = [
        [{ ...fine, durationMs: 1000 }, 'reel'],
        [{ ...fine, durationMs: 20 * 60_000 }, 'reel'],
        [{ ...fine, durationMs: 61_000 }, 'story'],
        [{ ...fine, durationMs: 61_000 }, 'carousel'],
        [{ ...fine, durationMs: NaN }, 'reel'],
        [{ ...fine, videoCodec: '' }, 'reel'],
        [{ ...fine, width: 5000, height: 100 }, 'reel'],
      ];
      for (const [probe, use] of cases) {
        const rejection = rejectionOf(probe, use);
        const placeholders = [...englishText(rejection.reasonKey).matchAll(/{{(\w+)}}/g)].map((m) => m[1]);
        expect(Object.keys(rejection.params).sort(), rejection.reasonKey).to.deep.equal(placeholders.sort());
      }
    });
  });

  describe('checkVideo lists what transcoding will change', () => {
    const reasons: Array<[CorpusName, VideoUse, string[]]> = [
      ['hevc-4k60.mp4', 'reel', ['media.transcode.codec', 'media.transcode.tooWide']],
      ['silent.mp4', 'story', []],
      ['rotated.mov', 'reel', []],
      ['vp9.webm', 'carousel', ['media.transcode.container', 'media.transcode.codec', 'media.transcode.audio']],
      ['mp3-sound.mp4', 'reel', ['media.transcode.audio']],
      ['fps120.mp4', 'reel', ['media.transcode.frameRate']],
      ['fps15.mkv', 'story', ['media.transcode.container', 'media.transcode.frameRate']],
    ];
    for (const [name, use, expected] of reasons) {
      it(`${name} as a ${use}: ${expected.length ? expected.join(', ') : 'nothing, a lossless repackaging is enough'}`, async () => {
        const check = checkVideo(await probeVideo(corpus.path(name)), use);
        expect(check).to.deep.equal({ transcodeReasons: expected });
      });
    }

    it('also 10-bit colour, interlacing, stretched pixels, over 25 Mbps, over the byte limit and 5.1 sound at 96 kHz', () => {
      const changed = checkVideo(
        { ...fine, pixFmt: 'yuv420p10le', interlaced: true, sampleAspect: 4 / 3, bitRate: 40_000_000, bytes: VIDEO_LIMITS.story.maxBytes + 1, audioSampleRate: 96_000, audioChannels: 6 },
        'story',
      );
      expect(changed.transcodeReasons).to.deep.equal([
        'media.transcode.pixelFormat',
        'media.transcode.interlaced',
        'media.transcode.pixelShape',
        'media.transcode.bitRate',
        'media.transcode.fileSize',
        'media.transcode.audio',
      ]);
      for (const key of changed.transcodeReasons) englishText(key);
      expect(checkVideo({ ...fine, fps: 23.976 }, 'reel').transcodeReasons).to.deep.equal([]);
      expect(checkVideo({ ...fine, fps: 59.94 }, 'reel').transcodeReasons).to.deep.equal([]);
    });
  });

  describe('output settings', () => {
    it('scales the longest side to 1920 with even sides, and never enlarges', () => {
      expect(outputSize({ width: 2160, height: 3840 })).to.deep.equal({ width: 1080, height: 1920 });
      expect(outputSize({ width: 3840, height: 1634 })).to.deep.equal({ width: 1920, height: 816 });
      expect(outputSize({ width: 321, height: 567 })).to.deep.equal({ width: 320, height: 566 });
    });

    it('clamps the frame rate: 120 → 60, 15 → 30, unknown → 30, 29.97 unchanged', () => {
      expect([outputFps(120), outputFps(15), outputFps(0), outputFps(29.97)]).to.deep.equal([60, 30, 30, undefined]);
    });

    it('caps the bit rate at 10 Mbps, and lower when a 15-minute reel must fit in 300 MB', () => {
      expect(maxVideoBitRate(fine, 'reel')).to.equal(10_000_000);
      const long = { ...fine, durationMs: 15 * 60_000 };
      const total = ((maxVideoBitRate(long, 'reel') + 128_000) * 900) / 8;
      expect(total).to.be.below(VIDEO_LIMITS.reel.maxBytes);
    });
  });
});
