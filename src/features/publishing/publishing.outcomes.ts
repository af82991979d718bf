// What a publishing step leads to, recorded the same way every time: write while holding the
// lease, log the step, release the post until its next look, tell the owner when it needs them.
import type { Clock } from '../../clock.js';
import type { Logger } from '../../log.js';
import type { InstagramClient } from '../../instagram/client.js';
import type { AccountRow } from '../accounts/accounts.repo.js';
import type { AccountsService } from '../accounts/accounts.service.js';
import type { NewPostRow, PostLogStep, PostRow, PostsRepo } from '../content/posts.repo.js';
import type { NotificationsService } from '../notifications/notifications.service.js';
import { MAX_ATTEMPTS, type Decision } from './publishing.failures.js';
import type { PublishingRepo } from './publishing.repo.js';

export type StepResult = { next: 'continue' } | { next: 'wait'; at: number } | { next: 'stop' };

export interface PublisherOptions {
  owner: string;
  leaseMs: number;
  publicUrl: string;
  /** Posts later than this (the appliance was down) wait for the owner instead of going out. */
  lateLimitMs: number;
  /** How long a container may stay IN_PROGRESS before the post fails. */
  processingLimitMs: number;
}

export const CONTINUE: StepResult = { next: 'continue' };
export const STOP: StepResult = { next: 'stop' };

export abstract class PublishingOutcomes {
  constructor(
    protected readonly repo: PublishingRepo,
    protected readonly posts: PostsRepo,
    protected readonly accounts: AccountsService,
    protected readonly client: InstagramClient,
    protected readonly notifications: NotificationsService,
    protected readonly clock: Clock,
    protected readonly log: Logger,
    protected readonly options: PublisherOptions,
  ) {}

  protected newContainer(post: PostRow, expired = true): StepResult {
    this.repo.clearChildContainers(post.id);
    if (!this.save(post, { state: 'claimed', containerId: null, containerCreatedAt: null, publishStartedAt: null })) return STOP;
    if (expired) this.event(post, 'container_expired');
    return CONTINUE;
  }

  protected retryLater(post: PostRow, decision: Decision, step: PostLogStep): StepResult {
    if (decision.kind !== 'retry') {
      const [key, params] = decision.kind === 'fail' ? [decision.reasonKey, decision.params] : ['publishing.reason.unexpected', {}];
      return post.state === 'publishing' ? this.unclear(post, key, params) : this.fail(post, key, params);
    }
    if (post.attempts + 1 > MAX_ATTEMPTS) return post.state === 'publishing' ? this.unclear(post, decision.reasonKey, decision.params) : this.fail(post, decision.reasonKey, decision.params);
    this.event(post, step, { ...decision.params, inSeconds: Math.round(decision.delayMs / 1000), reason: decision.reasonKey });
    return this.wait(post, decision.delayMs, undefined, { attempts: post.attempts + 1, reasonKey: decision.reasonKey, reasonParams: decision.params });
  }

  protected reconnect(post: PostRow, account: AccountRow, reason: string): StepResult {
    this.accounts.markNeedsReconnect(account.id, reason);
    this.notifications.add('account_reconnect', account.id, null);
    return this.pause(post);
  }

  /** The account needs reconnecting: the post keeps its state and waits (the engine skips paused accounts). */
  protected pause(post: PostRow): StepResult {
    this.event(post, 'paused');
    // Nothing was sent to Instagram yet: it is simply still scheduled (and late rules apply on return).
    if (post.state === 'claimed' && !post.containerId && !this.posts.mediaOf(post.id).some((m) => m.childContainerId)) this.save(post, { state: 'scheduled' });
    this.repo.release(post.id, this.options.owner, null);
    return STOP;
  }

  protected holdForQuota(post: PostRow, params: Record<string, number>): StepResult {
    const at = this.clock.now() + 30 * 60_000;
    const wasHeld = post.state === 'held';
    if (!this.save(post, { state: 'held', heldReason: 'quota', reasonKey: 'publishing.reason.quota', reasonParams: params })) return STOP;
    this.event(post, 'held', { ...params, reason: 'publishing.reason.quota' });
    if (!wasHeld) this.notifications.add('post_held', post.accountId, post.id);
    this.repo.release(post.id, this.options.owner, at);
    return { next: 'wait', at };
  }

  protected backTo(post: PostRow, state: 'ready' | 'container_created'): StepResult {
    return this.save(post, { state }) ? CONTINUE : STOP;
  }

  protected fail(post: PostRow, reasonKey: string, params: Record<string, string | number>): StepResult {
    this.finish(post, 'failed', 'failed', { reasonKey, reasonParams: params });
    this.notifications.add('post_failed', post.accountId, post.id);
    return STOP;
  }

  /** media_publish may or may not have happened and Instagram cannot tell us now: the owner decides. */
  protected unclear(post: PostRow, reasonKey: string, params: Record<string, string | number>): StepResult {
    this.finish(post, 'needs_attention', 'needs_attention', { reasonKey, reasonParams: params });
    this.notifications.add('post_attention', post.accountId, post.id);
    return STOP;
  }

  protected finish(post: PostRow, state: 'failed' | 'held' | 'needs_attention', step: PostLogStep, values: Partial<NewPostRow>): void {
    if (this.save(post, { ...values, state, nextAttemptAt: null })) this.event(post, step, { ...(values.reasonParams ?? {}), reason: String(values.reasonKey ?? '') });
    this.repo.release(post.id, this.options.owner, null);
  }

  protected wait(post: PostRow, delayMs: number, step: PostLogStep | undefined, values: Partial<NewPostRow> = {}): StepResult {
    const at = this.clock.now() + delayMs;
    if (step && post.nextAttemptAt === null) this.event(post, step);
    this.save(post, values);
    this.repo.release(post.id, this.options.owner, at);
    return { next: 'wait', at };
  }

  /** Writes while holding the lease (and renews it); false if the post is no longer ours. */
  protected save(post: PostRow, values: Partial<NewPostRow>): boolean {
    const ok = this.repo.update(post.id, this.options.owner, { ...values, leaseUntil: this.clock.now() + this.options.leaseMs });
    if (ok) Object.assign(post, values);
    return ok;
  }

  protected event(post: PostRow, step: PostLogStep, detail: Record<string, string | number> = {}): void {
    this.posts.addEvent(post.id, this.clock.now(), step, detail);
  }
}
