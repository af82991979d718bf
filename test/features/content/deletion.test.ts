// Deleting a queue entry removes its files at once (a promise of the privacy policy): these
// tests look at data/media/<account_id>/ on disk, not only at the database.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { createTestApp, type TestApp } from '../../support/app.js';
import { mediaFiles, photo, postIdFrom, studio, submit, type Studio } from '../../support/content.js';
import { createAccount } from '../../support/factories.js';
import { $, csrfFrom } from '../../support/http.js';

const run = promisify(execFile);

/** Four seconds of test pattern and a tone as H.264/AAC, 320 × 568. */
async function smallVideo(): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qanat-deletion-'));
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

describe('deleting posts and their files', function () {
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

  const count = (table: 'posts' | 'post_media' | 'post_events', postId: number): number => {
    const column = table === 'posts' ? 'id' : 'post_id';
    return (t.db.sqlite.prepare(`SELECT count(*) AS n FROM ${table} WHERE ${column} = ?`).get(postId) as { n: number }).n;
  };
  /** Every file the post's rows point at, as absolute paths. */
  const filesOfPost = (postId: number): string[] => t.services.posts.repo.mediaOf(postId).flatMap((row) => t.services.media.filesOf(row));
  const accountDir = (accountId: number) => path.join(t.dir, 'media', String(accountId));

  async function photoPost(accountId = s.accountId): Promise<number> {
    const res = await submit(s, '/compose', {
      fields: { accountId: String(accountId), type: 'feed', caption: 'Bread', date: '2026-02-01', time: '10:00', timeZone: 'UTC', action: 'schedule' },
      files: [{ name: 'bread.jpg', bytes: await photo(1080, 1350) }],
    });
    expect(res.status, 'schedule photo').to.equal(303);
    return postIdFrom(res.headers['location']);
  }

  async function reelPost(): Promise<number> {
    const res = await submit(s, '/compose', { fields: { type: 'reel', caption: 'Steam', action: 'draft' }, files: [{ name: 'reel.mp4', bytes: video }] });
    expect(res.status, 'reel draft').to.equal(303);
    const id = postIdFrom(res.headers['location']);
    await t.services.posts.worker.idle();
    const [item] = t.services.posts.repo.mediaOf(id);
    expect(item?.status, 'reel prepared').to.equal('ready');
    expect(item?.posterFile, 'poster').to.be.a('string');
    return id;
  }

  const deleteForm = (agent: Studio['agent'], id: number, body: Record<string, string>) => agent.post(`/posts/${id}/delete`).type('form').send(body);

  it('GET /posts/:id/delete says what goes (the post, 1 file and its 3 files on disk, the log) and deletes nothing', async () => {
    const id = await reelPost();
    const files = filesOfPost(id);
    expect(files).to.have.length(3);
    const res = await s.agent.get(`/posts/${id}/delete`);
    expect(res.status).to.equal(200);
    const page = $(res.text);
    expect(page('h1').text()).to.equal('Delete this post?');
    expect(page('main').text()).to.contain('This deletes the Reel from Qanat:');
    const items = page('main li').map((_, el) => page(el).text().trim()).get();
    expect(items).to.include('the post, its caption and its settings;');
    expect(items).to.include('1 uploaded file(s) and their prepared versions (3 files on disk), at once;');
    expect(items).to.include('its status log.');
    const form = page(`form[action="/posts/${id}/delete"]`);
    expect(form.attr('method')).to.equal('post');
    expect(form.find('input[name="_csrf"]').val()).to.equal(s.csrf);
    expect(count('posts', id)).to.equal(1);
    for (const file of files) expect(fs.existsSync(file), file).to.equal(true);
  });

  it('POST /posts/:id/delete removes the post, its media rows, its status log and every file of a reel (source, video, poster) at once', async () => {
    const id = await reelPost();
    const files = filesOfPost(id);
    expect(files.map((f) => path.dirname(f))).to.deep.equal(Array(3).fill(accountDir(s.accountId)));
    expect(count('post_events', id)).to.be.greaterThan(0);
    const res = await deleteForm(s.agent, id, { _csrf: s.csrf });
    expect(res.status).to.equal(303);
    expect(res.headers['location']).to.equal('/queue');
    expect([count('posts', id), count('post_media', id), count('post_events', id)]).to.deep.equal([0, 0, 0]);
    for (const file of files) expect(fs.existsSync(file), file).to.equal(false);
    expect(mediaFiles(t)).to.deep.equal([]);
    const queue = $((await s.agent.get('/queue')).text);
    expect(queue('.flashes').text()).to.contain('The post and its files were deleted.');
  });

  it('deleting one photo post leaves the other posts and their files alone, and the audit log records it', async () => {
    const gone = await photoPost();
    const kept = await photoPost();
    const goneFiles = filesOfPost(gone);
    const keptFiles = filesOfPost(kept);
    expect(goneFiles).to.have.length(2);
    await deleteForm(s.agent, gone, { _csrf: s.csrf });
    for (const file of goneFiles) expect(fs.existsSync(file), file).to.equal(false);
    expect(mediaFiles(t).sort()).to.deep.equal([...keptFiles].sort());
    expect(count('post_media', kept)).to.equal(1);
    const audit = t.db.sqlite.prepare("SELECT detail FROM audit_log WHERE kind = 'post.deleted'").all() as Array<{ detail: string }>;
    expect(audit).to.have.length(1);
    expect(JSON.parse(audit[0]?.detail ?? '{}')).to.deep.include({ post: gone, type: 'feed', state: 'scheduled', files: 1 });
  });

  it('deleting needs the CSRF token: without it, or with a wrong one, the answer is 403 and nothing is deleted', async () => {
    const id = await photoPost();
    const files = filesOfPost(id);
    expect((await deleteForm(s.agent, id, {})).status).to.equal(403);
    expect((await deleteForm(s.agent, id, { _csrf: 'x'.repeat(43) })).status).to.equal(403);
    expect(count('posts', id)).to.equal(1);
    for (const file of files) expect(fs.existsSync(file), file).to.equal(true);
  });

  it('deleting is POST only: opening /posts/:id/delete any number of times deletes nothing', async () => {
    const id = await photoPost();
    const files = filesOfPost(id);
    for (let i = 0; i < 3; i += 1) expect((await s.agent.get(`/posts/${id}/delete`)).status).to.equal(200);
    expect((await s.agent.head(`/posts/${id}/delete`)).status).to.equal(200);
    expect(t.services.posts.get(id).state).to.equal('scheduled');
    for (const file of files) expect(fs.existsSync(file), file).to.equal(true);
  });

  it('a viewer gets 403 for the confirmation page and for the delete itself, and nothing is deleted', async () => {
    const id = await photoPost();
    const files = filesOfPost(id);
    const viewer = await studio(t, 'viewer');
    expect((await viewer.agent.get(`/posts/${id}/delete`)).status).to.equal(403);
    const res = await deleteForm(viewer.agent, id, { _csrf: viewer.csrf });
    expect(res.status).to.equal(403);
    expect(count('posts', id)).to.equal(1);
    for (const file of files) expect(fs.existsSync(file), file).to.equal(true);
    const queue = $((await viewer.agent.get('/queue')).text);
    expect(queue(`a[href="/posts/${id}/delete"]`).length).to.equal(0);
  });

  it('deleting a reel while its video is still being prepared stops the work and leaves no file behind', async () => {
    const upload = submit(s, '/compose', { fields: { type: 'reel', action: 'draft' }, files: [{ name: 'reel.mp4', bytes: video }] }).then((r) => r.status);
    // Wait until ffmpeg has started writing the prepared video next to the source.
    let processing: { id: number; postId: number } | undefined;
    for (let i = 0; i < 1000 && !processing; i += 1) {
      const row = t.db.sqlite.prepare("SELECT id, post_id AS postId FROM post_media WHERE status = 'processing'").get() as { id: number; postId: number } | undefined;
      const mp4s = fs.existsSync(accountDir(s.accountId)) ? fs.readdirSync(accountDir(s.accountId)).filter((f) => f.endsWith('.mp4')) : [];
      if (row && mp4s.length === 2) processing = row;
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
    if (!processing) throw new Error('the transcode was never seen running');
    const res = await deleteForm(s.agent, processing.postId, { _csrf: s.csrf });
    expect(res.status).to.equal(303);
    expect(count('posts', processing.postId)).to.equal(0);
    await upload;
    await t.services.posts.worker.idle();
    expect(mediaFiles(t)).to.deep.equal([]);
  });

  it('a post the engine is publishing cannot be deleted (409), and keeps its files', async () => {
    const id = await photoPost();
    const files = filesOfPost(id);
    expect(t.services.posts.repo.moveState(id, ['scheduled'], 'claimed')).to.equal(true);
    const res = await deleteForm(s.agent, id, { _csrf: s.csrf });
    expect(res.status).to.equal(409);
    expect(count('posts', id)).to.equal(1);
    for (const file of files) expect(fs.existsSync(file), file).to.equal(true);
  });

  it('removing one item in the composer (remove_<id>=on) deletes that item\'s files only', async () => {
    const res = await submit(s, '/compose', {
      fields: { type: 'carousel', action: 'refresh' },
      files: [
        { name: 'one.jpg', bytes: await photo(1080, 1080) },
        { name: 'two.jpg', bytes: await photo(1200, 1200) },
        { name: 'three.jpg', bytes: await photo(1000, 1000) },
      ],
    });
    const id = postIdFrom(res.headers['location']);
    const [first, second, third] = t.services.posts.repo.mediaOf(id);
    if (!first || !second || !third) throw new Error('three items expected');
    const secondFiles = t.services.media.filesOf(second);
    const keptFiles = [...t.services.media.filesOf(first), ...t.services.media.filesOf(third)];
    expect(secondFiles).to.have.length(2);

    const save = await submit(s, `/posts/${id}`, {
      fields: { type: 'carousel', action: 'refresh', [`pos_${first.id}`]: '0', [`pos_${second.id}`]: '1', [`remove_${second.id}`]: 'on', [`pos_${third.id}`]: '2' },
    });
    expect(save.status).to.equal(303);
    for (const file of secondFiles) expect(fs.existsSync(file), file).to.equal(false);
    for (const file of keptFiles) expect(fs.existsSync(file), file).to.equal(true);
    const left = t.services.posts.repo.mediaOf(id);
    expect(left.map((m) => [m.id, m.position])).to.deep.equal([
      [first.id, 0],
      [third.id, 1],
    ]);
    await t.services.posts.worker.idle();
    expect(mediaFiles(t).sort()).to.deep.equal(filesOfPost(id).sort());
  });

  it('disconnecting the account deletes its posts, their rows and every file, and leaves the other account\'s posts alone', async () => {
    const other = createAccount(t, { username: 'nan_bakery' });
    const reel = await reelPost();
    const picture = await photoPost();
    const elsewhere = await photoPost(other.id);
    const otherFiles = filesOfPost(elsewhere);
    expect(fs.readdirSync(accountDir(s.accountId))).to.have.length(5);

    const form = await s.agent.get(`/accounts/${s.accountId}/disconnect`);
    expect(form.status).to.equal(200);
    const res = await s.agent.post(`/accounts/${s.accountId}/disconnect`).type('form').send({ _csrf: csrfFrom(form.text) });
    expect(res.status).to.equal(303);

    for (const id of [reel, picture]) expect([count('posts', id), count('post_media', id), count('post_events', id)], `post ${id}`).to.deep.equal([0, 0, 0]);
    expect(fs.existsSync(accountDir(s.accountId))).to.equal(false);
    expect(count('posts', elsewhere)).to.equal(1);
    expect(mediaFiles(t).sort()).to.deep.equal([...otherFiles].sort());
  });
});
