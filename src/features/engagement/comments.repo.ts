// The comment cache and the media it hangs on. Comment text and usernames are sealed here and
// opened here, bound to their comment id, so nothing above this file sees ciphertext.
import { and, asc, desc, eq, inArray, lt, notInArray, or, sql, type SQL } from 'drizzle-orm';
import { deleteInChunks } from '../../db/chunked-delete.js';
import type { Db } from '../../db/client.js';
import type { Cipher } from '../../db/crypto.js';
import { comments, igMedia } from '../../db/schema.engagement.js';
import { returnedRow } from '../../db/returning.js';

export type MediaRow = typeof igMedia.$inferSelect;
type CommentRow = typeof comments.$inferSelect;

export interface CachedComment extends Omit<CommentRow, 'text' | 'username'> {
  text: string;
  username: string;
  /** The stored text could not be decrypted (key problem or tampering): shown as unavailable. */
  unreadable: boolean;
}

/** What Instagram told us about one comment (webhook or listing). */
export interface CommentFacts {
  igCommentId: string;
  igMediaId: string;
  parentId: string | null;
  fromId: string;
  own: boolean;
  username: string;
  text: string;
  writtenAt: number;
  /** Only listings say whether it is hidden; a webhook leaves the stored value alone. */
  hidden?: boolean;
  likeCount?: number;
}

export interface MediaFacts {
  igMediaId: string;
  mediaType?: string | null;
  productType?: string | null;
  caption?: string | null;
  permalink?: string | null;
  thumbnailUrl?: string | null;
  postedAt?: number | null;
  commentsCount?: number | null;
  commentsEnabled?: boolean;
}

const ref = (column: 'text' | 'username', igCommentId: string) => ({ table: 'comments', column, row: igCommentId });

/** How long the navigation's "needs a reply" count is reused (real time), and how far the window may move meanwhile. */
const BADGE_TTL_MS = 5000;
const BADGE_SINCE_SLACK_MS = 60_000;

export class CommentsRepo {
  private readonly badges = new Map<number, { n: number; since: number; at: number }>();

  constructor(
    private readonly db: Db,
    private readonly cipher: Cipher,
  ) {}

  upsertMedia(accountId: number, facts: MediaFacts, now: number): MediaRow {
    const fields = Object.fromEntries(Object.entries({ ...facts, fetchedAt: now }).filter(([, v]) => v !== undefined)) as Partial<MediaRow>;
    return returnedRow(
      this.db
        .insert(igMedia)
        .values({ accountId, igMediaId: facts.igMediaId, fetchedAt: now, ...fields })
        .onConflictDoUpdate({ target: [igMedia.accountId, igMedia.igMediaId], set: fields })
        .returning()
        .all(),
    );
  }

  media(accountId: number, igMediaId: string): MediaRow | undefined {
    return this.db.select().from(igMedia).where(and(eq(igMedia.accountId, accountId), eq(igMedia.igMediaId, igMediaId))).get();
  }

  mediaList(accountId: number): MediaRow[] {
    return this.db.select().from(igMedia).where(eq(igMedia.accountId, accountId)).orderBy(desc(igMedia.postedAt), desc(igMedia.id)).all();
  }

  /** Insert or refresh; returns whether the comment is new to the cache. */
  upsert(accountId: number, facts: CommentFacts, now: number): { created: boolean } {
    this.badges.clear();
    const existing = this.db.select({ id: comments.id }).from(comments).where(eq(comments.igCommentId, facts.igCommentId)).get();
    const sealed = {
      text: this.cipher.seal(facts.text, ref('text', facts.igCommentId)),
      username: this.cipher.seal(facts.username, ref('username', facts.igCommentId)),
    };
    if (existing) {
      this.db
        .update(comments)
        .set({
          ...sealed,
          fetchedAt: now,
          writtenAt: facts.writtenAt,
          ...(facts.hidden !== undefined ? { hidden: facts.hidden } : {}),
          ...(facts.likeCount !== undefined ? { likeCount: facts.likeCount } : {}),
        })
        .where(eq(comments.id, existing.id))
        .run();
      return { created: false };
    }
    this.db
      .insert(comments)
      .values({
        accountId,
        igCommentId: facts.igCommentId,
        igMediaId: facts.igMediaId,
        parentId: facts.parentId,
        fromId: facts.fromId,
        own: facts.own,
        ...sealed,
        hidden: facts.hidden ?? false,
        likeCount: facts.likeCount ?? null,
        writtenAt: facts.writtenAt,
        fetchedAt: now,
      })
      .run();
    return { created: true };
  }

  find(accountId: number, igCommentId: string): CachedComment | undefined {
    const row = this.db.select().from(comments).where(and(eq(comments.accountId, accountId), eq(comments.igCommentId, igCommentId))).get();
    return row ? this.open(row) : undefined;
  }

  /** Every cached comment of the account, newest first (the cache holds at most a day of them). */
  all(accountId: number): CachedComment[] {
    return this.db.select().from(comments).where(eq(comments.accountId, accountId)).orderBy(desc(comments.writtenAt), desc(comments.id)).all().map((row) => this.open(row));
  }

