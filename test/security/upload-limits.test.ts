// security.md row 19 for videos (a reel over UPLOAD_MAX_VIDEO_MB is answered 413 while it is still
// being sent) and P-sharp (the default pixel limit, refused just over and accepted at it; the stored
// picture keeps no EXIF, GPS, XMP, IPTC or ICC block).
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import sharp from 'sharp';
import request from 'supertest';
import { loadConfig } from '../../src/config.js';
import { createTestApp, type TestApp } from '../support/app.js';
import { mediaFiles, postIdFrom, studio, submit, type Studio } from '../support/content.js';
import { $ } from '../support/http.js';

const MB = 1024 * 1024;

interface Streamed {
  status: number;
  body: string;
  /** Bytes of the request body written when the answer's headers arrived. */
  sentWhenAnswered: number;
  total: number;
  /** The server closed the connection before the client had written everything. */
  cutOff: boolean;
}

/** The first bytes of an MP4 (an ftyp box), so the upload is typed as a video from its first chunk. */
const MP4_START = Buffer.concat([Buffer.from([0, 0, 0, 0x20]), Buffer.from('ftypisom', 'latin1'), Buffer.from([0, 0, 2, 0]), Buffer.from('isomiso2avc1mp41', 'latin1')]);

/**
 * Posts a reel to /compose as chunked multipart (no Content-Length), 64 KiB at a time, and notes
 * how much had been written when the answer came: a server that buffers answers after the end.
 */
function streamReel(server: http.Server, cookie: string, csrf: string, fileBytes: number): Promise<Streamed> {
  const boundary = `----qanat${crypto.randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="type"\r\n\r\nreel\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="action"\r\n\r\nrefresh\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="long-reel.mp4"\r\nContent-Type: video/mp4\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  const total = head.length + fileBytes + tail.length;
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answeredAt: number | undefined;
    let result: Streamed | undefined;
    // Node sends "Transfer-Encoding: chunked" when no Content-Length is set.
    const req = http.request({ port, method: 'POST', path: '/compose', headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}` } });
    req.on('response', (res) => {
      answeredAt = sent;
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        result = { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), sentWhenAnswered: answeredAt ?? sent, total, cutOff: sent < total };
        resolve(result);
      });
    });
    req.on('error', (error) => {
      // The server may close the connection right after refusing; the answer came first.
      if (!result) setTimeout(() => (result ? resolve(result) : reject(error)), 200);
    });
    req.write(head);
    sent += head.length;
    let written = 0;
    const pump = () => {
      if (answeredAt !== undefined || req.destroyed) return;
      if (written >= fileBytes) {
        req.end(tail);
        sent += tail.length;
        return;
      }
      const size = Math.min(65536, fileBytes - written);
      const chunk = written === 0 ? Buffer.concat([MP4_START, Buffer.alloc(size - MP4_START.length, 0x41)]) : Buffer.alloc(size, 0x41);
      written += size;
      sent += size;
      req.write(chunk, () => setTimeout(pump, 1));
    };
    pump();
  });
}

/** The signed-in session's cookie header, from the supertest agent's jar. */
function cookieOf(s: Studio): string {
  const jar = (s.agent as unknown as { jar: { getCookies(o: object): Array<{ name: string; value: string }> } }).jar;
  return jar
    .getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false })
    .map((c) => `${c.name}=${c.value}`)
    .join('; ');
}

