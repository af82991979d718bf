// security.md row 15: /m/<token> is where Instagram fetches a queued post's file, so it is public;
// it must answer only while the post is queued or being published. Here the real app runs on a
// port in sandbox mode and the ENGINE moves each post to its end (published, failed, held, needs
// attention; simulator faults make the bad endings), and the same token is fetched over HTTP, as
// Meta would, before and after. Guessed tokens never answer.
import crypto from 'node:crypto';
import fs from 'node:fs';
import { expect } from 'chai';
import type { PostState } from '../../src/db/schema.js';
import type { Simulator } from '../../src/sandbox/simulator.js';
import type { SimFault } from '../../src/sandbox/state.js';
import { csrfFrom } from '../support/http.js';
import { post, schedulePost, simMediaWithCaption, stage, steps, type Stage } from '../support/publishing.js';

const HOUR = 3_600_000;
/** The engine's retries run for hours of app-clock time; sessions must outlive them. */
const LONG_SESSIONS = { SESSION_IDLE_MINUTES: '100000', SESSION_ABSOLUTE_HOURS: '10000' };
/** Guessed tokens are drawn from this seed, so a failure can be replayed. */
const GUESS_SEED = 20260115;
const GUESSES = 200;

function simulator(s: Stage): Simulator {
  const sim = s.t.simulator;
  if (!sim) throw new Error('no simulator: the app is not in sandbox mode');
  return sim;
}

function tokenOf(s: Stage, id: number): string {
  const token = s.t.services.posts.repo.mediaOf(id)[0]?.publicToken;
  if (!token) throw new Error(`post ${id} has no public token`);
  return token;
}

