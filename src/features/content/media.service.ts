// A post's files: taken over from an upload, prepared so Instagram accepts them the first time,
// and deleted with the post. Preparation runs in the background (MediaWorker); what it produces
// is exactly what /m/<token> serves and what the composer's preview shows.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../clock.js';
import type { MediaConfig } from '../../config.js';
import type { PostType } from '../../db/schema.js';
import type { Logger } from '../../log.js';
import { detectKind } from './media/detect.js';
import { inspectImage, outputRatio, prepareImage, type Fit } from './media/image.js';
import { FEED_RATIO, MediaRejected, type ImageUse, type VideoUse } from './media/rules.js';
import { checkVideo, extractFrame, probeVideo, transcodeVideo } from './media/video.js';
import type { MediaRow, PostRow, PostsRepo } from './posts.repo.js';

const randomName = (ext: string) => `${crypto.randomBytes(16).toString('hex')}${ext}`;
export const newPublicToken = () => crypto.randomBytes(24).toString('base64url');

/** What a file is prepared for, from the post's type and the file's place in it. */
function useOf(type: PostType, row: Pick<MediaRow, 'kind' | 'role'>): { image: ImageUse; video: VideoUse } {
  if (row.role === 'cover') return { image: 'story', video: 'reel' };
  if (type === 'story') return { image: 'story', video: 'story' };
  if (type === 'reel') return { image: 'feed', video: 'reel' };
  return { image: 'feed', video: type === 'carousel' ? 'carousel' : 'reel' };
}

const clamp = (n: number, min: number, max: number) => Math.min(max, Math.max(min, n));

export class MediaService {
  /** Transcodes in progress, so deleting a post stops its ffmpeg at once. */
  private readonly running = new Map<number, AbortController>();

