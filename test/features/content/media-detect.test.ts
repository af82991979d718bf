import { expect } from 'chai';
import { detectKind } from '../../../src/features/content/media/detect.js';
import { expectRejected, mediaCorpus, type Corpus, type CorpusName } from '../../support/media-corpus.js';

describe('media files are typed by their bytes, never by their name (security.md #20)', () => {
  let corpus: Corpus;
  before(async function () {
    this.timeout(120_000);
    corpus = await mediaCorpus();
  });

  const accepted: Array<[CorpusName, 'image' | 'video', string]> = [
    ['alpha.png', 'image', 'image/png'],
    ['photo.webp', 'image', 'image/webp'],
    ['photo.avif', 'image', 'image/avif'],
    ['cmyk.jpg', 'image', 'image/jpeg'],
    ['animated.gif', 'image', 'image/gif'],
    ['truncated.jpg', 'image', 'image/jpeg'],
    ['hevc-4k60.mp4', 'video', 'video/mp4'],
    ['rotated.mov', 'video', 'video/quicktime'],
    ['vp9.webm', 'video', 'video/webm'],
    ['fps15.mkv', 'video', 'video/matroska'],
    ['truncated.mp4', 'video', 'video/mp4'],
  ];
  for (const [name, kind, mime] of accepted) {
    it(`detectKind reads ${name} as ${kind} (${mime})`, async () => {
      expect(await detectKind(corpus.path(name))).to.deep.include({ kind, mime });
    });
  }

  const refused: Array<[CorpusName, string]> = [
    ['page.html.jpg', 'an HTML page'],
    ['drawing.svg.jpg', 'an SVG drawing with a script in it'],
    ['script.sh.jpg', 'a shell script'],
    ['document.pdf.jpg', 'a PDF'],
    ['archive.zip.jpg', 'a ZIP archive'],
    ['empty.jpg', 'an empty file'],
  ];
  for (const [name, what] of refused) {
    it(`detectKind refuses ${what} named .jpg with media.reason.unsupportedType`, async () => {
      await expectRejected(detectKind(corpus.path(name)), 'media.reason.unsupportedType');
    });
  }

  it('detectKind lets a missing file fail as a file-system error, not as a bad upload', async () => {
    const error = await detectKind(corpus.path('empty.jpg').replace('empty', 'no-such-file')).catch((e: unknown) => e);
    expect((error as NodeJS.ErrnoException).code).to.equal('ENOENT');
  });
});