/** GET /m/<token> over HTTP, without cookies, like Meta's fetcher. */
async function fetchMedia(s: Stage, token: string): Promise<{ status: number; body: Buffer; type: string }> {
  const res = await fetch(`${s.live.url}/m/${encodeURIComponent(token)}`);
  return { status: res.status, body: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') ?? '' };
}

/** The prepared bytes on disk: what /m/<token> serves while the post is live. */
function preparedBytes(s: Stage, id: number): Buffer {
  const item = s.t.services.posts.repo.mediaOf(id)[0];
  if (!item?.outputFile) throw new Error(`post ${id} has no prepared file`);
  return fs.readFileSync(s.t.services.media.fileOf(item, item.outputFile));
}

/** Schedules a post, checks its token serves the prepared file, and sets the clock to its minute. */
async function dueAndLive(s: Stage, caption: string): Promise<{ id: number; token: string }> {
  const id = await schedulePost(s, { caption });
  const token = tokenOf(s, id);
  const before = await fetchMedia(s, token);
  expect(before.status, 'the token answers while the post is scheduled').to.equal(200);
  expect(before.type).to.match(/^image\/jpeg/);
  expect(Buffer.compare(before.body, preparedBytes(s, id)), 'the exact prepared bytes').to.equal(0);
  s.t.clock.set(post(s, id).scheduledAt as number);
  return { id, token };
}

/** Runs the engine, jumping the app clock to each wake-up, until the post leaves the engine's hands. */
async function settle(s: Stage, id: number, maxMs = 6 * HOUR): Promise<PostState> {
  const end = s.t.clock.now() + maxMs;
  while (s.t.clock.now() <= end) {
    await s.t.services.engine.runDue();
    const state = post(s, id).state;
    if (['published', 'failed', 'held', 'needs_attention'].includes(state)) return state;
    const wake = s.t.services.publishingRepo.nextWakeAt();
    if (wake === undefined) return state;
    s.t.clock.set(Math.max(s.t.clock.now() + 1, wake));
  }
  return post(s, id).state;
}

function fault(s: Stage, ...faults: SimFault[]): void {
  simulator(s).state.faults.push(...faults);
}

describe('public media tokens once the engine is done with a post (security row 15)', function () {
  this.timeout(120_000);
  let s: Stage;
  beforeEach(async () => {
    s = await stage(LONG_SESSIONS);
  });
  afterEach(() => s.live.close());

  it('200 guessed well-formed tokens (seeded), the live token with one character changed, cut or lengthened answer 404, while the live token answers 200', async () => {
    const id = await schedulePost(s, { caption: 'Guess me' });
    const token = tokenOf(s, id);
    expect(token, 'tokens are 32 URL-safe characters').to.match(/^[A-Za-z0-9_-]{32}$/);
    expect((await fetchMedia(s, token)).status).to.equal(200);
    // Deterministic guesses: SHA-256 of the seed and a counter, as base64url.
    const guesses = Array.from({ length: GUESSES }, (_, i) => crypto.createHash('sha256').update(`${GUESS_SEED}:${i}`).digest('base64url').slice(0, 32));
    const flipped = token.slice(0, -1) + (token.endsWith('A') ? 'B' : 'A');
    for (const guess of [...guesses, flipped, token.toLowerCase() === token ? token.toUpperCase() : token.toLowerCase(), `${token}A`, token.slice(1)]) {
      if (guess === token) continue;
      expect((await fetchMedia(s, guess)).status, `GET /m/${guess} (seed ${GUESS_SEED})`).to.equal(404);
    }
  });

  it('a post the engine published: its token answers 200 until then (Instagram fetched it) and 404 once published', async () => {
    const caption = 'Published by the engine';
    const { id, token } = await dueAndLive(s, caption);
    expect(await settle(s, id), steps(s, id).join(' → ')).to.equal('published');
    expect(simMediaWithCaption(s, caption), 'Instagram made the post from the file it fetched').to.equal(1);
    expect(tokenOf(s, id), 'the token itself is unchanged').to.equal(token);
    expect((await fetchMedia(s, token)).status).to.equal(404);
  });

  it('a post that failed (a throttling storm that never ends): 200 while scheduled, 404 once failed', async () => {
    const caption = 'Failed by the engine';
    const { id, token } = await dueAndLive(s, caption);
    fault(s, { kind: 'throttle', code: 17 });
    expect(await settle(s, id), steps(s, id).join(' → ')).to.equal('failed');
    expect(simMediaWithCaption(s, caption)).to.equal(0);
    expect((await fetchMedia(s, token)).status).to.equal(404);
  });

  it('a post held for the publishing quota: 200 while scheduled, 404 while held', async () => {
    const caption = 'Held by the engine';
    const { id, token } = await dueAndLive(s, caption);
    const account = s.t.services.accounts.repo.findById(s.accountId);
    const now = s.t.clock.now();
    // The last 24 h already hold Instagram's 100 posts for this account.
    for (let i = 0; i < 100; i += 1) simulator(s).state.publishes.push({ igId: account?.igUserId as string, at: now - 23 * HOUR, containerId: `old-${i}` });
    expect(await settle(s, id), steps(s, id).join(' → ')).to.equal('held');
    expect(post(s, id).heldReason).to.equal('quota');
    expect((await fetchMedia(s, token)).status).to.equal(404);
  });

  it('a post that needs attention (media_publish answers 5xx for good): 200 while scheduled, 404 while it waits for the owner', async () => {
    const caption = 'Needs attention';
    const { id, token } = await dueAndLive(s, caption);
    fault(s, { kind: 'server-error', code: 2, pathIncludes: 'media_publish' });
    expect(await settle(s, id), steps(s, id).join(' → ')).to.equal('needs_attention');
    expect(simMediaWithCaption(s, caption)).to.equal(0);
    expect((await fetchMedia(s, token)).status).to.equal(404);
  });

  it('a post cancelled through the queue form: 200 while scheduled, 404 at once after the cancel', async () => {
    const id = await schedulePost(s, { caption: 'Cancelled' });
    const token = tokenOf(s, id);
    expect((await fetchMedia(s, token)).status).to.equal(200);
    const page = await s.agent.get(`/posts/${id}`);
    const res = await s.agent.post(`/posts/${id}/cancel`).type('form').send({ _csrf: csrfFrom(page.text), returnTo: '/queue' });
    expect(res.status, res.text.slice(0, 500)).to.equal(303);
    expect(post(s, id).state).to.equal('cancelled');
    expect((await fetchMedia(s, token)).status).to.equal(404);
  });
});
