// The crash tests' world: one simulator in the test process (real HTTP, real clock) and "lanes",
// each a data folder with a real Qanat server run as a child process in LIVE mode against that
// simulator. Posts are seeded from the test process through the real composer on the same
// SQLite file (same data key), and the test reads that file read-only while the child works.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { ManualClock, systemClock } from '../../src/clock.js';
import { seedAdditionalAccount } from '../../src/sandbox/seed.js';
import type { SimComment, SimMedia } from '../../src/sandbox/state.js';
import { projectRoot } from '../../src/paths.js';
import { createTestApp, type TestApp } from './app.js';
import { postIdFrom, submit, type Studio } from './content.js';
import { createUser } from './factories.js';
import { $, csrfFrom, signIn } from './http.js';
import { fixtures, type FixtureName } from './media-fixtures.js';
import { baseEnv, freePort } from './process.js';
import { REDIRECT_URI, SIM_APP_SECRET, startSimulator, type SimHarness } from './simulator.js';

/** Shared by the seeding app and the child, so both open the encrypted columns. */
export const CRASH_DATA_KEY = '6b1f0c3e9a7d45e2b8c0f1a2d3e4f5061728394a5b6c7d8e9f00112233445566';
export const CRASH_SESSION_SECRET = 'crash-test-session-secret-0123456789abcdef';

/**
 * How the child is started. By default src/ is compiled with tsc into test-artifacts/ (incremental,
 * once per run), as `npm run build` does for production, and run with plain node: that starts in
 * about half the time and CPU of `node --import tsx`, which matters at two starts per trial.
 * QANAT_CRASH_TSX=1 runs src/main.ts through tsx instead. Built once per test run.
 */
export function serverCommand(useTsx = process.env['QANAT_CRASH_TSX'] === '1'): Promise<string[]> {
  if (useTsx) return Promise.resolve(['--import', 'tsx', path.join(projectRoot, 'src/main.ts')]);
  built ??= build();
  return built;
}

let built: Promise<string[]> | undefined;

async function build(): Promise<string[]> {
  const out = path.join(projectRoot, 'test-artifacts', 'crash-build');
  const tsc = path.join(projectRoot, 'node_modules', 'typescript', 'bin', 'tsc');
  const args = [tsc, '-p', path.join(projectRoot, 'tsconfig.build.json'), '--outDir', out, '--tsBuildInfoFile', path.join(out, '.tsbuildinfo')];
  // A type error elsewhere still emits JavaScript (and is the typecheck's business, not this test's).
  await promisify(execFile)(process.execPath, args, { cwd: projectRoot }).catch((error: { stdout?: string }) => {
    if (!fs.existsSync(path.join(out, 'src', 'main.js'))) throw new Error(`tsc could not build the server:\n${error.stdout ?? String(error)}`);
  });
  return [path.join(out, 'src', 'main.js')];
}

export async function startCrashSimulator(): Promise<SimHarness> {
  // Real clock (the child cannot share a manual one); video containers finish quickly.
  return startSimulator({ clock: systemClock, videoProcessingMs: 300, control: true });
}

export interface SimLogin {
  igId: string;
  username: string;
  token: string;
}

/**
 * A fresh business account on the simulator and a long-lived token for it, through the consent
 * window and both token exchanges. One per trial: its media list then holds only that trial's posts.
 */
export async function newSimAccount(h: SimHarness, seed: number): Promise<SimLogin> {
  const username = `crash_${seed}`;
  const before = h.sim.state.accounts.size;
  const account = seedAdditionalAccount(h.sim.state, seed, username, `Crash ${seed}`);
  if (h.sim.state.accounts.size !== before + 1) throw new Error(`simulator account id collision for seed ${seed}`);
  const url = new URL(h.client.oauth.authorizeUrl(`crash-${seed}`));
  const form = new URLSearchParams({ client_id: url.searchParams.get('client_id') ?? '', redirect_uri: REDIRECT_URI, state: `crash-${seed}`, decision: 'allow', account: account.igId });
  for (const scope of (url.searchParams.get('scope') ?? '').split(',')) form.append('scope', scope);
  const res = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
  const code = new URL(res.headers.get('location') ?? '').searchParams.get('code');
  if (!code) throw new Error(`consent refused: ${res.status} ${res.headers.get('location') ?? ''}`);
  const short = await h.client.oauth.exchangeCode(code);
  const long = await h.client.oauth.exchangeForLongLived(short.accessToken);
  return { igId: account.igId, username, token: long.accessToken };
}

