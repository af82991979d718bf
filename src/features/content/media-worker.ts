// Prepares posts' files one post at a time in the background: sharp and ffmpeg are heavy, and a
// small VPS must keep answering pages while a video transcodes.
import type { Logger } from '../../log.js';
import type { MediaService } from './media.service.js';

export class MediaWorker {
  private tail: Promise<void> = Promise.resolve();
  private readonly pending = new Map<number, Promise<void>>();

  constructor(
    private readonly media: MediaService,
    private readonly log: Logger,
  ) {}

  /** Queues the post (once, however often it is asked for); resolves when its turn is done. */
  prepare(postId: number): Promise<void> {
    const queued = this.pending.get(postId);
    if (queued) return queued;
    const job = this.tail.then(async () => {
      this.pending.delete(postId);
      try {
        await this.media.preparePost(postId);
      } catch (error) {
        this.log.error({ err: error, post: postId }, 'preparing media failed');
      }
    });
    this.pending.set(postId, job);
    this.tail = job;
    return job;
  }

  /** Waits for the post's preparation, but at most `ms`: pages answer even while a video transcodes. */
  async settle(postId: number, ms: number): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.prepare(postId), new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
    clearTimeout(timer);
  }

  /** Files left half-prepared by a stopped process are prepared again. */
  resume(): number {
    const postIds = new Set(this.media.repo.unfinishedMedia().map((row) => row.postId));
    for (const id of postIds) {
      // The recipe is cleared so the work is redone from the source file.
      for (const row of this.media.repo.mediaOf(id)) if (row.status === 'processing') this.media.repo.updateMedia(row.id, { outputRecipe: null });
      void this.prepare(id);
    }
    return postIds.size;
  }

  /** Resolves when everything queued so far is done (tests, shutdown). */
  idle(): Promise<void> {
    return this.tail;
  }
}
