// /m/<token> is where Meta fetches a queued post's files. It serves the exact prepared bytes
// (ranges included) while the post is queued, and nothing once it is a draft, cancelled,
// published or deleted.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import request from 'supertest';
import type { PostState } from '../../../src/db/schema.js';
import { createTestApp, type TestApp } from '../../support/app.js';
import { photo, postIdFrom, studio, submit, type Studio } from '../../support/content.js';

const run = promisify(execFile);

/** Four seconds of test pattern and a tone as H.264/AAC, 320 × 568 (a small upright reel). */
async function smallVideo(): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qanat-public-media-'));
  try {
    const file = path.join(dir, 'reel.mp4');
    await run('ffmpeg', [
      '-v', 'error', '-y',
      '-f', 'lavfi', '-i', 'testsrc=size=320x568:rate=25:duration=4',
      '-f', 'lavfi', '-i', 'sine=frequency=440:duration=4',
      '-c:v', 'libx264', '-preset', 'ultrafast', '-pix_fmt', 'yuv420p', '-c:a', 'aac', '-shortest', file,
    ]);
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('public media at /m/<token>', function () {
  this.timeout(60_000);
  let t: TestApp;
  let s: Studio;
  let video: Buffer;

  before(async () => {
    video = await smallVideo();
  });

  beforeEach(async () => {
    t = createTestApp();
    s = await studio(t);
  });
  afterEach(() => t.close());

  // responseType makes supertest collect any body as a Buffer (it leaves video/* unread otherwise).
  const fetchMedia = (token: string) => request(t.app).get(`/m/${token}`).responseType('blob');
  const tokenOf = (postId: number): string => t.services.posts.repo.mediaOf(postId)[0]?.publicToken as string;
  const outputOf = (postId: number): string => {
    const item = t.services.posts.repo.mediaOf(postId)[0];
    if (!item?.outputFile) throw new Error(`post ${postId} has no prepared file`);
    return t.services.media.fileOf(item, item.outputFile);
  };

  async function scheduledPhoto(): Promise<number> {
    const res = await submit(s, '/compose', {
      fields: { type: 'feed', caption: 'Fresh bread', date: '2026-02-01', time: '10:00', timeZone: 'UTC', action: 'schedule' },
      files: [{ name: 'bread.jpg', bytes: await photo(1080, 1350) }],
    });
    expect(res.status, 'schedule').to.equal(303);
    const id = postIdFrom(res.headers['location']);
    expect(t.services.posts.get(id).state).to.equal('scheduled');
    return id;
  }

  /** Uploads the video as a reel draft, waits for the transcode, then schedules it. */
  async function scheduledReel(): Promise<number> {
    const draft = await submit(s, '/compose', { fields: { type: 'reel', caption: 'Steam', action: 'draft' }, files: [{ name: 'reel.mp4', bytes: video }] });
    expect(draft.status, 'draft').to.equal(303);
    const id = postIdFrom(draft.headers['location']);
    await t.services.posts.worker.idle();
    expect(t.services.posts.repo.mediaOf(id)[0]?.status).to.equal('ready');
    const res = await submit(s, `/posts/${id}`, { fields: { type: 'reel', caption: 'Steam', date: '2026-02-01', time: '10:00', timeZone: 'UTC', action: 'schedule' } });
    expect(res.status, 'schedule').to.equal(303);
    expect(t.services.posts.get(id).state).to.equal('scheduled');
    return id;
  }

  it('GET serves a scheduled photo as image/jpeg with its exact size and bytes, and offers ranges', async () => {
    const id = await scheduledPhoto();
    const onDisk = fs.readFileSync(outputOf(id));
    const res = await fetchMedia(tokenOf(id));
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^image\/jpeg/);
    expect(Number(res.headers['content-length'])).to.equal(fs.statSync(outputOf(id)).size);
    expect(res.headers['accept-ranges']).to.equal('bytes');
    expect(Buffer.compare(res.body as Buffer, onDisk)).to.equal(0);
  });

  it('GET serves a scheduled reel as video/mp4 with the prepared file\'s exact size and bytes', async () => {
    const id = await scheduledReel();
    const onDisk = fs.readFileSync(outputOf(id));
    const res = await fetchMedia(tokenOf(id));
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^video\/mp4/);
    expect(Number(res.headers['content-length'])).to.equal(onDisk.length);
    expect(res.headers['accept-ranges']).to.equal('bytes');
    expect(Buffer.compare(res.body as Buffer, onDisk)).to.equal(0);
  });

  it('HEAD answers with the same headers as GET and no body', async () => {
    const id = await scheduledPhoto();
    const res = await request(t.app).head(`/m/${tokenOf(id)}`);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^image\/jpeg/);
    expect(Number(res.headers['content-length'])).to.equal(fs.statSync(outputOf(id)).size);
    expect(res.headers['accept-ranges']).to.equal('bytes');
    expect(res.text ?? '').to.equal('');
  });

  it('HEAD on a scheduled reel says video/mp4 and the prepared file\'s size', async () => {
    const id = await scheduledReel();
    const res = await request(t.app).head(`/m/${tokenOf(id)}`);
    expect(res.status).to.equal(200);
    expect(res.headers['content-type']).to.match(/^video\/mp4/);
    expect(Number(res.headers['content-length'])).to.equal(fs.statSync(outputOf(id)).size);
  });

  it('Range: bytes=0-99 answers 206 with Content-Range and exactly the first 100 bytes', async () => {
    const id = await scheduledReel();
    const onDisk = fs.readFileSync(outputOf(id));
    const res = await fetchMedia(tokenOf(id)).set('Range', 'bytes=0-99');
    expect(res.status).to.equal(206);
    expect(res.headers['content-range']).to.equal(`bytes 0-99/${onDisk.length}`);
    expect(res.headers['content-length']).to.equal('100');
    expect(res.headers['content-type']).to.match(/^video\/mp4/);
    expect(Buffer.compare(res.body as Buffer, onDisk.subarray(0, 100))).to.equal(0);
  });

  it('a suffix range (bytes=-500) answers 206 with the last 500 bytes', async () => {
    const id = await scheduledPhoto();
    const onDisk = fs.readFileSync(outputOf(id));
    const res = await fetchMedia(tokenOf(id)).set('Range', 'bytes=-500');
    expect(res.status).to.equal(206);
    expect(res.headers['content-range']).to.equal(`bytes ${onDisk.length - 500}-${onDisk.length - 1}/${onDisk.length}`);
    expect(Buffer.compare(res.body as Buffer, onDisk.subarray(onDisk.length - 500))).to.equal(0);
  });

  it('a range past the end of the file answers 416 with the file\'s size in Content-Range', async () => {
    const id = await scheduledPhoto();
    const size = fs.statSync(outputOf(id)).size;
    const res = await fetchMedia(tokenOf(id)).set('Range', `bytes=${size + 10}-${size + 20}`);
    expect(res.status).to.equal(416);
    expect(res.headers['content-range']).to.equal(`bytes */${size}`);
  });

  it('no /m/ response sets a cookie, whether it serves a file or not', async () => {
    const id = await scheduledPhoto();
    const token = tokenOf(id);
    const answers = [
      await fetchMedia(token),
      await request(t.app).head(`/m/${token}`),
      await fetchMedia(token).set('Range', 'bytes=0-9'),
      await fetchMedia('A'.repeat(32)),
      await fetchMedia('not-a-token'),
    ];
    expect(answers.map((r) => r.status)).to.deep.equal([200, 200, 206, 404, 404]);
    for (const res of answers) expect(res.headers['set-cookie'], `${res.status}`).to.equal(undefined);
  });

  it('an unknown or malformed token is 404', async () => {
    await scheduledPhoto();
    for (const token of ['A'.repeat(32), 'short', 'x'.repeat(33), '..%2F..%2Fqanat.db', '%00%00', 'a'.repeat(31) + '!']) {
      const res = await fetchMedia(token);
      expect(res.status, token).to.equal(404);
    }
  });

  it('a draft that was never scheduled is 404, although its file is prepared', async () => {
    const res = await submit(s, '/compose', { fields: { type: 'feed', action: 'draft' }, files: [{ name: 'a.jpg', bytes: await photo(1080, 1080) }] });
    const id = postIdFrom(res.headers['location']);
    expect(t.services.posts.get(id).state).to.equal('draft');
    expect(fs.existsSync(outputOf(id))).to.equal(true);
    expect((await fetchMedia(tokenOf(id))).status).to.equal(404);
    expect((await request(t.app).head(`/m/${tokenOf(id)}`)).status).to.equal(404);
  });

  it('a cancelled post is 404 at once', async () => {
    const id = await scheduledPhoto();
    const token = tokenOf(id);
    expect((await fetchMedia(token)).status).to.equal(200);
    const cancel = await s.agent.post(`/posts/${id}/cancel`).type('form').send({ _csrf: s.csrf });
    expect(cancel.status).to.equal(303);
    expect(t.services.posts.get(id).state).to.equal('cancelled');
    expect((await fetchMedia(token)).status).to.equal(404);
    expect((await fetchMedia(token).set('Range', 'bytes=0-99')).status).to.equal(404);
  });

  it('a published post is 404', async () => {
    const id = await scheduledPhoto();
    const token = tokenOf(id);
    expect(t.services.posts.repo.moveState(id, ['scheduled'], 'published')).to.equal(true);
    expect((await fetchMedia(token)).status).to.equal(404);
    expect((await request(t.app).head(`/m/${token}`)).status).to.equal(404);
  });

  it('while the engine publishes (claimed … publishing) the file is still served', async () => {
    const id = await scheduledPhoto();
    const token = tokenOf(id);
    const steps = ['scheduled', 'claimed', 'container_created', 'ready', 'publishing'] as const;
    for (let i = 1; i < steps.length; i += 1) {
      expect(t.services.posts.repo.moveState(id, [steps[i - 1] as PostState], steps[i] as PostState)).to.equal(true);
      expect((await fetchMedia(token)).status, steps[i]).to.equal(200);
    }
  });

  it('a deleted post is 404', async () => {
    const id = await scheduledPhoto();
    const token = tokenOf(id);
    const res = await s.agent.post(`/posts/${id}/delete`).type('form').send({ _csrf: s.csrf });
    expect(res.status).to.equal(303);
    expect((await fetchMedia(token)).status).to.equal(404);
  });

  it('scheduling again after a cancel gives a new token; the old one stays 404', async () => {
    const id = await scheduledPhoto();
    const old = tokenOf(id);
    await s.agent.post(`/posts/${id}/cancel`).type('form').send({ _csrf: s.csrf });
    const again = await submit(s, `/posts/${id}`, { fields: { type: 'feed', caption: 'Fresh bread', date: '2026-02-02', time: '10:00', timeZone: 'UTC', action: 'schedule' } });
    expect(again.status).to.equal(303);
    expect(t.services.posts.get(id).state).to.equal('scheduled');
    const fresh = tokenOf(id);
    expect(fresh).to.match(/^[A-Za-z0-9_-]{32}$/).and.not.equal(old);
    expect((await fetchMedia(old)).status).to.equal(404);
    const res = await fetchMedia(fresh);
    expect(res.status).to.equal(200);
    expect(Buffer.compare(res.body as Buffer, fs.readFileSync(outputOf(id)))).to.equal(0);
  });
});
