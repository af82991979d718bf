// Fires posts on time: a timer armed to the next due post (re-armed whenever the queue changes),
// with a node-cron tick as the safety net. Times are UTC instants, so DST never moves a post, and
// the timer never sleeps longer than a minute, so a clock jump is noticed within one.
import crypto from 'node:crypto';
import os from 'node:os';
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { PostPublisher } from './publishing.steps.js';
import type { PublishingRepo } from './publishing.repo.js';

const MAX_SLEEP_MS = 60_000;
/** Posts worked on at once (several accounts publish in the same second; 16 overlaps their Graph calls, see bench/publishing.ts). */
const CONCURRENCY = 16;
/** Steps a post may take in one go before others get their turn. */
const STEPS_PER_TURN = 12;
/** After a pass that failed (the database full, locked or broken), wait this long, doubling to MAX_SLEEP_MS. */
const FAILED_PASS_BACKOFF_MS = 2_000;
/** While the disk is full, how often to look again. */
const SPACE_RECHECK_MS = 10_000;

/** "<host>:<pid>:<random>": which process holds a post. */
export function processIdentity(): string {
  return `${os.hostname()}:${process.pid}:${crypto.randomBytes(4).toString('hex')}`;
}

/** Whether the process behind a lease owner is certainly gone (same machine: pid reused by us, or no such pid). */
export function ownerIsDead(owner: string, self: string): boolean {
  const [host, pid] = owner.split(':');
  const [myHost, myPid] = self.split(':');
  if (owner === self || host !== myHost) return false;
  if (pid === myPid) return true;
  try {
    process.kill(Number(pid), 0);
    return false;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

export class PublishingEngine {
  private timer: NodeJS.Timeout | undefined;
  private readonly running = new Map<number, Promise<void>>();
  private passing: Promise<number> | undefined;
  /** The timer runs only after start(); runDue() works either way (tests, the CLI). */
  private started = false;
  private stopping = false;
  /** Passes that failed in a row; the timer backs off instead of retrying in a tight loop. */
  private failedPasses = 0;
  private pausedForSpace = false;

  /** True while publishing waits for disk space (the queue page says so). */
  get pausedForDiskSpace(): boolean {
    return this.pausedForSpace;
  }

  constructor(
    private readonly repo: PublishingRepo,
    private readonly publisher: PostPublisher,
    private readonly clock: Clock,
    private readonly log: Logger,
    readonly owner: string,
    private readonly leaseMs: number,
    /**
     * Whether the data folder has room to record what Instagram answers. Without it a post must not
     * be claimed at all: a publish whose result cannot be written is the unclear kind the
     * reconciler exists for, and there is no reason to create one on purpose.
     */
    private readonly hasRoom: () => boolean = () => true,
  ) {}

  /** Start-up: free the leases of dead processes (the reconciler then resumes their posts), then fire what is due. */
  start(): void {
    this.started = true;
    this.stopping = false;
    const freed = this.recoverLeases();
    if (freed > 0) this.log.info({ posts: freed }, 'resuming posts left in flight by a stopped process');
    this.arm(0);
  }

  recoverLeases(): number {
    let freed = 0;
    for (const owner of this.repo.leaseOwners()) if (ownerIsDead(owner, this.owner)) freed += this.repo.freeLeasesOf(owner);
    return freed;
  }

  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    await this.passing;
    await Promise.all(this.running.values());
  }

  /** Something changed in the queue: look again now (cheap; the pass is serialized). */
  poke(): void {
    if (this.started && !this.stopping) this.arm(0);
  }

  private arm(delayMs?: number): void {
    clearTimeout(this.timer);
    if (!this.started || this.stopping) return;
    let delay = delayMs;
    if (delay === undefined) {
      const next = this.repo.nextWakeAt();
      delay = next === undefined ? MAX_SLEEP_MS : Math.min(MAX_SLEEP_MS, Math.max(0, next - this.clock.now()));
    }
    this.timer = setTimeout(() => void this.tick(), delay);
    this.timer.unref?.();
  }

  /** The timer's and the cron job's entry point: one pass, then re-arm. */
  async tick(): Promise<number> {
    try {
      const handled = await this.runDue();
      this.failedPasses = 0;
      this.arm(this.pausedForSpace ? SPACE_RECHECK_MS : undefined);
      return handled;
    } catch (error) {
      this.failedPasses += 1;
      // Logged once per run of failures, not on every retry: a full disk would fill the log too.
      if (this.failedPasses === 1) this.log.error({ err: error }, 'publishing pass failed; retrying with back-off');
      this.arm(Math.min(MAX_SLEEP_MS, FAILED_PASS_BACKOFF_MS * 2 ** (this.failedPasses - 1)));
      return 0;
    }
  }

  /** Claims everything due and works on it until each post waits or ends. Passes never overlap. */
  async runDue(): Promise<number> {
    if (this.passing) return this.passing;
    this.passing = this.pass().finally(() => {
      this.passing = undefined;
    });
    return this.passing;
  }

  private async pass(): Promise<number> {
    if (!this.hasRoom()) {
      if (!this.pausedForSpace) this.log.error('publishing paused: the data folder is out of disk space; it resumes by itself once space is freed');
      this.pausedForSpace = true;
      return 0;
    }
    if (this.pausedForSpace) this.log.info('publishing resumed: there is disk space again');
    this.pausedForSpace = false;
    let handled = 0;
    // Bounded, so a post that can never be claimed cannot keep one pass spinning.
    for (let round = 0; round < 50; round += 1) {
      const now = this.clock.now();
      const ids = [...new Set([...this.repo.dueIds(now, 100), ...this.repo.resumableIds(now, 100)])].filter((id) => !this.running.has(id));
      if (ids.length === 0) break;
      await this.pool(ids);
      handled += ids.length;
      if (this.stopping) break;
    }
    return handled;
  }

  private async pool(ids: number[]): Promise<void> {
    const queue = [...ids];
    const workers = Array.from({ length: Math.min(CONCURRENCY, queue.length) }, async () => {
      for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
        const job = this.work(id);
        this.running.set(id, job);
        await job.finally(() => this.running.delete(id));
      }
    });
    await Promise.all(workers);
  }

  private async work(id: number): Promise<void> {
    const claimed = this.repo.claim(id, this.owner, this.clock.now(), this.leaseMs);
    if (!claimed) return;
    const { post } = claimed;
    try {
      if (claimed.arrived && this.publisher.arrive(post).next !== 'continue') return;
      for (let i = 0; i < STEPS_PER_TURN && !this.stopping; i += 1) {
        const result = await this.publisher.step(post);
        if (result.next !== 'continue') return;
      }
      // Still going: let go for now, the next pass picks it up at once.
      this.repo.release(id, this.owner, null);
    } catch (error) {
      this.log.error({ err: error, post: id }, 'publishing a post failed unexpectedly');
      this.repo.release(id, this.owner, this.clock.now() + 60_000);
    }
  }
}
