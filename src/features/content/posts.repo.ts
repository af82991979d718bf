import { and, asc, desc, eq, gte, inArray, isNull, lt, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from '../../db/client.js';
import { accounts, hashtagSets, postEvents, postMedia, posts, type PostState } from '../../db/schema.js';
import { returnedRow } from '../../db/returning.js';

export type PostRow = typeof posts.$inferSelect;
export type NewPostRow = typeof posts.$inferInsert;
export type MediaRow = typeof postMedia.$inferSelect;
export type NewMediaRow = typeof postMedia.$inferInsert;
export type PostEventRow = typeof postEvents.$inferSelect;
export type HashtagSetRow = typeof hashtagSets.$inferSelect;

/** States in which Meta may fetch the post's files: queued or being published. */
export const LIVE_STATES: PostState[] = ['scheduled', 'claimed', 'container_created', 'ready', 'publishing'];
/** States the engine owns; content must not edit or delete a post in them. */
export const IN_FLIGHT_STATES: PostState[] = ['claimed', 'container_created', 'ready', 'publishing'];

/** Steps of the status log a post shows (each has a content.log.<step> text). */
export const POST_LOG_STEPS = [
  'created',
  'scheduled',
  'rescheduled',
  'unscheduled',
  'cancelled',
  // the publishing engine's steps
  'claimed',
  'container_created',
  'processing',
  'ready',
  'publishing',
  'publish_unclear',
  'reconciled',
  'searching',
  'published',
  'first_comment_posted',
  'first_comment_failed',
  'retry',
  'held',
  'paused',
  'container_expired',
  'failed',
  'needs_attention',
  'decided_published',
  'decided_retry',
] as const;
export type PostLogStep = (typeof POST_LOG_STEPS)[number];

export interface PostFilter {
  accountId?: number;
  states?: PostState[];
  /** Scheduled in [from, to) (UTC ms); drafts without a date are left out when a range is given. */
  from?: number;
  to?: number;
}

export interface PostListing extends PostRow {
  username: string;
  firstItem: Pick<MediaRow, 'id' | 'kind' | 'status' | 'outputFile' | 'posterFile'> | undefined;
  itemCount: number;
}

export class PostsRepo {
  constructor(private readonly db: Db) {}

  findPost(id: number): PostRow | undefined {
    return this.db.select().from(posts).where(eq(posts.id, id)).get();
  }

  insertPost(row: NewPostRow): PostRow {
    return returnedRow(this.db.insert(posts).values(row).returning().all());
  }

  updatePost(id: number, values: Partial<NewPostRow>): void {
    this.db.update(posts).set(values).where(eq(posts.id, id)).run();
  }

  /** Only moves a post that is still in one of `from`; false when someone else moved it first. */
  moveState(id: number, from: PostState[], to: PostState, values: Partial<NewPostRow> = {}): boolean {
    const result = this.db
      .update(posts)
      .set({ ...values, state: to })
      .where(and(eq(posts.id, id), inArray(posts.state, from)))
      .run();
    return result.changes === 1;
  }

  clearChildContainers(postId: number): void {
    this.db.update(postMedia).set({ childContainerId: null }).where(eq(postMedia.postId, postId)).run();
  }

  removePost(id: number): void {
    this.db.delete(posts).where(eq(posts.id, id)).run();
  }

  private whereOf(filter: PostFilter): SQL | undefined {
    const where: SQL[] = [];
    if (filter.accountId !== undefined) where.push(eq(posts.accountId, filter.accountId));
    if (filter.states && filter.states.length > 0) where.push(inArray(posts.state, filter.states));
    if (filter.from !== undefined) where.push(gte(posts.scheduledAt, filter.from));
    if (filter.to !== undefined) where.push(lt(posts.scheduledAt, filter.to));
    return where.length > 0 ? and(...where) : undefined;
  }

  count(filter: PostFilter): number {
    return this.db.select({ n: sql<number>`count(*)` }).from(posts).where(this.whereOf(filter)).get()?.n ?? 0;
  }

  list(filter: PostFilter, limit = 500, offset = 0): PostListing[] {
    const rows = this.db
      .select({ post: posts, username: accounts.username })
      .from(posts)
      .innerJoin(accounts, eq(accounts.id, posts.accountId))
      .where(this.whereOf(filter))
      // Undated drafts last, then by time; newest edits first among equals.
      .orderBy(sql`${posts.scheduledAt} IS NULL`, asc(posts.scheduledAt), desc(posts.updatedAt))
      .limit(limit)
      .offset(offset)
      .all();
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.post.id);
    const items = this.db
      .select({ id: postMedia.id, postId: postMedia.postId, kind: postMedia.kind, status: postMedia.status, outputFile: postMedia.outputFile, posterFile: postMedia.posterFile, position: postMedia.position })
      .from(postMedia)
      .where(and(inArray(postMedia.postId, ids), eq(postMedia.role, 'item')))
      .orderBy(asc(postMedia.position))
      .all();
    const byPost = new Map<number, typeof items>();
    for (const item of items) byPost.set(item.postId, [...(byPost.get(item.postId) ?? []), item]);
    return rows.map(({ post, username }) => {
      const list = byPost.get(post.id) ?? [];
      return { ...post, username, firstItem: list[0], itemCount: list.length };
    });
  }

  // --- media -----------------------------------------------------------------------------

  mediaOf(postId: number): MediaRow[] {
    return this.db.select().from(postMedia).where(eq(postMedia.postId, postId)).orderBy(asc(postMedia.role), asc(postMedia.position), asc(postMedia.id)).all();
  }

  findMedia(id: number): MediaRow | undefined {
    return this.db.select().from(postMedia).where(eq(postMedia.id, id)).get();
  }

  insertMedia(row: NewMediaRow): MediaRow {
    return returnedRow(this.db.insert(postMedia).values(row).returning().all());
  }

  updateMedia(id: number, values: Partial<NewMediaRow>): void {
    this.db.update(postMedia).set(values).where(eq(postMedia.id, id)).run();
  }

  removeMedia(id: number): void {
    this.db.delete(postMedia).where(eq(postMedia.id, id)).run();
  }

  /** Work left over from a previous run (the process stopped mid-way). */
  unfinishedMedia(): MediaRow[] {
    return this.db.select().from(postMedia).where(or(eq(postMedia.status, 'processing'), and(eq(postMedia.status, 'ready'), isNull(postMedia.outputFile)))).all();
  }

  /** The file behind /m/<token>, only while its post may still be fetched by Meta. */
  publicMedia(token: string): MediaRow | undefined {
    return this.db
      .select({ media: postMedia })
      .from(postMedia)
      .innerJoin(posts, eq(posts.id, postMedia.postId))
      .where(and(eq(postMedia.publicToken, token), inArray(posts.state, LIVE_STATES), eq(postMedia.status, 'ready')))
      .get()?.media;
  }

  // --- status log ------------------------------------------------------------------------

  addEvent(postId: number, at: number, step: PostLogStep, detail: Record<string, string | number> = {}): void {
    this.db.insert(postEvents).values({ postId, at, step, detail }).run();
  }

  eventsOf(postId: number): PostEventRow[] {
    return this.db.select().from(postEvents).where(eq(postEvents.postId, postId)).orderBy(asc(postEvents.at), asc(postEvents.id)).all();
  }

  // --- hashtag sets ----------------------------------------------------------------------

  hashtagSets(): HashtagSetRow[] {
    return this.db.select().from(hashtagSets).orderBy(asc(hashtagSets.name)).all();
  }

  findHashtagSet(id: number): HashtagSetRow | undefined {
    return this.db.select().from(hashtagSets).where(eq(hashtagSets.id, id)).get();
  }

  insertHashtagSet(name: string, tags: string, at: number): HashtagSetRow {
    return returnedRow(this.db.insert(hashtagSets).values({ name, tags, createdAt: at }).returning().all());
  }

  removeHashtagSet(id: number): void {
    this.db.delete(hashtagSets).where(eq(hashtagSets.id, id)).run();
  }
}
