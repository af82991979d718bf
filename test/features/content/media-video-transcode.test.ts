import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { expect } from 'chai';
import sharp from 'sharp';
import { VIDEO_LIMITS, type VideoUse } from '../../../src/features/content/media/rules.js';
import { extractFrame, probeVideo, transcodeVideo } from '../../../src/features/content/media/video.js';
import { expectRejected, ffprobe, mediaCorpus, serveFolder, topLevelBoxes, type Corpus, type CorpusName, type FileServer } from '../../support/media-corpus.js';
import { useSimulator } from '../../support/sim-harness.js';

const rate = (value = '0/1') => {
  const [num = 0, den = 1] = value.split('/').map(Number);
  return num / den;
};

interface Expected {
  width: number;
  height: number;
  fps: number;
  audio: boolean;
  /** The picture was copied, not re-encoded (its H.264 profile is the source's). */
  copied?: boolean;
}

/** Everything §2.7 asks of a video, read back with ffprobe and from the MP4 boxes. */
async function expectCompliant(file: string, expected: Expected): Promise<void> {
  const info = await ffprobe(file);
  const video = info.streams.find((s) => s.codec_type === 'video');
  const audio = info.streams.filter((s) => s.codec_type === 'audio');
  expect(info.format.format_name).to.contain('mp4');
  expect([video?.codec_name, video?.pix_fmt, video?.width, video?.height]).to.deep.equal(['h264', 'yuv420p', expected.width, expected.height]);
  expect(Math.max(video?.width ?? 0, video?.height ?? 0)).to.be.at.most(1920);
  expect(rate(video?.avg_frame_rate)).to.be.closeTo(expected.fps, 0.5).and.within(23, 60);
  if (!expected.copied) expect(video?.profile).to.equal('High');
  if (expected.audio) {
    expect(audio.map((a) => [a.codec_name, Number(a.sample_rate) <= 48_000, (a.channels ?? 0) <= 2])).to.deep.equal([['aac', true, true]]);
  } else expect(audio).to.deep.equal([]);
  const boxes = await topLevelBoxes(file);
  expect(boxes.indexOf('moov'), `faststart: moov before mdat in ${boxes.join(',')}`).to.be.within(0, boxes.indexOf('mdat'));
  expect(Object.keys(info.format.tags ?? {}).filter((tag) => !['major_brand', 'minor_version', 'compatible_brands', 'encoder'].includes(tag)), 'no metadata (location, dates…)').to.deep.equal([]);
}

