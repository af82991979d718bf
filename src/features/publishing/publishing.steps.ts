// One post's way from "scheduled" to "published": each step is committed before the remote call
// that depends on it, so after a crash the saved state says exactly what may have happened, and
// the container's status_code (never a guess) decides what to do next.
import { GraphError } from '../../instagram/graph-error.js';
import type { AccountRow } from '../accounts/accounts.repo.js';
import type { MediaRow, PostRow } from '../content/posts.repo.js';
import { failpoint } from './failpoints.js';
import { backoff, decide, REFETCH_SUBCODES, REFETCH_TRIES, subcodeOfStatus } from './publishing.failures.js';
import { CONTINUE, PublishingOutcomes, STOP, type StepResult } from './publishing.outcomes.js';

/** How late a post may be reached and still count as on time (see arrive()). */
const ARRIVAL_GRACE_MS = 30_000;

export type { PublisherOptions, StepResult } from './publishing.outcomes.js';

/** Polling a container: quickly at first, then every 30 s (the contract's guides poll once a minute). */
const pollDelay = (sinceMs: number) => (sinceMs < 60_000 ? 3_000 : sinceMs < 5 * 60_000 ? 10_000 : 30_000);
/** How far before media_publish a found post may be dated (clock skew between us and Instagram). */
const MATCH_SKEW_MS = 5 * 60_000;
/** After an unclear media_publish, how long to let Instagram finish before reading the container. */
const UNCLEAR_WAIT_MS = 30_000;

export class PostPublisher extends PublishingOutcomes {
  /** Advances the post by one step. */
  async step(post: PostRow): Promise<StepResult> {
    const account = this.accounts.repo.findById(post.accountId);
    if (!account || account.status !== 'ok') return this.pause(post);
    let token: string;
    try {
      token = this.accounts.tokenOf(account);
    } catch {
      this.accounts.markNeedsReconnect(account.id, 'token unreadable');
      return this.pause(post);
    }
    try {
      switch (post.state) {
        case 'claimed':
          return await this.createContainers(post, account, token);
        case 'container_created':
          return await this.pollContainer(post, token);
        case 'ready':
        case 'held':
          return await this.publish(post, account, token);
        case 'publishing':
          return await this.reconcilePublish(post, account, token);
        case 'published':
          return await this.firstComment(post, account, token);
        default:
          return STOP;
      }
    } catch (error) {
      return this.handle(post, account, error);
    }
  }

  /** From "scheduled": claimed now, or held when the appliance was down for too long. */
  arrive(post: PostRow): StepResult {
    const now = this.clock.now();
    const lateMs = now - (post.scheduledAt ?? now);
    // A timer fires a little after its instant, and a busy pass takes a moment to reach a post: being
    // that late is not "missed while Qanat was down", even with PUBLISH_LATE_LIMIT_HOURS=0.
    if (lateMs > this.options.lateLimitMs + ARRIVAL_GRACE_MS) {
      this.finish(post, 'held', 'held', { heldReason: 'late', reasonKey: 'publishing.reason.late', reasonParams: { minutes: Math.round(lateMs / 60_000) } });
      this.notifications.add('post_held', post.accountId, post.id);
      return STOP;
    }
    this.event(post, 'claimed', { lateMs: Math.max(0, lateMs) });
    failpoint('after-claim');
    return CONTINUE;
  }

  // --- containers -------------------------------------------------------------------------

  private url(row: MediaRow): string {
    return `${this.options.publicUrl}/m/${row.publicToken}`;
  }

