// The real path in sandbox mode: the built-in simulator downloads a scheduled post's prepared file
// from Qanat's own /m/<token> URL over HTTP, checks it as Instagram does, and accepts it.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { GraphError } from '../../../src/instagram/graph-error.js';
import { startLiveApp, type LiveApp } from '../../support/browser.js';
import { connectAccount, signInLive } from '../../support/accounts.js';
import { photo, postIdFrom, submit, type Studio } from '../../support/content.js';
import { createUser } from '../../support/factories.js';
import { csrfFrom } from '../../support/http.js';

const run = promisify(execFile);

async function portraitVideo(seconds: number): Promise<Buffer> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'qanat-reel-'));
  try {
    const file = path.join(dir, 'reel.webm');
    // VP9 in WebM: Instagram does not take it, so Qanat must transcode it to H.264 MP4 first.
    await run('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', `testsrc=size=360x640:rate=30:duration=${seconds}`, '-f', 'lavfi', '-i', `sine=frequency=440:duration=${seconds}`, '-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-b:v', '300k', '-c:a', 'libopus', '-shortest', file]);
    return await readFile(file);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('sandbox: the simulator fetches scheduled media from /m/<token>', function () {
  this.timeout(120_000);
  let live: LiveApp;
  let s: Studio;

  before(async () => {
    live = await startLiveApp();
    const owner = await createUser(live.t);
    const agent = await signInLive(live, owner.username);
    const accountId = await connectAccount(live, agent);
    s = { t: live.t, agent, accountId, csrf: csrfFrom((await agent.get('/queue')).text) };
  });
  after(() => live.close());

  const account = () => {
    const row = live.t.services.accounts.repo.findById(s.accountId);
    if (!row) throw new Error('account missing');
    return { token: live.t.services.accounts.tokenOf(row), igId: row.igUserId };
  };
  const publicUrl = (postId: number, role: 'item' | 'cover' = 'item') => {
    const row = live.t.services.posts.repo.mediaOf(postId).find((m) => m.role === role);
    return `${live.url}/m/${row?.publicToken}`;
  };

  async function waitFinished(containerId: string): Promise<string> {
    for (let i = 0; i < 120; i += 1) {
      const status = await live.t.services.instagram.client.publishing.containerStatus(account().token, containerId);
      if (status.status_code !== 'IN_PROGRESS') return status.status_code;
      // The mounted simulator runs on the app's (manual) clock: processing time passes when we say so.
      live.t.clock.advance(5000);
      await new Promise((r) => setTimeout(r, 100));
    }
    return 'IN_PROGRESS';
  }

  it('a PNG panorama, prepared by Qanat, is accepted as a feed image and published', async () => {
    const res = await submit(s, '/compose', { fields: { type: 'feed', caption: 'From the sandbox', date: '2026-02-01', time: '10:00', timeZone: 'UTC', action: 'schedule' }, files: [{ name: 'wide.png', bytes: await photo(2400, 800, 'png') }] });
    expect(res.status).to.equal(303);
    const postId = postIdFrom(res.headers['location']);
    const { token, igId } = account();
    const api = live.t.services.instagram.client.publishing;
    const container = await api.createImage(token, igId, { imageUrl: publicUrl(postId), caption: 'From the sandbox' });
    expect(await waitFinished(container)).to.equal('FINISHED');
    const mediaId = await api.publish(token, igId, container);
    expect(mediaId).to.match(/^\d+$/);
  });

  it('a VP9 WebM is transcoded to H.264 MP4 and accepted as a reel, with its cover image', async () => {
    const res = await submit(s, '/compose', {
      fields: { type: 'reel', caption: 'Reel', date: '2026-02-01', time: '11:00', timeZone: 'UTC', action: 'schedule', shareToFeed: 'on' },
      files: [
        { name: 'clip.webm', bytes: await portraitVideo(4) },
        { field: 'cover', name: 'cover.jpg', bytes: await photo(1080, 1350) },
      ],
    });
    // The video may still be transcoding when the page answers: the post is then a draft until it is ready.
    const postId = postIdFrom(res.headers['location'] ?? /action="\/posts\/(\d+)"/.exec(res.text)?.[0].replace(/\D/g, ''));
    await live.t.services.mediaWorker.idle();
    const video = live.t.services.posts.repo.mediaOf(postId).find((m) => m.role === 'item');
    expect(video?.status, video?.errorKey ?? '').to.equal('ready');
    expect(video?.notes).to.include('media.transcode.codec');
    if (live.t.services.posts.get(postId).state !== 'scheduled') {
      const again = await submit(s, `/posts/${postId}`, { fields: { type: 'reel', date: '2026-02-01', time: '11:00', timeZone: 'UTC', action: 'schedule', [`pos_${video?.id}`]: '1' } });
      expect(again.status).to.equal(303);
    }
    const { token, igId } = account();
    const api = live.t.services.instagram.client.publishing;
    const container = await api.createReel(token, igId, { videoUrl: publicUrl(postId), coverUrl: publicUrl(postId, 'cover'), caption: 'Reel', shareToFeed: true });
    expect(await waitFinished(container)).to.equal('FINISHED');
  });

  it('once the post is cancelled its URL is dead, and Instagram (the simulator) cannot fetch it', async () => {
    const res = await submit(s, '/compose', { fields: { type: 'feed', date: '2026-02-02', time: '10:00', timeZone: 'UTC', action: 'schedule' }, files: [{ name: 'a.jpg', bytes: await photo(1080, 1080) }] });
    const postId = postIdFrom(res.headers['location']);
    const url = publicUrl(postId);
    await s.agent.post(`/posts/${postId}/cancel`).type('form').send({ _csrf: s.csrf });
    const { token, igId } = account();
    let refused: unknown;
    try {
      const container = await live.t.services.instagram.client.publishing.createImage(token, igId, { imageUrl: url });
      expect(await waitFinished(container)).to.equal('ERROR');
    } catch (error) {
      refused = error;
    }
    if (refused) expect(refused).to.be.instanceOf(GraphError);
  });
});
