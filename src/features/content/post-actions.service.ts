// Queue actions on one post, apart from the composer: cancel, delete (files at once), duplicate,
// move to another time, and the owner's decision on a post Instagram could not confirm.
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import { Conflict } from '../../errors.js';
import { fromLocal, toLocal } from '../../time-zone.js';
import type { AuditService } from '../audit/audit.service.js';
import type { Actor, Origin } from '../users/users.service.js';
import { addDays } from './calendar.view.js';
import { newPublicToken } from './media.service.js';
import { IN_FLIGHT_STATES, type PostRow } from './posts.repo.js';
import { RESCHEDULABLE, type PostsService, type Problem } from './posts.service.js';

export class PostActionsService {
  constructor(
    private readonly db: Db,
    private readonly posts: PostsService,
    private readonly audit: AuditService,
    private readonly clock: Clock,
  ) {}

  cancel(actor: Actor, id: number, origin: Origin): PostRow {
    this.posts.requireEditor(actor);
    const post = this.posts.get(id);
    this.db.transaction(() => {
      if (!this.posts.repo.moveState(id, ['scheduled', 'held'], 'cancelled')) throw new Conflict('content.error.notCancellable');
      this.posts.repo.addEvent(id, this.clock.now(), 'cancelled');
      this.audit.record({ kind: 'post.cancelled', userId: actor.id, actor: actor.username, sourceIp: origin.ip, detail: { post: id } });
    });
    this.posts.queueChanged();
    return { ...post, state: 'cancelled' };
  }

  /** Deletes the post, its status log and its files (the files at once: a promise of the privacy policy). */
  remove(actor: Actor, id: number, origin: Origin): PostRow {
    this.posts.requireEditor(actor);
    const post = this.posts.get(id);
    if (IN_FLIGHT_STATES.includes(post.state)) throw new Conflict('content.error.inFlight');
    const media = this.posts.repo.mediaOf(id);
    this.db.transaction(() => {
      this.posts.repo.removePost(id);
      this.audit.record({ kind: 'post.deleted', userId: actor.id, actor: actor.username, sourceIp: origin.ip, detail: { post: id, type: post.type, state: post.state, files: media.length } });
    });
    this.posts.media.removeFiles(media);
    this.posts.queueChanged();
    return post;
  }

  /** A copy as a new undated draft, with its own copies of the files. */
  duplicate(actor: Actor, id: number): PostRow {
    this.posts.requireEditor(actor);
    const original = this.posts.get(id);
    const now = this.clock.now();
    const media = this.posts.repo.mediaOf(id);
    const copies = media.map((m) => ({ row: m, files: this.posts.media.copyFiles(m) }));
    return this.db.transaction(() => {
      const post = this.posts.repo.insertPost({ ...original, id: undefined, state: 'draft', scheduledAt: null, createdBy: actor.id, createdAt: now, updatedAt: now });
      for (const { row, files } of copies) this.posts.repo.insertMedia({ ...row, ...files, id: undefined, postId: post.id, publicToken: newPublicToken(), createdAt: now });
      this.posts.repo.addEvent(post.id, now, 'created', { from: id });
      return post;
    });
  }

  /** Moves a post to another time chosen on the quick form: a date, a time and the zone they are in. */
  reschedule(actor: Actor, id: number, at: number, timeZone: string, origin: Origin): Problem[] {
    this.posts.requireEditor(actor);
    const post = this.posts.get(id);
    if (!RESCHEDULABLE.includes(post.state)) throw new Conflict('content.error.notEditable');
    if (at < this.clock.now() - 60_000) return [{ field: 'time', key: 'content.error.past' }];
    this.db.transaction(() => {
      this.posts.repo.updatePost(id, { scheduledAt: at, timeZone, updatedAt: this.clock.now() });
      this.posts.logReschedule(actor, { ...post, scheduledAt: at, timeZone }, origin);
    });
    this.posts.queueChanged();
    return [];
  }

  /**
   * Moves a post by whole days (a drag on the calendar), keeping its wall-clock time in its own
   * zone: a 09:00 Berlin post stays 09:00 in Berlin whoever drags it and whatever DST does.
   */
  shiftDays(actor: Actor, id: number, days: number, origin: Origin): { problems: Problem[]; notices: Problem[] } {
    this.posts.requireEditor(actor);
    const post = this.posts.get(id);
    if (!RESCHEDULABLE.includes(post.state) || post.scheduledAt === null) throw new Conflict('content.error.notEditable');
    const local = toLocal(post.scheduledAt, post.timeZone);
    const date = addDays(local.date, days);
    const result = fromLocal(date, local.time, post.timeZone);
    if (!result) return { problems: [{ field: 'time', key: 'content.error.timeFormat' }], notices: [] };
    if (result.kind === 'gap') return { problems: [{ field: 'time', key: 'content.error.dstGap', params: { date, time: local.time, zone: post.timeZone, after: result.after.time } }], notices: [] };
    const notices: Problem[] = result.kind === 'ambiguous' ? [{ field: 'time', key: 'content.notice.dstAmbiguousShort', params: { time: local.time, zone: post.timeZone } }] : [];
    const at = result.kind === 'ok' ? result.at : result.earlier;
    return { problems: this.reschedule(actor, id, at, post.timeZone, origin), notices };
  }


  /**
   * The owner's decision on a post whose outcome Instagram could not confirm: it is on Instagram
   * (recorded as published), or it is not (queued again now, with a new container).
   */
  resolveAttention(actor: Actor, id: number, outcome: 'published' | 'retry', origin: Origin): void {
    this.posts.requireEditor(actor);
    const now = this.clock.now();
    this.db.transaction(() => {
      const moved =
        outcome === 'published'
          ? this.posts.repo.moveState(id, ['needs_attention'], 'published', { publishedAt: now, reasonKey: null, reasonParams: null })
          : this.posts.repo.moveState(id, ['needs_attention'], 'scheduled', { scheduledAt: now, containerId: null, containerCreatedAt: null, publishStartedAt: null, attempts: 0, nextAttemptAt: null, reasonKey: null, reasonParams: null });
      if (!moved) throw new Conflict('content.error.notAttention');
      if (outcome === 'retry') this.posts.repo.clearChildContainers(id);
      this.posts.repo.addEvent(id, now, outcome === 'published' ? 'decided_published' : 'decided_retry');
      this.audit.record({ kind: 'post.decided', userId: actor.id, actor: actor.username, sourceIp: origin.ip, detail: { post: id, outcome } });
    });
    this.posts.queueChanged();
  }
}
