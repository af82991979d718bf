import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import sharp from 'sharp';
import { inspectImage, needsFit, outputRatio, planFit, prepareImage, type Fit, type PreparedImage } from '../../../src/features/content/media/image.js';
import { decodeFailure } from '../../../src/features/content/media/image-inspect.js';
import { FEED_RATIO, IMAGE_MAX_BYTES, MediaRejected, type ImageUse } from '../../../src/features/content/media/rules.js';
import { englishText, expectRejected, mediaCorpus, serveFolder, type Corpus, type CorpusName, type FileServer } from '../../support/media-corpus.js';
import { useSimulator } from '../../support/sim-harness.js';

const PIXEL_LIMIT = 60_000_000;
const crop = (focusX = 0.5, focusY = 0.5): Fit => ({ mode: 'crop', focusX, focusY, background: 'blur' });
const pad = (background: string): Fit => ({ mode: 'pad', focusX: 0.5, focusY: 0.5, background });
const keep: Fit = { mode: 'keep', focusX: 0.5, focusY: 0.5, background: 'blur' };

/** JPEG markers up to the start of the picture data: which segments (EXIF, ICC…) the file carries. */
function jpegMarkers(bytes: Buffer): number[] {
  const markers: number[] = [];
  for (let at = 2; at + 4 <= bytes.length && bytes[at] === 0xff; ) {
    const marker = bytes[at + 1] as number;
    markers.push(marker);
    if (marker === 0xda) break;
    at += 2 + bytes.readUInt16BE(at + 2);
  }
  return markers;
}

/** Everything §2.7 asks of a photo, checked on the file as written. */
async function expectCompliant(file: string, use: ImageUse): Promise<{ width: number; height: number }> {
  const bytes = await readFile(file);
  expect(bytes.length).to.be.at.most(IMAGE_MAX_BYTES);
  expect([...bytes.subarray(0, 3)]).to.deep.equal([0xff, 0xd8, 0xff]);
  const markers = jpegMarkers(bytes);
  expect(markers, 'baseline (SOF0), not progressive (SOF2)').to.include(0xc0).and.not.include(0xc2);
  expect(markers.filter((m) => m >= 0xe1 && m <= 0xef), 'no EXIF, XMP, ICC or other APPn segment').to.deep.equal([]);
  const meta = await sharp(bytes).metadata();
  expect([meta.format, meta.space, meta.channels, meta.hasProfile, meta.exif, meta.orientation]).to.deep.equal(['jpeg', 'srgb', 3, false, undefined, undefined]);
  expect(meta.width).to.be.within(320, 1440);
  if (use === 'feed') expect(meta.width / meta.height).to.be.within(FEED_RATIO.min, FEED_RATIO.max);
  return { width: meta.width, height: meta.height };
}

/** The colour of one pixel of a prepared file. */
async function pixel(file: string, x: number, y: number): Promise<[number, number, number]> {
  const data = await sharp(file).extract({ left: x, top: y, width: 1, height: 1 }).raw().toBuffer();
  return [data[0] as number, data[1] as number, data[2] as number];
}

async function meanColour(file: string): Promise<{ red: number; blue: number }> {
  const { channels } = await sharp(file).stats();
  return { red: channels[0]?.mean ?? 0, blue: channels[2]?.mean ?? 0 };
}

