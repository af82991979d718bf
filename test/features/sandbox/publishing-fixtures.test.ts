import { expect } from 'chai';
import sharp from 'sharp';
import { fixtures, probe, type FixtureName } from '../../support/media-fixtures.js';

describe('publishing test fixtures', () => {
  let files: Map<FixtureName, Buffer>;
  before(async function () {
    this.timeout(20_000);
    files = await fixtures();
  });
  const file = (name: FixtureName): Buffer => files.get(name) ?? Buffer.alloc(0);

  it('the images have the sizes and formats the tests rely on', async () => {
    expect(await sharp(file('feed.jpg')).metadata()).to.include({ format: 'jpeg', width: 1080, height: 1350 });
    expect(await sharp(file('wide-3x1.jpg')).metadata()).to.include({ format: 'jpeg', width: 1200, height: 400 });
    expect(await sharp(file('story.jpg')).metadata()).to.include({ format: 'jpeg', width: 1080, height: 1920 });
    expect((await sharp(file('picture.png')).metadata()).format).to.equal('png');
  });

  it('the reel is a 4-second H.264/AAC MP4 and the bad videos are bad in exactly one way', async () => {
    const reel = await probe(file('reel.mp4'), 'reel.mp4');
    expect(reel.format.format_name).to.contain('mp4');
    expect(Number(reel.format.duration)).to.be.within(3.5, 4.5);
    expect(reel.streams.map((s) => s.codec_name).sort()).to.deep.equal(['aac', 'h264']);
    expect(Number((await probe(file('short.mp4'), 'short.mp4')).format.duration)).to.be.below(3);
    expect((await probe(file('mpeg4.mp4'), 'mpeg4.mp4')).streams.map((s) => s.codec_name)).to.include('mpeg4');
    expect((await probe(file('reel.mkv'), 'reel.mkv')).format.format_name).to.contain('matroska');
  });
});
