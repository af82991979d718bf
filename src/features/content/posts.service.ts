// The rules of the composer and the queue: who may change posts, what a post needs before it
// can be scheduled, and that deleting a post deletes its files at once.
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import type { PostState } from '../../db/schema.js';
import { Conflict, Forbidden, NotFound } from '../../errors.js';
import type { UploadedFile } from '../../http/multipart.js';
import type { AuditService } from '../audit/audit.service.js';
import type { AccountsRepo } from '../accounts/accounts.repo.js';
import type { Actor, Origin } from '../users/users.service.js';
import { MediaRejected } from './media/rules.js';
import type { MediaService } from './media.service.js';
import type { MediaWorker } from './media-worker.js';
import type { MediaRow, PostLogStep, PostRow, PostsRepo } from './posts.repo.js';
import { newPublicToken } from './media.service.js';
import type { ComposerInput, ItemChange } from './posts.forms.js';

export interface Problem {
  /** Form field the message belongs to ('media' for the files, 'form' for the whole post). */
  field: string;
  key: string;
  params?: Record<string, string | number>;
}

export interface SaveOutcome {
  post: PostRow | undefined;
  problems: Problem[];
  /** Said after a successful save (e.g. which of two 01:30s was chosen). */
  notices: Problem[];
}

/** States in which the composer may change a post. */
export const EDITABLE: PostState[] = ['draft', 'scheduled', 'cancelled', 'failed', 'held'];
/** States whose date may be moved without opening the composer. */
export const RESCHEDULABLE: PostState[] = ['scheduled', 'draft', 'cancelled', 'held'];
const ITEM_COUNT = { feed: [1, 1], carousel: [2, 10], reel: [1, 1], story: [1, 1] } as const;
/** How long a save waits for image preparation before answering (videos keep going in the background). */
const SETTLE_MS = 8000;