  private async createContainers(post: PostRow, account: AccountRow, token: string): Promise<StepResult> {
    const api = this.client.publishing;
    const media = this.posts.mediaOf(post.id);
    const items = media.filter((m) => m.role === 'item').sort((a, b) => a.position - b.position);
    const cover = media.find((m) => m.role === 'cover');
    const first = items[0];
    if (!first || media.some((m) => m.status !== 'ready')) return this.fail(post, 'publishing.reason.mediaMissing', {});
    const caption = post.caption || undefined;
    const collaborators = post.collaborators.length > 0 ? post.collaborators : undefined;
    let containerId: string;
    if (post.type === 'carousel') {
      // Children first, each id saved as soon as Instagram gives it; then the parent.
      for (const item of items) {
        if (item.childContainerId) continue;
        const child = item.kind === 'image' ? await api.createCarouselChild(token, account.igUserId, { imageUrl: this.url(item), ...(item.altText ? { altText: item.altText } : {}) }) : await api.createCarouselChild(token, account.igUserId, { videoUrl: this.url(item) });
        this.repo.setChildContainer(item.id, child);
        failpoint('after-child-container');
      }
      for (const item of this.posts.mediaOf(post.id).filter((m) => m.role === 'item')) {
        const status = await api.containerStatus(token, item.childContainerId as string);
        if (status.status_code === 'IN_PROGRESS') return this.wait(post, pollDelay(this.clock.now() - post.updatedAt), 'processing');
        if (status.status_code === 'EXPIRED') return this.newContainer(post);
        if (status.status_code === 'ERROR') return this.containerError(post, status.status);
      }
      const children = this.posts.mediaOf(post.id).filter((m) => m.role === 'item').sort((a, b) => a.position - b.position).map((m) => m.childContainerId as string);
      containerId = await api.createCarousel(token, account.igUserId, children, { ...(caption ? { caption } : {}), ...(collaborators ? { collaborators } : {}) });
    } else if (post.type === 'reel') {
      containerId = await api.createReel(token, account.igUserId, {
        videoUrl: this.url(first),
        shareToFeed: post.shareToFeed,
        ...(caption ? { caption } : {}),
        ...(collaborators ? { collaborators } : {}),
        ...(cover ? { coverUrl: this.url(cover) } : { thumbOffsetMs: post.thumbOffsetMs }),
      });
    } else if (post.type === 'story') {
      containerId = await api.createStory(token, account.igUserId, first.kind === 'image' ? { imageUrl: this.url(first) } : { videoUrl: this.url(first) });
    } else {
      containerId = await api.createImage(token, account.igUserId, { imageUrl: this.url(first), ...(caption ? { caption } : {}), ...(first.altText ? { altText: first.altText } : {}), ...(collaborators ? { collaborators } : {}) });
    }
    if (!this.save(post, { state: 'container_created', containerId, containerCreatedAt: this.clock.now(), attempts: 0 })) return STOP;
    this.event(post, 'container_created', { container: containerId });
    failpoint('after-container');
    return CONTINUE;
  }

  private async pollContainer(post: PostRow, token: string): Promise<StepResult> {
    const status = await this.client.publishing.containerStatus(token, post.containerId as string);
    const since = this.clock.now() - (post.containerCreatedAt ?? this.clock.now());
    switch (status.status_code) {
      case 'FINISHED':
        if (!this.save(post, { state: 'ready', attempts: 0 })) return STOP;
        this.event(post, 'ready');
        failpoint('after-ready');
        return CONTINUE;
      case 'IN_PROGRESS':
        if (since > this.options.processingLimitMs) return this.fail(post, 'publishing.reason.processingTimeout', { minutes: Math.round(since / 60_000) });
        return this.wait(post, pollDelay(since), 'processing');
      case 'PUBLISHED':
        return this.recordFound(post, token);
      case 'EXPIRED':
        return this.newContainer(post);
      default:
        return this.containerError(post, status.status);
    }
  }

  private containerError(post: PostRow, status: string | undefined): StepResult {
    const subcode = subcodeOfStatus(status);
    // Instagram could not fetch or process the file this time (our server was restarting, a network
    // blip): a new container is the documented fix (§6.3), a few times before giving up.
    if (subcode !== undefined && REFETCH_SUBCODES.has(subcode) && post.attempts < REFETCH_TRIES) {
      this.event(post, 'retry', { reason: `instagram.code.${subcode}`, inSeconds: 0 });
      this.save(post, { attempts: post.attempts + 1 });
      return this.newContainer(post, false);
    }
    const explained = subcode === undefined ? undefined : new GraphError(status ?? '', 400, undefined, subcode).explanationKeys();
    return this.fail(post, explained?.text ?? 'publishing.reason.containerError', { ...(explained?.params ?? {}), status: (status ?? '').slice(0, 200) });
  }