export type CrashPostType = 'feed' | 'carousel' | 'reel' | 'story';

export interface CrashPostSpec {
  type: CrashPostType;
  caption: string;
  firstComment: string;
  /** Fixture names, in carousel order. */
  files: FixtureName[];
}

export interface ChildRun {
  child: ChildProcess;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** True once the server logs that it listens (its engine starts then); false if it exits first. */
  listening: Promise<boolean>;
  output(): string;
}

export interface PostState {
  id: number;
  type: string;
  state: string;
  caption: string;
  first_comment: string;
  first_comment_state: string | null;
  ig_media_id: string | null;
  permalink: string | null;
  container_id: string | null;
  lease_owner: string | null;
  next_attempt_at: number | null;
  attempts: number;
  reason_key: string | null;
}

/** Published with the first comment settled, failed, or flagged for the owner. */
export function isFinal(p: PostState): boolean {
  if (p.state === 'failed' || p.state === 'needs_attention') return true;
  if (p.state !== 'published') return false;
  return p.first_comment === '' || p.first_comment_state === 'posted' || p.first_comment_state === 'failed';
}

/** The composer's list of problems, for a readable failure. */
function problemsOn(html: string): string {
  return $(html)('#problems').text().replace(/\s+/g, ' ').trim() || html.slice(0, 1000);
}

const KEEP_OUTPUT = 64 * 1024;

/** Servers still running when the test process exits (an interrupted run) are not left behind. */
const alive = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of alive) child.kill('SIGKILL');
});

/** One data folder and one port: the child always restarts where it was killed. */
export class Lane {
  private reader: Database.Database | undefined;
  readonly dir: string;
  private readonly childEnv: NodeJS.ProcessEnv;

  private constructor(
    readonly port: number,
    private readonly app: TestApp,
    /** The seeding app's clock, set to the real time before each write. */
    private readonly clock: ManualClock,
    private readonly studio: Studio,
    env: Record<string, string>,
    /** Arguments to node that start the server (see serverCommand). */
    private readonly command: string[],
  ) {
    this.dir = app.dir;
    this.childEnv = baseEnv(app.dir, { ...env, PORT: String(port), HOST: '127.0.0.1' });
  }

  static async open(h: SimHarness, command: string[]): Promise<Lane> {
    const port = await freePort();
    const env = {
      PUBLIC_URL: `http://127.0.0.1:${port}`,
      QANAT_DATA_KEY: CRASH_DATA_KEY,
      SESSION_SECRET: CRASH_SESSION_SECRET,
      INSTAGRAM_APP_ID: h.sim.options.appId,
      INSTAGRAM_APP_SECRET: SIM_APP_SECRET,
      GRAPH_BASE_URL: `${h.base}/graph`,
      INSTAGRAM_TOKEN_URL: `${h.base}/api/oauth/access_token`,
      INSTAGRAM_AUTHORIZE_URL: `${h.base}/www/oauth/authorize`,
    };
    const clock = new ManualClock(Date.now());
    const app = createTestApp(env, undefined, clock);
    const user = await createUser(app);
    const { agent } = await signIn(app, user.username);
    const page = await agent.get('/queue');
    return new Lane(port, app, clock, { t: app, agent, accountId: 0, csrf: csrfFrom(page.text) }, env, command);
  }

  /** The Qanat account row for a simulator account, as the OAuth callback would leave it. */
  addAccount(login: SimLogin): number {
    const now = Date.now();
    this.clock.set(now);
    return this.app.services.accounts.repo.insert({
      igUserId: login.igId,
      appScopedId: `app-${login.igId}`,
      username: login.username,
      token: this.app.cipher.seal(login.token, { table: 'accounts', column: 'token', row: login.igId }),
      tokenExpiresAt: now + 60 * 86_400_000,
      tokenRefreshedAt: now,
      scopes: [],
      sandbox: false,
      connectedAt: now,
      createdAt: now,
    }).id;
  }