  /**
   * One page of top-level comments, newest first, filtered in SQL, with the total; only the page's
   * rows are decrypted. "Needs a reply" is the same rule as needsReplyCount.
   */
  topLevelPage(accountId: number, where: { filter: 'all' | 'needs_reply' | 'hidden'; mediaId?: string | undefined; since: number }, limit: number, offset: number): { rows: CachedComment[]; total: number } {
    const conditions: SQL[] = [sql`c.account_id = ${accountId}`, sql`c.parent_id IS NULL`];
    if (where.mediaId) conditions.push(sql`c.ig_media_id = ${where.mediaId}`);
    if (where.filter === 'hidden') conditions.push(sql`c.hidden = 1`);
    if (where.filter === 'needs_reply') {
      conditions.push(sql`c.own = 0 AND c.hidden = 0 AND c.written_at >= ${where.since} AND c.done_at IS NULL AND c.private_reply_at IS NULL`);
      conditions.push(sql`NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = c.ig_comment_id AND r.own = 1)`);
    }
    const filter = sql.join(conditions, sql` AND `);
    const total = this.db.get<{ n: number }>(sql`SELECT count(*) AS n FROM comments c WHERE ${filter}`).n;
    const ids = this.db.all<{ id: number }>(sql`SELECT c.id FROM comments c WHERE ${filter} ORDER BY c.written_at DESC, c.id DESC LIMIT ${limit} OFFSET ${offset}`).map((r) => r.id);
    if (ids.length === 0) return { rows: [], total };
    const rows = this.db.select().from(comments).where(inArray(comments.id, ids)).orderBy(desc(comments.writtenAt), desc(comments.id)).all();
    return { rows: rows.map((row) => this.open(row)), total };
  }

  /** The replies to these comments, oldest first. */
  repliesTo(accountId: number, parentIds: string[]): CachedComment[] {
    if (parentIds.length === 0) return [];
    return this.db
      .select()
      .from(comments)
      .where(and(eq(comments.accountId, accountId), inArray(comments.parentId, parentIds)))
      .orderBy(asc(comments.writtenAt), asc(comments.id))
      .all()
      .map((row) => this.open(row));
  }

  /** A comment and its replies leave together (Instagram deletes replies with their comment). */
  remove(accountId: number, igCommentId: string): void {
    this.badges.clear();
    this.db
      .delete(comments)
      .where(and(eq(comments.accountId, accountId), or(eq(comments.igCommentId, igCommentId), eq(comments.parentId, igCommentId))))
      .run();
  }

  /** After a complete listing of one media: whatever Instagram no longer lists was deleted there. */
  removeMissing(accountId: number, igMediaId: string, seen: string[]): number {
    this.badges.clear();
    const where = and(eq(comments.accountId, accountId), eq(comments.igMediaId, igMediaId), seen.length > 0 ? notInArray(comments.igCommentId, seen) : undefined);
    return this.db.delete(comments).where(where).run().changes;
  }

  setHidden(accountId: number, igCommentId: string, hidden: boolean): void {
    this.badges.clear();
    this.db.update(comments).set({ hidden }).where(and(eq(comments.accountId, accountId), eq(comments.igCommentId, igCommentId))).run();
  }

  setPrivateReply(accountId: number, igCommentId: string, at: number): void {
    this.badges.clear();
    this.db.update(comments).set({ privateReplyAt: at }).where(and(eq(comments.accountId, accountId), eq(comments.igCommentId, igCommentId))).run();
  }

  setDone(accountId: number, igCommentId: string, at: number | null): void {
    this.badges.clear();
    this.db.update(comments).set({ doneAt: at }).where(and(eq(comments.accountId, accountId), eq(comments.igCommentId, igCommentId))).run();
  }

  setCommentsEnabled(accountId: number, igMediaId: string, enabled: boolean): void {
    this.db.update(igMedia).set({ commentsEnabled: enabled }).where(and(eq(igMedia.accountId, accountId), eq(igMedia.igMediaId, igMediaId))).run();
  }

  /** Rows Instagram has not confirmed since `cutoff` (the 24 h promise); media go once no comment needs them. */
  async purgeOlderThan(cutoff: number): Promise<{ comments: number; media: number }> {
    this.badges.clear();
    // In chunks: a cache of a million stale rows must not hold requests up while it goes.
    const removed = await deleteInChunks(this.db, 'comments', sql`fetched_at < ${cutoff}`);
    const stillUsed = this.db.select({ id: comments.igMediaId }).from(comments);
    const media = this.db
      .delete(igMedia)
      .where(and(lt(igMedia.fetchedAt, cutoff), notInArray(igMedia.igMediaId, stillUsed)))
      .run().changes;
    return { comments: removed, media };
  }

  /**
   * Top-level comments by other people since `since`, visible, not marked done, with no reply from
   * the account (public or private): counted in SQL so the navigation badge decrypts nothing.
   */
  needsReplyCount(accountId: number, since: number): number {
    // Every page shows this count: it is kept for a few seconds unless a comment changes meanwhile
    // (every write above clears it), so a busy inbox is not counted again for each request.
    const cached = this.badges.get(accountId);
    if (cached && Math.abs(cached.since - since) < BADGE_SINCE_SLACK_MS && performance.now() - cached.at < BADGE_TTL_MS) return cached.n;
    const row = this.db.get<{ n: number }>(sql`
      SELECT count(*) AS n FROM comments c
      WHERE c.account_id = ${accountId} AND c.parent_id IS NULL AND c.own = 0 AND c.hidden = 0 AND c.written_at >= ${since}
        AND c.done_at IS NULL AND c.private_reply_at IS NULL
        AND NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = c.ig_comment_id AND r.own = 1)`);
    this.badges.set(accountId, { n: row.n, since, at: performance.now() });
    return row.n;
  }

  private open(row: CommentRow): CachedComment {
    try {
      return { ...row, text: this.cipher.open(row.text, ref('text', row.igCommentId)), username: this.cipher.open(row.username, ref('username', row.igCommentId)), unreadable: false };
    } catch {
      return { ...row, text: '', username: '', unreadable: true };
    }
  }
}
