// security.md rows 19, 20, 22, 24 and the CSRF rule for multipart forms: what an upload may not do.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/app.js';
import { mediaFiles, photo, postIdFrom, studio, submit, type Studio } from '../../support/content.js';
import { $ } from '../../support/http.js';
import { mediaCorpus } from '../../support/media-corpus.js';

interface Streamed {
  status: number;
  body: string;
  /** Bytes of the body written when the answer arrived. */
  sentWhenAnswered: number;
  total: number;
}

/**
 * Sends a multipart body in 64 KiB chunks, slowly, and notes how much was sent when the answer
 * came: a server that buffers the upload answers only after the last byte.
 */
function streamUpload(server: http.Server, cookie: string, csrf: string, fileBytes: number, declareLength: boolean): Promise<Streamed> {
  const boundary = `----qanat${crypto.randomBytes(8).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="action"\r\n\r\nrefresh\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="files"; filename="big.jpg"\r\nContent-Type: image/jpeg\r\n\r\n`,
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  // A JPEG's first bytes, then filler: typed as an image from its first chunk.
  const jpegStart = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0x01]);
  const total = head.length + fileBytes + tail.length;
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    let sent = 0;
    let answered: Streamed | undefined;
    const req = http.request({
      port,
      method: 'POST',
      path: '/compose',
      headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}`, ...(declareLength ? { 'content-length': String(total) } : {}) },
    });
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      const at = sent;
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        answered = { status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8'), sentWhenAnswered: at, total };
        resolve(answered);
      });
    });
    req.on('error', (error) => {
      // The server closes the connection after refusing; that is expected once it answered.
      if (!answered) setTimeout(() => (answered ? resolve(answered) : reject(error)), 200);
    });
    req.write(head);
    sent += head.length;
    let written = 0;
    const pump = () => {
      if (answered || req.destroyed) return;
      if (written >= fileBytes) {
        req.end(tail);
        return;
      }
      const size = Math.min(65536, fileBytes - written);
      const chunk = written === 0 ? Buffer.concat([jpegStart, Buffer.alloc(size - jpegStart.length, 0x41)]) : Buffer.alloc(size, 0x41);
      written += size;
      sent += size;
      req.write(chunk, () => setTimeout(pump, 2));
    };
    pump();
  });
}

describe('uploads (security.md rows 19–24)', function () {
  this.timeout(60_000);
  let t: TestApp;
  let s: Studio;

  afterEach(() => t.close());

  describe('size limits', () => {
    let server: http.Server;
    let cookie: string;

    beforeEach(async () => {
      t = createTestApp({ UPLOAD_MAX_IMAGE_MB: '1', UPLOAD_MAX_VIDEO_MB: '4' });
      s = await studio(t);
      server = http.createServer(t.app).listen(0);
      // The agent's cookie jar holds the signed-in session.
      const jar = (s.agent as unknown as { jar: { getCookies(o: object): Array<{ name: string; value: string }> } }).jar;
      cookie = jar
        .getCookies({ domain: '127.0.0.1', path: '/', secure: false, script: false })
        .map((c) => `${c.name}=${c.value}`)
        .join('; ');
    });
    afterEach(() => server.close());

    it('an image over its limit is answered 413 while the upload is still being sent, and nothing stays on disk (streamed, no Content-Length)', async () => {
      const result = await streamUpload(server, cookie, s.csrf, 6 * 1024 * 1024, false);
      expect(result.status).to.equal(413);
      expect(result.body).to.contain('1 MB');
      expect(result.sentWhenAnswered).to.be.lessThan(result.total / 2);
      expect(mediaFiles(t)).to.deep.equal([]);
      expect(t.db.sqlite.prepare('SELECT count(*) AS n FROM post_media').get()).to.deep.equal({ n: 0 });
    });

    it('a declared Content-Length beyond every limit is refused before the body is read', async () => {
      const result = await streamUpload(server, cookie, s.csrf, 60 * 1024 * 1024, true);
      expect(result.status).to.equal(413);
      expect(result.sentWhenAnswered).to.be.lessThan(2 * 1024 * 1024);
      expect(mediaFiles(t)).to.deep.equal([]);
    });

    it('the process keeps serving after a refused upload', async () => {
      await streamUpload(server, cookie, s.csrf, 3 * 1024 * 1024, false);
      expect((await s.agent.get('/queue')).status).to.equal(200);
    });
  });

  describe('content', () => {
    beforeEach(async () => {
      t = createTestApp();
      s = await studio(t);
    });

    for (const [name, bytes] of [
      ['page.jpg', Buffer.from('<!doctype html><html><body><script>alert(1)</script></body></html>')],
      ['logo.jpg', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>')],
      ['run.jpg', Buffer.from('#!/bin/sh\nrm -rf /\n')],
    ] as const) {
      it(`${name} that is not an image is refused by its bytes with a reason, and nothing is stored`, async () => {
        const res = await submit(s, '/compose', { fields: { type: 'feed', action: 'refresh' }, files: [{ name, bytes }] });
        expect(res.status).to.equal(422);
        const problems = $(res.text)('#problems').text();
        expect(problems).to.contain(name);
        expect(t.db.sqlite.prepare('SELECT count(*) AS n FROM post_media').get()).to.deep.equal({ n: 0 });
        expect(mediaFiles(t)).to.deep.equal([]);
      });
    }

    it('file names are never used as paths: ../, encoded NUL and double extensions end up as random names under data/media/<account>/', async () => {
      const names = ['../../../../tmp/evil.jpg', 'photo.jpg.php', '..\\..\\win.jpg'];
      const res = await submit(s, '/compose', { fields: { type: 'carousel', action: 'refresh' }, files: await Promise.all(names.map(async (name) => ({ name, bytes: await photo(1080, 1080) }))) });
      expect(res.status).to.equal(303);
      const id = postIdFrom(res.headers['location']);
      const rows = t.services.posts.repo.mediaOf(id);
      expect(rows).to.have.length(3);
      const dir = t.services.media.dirOf(s.accountId);
      for (const row of rows) {
        expect(row.sourceFile).to.match(/^[0-9a-f]{32}\.jpg$/);
        expect(row.outputFile).to.match(/^[0-9a-f]{32}\.jpg$/);
      }
      for (const file of mediaFiles(t)) expect(path.dirname(file)).to.equal(dir);
      expect(fs.existsSync('/tmp/evil.jpg')).to.equal(false);
    });

    it('a NUL in a file name: percent-encoded it is dropped from the name; raw (a malformed header) the request is refused with 400 and nothing is stored', async () => {
      const image = await photo(1080, 1080);
      const body = (disposition: string) =>
        Buffer.concat([
          Buffer.from(`--b0undary\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${s.csrf}\r\n--b0undary\r\nContent-Disposition: form-data; name="accountId"\r\n\r\n${s.accountId}\r\n`),
          Buffer.from(`--b0undary\r\nContent-Disposition: form-data; name="action"\r\n\r\nrefresh\r\n--b0undary\r\nContent-Disposition: form-data; name="files"; ${disposition}\r\nContent-Type: image/jpeg\r\n\r\n`, 'latin1'),
          image,
          Buffer.from('\r\n--b0undary--\r\n'),
        ]);
      const send = (disposition: string) => s.agent.post('/compose').set('content-type', 'multipart/form-data; boundary=b0undary').send(body(disposition));
      const encoded = await send(`filename*=UTF-8''..%2F..%2Fa%00b.jpg`);
      expect(encoded.status).to.equal(303);
      const row = t.services.posts.repo.mediaOf(postIdFrom(encoded.headers['location']))[0];
      expect(row?.sourceFile).to.match(/^[0-9a-f]{32}\.jpg$/);
      const raw = await send('filename="a\u0000b.jpg"');
      expect(raw.status).to.equal(400);
      expect(mediaFiles(t).filter((f) => !f.includes(row?.sourceFile as string) && !f.includes(row?.outputFile as string))).to.deep.equal([]);
      expect((await s.agent.get('/queue')).status).to.equal(200);
    });

    it('a pixel bomb (a 110 KB PNG declaring 30000×30000) and a truncated MP4 are refused through the composer with their reasons', async () => {
      const corpus = await mediaCorpus();
      const before = process.memoryUsage().rss;
      const res = await submit(s, '/compose', {
        fields: { type: 'carousel', action: 'refresh' },
        files: [
          { name: 'bomb.png', bytes: fs.readFileSync(corpus.path('bomb.png')) },
          { name: 'broken.mp4', bytes: fs.readFileSync(corpus.path('truncated.mp4')) },
        ],
      });
      expect(res.status).to.equal(422);
      const problems = $(res.text)('#problems li').map((_, el) => $(res.text)(el).text()).get();
      expect(problems).to.have.length(2);
      expect(problems[0]).to.match(/^bomb\.png: /);
      expect(problems[1]).to.match(/^broken\.mp4: /);
      expect(process.memoryUsage().rss - before).to.be.lessThan(200 * 1024 * 1024);
      expect(t.db.sqlite.prepare('SELECT count(*) AS n FROM post_media').get()).to.deep.equal({ n: 0 });
      expect(mediaFiles(t)).to.deep.equal([]);
    });

    it('what is stored and served is a re-encoded JPEG without the original metadata, even for a PNG', async () => {
      const res = await submit(s, '/compose', { fields: { type: 'feed', action: 'refresh' }, files: [{ name: 'p.png', bytes: await photo(1080, 1080, 'png') }] });
      const id = postIdFrom(res.headers['location']);
      const row = t.services.posts.repo.mediaOf(id)[0];
      const output = fs.readFileSync(t.services.media.fileOf(row as NonNullable<typeof row>, row?.outputFile as string));
      expect([...output.subarray(0, 3)]).to.deep.equal([0xff, 0xd8, 0xff]);
    });

    it('a multipart form without the CSRF token, with a wrong one, or with the token after the file is refused (403) and no file is kept', async () => {
      const file = { name: 'a.jpg', bytes: await photo(400, 400) };
      const missing = await submit(s, '/compose', { csrf: false, fields: { type: 'feed', action: 'refresh' }, files: [file] });
      expect(missing.status).to.equal(403);
      const wrong = await submit(s, '/compose', { csrf: 'x'.repeat(43), fields: { type: 'feed', action: 'refresh' }, files: [file] });
      expect(wrong.status).to.equal(403);
      const late = await s.agent.post('/compose').attach('files', file.bytes, file.name).field('_csrf', s.csrf).field('action', 'refresh');
      expect(late.status).to.equal(403);
      expect(mediaFiles(t)).to.deep.equal([]);
      expect(t.db.sqlite.prepare('SELECT count(*) AS n FROM posts').get()).to.deep.equal({ n: 0 });
    });

    it('a multipart body sent to a route that does not take files is refused, even with the token inside it', async () => {
      const created = await submit(s, '/compose', { fields: { type: 'feed', caption: 'x', date: '2026-02-01', time: '10:00', timeZone: 'UTC', action: 'schedule' }, files: [{ name: 'a.jpg', bytes: await photo(1080, 1080) }] });
      const id = postIdFrom(created.headers['location']);
      const res = await s.agent.post(`/posts/${id}/delete`).field('_csrf', s.csrf);
      expect(res.status).to.equal(403);
      expect(t.services.posts.repo.findPost(id)).to.not.equal(undefined);
    });
  });

  describe('disk nearly full', () => {
    beforeEach(async () => {
      // More free space required than any test machine has: every upload meets a "full" disk.
      t = createTestApp({ UPLOAD_MIN_FREE_MB: String(1024 * 1024 * 1024) });
      s = await studio(t);
    });

    it('an upload is refused with a message (507) and nothing is written, while saving a draft without files still works', async () => {
      const refused = await submit(s, '/compose', { fields: { type: 'feed', caption: 'x', action: 'refresh' }, files: [{ name: 'a.jpg', bytes: await photo(400, 400) }] });
      expect(refused.status).to.equal(507);
      expect(refused.text).to.contain('disk is nearly full');
      expect(mediaFiles(t)).to.deep.equal([]);
      const saved = await submit(s, '/compose', { fields: { type: 'feed', caption: 'Written anyway', action: 'draft' } });
      expect(saved.status).to.equal(303);
      expect(t.services.posts.get(postIdFrom(saved.headers['location'])).caption).to.equal('Written anyway');
    });
  });
});
