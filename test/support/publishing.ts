// Publishing tests run the real app on a real port in sandbox mode: the mounted simulator fetches
// /m/<token> over HTTP and plays Instagram, on the app's manual clock.
import { expect } from 'chai';
import type { PostRow } from '../../src/features/content/posts.repo.js';
import { connectAccount, signInLive } from './accounts.js';
import { startLiveApp, type LiveApp } from './browser.js';
import { photo, postIdFrom, submit, type Studio } from './content.js';
import { createUser } from './factories.js';
import { csrfFrom } from './http.js';

export interface Stage extends Studio {
  live: LiveApp;
}

/** `dir`: an existing data folder (e.g. on a small filesystem); a temporary one otherwise. */
export async function stage(env: Record<string, string> = {}, dir?: string): Promise<Stage> {
  const live = await startLiveApp(env, dir);
  const owner = await createUser(live.t);
  const agent = await signInLive(live, owner.username);
  const accountId = await connectAccount(live, agent);
  return { live, t: live.t, agent, accountId, csrf: csrfFrom((await agent.get('/queue')).text) };
}

/** The wall-clock date and time (UTC) `ms` after the app's clock. */
export function utcParts(at: number): { date: string; time: string } {
  const iso = new Date(at).toISOString();
  return { date: iso.slice(0, 10), time: iso.slice(11, 16) };
}

export interface PostSpec {
  type?: 'feed' | 'carousel' | 'reel' | 'story';
  caption?: string;
  firstComment?: string;
  /** Minutes after the app clock's current minute (default 1). */
  inMinutes?: number;
  files?: Array<{ field?: string; name: string; bytes: Buffer }>;
}

/** Composes and schedules a post through the real form; returns its id. */
export async function schedulePost(s: Stage, spec: PostSpec = {}): Promise<number> {
  const now = s.t.clock.now();
  const at = Math.floor(now / 60_000) * 60_000 + (spec.inMinutes ?? 1) * 60_000;
  const files = spec.files ?? [{ name: 'photo.jpg', bytes: await photo(1080, 1350) }];
  const res = await submit(s, '/compose', {
    fields: { type: spec.type ?? 'feed', caption: spec.caption ?? `Post ${Math.random().toString(36).slice(2, 8)}`, firstComment: spec.firstComment ?? '', ...utcParts(at), timeZone: 'UTC', action: 'schedule' },
    files,
  });
  expect(res.status, res.text.slice(0, 2000)).to.equal(303);
  const id = postIdFrom(res.headers['location']);
  await s.t.services.mediaWorker.idle();
  if (s.t.services.posts.get(id).state !== 'scheduled') {
    const again = await submit(s, `/posts/${id}`, { fields: { type: spec.type ?? 'feed', ...utcParts(at), timeZone: 'UTC', action: 'schedule', ...positions(s, id) } });
    expect(again.status, again.text.slice(0, 2000)).to.equal(303);
  }
  expect(s.t.services.posts.get(id).state).to.equal('scheduled');
  return id;
}

function positions(s: Stage, id: number): Record<string, string> {
  return Object.fromEntries(s.t.services.posts.repo.mediaOf(id).map((m) => [`pos_${m.id}`, String(m.position + 1)]));
}

/** Moves the clock in steps and lets the engine work until no post is waiting, or `maxMs` passed. */
export async function runEngine(s: Stage, maxMs = 10 * 60_000, stepMs = 5_000): Promise<void> {
  const end = s.t.clock.now() + maxMs;
  while (s.t.clock.now() <= end) {
    await s.t.services.engine.runDue();
    const waiting = s.t.services.publishingRepo.nextWakeAt();
    if (waiting === undefined) return;
    s.t.clock.set(Math.max(s.t.clock.now() + 1, Math.min(waiting, s.t.clock.now() + stepMs)));
  }
}

export function post(s: Stage, id: number): PostRow {
  return s.t.services.posts.get(id);
}

export function steps(s: Stage, id: number): string[] {
  return s.t.services.posts.repo.eventsOf(id).map((e) => e.step);
}

/** The simulator's media that came from this post's caption (exactly-once checks). */
export function simMediaWithCaption(s: Stage, caption: string): number {
  const sim = s.live.t.simulator;
  if (!sim) throw new Error('no simulator');
  return [...sim.state.media.values()].filter((m) => m.caption === caption).length;
}