  /**
   * Composes the post through the real form: uploaded and prepared for real as a draft, then
   * scheduled for tomorrow once its files are ready (as a person would wait for a video).
   */
  async seedPost(accountId: number, spec: CrashPostSpec): Promise<number> {
    this.clock.set(Date.now());
    const files = await fixtures();
    const s: Studio = { ...this.studio, accountId };
    const tomorrow = new Date(Date.now() + 86_400_000).toISOString();
    const fields = { type: spec.type, caption: spec.caption, firstComment: spec.firstComment, date: tomorrow.slice(0, 10), time: tomorrow.slice(11, 16), timeZone: 'UTC' };
    const draft = await submit(s, '/compose', { fields: { ...fields, action: 'draft' }, files: spec.files.map((name) => ({ name, bytes: files.get(name) as Buffer })) });
    expect(draft.status, problemsOn(draft.text)).to.equal(303);
    const id = postIdFrom(draft.headers['location']);
    await this.app.services.mediaWorker.idle();
    this.clock.set(Date.now());
    const recipes = () => this.app.services.posts.repo.mediaOf(id).map((m) => m.outputRecipe);
    const prepared = recipes();
    const scheduled = await submit(s, `/posts/${id}`, { fields: { ...fields, ...this.itemFields(id), action: 'schedule' } });
    expect(scheduled.status, problemsOn(scheduled.text)).to.equal(303);
    expect(recipes(), 'scheduling prepared nothing again').to.deep.equal(prepared);
    expect(this.app.services.posts.get(id).state, `post ${id} scheduled`).to.equal('scheduled');
    return id;
  }

  /** The composer's fields for each file as the page renders them (position and fit kept, so nothing is prepared again). */
  private itemFields(id: number): Record<string, string> {
    const fields: Record<string, string> = {};
    for (const m of this.app.services.posts.repo.mediaOf(id)) {
      Object.assign(fields, {
        [`pos_${m.id}`]: String(m.position + 1),
        [`fit_${m.id}`]: m.fitMode,
        [`fx_${m.id}`]: String(Math.round(m.focusX * 100)),
        [`fy_${m.id}`]: String(Math.round(m.focusY * 100)),
        [`bg_${m.id}`]: m.background === 'blur' ? 'blur' : 'colour',
        [`bgc_${m.id}`]: m.background === 'blur' ? '#000000' : m.background,
        [`alt_${m.id}`]: m.altText,
      });
    }
    return fields;
  }

  /** Makes the posts due now (real clock), so the child fires them as soon as it starts. */
  makeDue(ids: number[]): void {
    const now = Date.now();
    const update = this.app.db.sqlite.prepare('UPDATE posts SET scheduled_at = ? WHERE id = ?');
    for (const id of ids) update.run(now, id);
  }

  /** The Meta-facing tokens of a post's files (what /m/<token> links carry). */
  publicTokens(id: number): string[] {
    return this.app.services.posts.repo.mediaOf(id).map((m) => m.publicToken);
  }