describe('videos are transcoded as Instagram requires and the simulator finishes them (contract §2.4, §2.7)', () => {
  let corpus: Corpus;
  let out: string;
  let server: FileServer;
  const ctx = useSimulator();

  before(async function () {
    this.timeout(120_000);
    corpus = await mediaCorpus();
    out = await mkdtemp(path.join(os.tmpdir(), 'qanat-media-videos-'));
    server = await serveFolder(out);
  });
  after(async () => {
    await server.close();
    await rm(out, { recursive: true, force: true });
  });

  /** Creates the container the use calls for, lets the sim clock pass and polls until it settles. */
  async function simulatorStatus(url: string, use: VideoUse): Promise<string> {
    const api = ctx.h.client.publishing;
    const id =
      use === 'reel'
        ? await api.createReel(ctx.token, ctx.igId, { videoUrl: url })
        : use === 'story'
          ? await api.createStory(ctx.token, ctx.igId, { videoUrl: url })
          : await api.createCarouselChild(ctx.token, ctx.igId, { videoUrl: url });
    ctx.h.clock.advance(ctx.h.sim.options.videoProcessingMs);
    for (let attempt = 0; attempt < 40; attempt += 1) {
      const status = await api.containerStatus(ctx.token, id);
      if (status.status_code !== 'IN_PROGRESS') return status.status ? `${status.status_code}: ${status.status}` : status.status_code;
      await sleep(250);
    }
    return 'IN_PROGRESS';
  }

  const cases: Array<[CorpusName, VideoUse, string, Expected]> = [
    ['hevc-4k60.mp4', 'reel', '4K 60 fps HEVC becomes 1080×1920 H.264 at 60 fps', { width: 1080, height: 1920, fps: 60, audio: true }],
    ['silent.mp4', 'story', 'H.264 without sound is only repackaged, with its index moved to the front', { width: 720, height: 1280, fps: 30, audio: false, copied: true }],
    ['vp9.webm', 'carousel', 'VP9/Opus in WebM becomes H.264/AAC in MP4', { width: 480, height: 854, fps: 30, audio: true }],
    ['mp3-sound.mp4', 'reel', 'MP3 sound is converted to AAC while the picture is copied untouched', { width: 320, height: 568, fps: 30, audio: true, copied: true }],
    ['rotated.mov', 'reel', 'a sideways-stored MOV is repackaged with its rotation', { width: 640, height: 360, fps: 30, audio: true, copied: true }],
    ['fps120.mp4', 'reel', '120 fps is brought down to 60', { width: 320, height: 568, fps: 60, audio: true }],
    ['fps15.mkv', 'story', '15 fps in Matroska becomes 30 fps in MP4', { width: 320, height: 568, fps: 30, audio: true }],
  ];
  for (const [name, use, what, expected] of cases) {
    it(`${what}, and a ${use} container with it reaches FINISHED`, async function () {
      this.timeout(90_000);
      const fileName = `${name.replace(/\W+/g, '-')}-${use}.mp4`;
      const dest = path.join(out, fileName);
      const progress: number[] = [];
      await transcodeVideo(corpus.path(name), dest, await probeVideo(corpus.path(name)), use, (f) => progress.push(f));
      await expectCompliant(dest, expected);
      expect(progress.at(-1)).to.equal(1);
      expect(progress).to.deep.equal([...progress].sort((a, b) => a - b));
      expect(await simulatorStatus(server.url(fileName), use)).to.equal('FINISHED');
    });
  }

  it('the rotated video still shows upright: ffprobe of the result reports the 90° display matrix', async () => {
    expect(await probeVideo(path.join(out, 'rotated-mov-reel.mp4'))).to.deep.include({ width: 360, height: 640, rotation: 90 });
  });

  it('the source is refused before any work when checkVideo refuses it (a 20-minute reel)', async () => {
    const dest = path.join(out, 'long.mp4');
    const error = await expectRejected(transcodeVideo(corpus.path('long-20min.mp4'), dest, await probeVideo(corpus.path('long-20min.mp4')), 'reel', () => undefined), 'media.reason.reelTooLong');
    expect(error.params).to.deep.equal({ minutes: 20, seconds: 0, maxMinutes: 15 });
  });

  it('a result over the use’s byte limit is refused with media.reason.videoTooLarge and nothing is left behind', async () => {
    const saved = VIDEO_LIMITS.story.maxBytes;
    VIDEO_LIMITS.story.maxBytes = 20_000;
    try {
      const source = corpus.path('silent.mp4');
      const error = await expectRejected(transcodeVideo(source, path.join(out, 'too-big.mp4'), await probeVideo(source), 'story', () => undefined), 'media.reason.videoTooLarge');
      expect(error.params).to.deep.equal({ mb: 0 });
    } finally {
      VIDEO_LIMITS.story.maxBytes = saved;
    }
    expect((await readdir(out)).filter((f) => f.startsWith('too-big'))).to.deep.equal([]);
  });

  it('an MP4 cut off after its index probes fine but comes out short, and is refused as damaged', async function () {
    this.timeout(30_000);
    const whole = await readFile(path.join(out, 'silent-mp4-story.mp4'));
    const cut = path.join(out, 'cut.mp4');
    await writeFile(cut, whole.subarray(0, Math.floor(whole.length / 2)));
    const probe = await probeVideo(cut);
    expect(probe.durationMs).to.equal(4000);
    await expectRejected(transcodeVideo(cut, path.join(out, 'cut-out.mp4'), probe, 'story', () => undefined), 'media.reason.corruptVideo');
    expect((await readdir(out)).filter((f) => f.startsWith('cut-out'))).to.deep.equal([]);
  });

  it('an aborted transcode fails with media.reason.transcodeFailed, keeps ffmpeg’s complaint as the cause, and deletes its temporary file', async function () {
    this.timeout(30_000);
    const controller = new AbortController();
    const source = corpus.path('hevc-4k60.mp4');
    const error = await expectRejected(transcodeVideo(source, path.join(out, 'aborted.mp4'), await probeVideo(source), 'reel', () => controller.abort(), controller.signal), 'media.reason.transcodeFailed');
    expect(error.cause).to.be.instanceOf(Error);
    expect((await readdir(out)).filter((f) => f.startsWith('aborted'))).to.deep.equal([]);
  });

  it('extractFrame writes a baseline sRGB JPEG poster at most 1440 wide, clamping the time into the video', async () => {
    const poster = path.join(out, 'poster.jpg');
    expect(await extractFrame(corpus.path('hevc-4k60.mp4'), poster, 1500)).to.deep.equal({ width: 1440, height: 2560 });
    const meta = await sharp(poster).metadata();
    expect([meta.format, meta.space, meta.isProgressive, meta.hasProfile, meta.exif]).to.deep.equal(['jpeg', 'srgb', false, false, undefined]);
    expect(await extractFrame(corpus.path('rotated.mov'), path.join(out, 'late.jpg'), 3_600_000)).to.deep.equal({ width: 360, height: 640 });
    expect((await stat(path.join(out, 'late.jpg'))).size).to.be.above(1000);
    await expectRejected(extractFrame(corpus.path('sound-only.mp4'), path.join(out, 'none.jpg'), 0), 'media.reason.noVideoStream');
  });
});