describe('a reel over UPLOAD_MAX_VIDEO_MB is refused while it is being sent (security.md row 19)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let s: Studio;
  let server: http.Server;

  beforeEach(async () => {
    // The image limit is lower still: the refusal must come from the video limit.
    t = createTestApp({ UPLOAD_MAX_VIDEO_MB: '2', UPLOAD_MAX_IMAGE_MB: '1' });
    s = await studio(t);
    server = http.createServer(t.app).listen(0, '127.0.0.1');
    await new Promise<void>((resolve) => server.once('listening', resolve));
  });
  afterEach(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    t.close();
  });

  it('a 24 MB reel sent chunked without Content-Length is answered 413 naming the 2 MB video limit after about 2 MB, and nothing is left on disk or in the database', async () => {
    const result = await streamReel(server, cookieOf(s), s.csrf, 24 * MB);
    expect(result.status).to.equal(413);
    expect(result.body).to.contain('2 MB');
    // Answered near the limit (plus what the sockets had buffered), not after the whole body.
    expect(result.sentWhenAnswered, `answered after ${result.sentWhenAnswered} of ${result.total} bytes`).to.be.lessThan(8 * MB);
    expect(result.cutOff, 'the client was still sending').to.equal(true);
    expect(mediaFiles(t)).to.deep.equal([]);
    expect(fs.existsSync(t.services.media.incomingDir) ? fs.readdirSync(t.services.media.incomingDir) : []).to.deep.equal([]);
    expect(t.db.sqlite.prepare('SELECT (SELECT count(*) FROM posts) AS posts, (SELECT count(*) FROM post_media) AS media').get()).to.deep.equal({ posts: 0, media: 0 });
    // And the process keeps serving.
    expect((await s.agent.get('/queue')).status).to.equal(200);
  });

  it('a 1.5 MB reel (over the 1 MB image limit, under the 2 MB video limit) is read whole: held to the video limit, then judged by its content', async () => {
    const result = await streamReel(server, cookieOf(s), s.csrf, 1.5 * MB);
    // Not 413: it was received entirely; its bytes are no real video, so it is refused as one.
    expect(result.status).to.equal(422);
    expect(result.sentWhenAnswered).to.equal(result.total);
    expect($(result.body)('#problems').text()).to.contain('long-reel.mp4');
    expect(mediaFiles(t)).to.deep.equal([]);
  });
});

/** A flat JPEG of the given size (quick to make and to decode at any size). */
function flatJpeg(width: number, height: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#4a7fb5' } }).jpeg({ quality: 70 }).toBuffer();
}