export class PostsService {
  constructor(
    private readonly db: Db,
    readonly repo: PostsRepo,
    private readonly accounts: AccountsRepo,
    readonly media: MediaService,
    readonly worker: MediaWorker,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  private readonly queueListeners: Array<() => void> = [];

  /** The publishing engine re-arms its timer whenever the queue changes. */
  onQueueChange(listener: () => void): void {
    this.queueListeners.push(listener);
  }

  /** Tells the engine the queue changed (it re-arms its timer). */
  queueChanged(): void {
    for (const listener of this.queueListeners) listener();
  }

  canEdit(actor: Actor | undefined): boolean {
    return actor?.role === 'owner' || actor?.role === 'editor';
  }

  requireEditor(actor: Actor): void {
    if (!this.canEdit(actor)) throw new Forbidden('content.error.viewerOnly');
  }

  get(id: number): PostRow {
    const post = this.repo.findPost(id);
    if (!post) throw new NotFound('content.error.notFound');
    return post;
  }

  isEditable(post: PostRow): boolean {
    return EDITABLE.includes(post.state);
  }

  /**
   * One composer submit. Text problems write nothing; accepted files are kept (on a new draft if
   * needed) so nobody uploads twice; scheduling problems leave the post a saved draft.
   */
  async save(actor: Actor, postId: number | undefined, input: ComposerInput, uploads: UploadedFile[], origin: Origin): Promise<SaveOutcome> {
    this.requireEditor(actor);
    const problems: Problem[] = [...input.problems];
    if (!this.accounts.findById(input.accountId)) problems.push({ field: 'accountId', key: 'content.error.account' });
    let post = postId === undefined ? undefined : this.get(postId);
    if (post && !this.isEditable(post)) throw new Conflict('content.error.notEditable');
    const before = post ? { state: post.state, scheduledAt: post.scheduledAt } : undefined;
    if (post && post.accountId !== input.accountId && this.repo.mediaOf(post.id).length > 0) problems.push({ field: 'accountId', key: 'content.error.accountLocked' });

    if (uploads.length > 0 && !problems.some((p) => p.field === 'accountId')) {
      const created = post === undefined;
      post ??= this.createDraft(actor, input);
      problems.push(...(await this.acceptUploads(post, uploads)));
      // Every file refused on a new post: no empty draft is left behind; the form comes back as sent.
      if (created && problems.length > 0 && this.repo.mediaOf(post.id).length === 0) {
        this.repo.removePost(post.id);
        post = undefined;
      }
    }
    if (problems.length > 0) return { post, problems, notices: [] };

    const now = this.clock.now();
    const values = {
      accountId: input.accountId,
      type: input.type,
      caption: input.caption,
      firstComment: input.firstComment,
      collaborators: input.collaborators,
      shareToFeed: input.shareToFeed,
      thumbOffsetMs: input.thumbOffsetMs,
      scheduledAt: input.action === 'now' ? now : input.scheduledAt,
      timeZone: input.timeZone,
      updatedAt: now,
    };
    const saved = post ?? this.createDraft(actor, input);
    this.db.transaction(() => {
      this.repo.updatePost(saved.id, values);
      this.applyItemChanges(saved.id, input.items);
    });
    this.removeMarked(saved.id, input.items);
    await this.worker.settle(saved.id, SETTLE_MS);

    const fresh = this.get(saved.id);
    const wantsQueue = input.action === 'schedule' || input.action === 'now' || (input.action === 'refresh' && fresh.state === 'scheduled');
    if (!wantsQueue) {
      if (fresh.state !== 'draft' && input.action === 'draft') this.unschedule(fresh, 'unscheduled');
      return { post: this.get(saved.id), problems: [], notices: input.notices };
    }
    const blockers = this.publishProblems(fresh, now);
    if (blockers.length > 0) {
      if (fresh.state === 'scheduled') this.unschedule(fresh, 'unscheduled');
      return { post: this.get(saved.id), problems: blockers, notices: [] };
    }
    if (before?.state === 'scheduled' && fresh.state === 'scheduled') {
      // Already queued: same links for Meta; the log notes only a new time.
      if (before.scheduledAt !== fresh.scheduledAt) {
        this.logReschedule(actor, fresh, origin);
        this.queueChanged();
      }
    } else this.schedule(actor, fresh, origin);
    return { post: this.get(saved.id), problems: [], notices: input.notices };
  }

  private createDraft(actor: Actor, input: ComposerInput): PostRow {
    const now = this.clock.now();
    const post = this.repo.insertPost({ accountId: input.accountId, type: input.type, state: 'draft', timeZone: input.timeZone, createdBy: actor.id, createdAt: now, updatedAt: now });
    this.repo.addEvent(post.id, now, 'created');
    return post;
  }

  private async acceptUploads(post: PostRow, uploads: UploadedFile[]): Promise<Problem[]> {
    const problems: Problem[] = [];
    let position = Math.max(-1, ...this.repo.mediaOf(post.id).filter((m) => m.role === 'item').map((m) => m.position)) + 1;
    for (const upload of uploads) {
      const role = upload.field === 'cover' ? 'cover' : 'item';
      try {
        if (role === 'cover') for (const old of this.repo.mediaOf(post.id).filter((m) => m.role === 'cover')) this.removeMedia(old);
        await this.media.accept(post, upload, role, role === 'item' ? position++ : 0);
      } catch (error) {
        if (!(error instanceof MediaRejected)) throw error;
        problems.push({ field: 'media', key: error.reasonKey, params: { ...error.params, file: upload.name } });
      }
    }
    void this.worker.prepare(post.id);
    return problems;
  }

  private applyItemChanges(postId: number, changes: ItemChange[]): void {
    const rows = new Map(this.repo.mediaOf(postId).map((m) => [m.id, m]));
    for (const change of changes) {
      const row = rows.get(change.id);
      if (!row || change.remove) continue;
      this.repo.updateMedia(row.id, { fitMode: change.fitMode, focusX: change.focusX, focusY: change.focusY, background: change.background, altText: change.altText, position: change.position });
    }
    // Positions are kept dense (0, 1, 2 …) in the order the person chose.
    const items = this.repo
      .mediaOf(postId)
      .filter((m) => m.role === 'item' && !changes.some((c) => c.id === m.id && c.remove))
      .sort((a, b) => a.position - b.position || a.id - b.id);
    items.forEach((m, index) => this.repo.updateMedia(m.id, { position: index }));
  }

  private removeMarked(postId: number, changes: ItemChange[]): void {
    for (const row of this.repo.mediaOf(postId)) if (changes.some((c) => c.id === row.id && c.remove)) this.removeMedia(row);
    void this.worker.prepare(postId);
  }

  private removeMedia(row: MediaRow): void {
    this.repo.removeMedia(row.id);
    this.media.removeFiles([row]);
  }

  /** What stands between this post and the queue; empty when it can be scheduled. */
  publishProblems(post: PostRow, now: number): Problem[] {
    const problems: Problem[] = [];
    const media = this.repo.mediaOf(post.id);
    const items = media.filter((m) => m.role === 'item');
    const [min, max] = ITEM_COUNT[post.type];
    if (items.length < min || items.length > max) problems.push({ field: 'media', key: `content.error.count.${post.type}`, params: { count: items.length } });
    if (post.type === 'feed' && items.some((m) => m.kind !== 'image')) problems.push({ field: 'media', key: 'content.error.feedImage' });
    if (post.type === 'reel' && items.some((m) => m.kind !== 'video')) problems.push({ field: 'media', key: 'content.error.reelVideo' });
    if (post.type !== 'reel' && media.some((m) => m.role === 'cover')) problems.push({ field: 'media', key: 'content.error.coverReelOnly' });
    for (const m of media) {
      if (m.status === 'processing') problems.push({ field: 'media', key: 'content.error.stillProcessing' });
      if (m.status === 'failed') problems.push({ field: 'media', key: 'content.error.mediaFailed' });
    }
    if (post.type === 'reel' && items[0]?.durationMs && post.thumbOffsetMs > items[0].durationMs) problems.push({ field: 'thumbOffset', key: 'content.error.thumbOffset' });
    if (post.type === 'story' && (post.caption || post.firstComment || post.collaborators.length > 0)) problems.push({ field: 'caption', key: 'content.error.storyCaption' });
    if (post.scheduledAt === null) problems.push({ field: 'time', key: 'content.error.noTime' });
    else if (post.scheduledAt < now - 60_000) problems.push({ field: 'time', key: 'content.error.past' });
    return [...new Map(problems.map((p) => [p.key, p])).values()];
  }

  private schedule(actor: Actor, post: PostRow, origin: Origin): void {
    this.db.transaction(() => {
      // A failed or held post starts over: no container, no attempts, no reason left from before.
      const fresh = { containerId: null, containerCreatedAt: null, publishStartedAt: null, attempts: 0, nextAttemptAt: null, heldReason: null, reasonKey: null, reasonParams: null, leaseOwner: null, leaseUntil: null };
      if (!this.repo.moveState(post.id, EDITABLE, 'scheduled', fresh)) throw new Conflict('content.error.notEditable');
      this.repo.clearChildContainers(post.id);
      // Fresh public addresses each time a post is queued: an old /m/ link never comes back to life.
      for (const m of this.repo.mediaOf(post.id)) this.repo.updateMedia(m.id, { publicToken: newPublicToken() });
      this.repo.addEvent(post.id, this.clock.now(), 'scheduled', { at: post.scheduledAt ?? 0, zone: post.timeZone });
      this.audit.record({ kind: 'post.scheduled', userId: actor.id, actor: actor.username, sourceIp: origin.ip, detail: { post: post.id, type: post.type, at: post.scheduledAt } });
    });
    this.queueChanged();
  }

  private unschedule(post: PostRow, step: PostLogStep): void {
    this.db.transaction(() => {
      if (this.repo.moveState(post.id, [post.state], 'draft')) this.repo.addEvent(post.id, this.clock.now(), step);
    });
    this.queueChanged();
  }

  /** Logs and audits a new time for a post. */
  logReschedule(actor: Actor, post: PostRow, origin: Origin): void {
    this.repo.addEvent(post.id, this.clock.now(), 'rescheduled', { at: post.scheduledAt ?? 0, zone: post.timeZone });
    this.audit.record({ kind: 'post.rescheduled', userId: actor.id, actor: actor.username, sourceIp: origin.ip, detail: { post: post.id, at: post.scheduledAt } });
  }
}