  /** Expired or lost containers: start again with new ones (nothing was published from them). */

  // --- publishing -------------------------------------------------------------------------

  private async publish(post: PostRow, account: AccountRow, token: string): Promise<StepResult> {
    const api = this.client.publishing;
    try {
      const limit = await api.publishingLimit(token, account.igUserId);
      if (limit.quota_usage >= (limit.config?.quota_total ?? Infinity)) return this.holdForQuota(post, { used: limit.quota_usage, total: limit.config?.quota_total ?? 0 });
    } catch (error) {
      // The quota read is advisory: media_publish enforces the limit itself (9 / 2207042).
      if (error instanceof GraphError && error.errorClass === 'reconnect') throw error;
      this.log.warn({ err: error, post: post.id }, 'could not read the publishing quota; publishing anyway');
    }
    // Saved before the call: if we die now, the restart reads the container instead of guessing.
    if (!this.save(post, { state: 'publishing', publishStartedAt: this.clock.now(), heldReason: null, reasonKey: null, reasonParams: null })) return STOP;
    this.event(post, 'publishing');
    failpoint('before-publish-call');
    let mediaId: string;
    try {
      mediaId = await api.publish(token, account.igUserId, post.containerId as string);
    } catch (error) {
      const decision = decide(error, post.attempts);
      if (decision.kind === 'notReady') return this.backTo(post, 'container_created');
      if (decision.kind === 'quota') return this.holdForQuota(post, {});
      if (decision.kind === 'newContainer') return this.newContainer(post);
      // Refused for the token: nothing was published; after reconnecting, the container's status decides.
      if (decision.kind === 'reconnect') return this.reconnect(post, account, decision.reason);
      if (decision.kind === 'fail' && error instanceof GraphError && error.httpStatus >= 400 && error.httpStatus < 500) return this.fail(post, decision.reasonKey, decision.params);
      // No answer, a 5xx or throttling: the post may be live. Read the container next time; never call again blindly.
      if (decision.kind === 'fail') return this.unclear(post, decision.reasonKey, decision.params);
      // Give Instagram time to finish a publish that may still be running before reading the container.
      return this.retryLater(post, decision.kind === 'retry' ? { ...decision, delayMs: Math.max(UNCLEAR_WAIT_MS, decision.delayMs) } : decision, 'publish_unclear');
    }
    failpoint('after-publish-call');
    return this.recordPublished(post, token, mediaId);
  }

  /** After a crash or an unclear answer during media_publish: the container's status decides. */
  private async reconcilePublish(post: PostRow, account: AccountRow, token: string): Promise<StepResult> {
    const status = await this.client.publishing.containerStatus(token, post.containerId as string);
    this.event(post, 'reconciled', { status: status.status_code });
    switch (status.status_code) {
      case 'PUBLISHED':
        return this.recordFound(post, token, account);
      case 'FINISHED':
        // Not published: publishing this same container is safe.
        return this.backTo(post, 'ready');
      case 'IN_PROGRESS':
        return this.backTo(post, 'container_created');
      case 'EXPIRED':
        return this.newContainer(post);
      default:
        return this.containerError(post, status.status);
    }
  }

  /** Instagram says the container is published: find the post it made (media_publish's answer was lost). */
  private async recordFound(post: PostRow, token: string, known?: AccountRow): Promise<StepResult> {
    const account = known ?? this.accounts.repo.findById(post.accountId);
    if (!account) return STOP;
    const api = this.client.publishing;
    const list = post.type === 'story' ? await api.listStories(token, account.igUserId) : await api.listMedia(token, account.igUserId, { limit: 25 });
    const since = (post.publishStartedAt ?? post.containerCreatedAt ?? 0) - MATCH_SKEW_MS;
    const candidates = list.data.filter((m) => Date.parse(m.timestamp ?? '') >= since && (post.type === 'story' || (m.caption ?? '') === post.caption));
    if (candidates.length === 1) return this.recordPublished(post, token, (candidates[0] as { id: string }).id);
    if (post.attempts < 3) return this.wait(post, backoff(post.attempts), 'searching', { attempts: post.attempts + 1 });
    this.finish(post, 'needs_attention', 'needs_attention', { reasonKey: candidates.length === 0 ? 'publishing.reason.notFound' : 'publishing.reason.ambiguous', reasonParams: { count: candidates.length } });
    this.notifications.add('post_attention', post.accountId, post.id);
    return STOP;
  }