  /** Starts the server on this lane's folder; never waits for it to listen (a failpoint may fire first). */
  startChild(failpoint?: string): ChildRun {
    const env = { ...this.childEnv, ...(failpoint ? { QANAT_FAILPOINT: failpoint } : {}) };
    const child = spawn(process.execPath, this.command, { cwd: projectRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let heard: (value: boolean) => void = () => undefined;
    const listening = new Promise<boolean>((resolve) => (heard = resolve));
    const keep = (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes('Qanat is listening')) heard(true);
      if (out.length > KEEP_OUTPUT * 2) out = out.slice(-KEEP_OUTPUT);
    };
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    alive.add(child);
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
    void exited.then(() => {
      alive.delete(child);
      heard(false);
    });
    return { child, exited, listening, output: () => out };
  }

  private db(): Database.Database {
    this.reader ??= new Database(path.join(this.dir, 'qanat.db'), { readonly: true, fileMustExist: true });
    return this.reader;
  }

  posts(ids: number[]): PostState[] {
    const read = this.db().prepare(
      'SELECT id, type, state, caption, first_comment, first_comment_state, ig_media_id, permalink, container_id, lease_owner, next_attempt_at, attempts, reason_key FROM posts WHERE id = ?',
    );
    return ids.map((id) => read.get(id) as PostState);
  }

  events(id: number): Array<{ at: number; step: string; detail: string }> {
    return this.db().prepare('SELECT at, step, detail FROM post_events WHERE post_id = ? ORDER BY id').all(id) as Array<{ at: number; step: string; detail: string }>;
  }

  close(): void {
    this.reader?.close();
    this.app.close();
  }
}

/** Polls the database until every post is final, the child exits, or the deadline passes. */
export async function waitForPosts(lane: Lane, ids: number[], run: ChildRun, deadlineMs: number): Promise<'final' | 'exited' | 'timeout'> {
  let exited = false;
  void run.exited.then(() => (exited = true));
  const end = Date.now() + deadlineMs;
  for (;;) {
    if (exited) return 'exited';
    if (lane.posts(ids).every(isFinal)) return 'final';
    if (Date.now() > end) return 'timeout';
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** SIGTERM and the exit it leads to (SIGKILL after `graceMs`, reported as such). */
export async function stopChild(run: ChildRun, graceMs = 15_000): Promise<{ code: number | null; signal: NodeJS.Signals | null; forced: boolean }> {
  if (run.child.exitCode !== null || run.child.signalCode !== null) return { ...(await run.exited), forced: false };
  run.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const forced = new Promise<'forced'>((resolve) => (timer = setTimeout(() => resolve('forced'), graceMs)));
  const outcome = await Promise.race([run.exited, forced]);
  clearTimeout(timer);
  if (outcome !== 'forced') return { ...outcome, forced: false };
  run.child.kill('SIGKILL');
  return { ...(await run.exited), forced: true };
}

/** What Instagram (the simulator) holds for one post: its media and the comments on them. */
export interface SimView {
  media: Array<Pick<SimMedia, 'id' | 'caption' | 'productType' | 'timestamp' | 'fromContainerId'>>;
  comments: Array<Pick<SimComment, 'id' | 'mediaId' | 'text' | 'username'>>;
  /** media_publish calls per container this post's files went into (from /__control/counters). */
  publishCalls: Record<string, number>;
}

/** The media made from the post's files (matched by the /m/<token> the simulator fetched) and the comments with its first-comment text. */
export async function simViewOf(h: SimHarness, igId: string, tokens: string[], firstComment: string): Promise<SimView> {
  const { containers, media, comments } = h.sim.state;
  const fromPost = (url: string | undefined) => tokens.some((token) => (url ?? '').includes(`/m/${token}`));
  const ownContainers = [...containers.values()].filter((c) => c.igId === igId && (fromPost(c.mediaUrl) || (c.children ?? []).some((child) => fromPost(containers.get(child)?.mediaUrl))));
  const ownIds = new Set(ownContainers.map((c) => c.id));
  const found = [...media.values()].filter((m) => m.igId === igId && m.fromContainerId !== undefined && ownIds.has(m.fromContainerId));
  const counters = (await (await fetch(`${h.base}/__control/counters`)).json()) as { mediaPublishCalls: Record<string, number> };
  return {
    media: found.map((m) => ({ id: m.id, caption: m.caption, productType: m.productType, timestamp: m.timestamp, ...(m.fromContainerId ? { fromContainerId: m.fromContainerId } : {}) })),
    comments: firstComment ? [...comments.values()].filter((c) => c.text === firstComment).map((c) => ({ id: c.id, mediaId: c.mediaId, text: c.text, username: c.username })) : [],
    publishCalls: Object.fromEntries([...ownIds].filter((id) => counters.mediaPublishCalls[id] !== undefined).map((id) => [id, counters.mediaPublishCalls[id] as number])),
  };
}

/** Media on the account whose caption is exactly this one (the acceptance's "one media per caption"). */
export function mediaWithCaption(h: SimHarness, igId: string, caption: string): number {
  return [...h.sim.state.media.values()].filter((m) => m.igId === igId && m.caption === caption).length;
}
