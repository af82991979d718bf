// The engine's queries. Every write of an in-flight post is conditional on holding its lease, so a
// process that lost the post (or was replaced after a crash) can never record a step for it.
import { and, asc, eq, inArray, isNull, lt, lte, ne, or, sql } from 'drizzle-orm';
import type { DbHandle } from '../../db/client.js';
import { accounts, postMedia, posts, type PostState } from '../../db/schema.js';
import type { NewPostRow, PostRow } from '../content/posts.repo.js';

/** States the engine moves a post through; a post in one of them is "in flight". */
export const ENGINE_STATES: PostState[] = ['claimed', 'container_created', 'ready', 'publishing'];

export class PublishingRepo {
  constructor(private readonly handle: DbHandle) {}

  private get db() {
    return this.handle.orm;
  }

  /** Scheduled posts whose time has come, of accounts that work (a paused account's posts wait). */
  dueIds(now: number, limit: number): number[] {
    return this.db
      .select({ id: posts.id })
      .from(posts)
      .innerJoin(accounts, eq(accounts.id, posts.accountId))
      .where(and(eq(posts.state, 'scheduled'), lte(posts.scheduledAt, now), eq(accounts.status, 'ok'), or(isNull(posts.nextAttemptAt), lte(posts.nextAttemptAt, now))))
      .orderBy(asc(posts.scheduledAt), asc(posts.id))
      .limit(limit)
      .all()
      .map((r) => r.id);
  }

  /**
   * In-flight posts ready for their next step whose lease is free: never taken, released while
   * waiting, or expired (leases of a dead process are cleared at start-up). Published posts whose
   * first comment is still owed are included.
   */
  resumableIds(now: number, limit: number): number[] {
    const leaseFree = or(isNull(posts.leaseUntil), lt(posts.leaseUntil, now));
    const firstCommentOwed = and(eq(posts.state, 'published'), ne(posts.firstComment, ''), or(isNull(posts.firstCommentState), eq(posts.firstCommentState, 'posting')));
    const overQuota = and(eq(posts.state, 'held'), eq(posts.heldReason, 'quota'));
    // A permalink not read before a crash or an error is read later, a few times at most.
    const permalinkOwed = and(eq(posts.state, 'published'), isNull(posts.permalink), sql`${posts.igMediaId} IS NOT NULL`, lt(posts.attempts, 3));
    return this.db
      .select({ id: posts.id })
      .from(posts)
      .innerJoin(accounts, eq(accounts.id, posts.accountId))
      .where(and(or(inArray(posts.state, ENGINE_STATES), firstCommentOwed, overQuota, permalinkOwed), leaseFree, eq(accounts.status, 'ok'), or(isNull(posts.nextAttemptAt), lte(posts.nextAttemptAt, now))))
      .orderBy(asc(posts.scheduledAt), asc(posts.id))
      .limit(limit)
      .all()
      .map((r) => r.id);
  }

  /**
   * Takes the post for `leaseMs`: one conditional UPDATE inside BEGIN IMMEDIATE, so two takers
   * can never both succeed. A scheduled post becomes claimed; an in-flight one keeps its state.
   */
  claim(id: number, owner: string, now: number, leaseMs: number): { post: PostRow; arrived: boolean } | undefined {
    const take = this.handle.sqlite.transaction(() => {
      const before = this.handle.sqlite.prepare('SELECT state FROM posts WHERE id = ?').get(id) as { state: PostState } | undefined;
      const result = this.handle.sqlite
        .prepare(
          `UPDATE posts SET lease_owner = ?, lease_until = ?, state = CASE WHEN state = 'scheduled' THEN 'claimed' ELSE state END
           WHERE id = ? AND (state = 'scheduled' AND scheduled_at <= ? OR state IN ('claimed', 'container_created', 'ready', 'publishing', 'published')
                             OR state = 'held' AND held_reason = 'quota')
             AND (lease_until IS NULL OR lease_until < ? OR lease_owner = ?)`,
        )
        .run(owner, now + leaseMs, id, now, now, owner);
      return result.changes === 1 ? { arrived: before?.state === 'scheduled' } : undefined;
    });
    const taken = take.immediate();
    const post = taken ? this.find(id) : undefined;
    return taken && post ? { post, arrived: taken.arrived } : undefined;
  }

  transaction<T>(work: () => T): T {
    return this.handle.orm.transaction(work);
  }

  find(id: number): PostRow | undefined {
    return this.db.select().from(posts).where(eq(posts.id, id)).get();
  }

  /** Records a step; false when this process no longer holds the lease (nothing is written). */
  update(id: number, owner: string, values: Partial<NewPostRow>): boolean {
    return this.db.update(posts).set(values).where(and(eq(posts.id, id), eq(posts.leaseOwner, owner))).run().changes === 1;
  }

  /** Lets go of the post until `nextAttemptAt` (null = the next pass). */
  release(id: number, owner: string, nextAttemptAt: number | null): void {
    this.db.update(posts).set({ leaseOwner: null, leaseUntil: null, nextAttemptAt }).where(and(eq(posts.id, id), eq(posts.leaseOwner, owner))).run();
  }

  /** Owners holding leases right now, for the start-up check of which of them are dead. */
  leaseOwners(): string[] {
    return this.db
      .selectDistinct({ owner: posts.leaseOwner })
      .from(posts)
      .where(sql`${posts.leaseOwner} IS NOT NULL`)
      .all()
      .map((r) => r.owner as string);
  }

  /** Frees the leases of a process that is known to be gone (killed, crashed). */
  freeLeasesOf(owner: string): number {
    return this.db.update(posts).set({ leaseOwner: null, leaseUntil: null }).where(eq(posts.leaseOwner, owner)).run().changes;
  }

  setChildContainer(mediaId: number, containerId: string | null): void {
    this.db.update(postMedia).set({ childContainerId: containerId }).where(eq(postMedia.id, mediaId)).run();
  }

  clearChildContainers(postId: number): void {
    this.db.update(postMedia).set({ childContainerId: null }).where(eq(postMedia.postId, postId)).run();
  }

  /** When the engine should look again: the earliest due post or in-flight retry. */
  nextWakeAt(): number | undefined {
    const row = this.handle.sqlite
      .prepare(
        `SELECT min(t) AS at FROM (
           SELECT max(scheduled_at, coalesce(next_attempt_at, 0)) AS t FROM posts p JOIN accounts a ON a.id = p.account_id
             WHERE p.state = 'scheduled' AND a.status = 'ok'
           UNION ALL
           SELECT coalesce(next_attempt_at, 0) AS t FROM posts p JOIN accounts a ON a.id = p.account_id
             WHERE a.status = 'ok' AND (p.state IN ('claimed', 'container_created', 'ready', 'publishing') OR (p.state = 'held' AND p.held_reason = 'quota')
               OR (p.state = 'published' AND p.first_comment <> '' AND (p.first_comment_state IS NULL OR p.first_comment_state = 'posting'))))`,
      )
      .get() as { at: number | null };
    return row.at ?? undefined;
  }

  /** Scheduled posts of accounts that need reconnecting: shown as paused. */
  pausedCount(): number {
    return (
      this.db
        .select({ n: sql<number>`count(*)` })
        .from(posts)
        .innerJoin(accounts, eq(accounts.id, posts.accountId))
        .where(and(inArray(posts.state, ['scheduled', ...ENGINE_STATES]), ne(accounts.status, 'ok')))
        .get()?.n ?? 0
    );
  }
}