  private async recordPublished(post: PostRow, token: string, mediaId: string): Promise<StepResult> {
    const now = this.clock.now();
    // The new state and its log line commit together: a crash can never leave one without the other.
    const recorded = this.repo.transaction(() => {
      if (!this.save(post, { state: 'published', igMediaId: mediaId, publishedAt: now, attempts: 0, nextAttemptAt: null, reasonKey: null, reasonParams: null })) return false;
      this.event(post, 'published', { media: mediaId });
      return true;
    });
    if (!recorded) return STOP;
    failpoint('after-published');
    await this.readPermalink(post, token);
    return post.firstComment ? CONTINUE : STOP;
  }

  /** Best effort, retried a few times (also after a restart): the post is out either way. */
  private async readPermalink(post: PostRow, token: string): Promise<void> {
    if (post.permalink || !post.igMediaId) return;
    try {
      const permalink = (await this.client.publishing.mediaById(token, post.igMediaId)).permalink;
      if (permalink) this.save(post, { permalink, attempts: 0 });
    } catch (error) {
      this.log.warn({ err: error, post: post.id }, 'published, but the permalink could not be read');
      this.save(post, { attempts: post.attempts + 1 });
    }
  }

  // --- first comment ----------------------------------------------------------------------

  private async firstComment(post: PostRow, account: AccountRow, token: string): Promise<StepResult> {
    await this.readPermalink(post, token);
    if (!post.firstComment || post.firstCommentState === 'posted' || post.firstCommentState === 'failed' || !post.igMediaId) return STOP;
    const engagement = this.client.engagement;
    if (post.firstCommentState === 'posting') {
      // A previous attempt may have reached Instagram: look before posting again.
      const page = await engagement.listComments(token, post.igMediaId, { limit: 50 });
      const mine = page.data.find((c) => c.text === post.firstComment && (c.username ?? c.from?.username) === account.username);
      if (mine) return this.firstCommentDone(post, mine.id);
    } else if (!this.save(post, { firstCommentState: 'posting' })) return STOP;
    failpoint('during-first-comment');
    const id = await engagement.createComment(token, post.igMediaId, post.firstComment);
    failpoint('after-first-comment-call');
    return this.firstCommentDone(post, id);
  }

  private firstCommentDone(post: PostRow, id: string): StepResult {
    if (!this.save(post, { firstCommentState: 'posted', firstCommentId: id, attempts: 0, nextAttemptAt: null })) return STOP;
    this.event(post, 'first_comment_posted');
    return STOP;
  }

  // --- outcomes ---------------------------------------------------------------------------

  private handle(post: PostRow, account: AccountRow, error: unknown): StepResult {
    const decision = decide(error, post.attempts);
    this.log.warn({ err: error, post: post.id, state: post.state, decision: decision.kind }, 'publishing step failed');
    if (post.state === 'published') {
      // Only the first comment is left: the post itself is out.
      if (decision.kind === 'retry') return this.retryLater(post, decision, 'retry');
      if (decision.kind === 'reconnect') return this.reconnect(post, account, decision.reason);
      this.save(post, { firstCommentState: 'failed', reasonKey: decision.kind === 'fail' ? decision.reasonKey : 'publishing.reason.unexpected', reasonParams: decision.kind === 'fail' ? decision.params : {} });
      this.event(post, 'first_comment_failed');
      this.notifications.add('post_failed', post.accountId, post.id);
      return STOP;
    }
    switch (decision.kind) {
      case 'reconnect':
        return this.reconnect(post, account, decision.reason);
      case 'retry':
        return this.retryLater(post, decision, 'retry');
      case 'quota':
        return this.holdForQuota(post, {});
      case 'notReady':
        return this.wait(post, 5_000, 'processing');
      case 'newContainer':
        return this.newContainer(post);
      default:
        return post.state === 'publishing' ? this.unclear(post, decision.reasonKey, decision.params) : this.fail(post, decision.reasonKey, decision.params);
    }
  }
}
