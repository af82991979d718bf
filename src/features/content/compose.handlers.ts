// The composer: one multipart form for a new post (/compose) and for an existing one (/posts/:id).
// Post-redirect-get after a save; a refused save re-renders the form with what was typed.
import type { Request, Response } from 'express';
import { NotFound } from '../../errors.js';
import { currentUser, flash, origin, type CurrentUser } from '../../http/context.js';
import { discard, readForm, type UploadedFile } from '../../http/multipart.js';
import { page } from '../../http/render.js';
import { POST_TYPES, type PostType } from '../../db/schema.js';
import { parseId } from '../users/users.forms.js';
import type { Services } from '../../services.js';
import { COMPOSER_LIMITS, composerPage, valuesOfInput, valuesOfPost, type ComposerValues } from './compose.view.js';
import { parseComposer, type ComposerInput } from './posts.forms.js';
import type { PostRow } from './posts.repo.js';
import type { Problem } from './posts.service.js';

export function postIdOf(req: Request): number {
  const id = parseId(req.params['id']);
  if (id === undefined) throw new NotFound('content.error.notFound');
  return id;
}

const MAX_FILES = 11; // ten carousel items and a reel cover

export function composeHandlers(services: Services) {
  const { posts } = services;

  const render = async (res: Response, post: PostRow | undefined, values: ComposerValues, problems: Problem[] = [], input?: ComposerInput, status = 200) => {
    const rows = post ? posts.repo.mediaOf(post.id) : [];
    const user = currentUser(res);
    await page(
      res,
      'content/compose',
      {
        title: post ? 'content.compose.editTitle' : 'content.compose.title',
        ...composerPage(post, values, rows, problems, posts.repo.hashtagSets(), post ? posts.repo.eventsOf(post.id) : [], input),
        limits: COMPOSER_LIMITS,
        maxImageMb: Math.round(services.media.limits.maxImageBytes / 1048576),
        maxVideoMb: Math.round(services.media.limits.maxVideoBytes / 1048576),
        canEdit: posts.canEdit(user),
        editable: post ? posts.isEditable(post) : true,
        userZone: user.timeZone,
      },
      status,
    );
  };

  /** Reads the form (files streamed to disk), resolving "insert this hashtag set" into the caption. */
  const readComposer = async (req: Request, res: Response, user: CurrentUser): Promise<{ input: ComposerInput; files: UploadedFile[] }> => {
    const { fields, files } = await readForm(req, services.media.incomingDir, { ...services.media.limits, maxFiles: MAX_FILES });
    const setId = fields['insertSet'] ? parseId(fields['insertSet']) : undefined;
    const set = setId === undefined ? undefined : posts.repo.findHashtagSet(setId);
    if (fields['action'] === 'insert') {
      // "Insert" adds the chosen set to the caption and saves like "Update preview".
      if (set) fields['caption'] = `${(fields['caption'] ?? '').trimEnd()}\n\n${set.tags}`.trimStart();
      fields['action'] = 'refresh';
    }
    return { input: parseComposer(fields, { accountId: res.locals.currentAccount?.id, timeZone: user.timeZone }), files };
  };

  const save = async (req: Request, res: Response, postId: number | undefined): Promise<void> => {
    const user = currentUser(res);
    posts.requireEditor(user);
    const { input, files } = await readComposer(req, res, user);
    let outcome;
    try {
      outcome = await posts.save(user, postId, input, files, origin(req));
    } finally {
      discard(files);
    }
    if (outcome.problems.length > 0) {
      return render(res, outcome.post, valuesOfInput(input), outcome.problems, input, 422);
    }
    const post = outcome.post as PostRow;
    for (const notice of outcome.notices) flash(req, 'info', notice.key, notice.params);
    const message = post.state === 'scheduled' ? (input.action === 'now' ? 'content.flash.publishingNow' : 'content.flash.scheduled') : 'content.flash.saved';
    flash(req, 'success', message);
    res.redirect(303, `/posts/${post.id}`);
  };

  return {
    async showComposePage(req: Request, res: Response): Promise<void> {
      const user = currentUser(res);
      posts.requireEditor(user);
      const type = typeof req.query['type'] === 'string' && (POST_TYPES as readonly string[]).includes(req.query['type']) ? (req.query['type'] as PostType) : 'feed';
      const values: ComposerValues = { accountId: res.locals.currentAccount?.id, type, caption: '', firstComment: '', collaborators: '', shareToFeed: true, thumbOffset: '', date: '', time: '', timeZone: user.timeZone };
      await render(res, undefined, values);
    },

    async createPost(req: Request, res: Response): Promise<void> {
      await save(req, res, undefined);
    },

    async showPostPage(req: Request, res: Response): Promise<void> {
      const post = posts.get(postIdOf(req));
      await render(res, post, valuesOfPost(post));
    },

    async savePost(req: Request, res: Response): Promise<void> {
      await save(req, res, postIdOf(req));
    },
  };
}