describe('photos are prepared as Instagram requires (contract §2.7, security.md #20–21)', () => {
  let corpus: Corpus;
  let out: string;
  let server: FileServer;
  let count = 0;

  before(async function () {
    this.timeout(120_000);
    corpus = await mediaCorpus();
    out = await mkdtemp(path.join(os.tmpdir(), 'qanat-media-images-'));
    server = await serveFolder(out);
  });
  after(async () => {
    await server.close();
    await rm(out, { recursive: true, force: true });
  });

  /** Prepares a corpus file into a fresh name in the served folder. */
  async function prepare(name: CorpusName, use: ImageUse, fit: Fit, fixedRatio?: number): Promise<{ file: string; url: string; result: PreparedImage }> {
    count += 1;
    const fileName = `${count}-${name.replace(/\W+/g, '-')}.jpg`;
    const file = path.join(out, fileName);
    const result = await prepareImage(corpus.path(name), file, { use, fit, pixelLimit: PIXEL_LIMIT, ...(fixedRatio ? { fixedRatio } : {}) });
    return { file, url: server.url(fileName), result };
  }

  describe('inspectImage', () => {
    it('reports a photo stored sideways with EXIF orientation 6 as the portrait it is', async () => {
      expect(await inspectImage(corpus.path('exif6.jpg'), PIXEL_LIMIT)).to.deep.include({ width: 1000, height: 1250, format: 'jpeg' });
    });

    it('reports CMYK, alpha and animation as they are', async () => {
      expect(await inspectImage(corpus.path('cmyk.jpg'), PIXEL_LIMIT)).to.deep.include({ space: 'cmyk' });
      expect(await inspectImage(corpus.path('alpha.png'), PIXEL_LIMIT)).to.deep.include({ hasAlpha: true });
      expect(await inspectImage(corpus.path('animated.gif'), PIXEL_LIMIT)).to.deep.include({ pages: 2 });
    });

    it('accepts a 50-megapixel photo under a 60 MP limit and refuses it under a 40 MP limit, saying both numbers', async () => {
      expect(await inspectImage(corpus.path('huge-50mp.jpg'), PIXEL_LIMIT)).to.deep.include({ width: 8688, height: 5792 });
      const error = await expectRejected(inspectImage(corpus.path('huge-50mp.jpg'), 40_000_000), 'media.reason.tooManyPixels');
      expect(error.params).to.deep.equal({ megapixels: 50.3, maxMegapixels: 40 });
    });

    it('refuses a 110 KB PNG that declares 30000×30000 pixels from its header, with memory staying bounded', async () => {
      const before = process.memoryUsage().rss;
      const error = await expectRejected(inspectImage(corpus.path('bomb.png'), PIXEL_LIMIT), 'media.reason.tooManyPixels');
      await expectRejected(prepareImage(corpus.path('bomb.png'), path.join(out, 'bomb.jpg'), { use: 'feed', fit: crop(), pixelLimit: PIXEL_LIMIT }), 'media.reason.tooManyPixels');
      expect(process.memoryUsage().rss - before).to.be.below(150 * 1024 * 1024);
      expect(error.params).to.deep.equal({ megapixels: 900, maxMegapixels: 60 });
    });

    it('refuses a truncated JPEG whose header is fine with media.reason.corruptImage', async () => {
      await expectRejected(inspectImage(corpus.path('truncated.jpg'), PIXEL_LIMIT), 'media.reason.corruptImage');
    });

    it('tells an HEIC (HEVC) photo this server cannot decode apart from a damaged file', () => {
      // sharp's own libvips has no HEVC decoder and nothing here can write HEIC, so the mapping is tested directly.
      const header = { width: 4032, height: 3024, format: 'heif', space: 'srgb', hasAlpha: false };
      expect(decodeFailure(new Error('heif: Unsupported feature'), { ...header, compression: 'hevc' }, PIXEL_LIMIT).reasonKey).to.equal('media.reason.heicUnsupported');
      expect(decodeFailure(new Error('heif: Invalid input'), { ...header, compression: 'av1' }, PIXEL_LIMIT).reasonKey).to.equal('media.reason.corruptImage');
      expect(decodeFailure(new Error('Input image exceeds pixel limit'), header, 10_000_000).params).to.deep.equal({ megapixels: 12.2, maxMegapixels: 10 });
      englishText('media.reason.heicUnsupported');
    });

    it('refuses an SVG even when asked directly, although sharp could draw it', async () => {
      await expectRejected(inspectImage(corpus.path('drawing.svg.jpg'), PIXEL_LIMIT), 'media.reason.unsupportedType');
      await expectRejected(prepareImage(corpus.path('drawing.svg.jpg'), path.join(out, 'svg.jpg'), { use: 'feed', fit: crop(), pixelLimit: PIXEL_LIMIT }), 'media.reason.unsupportedType');
    });
  });

  describe('the shape a photo gets (outputRatio, needsFit)', () => {
    const size = (width: number, height: number) => ({ width, height });

    it('feed: a shape inside 4:5–1.91:1 is kept; outside it is brought to the nearest edge, whatever the mode', () => {
      expect(outputRatio(size(1200, 900), 'feed', keep)).to.equal(1200 / 900);
      expect(outputRatio(size(1200, 900), 'feed', pad('#ffffff'))).to.equal(1200 / 900);
      expect(outputRatio(size(3000, 1000), 'feed', crop())).to.equal(1.91);
      expect(outputRatio(size(3000, 1000), 'feed', keep)).to.equal(1.91);
      expect(outputRatio(size(600, 1800), 'feed', pad('blur'))).to.equal(0.8);
      expect([needsFit(size(1080, 1350), 'feed'), needsFit(size(1910, 1000), 'feed'), needsFit(size(3000, 1000), 'feed'), needsFit(size(600, 1800), 'feed')]).to.deep.equal([false, false, true, true]);
    });

    it('story: 9:16 when cropped or padded, its own shape when kept (within 0.1:1–10:1), and never a required choice', () => {
      expect(outputRatio(size(3000, 1000), 'story', crop())).to.equal(9 / 16);
      expect(outputRatio(size(3000, 1000), 'story', pad('blur'))).to.equal(9 / 16);
      expect(outputRatio(size(3000, 1000), 'story', keep)).to.equal(3);
      expect(outputRatio(size(100, 5000), 'story', keep)).to.equal(0.1);
      expect(needsFit(size(3000, 1000), 'story')).to.equal(false);
    });

    it('carousel items after the first: the first item’s ratio, unless kept and already within 1% of it', () => {
      expect(outputRatio(size(1000, 1000), 'feed', crop(), 1.25)).to.equal(1.25);
      expect(outputRatio(size(1000, 1000), 'feed', keep, 1.25)).to.equal(1.25);
      expect(outputRatio(size(1005, 1000), 'feed', keep, 1)).to.equal(1.005);
      expect([needsFit(size(1005, 1000), 'feed', 1), needsFit(size(1200, 1000), 'feed', 1)]).to.deep.equal([false, true]);
    });

    it('the crop box is centred on the focal point and pushed back inside the photo', () => {
      expect(planFit(size(3000, 1000), 'feed', crop(0.5)).crop).to.deep.equal({ left: 545, top: 0, width: 1910, height: 1000 });
      expect(planFit(size(3000, 1000), 'feed', crop(0)).crop.left).to.equal(0);
      expect(planFit(size(3000, 1000), 'feed', crop(0.9)).crop.left).to.equal(1090);
      expect(planFit(size(600, 1800), 'feed', crop(0.5, 0.1)).crop).to.deep.equal({ left: 0, top: 0, width: 600, height: 750 });
    });

    it('rounding never pushes a feed photo outside 4:5–1.91:1', () => {
      for (let width = 321; width < 1440; width += 7) {
        for (const source of [size(width * 3, 1000), size(width, width * 3), size(width, Math.round(width / 1.91))]) {
          const plan = planFit(source, 'feed', crop());
          expect(plan.width / plan.height, `${source.width}×${source.height}`).to.be.within(FEED_RATIO.min, FEED_RATIO.max);
        }
      }
    });
  });

  describe('prepareImage, checked on the file and by the simulator', () => {
    const ctx = useSimulator();

    const feedCases: Array<[CorpusName, string, [number, number], string[]]> = [
      ['alpha.png', 'a PNG with transparency is flattened on white', [900, 900], ['media.warning.transparencyFilled']],
      ['photo.webp', 'a WebP photo', [1200, 900], []],
      ['photo.avif', 'an AVIF photo (HEIF container)', [1000, 1000], []],
      ['cmyk.jpg', 'a CMYK JPEG is converted to sRGB', [1000, 1250], ['media.warning.cmykConverted']],
      ['exif6.jpg', 'a JPEG with EXIF orientation 6 is turned upright', [1000, 1250], []],
      ['panorama-3x1.jpg', 'a 3:1 panorama is cropped to 1.91:1', [1440, 754], []],
      ['strip-1x3.jpg', 'a 1:3 strip is cropped to 4:5', [600, 750], []],
      ['tiny-200.jpg', 'a 200 px photo is enlarged to 320 px', [320, 320], ['media.warning.upscaled']],
      ['huge-50mp.jpg', 'a 50 MP photo is scaled down to 1440 px', [1440, 960], []],
      ['p3.png', 'a wide-gamut (Display P3) photo is converted to sRGB', [800, 1000], []],
      ['animated.gif', 'an animated GIF gives its first frame', [400, 400], ['media.warning.firstFrameOnly']],
    ];
    for (const [name, what, [width, height], warnings] of feedCases) {
      it(`${what}: a compliant ${width}×${height} JPEG that the simulator accepts as a feed post`, async () => {
        const { file, url, result } = await prepare(name, 'feed', crop());
        expect(await expectCompliant(file, 'feed')).to.deep.equal({ width, height });
        expect(result).to.deep.include({ width, height, warnings });
        for (const key of warnings) englishText(key);
        expect(await ctx.h.client.publishing.createImage(ctx.token, ctx.igId, { imageUrl: url })).to.match(/^\d+$/);
      });
    }

    it('colours survive: the sideways photo has red on top, the P3 orange reads as sRGB (200,100,51), the GIF is red', async () => {
      const upright = await prepare('exif6.jpg', 'feed', crop());
      expect((await pixel(upright.file, 500, 100))[0]).to.be.above(200);
      expect((await pixel(upright.file, 500, 1150))[2]).to.be.above(200);
      const [r, g, b] = await pixel((await prepare('p3.png', 'feed', crop())).file, 400, 500);
      expect([Math.abs(r - 200), Math.abs(g - 100), Math.abs(b - 51)].every((d) => d <= 4), `${r},${g},${b}`).to.equal(true);
      expect(await pixel((await prepare('animated.gif', 'feed', crop())).file, 200, 200)).to.satisfy(([red, , blue]: number[]) => (red as number) > 200 && (blue as number) < 50);
      expect(await pixel((await prepare('alpha.png', 'feed', crop())).file, 5, 5)).to.deep.equal([255, 255, 255]);
    });

    it('a crop keeps the focal point: the red/blue panorama cropped at focusX=0 is mostly red, at focusX=1 mostly blue', async () => {
      const left = await meanColour((await prepare('panorama-3x1.jpg', 'feed', crop(0))).file);
      const right = await meanColour((await prepare('panorama-3x1.jpg', 'feed', crop(1))).file);
      expect(left.red).to.be.above(2 * left.blue);
      expect(right.blue).to.be.above(2 * right.red);
      const top = await meanColour((await prepare('strip-1x3.jpg', 'feed', crop(0.5, 0))).file);
      expect(top.red).to.be.above(2 * top.blue);
    });

    it('pad with a solid colour shows the whole panorama on that colour, above and below', async () => {
      const { file, url, result } = await prepare('panorama-3x1.jpg', 'feed', pad('#00ff00'));
      expect(result).to.deep.include({ width: 1440, height: 754, warnings: [] });
      expect(await pixel(file, 720, 20)).to.satisfy(([r, g, b]: number[]) => (r as number) < 30 && (g as number) > 225 && (b as number) < 30);
      expect((await pixel(file, 20, 377))[0]).to.be.above(225); // the left (red) end is all there
      expect((await pixel(file, 1420, 377))[2]).to.be.above(225); // and the right (blue) end
      await expectCompliant(file, 'feed');
      expect(await ctx.h.client.publishing.createImage(ctx.token, ctx.igId, { imageUrl: url })).to.match(/^\d+$/);
    });

    it('pad with blur puts a darkened, blurred copy of the photo behind it', async () => {
      const { file, result } = await prepare('strip-1x3.jpg', 'feed', pad('blur'));
      expect(result).to.deep.include({ width: 1440, height: 1800 });
      const [r, , b] = await pixel(file, 60, 300);
      expect(r, 'reddish like the strip’s top').to.be.above(b + 60);
      expect(r, 'darkened').to.be.below(230);
      expect((await pixel(file, 720, 300))[0], 'the photo itself, untouched').to.be.above(240);
      await expectCompliant(file, 'feed');
    });

    it('stories are 9:16 when cropped or padded and keep their shape with keep; the simulator takes each', async () => {
      for (const [fit, size] of [
        [crop(), { width: 563, height: 1000 }],
        [pad('#000000'), { width: 1440, height: 2560 }],
        [keep, { width: 1440, height: 480 }],
      ] as const) {
        const { file, url, result } = await prepare('panorama-3x1.jpg', 'story', fit);
        expect(result).to.deep.include(size);
        expect(await expectCompliant(file, 'story')).to.deep.equal(size);
        expect(await ctx.h.client.publishing.createStory(ctx.token, ctx.igId, { imageUrl: url })).to.match(/^\d+$/);
      }
    });

    it('carousel items after the first take its ratio, and the simulator builds the carousel', async () => {
      const first = await prepare('panorama-3x1.jpg', 'feed', crop());
      const ratio = first.result.width / first.result.height;
      const second = await prepare('strip-1x3.jpg', 'feed', crop(), ratio);
      const third = await prepare('photo.webp', 'feed', pad('#ffffff'), ratio);
      for (const item of [second, third]) expect(item.result.width / item.result.height).to.be.closeTo(ratio, ratio * 0.01);
      const api = ctx.h.client.publishing;
      const children = [];
      for (const item of [first, second, third]) children.push(await api.createCarouselChild(ctx.token, ctx.igId, { imageUrl: item.url }));
      expect(await api.createCarousel(ctx.token, ctx.igId, children)).to.match(/^\d+$/);
    });

    it('keep on a shape Instagram refuses crops instead, and says so', async () => {
      const { file, result } = await prepare('panorama-3x1.jpg', 'feed', keep);
      expect(result.warnings).to.deep.equal(['media.warning.croppedToFit']);
      await expectCompliant(file, 'feed');
    });

    it('a photo too detailed for 8 MB at full quality is saved at a lower quality, with a warning', async () => {
      const { file, url, result } = await prepare('noise-tall.jpg', 'story', keep);
      expect(result.warnings).to.deep.equal(['media.warning.compressed']);
      expect(result.bytes).to.be.at.most(IMAGE_MAX_BYTES);
      await expectCompliant(file, 'story');
      expect(await ctx.h.client.publishing.createStory(ctx.token, ctx.igId, { imageUrl: url })).to.match(/^\d+$/);
    });

    it('a background that is neither blur nor #rrggbb is a programming error, not a bad photo', async () => {
      const error = await prepareImage(corpus.path('photo.webp'), path.join(out, 'bad-colour.jpg'), { use: 'feed', fit: pad('red; drop'), pixelLimit: PIXEL_LIMIT }).catch((e: unknown) => e);
      expect(error).to.be.instanceOf(TypeError);
    });

    it('a truncated JPEG is refused with media.reason.corruptImage and leaves no file behind', async () => {
      const dest = path.join(out, 'never-written.jpg');
      const error = await expectRejected(prepareImage(corpus.path('truncated.jpg'), dest, { use: 'feed', fit: crop(), pixelLimit: PIXEL_LIMIT }), 'media.reason.corruptImage');
      expect(error).to.be.instanceOf(MediaRejected);
      const left = await readdir(out);
      expect(left.filter((f) => f.startsWith('never-written') || f.endsWith('.tmp'))).to.deep.equal([]);
    });
  });
});