describe('sharp: the default pixel limit, and no metadata kept (security.md P-sharp)', function () {
  this.timeout(120_000);
  let t: TestApp;
  let s: Studio;
  beforeEach(async () => {
    // No IMAGE_MAX_MEGAPIXELS given: the default applies.
    t = createTestApp();
    s = await studio(t);
  });
  afterEach(() => t.close());

  it('the default IMAGE_MAX_MEGAPIXELS is 60 MP, in production too, and it is what the app uses', () => {
    expect(loadConfig({}).media.maxInputPixels).to.equal(60_000_000);
    expect(loadConfig({ NODE_ENV: 'production', PUBLIC_URL: 'https://qanat.example.com' }).media.maxInputPixels).to.equal(60_000_000);
    expect(t.services.media.limits.maxInputPixels).to.equal(60_000_000);
  });

  it('through the composer at the default limit: 8000×7500 (60.0 MP) is accepted and prepared, 8000×7550 (60.4 MP) is refused with both numbers', async () => {
    const under = await submit(s, '/compose', { fields: { type: 'feed', action: 'refresh' }, files: [{ name: 'at-limit.jpg', bytes: await flatJpeg(8000, 7500) }] });
    expect(under.status, $(under.text)('#problems').text()).to.equal(303);
    await t.services.mediaWorker.idle();
    const [row] = t.services.posts.repo.mediaOf(postIdFrom(under.headers['location']));
    expect([row?.status, row?.width, row?.height]).to.deep.equal(['ready', 8000, 7500]);

    const over = await submit(s, '/compose', { fields: { type: 'feed', action: 'refresh' }, files: [{ name: 'over-limit.jpg', bytes: await flatJpeg(8000, 7550) }] });
    expect(over.status).to.equal(422);
    const problem = $(over.text)('#problems').text();
    expect(problem).to.contain('over-limit.jpg');
    expect(problem).to.contain('60.4 megapixels');
    expect(problem).to.contain('60 megapixels');
    expect(t.db.sqlite.prepare('SELECT count(*) AS n FROM post_media').get()).to.deep.equal({ n: 1 });
  });

  it('a photo with EXIF (camera, GPS position), XMP, IPTC and an ICC profile is stored and served re-encoded with none of them', async () => {
    const original = await withIptc(
      await sharp({ create: { width: 1200, height: 1200, channels: 3, background: '#c0603a' } })
        .jpeg()
        .withExif({
          IFD0: { Make: 'SecretCam', Model: 'Model-GPS-Test', Copyright: 'Aigerim S.' },
          IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '43/1 14/1 20/1', GPSLongitudeRef: 'E', GPSLongitude: '76/1 53/1 23/1' },
        })
        .withXmp('<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#"><rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/" dc:creator="XMP-Creator-Aigerim"/></rdf:RDF></x:xmpmeta>')
        .withIccProfile('p3')
        .toBuffer(),
    );
    const before = await sharp(original).metadata();
    // The upload really carries every kind of metadata.
    expect(before.exif, 'EXIF in the upload').to.be.instanceOf(Buffer);
    expect((before.exif as Buffer).includes('Model-GPS-Test')).to.equal(true);
    expect(before.xmp, 'XMP in the upload').to.be.instanceOf(Buffer);
    expect(before.iptc, 'IPTC in the upload').to.be.instanceOf(Buffer);
    expect(before.icc, 'ICC profile in the upload').to.be.instanceOf(Buffer);
    // The GPS directory is there: its tag 0x8825 (GPS IFD pointer) in the EXIF block.
    expect((before.exif as Buffer).includes(Buffer.from([0x88, 0x25])) || (before.exif as Buffer).includes(Buffer.from([0x25, 0x88]))).to.equal(true);

    // Scheduled, so that Instagram could fetch it from /m/<token> (served only for live posts).
    const when = new Date(t.clock.now() + 86_400_000).toISOString();
    const res = await submit(s, '/compose', { fields: { type: 'feed', caption: 'Holiday', date: when.slice(0, 10), time: when.slice(11, 16), timeZone: 'UTC', action: 'schedule' }, files: [{ name: 'holiday.jpg', bytes: original }] });
    expect(res.status, $(res.text)('#problems').text()).to.equal(303);
    const id = postIdFrom(res.headers['location']);
    expect(t.services.posts.get(id).state).to.equal('scheduled');
    const [row] = t.services.posts.repo.mediaOf(id);
    expect(row?.status).to.equal('ready');
    const stored = fs.readFileSync(t.services.media.fileOf(row as NonNullable<typeof row>, row?.outputFile as string));
    const served = await request(t.app)
      .get(`/m/${row?.publicToken}`)
      .buffer(true)
      .parse((r, done) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => done(null, Buffer.concat(chunks)));
      });
    expect(served.status).to.equal(200);
    expect(Buffer.compare(served.body as Buffer, stored), 'what is served is what is stored').to.equal(0);

    for (const [what, bytes] of [['stored', stored], ['served', served.body as Buffer]] as Array<[string, Buffer]>) {
      const after = await sharp(bytes).metadata();
      expect([after.format, after.exif, after.xmp, after.iptc, after.icc, after.hasProfile], what).to.deep.equal(['jpeg', undefined, undefined, undefined, undefined, false]);
      // And no trace in the bytes either: no APP1 Exif/XMP, no APP13 Photoshop, no APP2 ICC, no text.
      for (const marker of ['Exif\0\0', 'http://ns.adobe.com/xap', 'Photoshop 3.0', 'ICC_PROFILE', 'SecretCam', 'Model-GPS-Test', 'Aigerim', 'XMP-Creator']) {
        expect(bytes.includes(marker), `${what} output contains ${JSON.stringify(marker)}`).to.equal(false);
      }
    }
  });
});

/** Adds an APP13 (Photoshop 3.0 / IPTC) segment right after the JPEG's SOI marker: sharp cannot write IPTC. */
async function withIptc(jpeg: Buffer): Promise<Buffer> {
  const caption = Buffer.from('IPTC-Caption-Aigerim', 'latin1');
  const record = Buffer.concat([Buffer.from([0x1c, 0x02, 0x78, 0x00, caption.length]), caption]); // 2:120 caption
  const padded = record.length % 2 === 0 ? record : Buffer.concat([record, Buffer.from([0])]);
  const size = Buffer.alloc(4);
  size.writeUInt32BE(record.length);
  const resource = Buffer.concat([Buffer.from('8BIM', 'latin1'), Buffer.from([0x04, 0x04, 0x00, 0x00]), size, padded]);
  const body = Buffer.concat([Buffer.from('Photoshop 3.0\0', 'latin1'), resource]);
  const header = Buffer.from([0xff, 0xed, 0, 0]);
  header.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, body, jpeg.subarray(2)]);
}