  constructor(
    readonly repo: PostsRepo,
    private readonly dataDir: string,
    readonly limits: MediaConfig,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {}

  dirOf(accountId: number): string {
    return path.join(this.dataDir, 'media', String(accountId));
  }

  /** Uploads land here first (same disk, so taking one over is a rename). */
  get incomingDir(): string {
    return path.join(this.dataDir, 'media', '.incoming');
  }

  fileOf(row: Pick<MediaRow, 'accountId'>, name: string): string {
    return path.join(this.dirOf(row.accountId), path.basename(name));
  }

  /**
   * Checks an uploaded file by its bytes and takes it over as a post's item or cover. Throws
   * MediaRejected (the upload is deleted) when it can never be used.
   */
  async accept(post: PostRow, upload: { path: string; bytes: number }, role: 'item' | 'cover', position: number): Promise<MediaRow> {
    try {
      const detected = await detectKind(upload.path);
      if (role === 'cover' && detected.kind !== 'image') throw new MediaRejected('media.reason.coverImage');
      let dims: { width: number; height: number; durationMs?: number };
      if (detected.kind === 'image') dims = await inspectImage(upload.path, this.limits.maxInputPixels);
      else {
        if (upload.bytes > this.limits.maxVideoBytes) throw new MediaRejected('media.reason.videoTooLarge', { mb: Math.round(this.limits.maxVideoBytes / 1048576) });
        const probe = await probeVideo(upload.path);
        dims = { width: probe.width, height: probe.height, durationMs: probe.durationMs };
      }
      const dir = this.dirOf(post.accountId);
      fs.mkdirSync(dir, { recursive: true });
      const sourceFile = randomName(`.${detected.ext}`);
      fs.renameSync(upload.path, path.join(dir, sourceFile));
      return this.repo.insertMedia({
        postId: post.id,
        accountId: post.accountId,
        role,
        position,
        kind: detected.kind,
        status: 'processing',
        sourceFile,
        sourceMime: detected.mime,
        sourceBytes: upload.bytes,
        width: dims.width,
        height: dims.height,
        durationMs: dims.durationMs ?? null,
        fitMode: post.type === 'story' ? 'pad' : 'crop',
        publicToken: newPublicToken(),
        createdAt: this.clock.now(),
      });
    } finally {
      fs.rmSync(upload.path, { force: true });
    }
  }

  /** Prepares every file of the post whose recipe changed; items in order, the first sets a carousel's ratio. */
  async preparePost(postId: number): Promise<void> {
    const post = this.repo.findPost(postId);
    if (!post) return;
    let fixedRatio: number | undefined;
    for (const row of this.repo.mediaOf(postId)) {
      const current = this.repo.findMedia(row.id);
      if (!current) continue;
      const use = useOf(post.type, current);
      const ratio = current.role === 'item' && current.position > 0 && post.type === 'carousel' ? fixedRatio : undefined;
      const recipe = current.kind === 'image' ? this.imageRecipe(use.image, current, ratio) : `video:${use.video}:t=${post.type === 'reel' ? post.thumbOffsetMs : 0}`;
      if (current.outputRecipe !== recipe) await this.prepareOne(post, current, recipe, use, ratio);
      const done = this.repo.findMedia(row.id);
      if (post.type === 'carousel' && current.role === 'item' && fixedRatio === undefined && done?.outputWidth && done.outputHeight) {
        fixedRatio = clamp(done.outputWidth / done.outputHeight, FEED_RATIO.min, FEED_RATIO.max);
      }
    }
  }

  private imageRecipe(use: ImageUse, row: MediaRow, fixedRatio: number | undefined): string {
    const fit = row.role === 'cover' ? 'crop:0.5:0.5' : `${row.fitMode}:${row.focusX.toFixed(3)}:${row.focusY.toFixed(3)}:${row.background}`;
    return `image:${use}:${fit}:${fixedRatio === undefined ? '-' : fixedRatio.toFixed(4)}`;
  }

  private async prepareOne(post: PostRow, row: MediaRow, recipe: string, use: { image: ImageUse; video: VideoUse }, fixedRatio: number | undefined): Promise<void> {
    this.repo.updateMedia(row.id, { status: 'processing', progress: 0, errorKey: null, errorParams: null });
    const source = this.fileOf(row, row.sourceFile);
    const dir = this.dirOf(row.accountId);
    const made: string[] = [];
    try {
      let update: Parameters<PostsRepo['updateMedia']>[1];
      if (row.kind === 'image') {
        const outputFile = randomName('.jpg');
        made.push(outputFile);
        const fit: Fit = row.role === 'cover' ? { mode: 'crop', focusX: 0.5, focusY: 0.5, background: 'blur' } : { mode: row.fitMode, focusX: row.focusX, focusY: row.focusY, background: row.background };
        const result = await prepareImage(source, path.join(dir, outputFile), { use: use.image, fit, ...(fixedRatio === undefined ? {} : { fixedRatio }), pixelLimit: this.limits.maxInputPixels });
        update = { outputFile, outputWidth: result.width, outputHeight: result.height, outputBytes: result.bytes, notes: result.warnings, posterFile: null };
      } else {
        update = await this.prepareVideo(post, row, recipe, use.video, made);
      }
      if (!this.repo.findMedia(row.id)) throw new Error('deleted while preparing');
      this.repo.updateMedia(row.id, { ...update, status: 'ready', progress: 100, outputRecipe: recipe });
      for (const old of [row.outputFile, row.posterFile]) if (old && !made.includes(old) && old !== update.outputFile) fs.rmSync(this.fileOf(row, old), { force: true });
    } catch (error) {
      for (const file of made) if (file !== row.outputFile && file !== row.posterFile) fs.rmSync(path.join(dir, file), { force: true });
      if (!this.repo.findMedia(row.id)) return;
      if (error instanceof MediaRejected) {
        this.repo.updateMedia(row.id, { status: 'failed', errorKey: error.reasonKey, errorParams: error.params, outputRecipe: recipe });
        return;
      }
      this.log.error({ err: error, media: row.id }, 'media preparation failed');
      this.repo.updateMedia(row.id, { status: 'failed', errorKey: 'media.reason.unexpected', errorParams: {}, outputRecipe: recipe });
    }
  }

  private async prepareVideo(post: PostRow, row: MediaRow, recipe: string, use: VideoUse, made: string[]): Promise<Parameters<PostsRepo['updateMedia']>[1]> {
    const dir = this.dirOf(row.accountId);
    const atMs = post.type === 'reel' ? post.thumbOffsetMs : 0;
    // Only the cover frame changed: keep the prepared video, take a new frame.
    const sameVideo = row.outputFile && row.outputRecipe?.split(':t=')[0] === recipe.split(':t=')[0];
    let outputFile = row.outputFile;
    let notes = row.notes;
    let bytes = row.outputBytes;
    if (!sameVideo || !outputFile) {
      const source = this.fileOf(row, row.sourceFile);
      const probe = await probeVideo(source);
      const verdict = checkVideo(probe, use);
      if (verdict.rejection) throw verdict.rejection;
      outputFile = randomName('.mp4');
      made.push(outputFile);
      const controller = new AbortController();
      this.running.set(row.id, controller);
      let lastWrite = 0;
      try {
        await transcodeVideo(source, path.join(dir, outputFile), probe, use, (fraction) => {
          const now = Date.now();
          if (now - lastWrite < 1000) return;
          lastWrite = now;
          this.repo.updateMedia(row.id, { progress: Math.min(99, Math.round(fraction * 100)) });
        }, controller.signal);
      } finally {
        this.running.delete(row.id);
      }
      notes = verdict.transcodeReasons;
      bytes = fs.statSync(path.join(dir, outputFile)).size;
    }
    const posterFile = randomName('.jpg');
    made.push(posterFile);
    const frame = await extractFrame(path.join(dir, outputFile), path.join(dir, posterFile), atMs);
    return { outputFile, posterFile, outputWidth: frame.width, outputHeight: frame.height, outputBytes: bytes, notes };
  }

  /** Every file a row points at. */
  filesOf(row: MediaRow): string[] {
    return [row.sourceFile, row.outputFile, row.posterFile].filter((f): f is string => Boolean(f)).map((f) => this.fileOf(row, f));
  }

  /** Stops work on the rows and deletes their files (after their rows are gone). */
  removeFiles(rows: MediaRow[]): void {
    for (const row of rows) {
      this.running.get(row.id)?.abort();
      for (const file of this.filesOf(row)) fs.rmSync(file, { force: true });
    }
  }

  /** Copies a row's files under new names for a duplicated post; the copy is prepared again only if needed. */
  copyFiles(row: MediaRow): Pick<MediaRow, 'sourceFile' | 'outputFile' | 'posterFile'> {
    const copy = (name: string | null) => {
      if (!name) return null;
      const fresh = randomName(path.extname(name));
      fs.copyFileSync(this.fileOf(row, name), this.fileOf(row, fresh));
      return fresh;
    };
    return { sourceFile: copy(row.sourceFile) as string, outputFile: copy(row.outputFile), posterFile: copy(row.posterFile) };
  }

  /** For the ratio preview before preparation: what ratio an image will come out with. */
  plannedRatio(type: PostType, row: MediaRow, fixedRatio?: number): number | undefined {
    if (row.kind !== 'image' || !row.width || !row.height) return undefined;
    const fit: Fit = { mode: row.fitMode, focusX: row.focusX, focusY: row.focusY, background: row.background };
    return outputRatio({ width: row.width, height: row.height }, useOf(type, row).image, fit, fixedRatio);
  }
}
