// Queue actions on one post: cancel, delete (after a confirmation page), duplicate, reschedule.
import type { Request, Response } from 'express';
import { currentUser, flash, origin, safeReturnPath } from '../../http/context.js';
import { page } from '../../http/render.js';
import type { Services } from '../../services.js';
import { postIdOf } from './compose.handlers.js';
import { parseReschedule } from './posts.forms.js';

const fieldsOf = (req: Request): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries((req.body ?? {}) as Record<string, unknown>)) if (typeof value === 'string') out[key] = value;
  return out;
};

export function postActionHandlers(services: Services) {
  const { posts } = services;
  const back = (req: Request, fallback: string) => safeReturnPath(fieldsOf(req)['returnTo'], fallback);

  return {
    async cancelPost(req: Request, res: Response): Promise<void> {
      const post = services.postActions.cancel(currentUser(res), postIdOf(req), origin(req));
      flash(req, 'success', 'content.flash.cancelled');
      res.redirect(303, back(req, `/posts/${post.id}`));
    },

    /** Says exactly what goes: the post, its status log and its files. */
    async showDeletePage(req: Request, res: Response): Promise<void> {
      posts.requireEditor(currentUser(res));
      const post = posts.get(postIdOf(req));
      const media = posts.repo.mediaOf(post.id);
      const files = media.reduce((n, m) => n + services.media.filesOf(m).length, 0);
      await page(res, 'content/delete', { title: 'content.delete.title', post, files, items: media.length });
    },

    async removePost(req: Request, res: Response): Promise<void> {
      services.postActions.remove(currentUser(res), postIdOf(req), origin(req));
      flash(req, 'success', 'content.flash.deleted');
      res.redirect(303, '/queue');
    },

    async duplicatePost(req: Request, res: Response): Promise<void> {
      const copy = services.postActions.duplicate(currentUser(res), postIdOf(req));
      flash(req, 'success', 'content.flash.duplicated');
      res.redirect(303, `/posts/${copy.id}`);
    },

    /** needs attention: the owner says whether the post is on Instagram. */
    async resolvePost(req: Request, res: Response): Promise<void> {
      const id = postIdOf(req);
      const outcome = fieldsOf(req)['outcome'] === 'published' ? 'published' : 'retry';
      services.postActions.resolveAttention(currentUser(res), id, outcome, origin(req));
      flash(req, 'success', outcome === 'published' ? 'content.flash.markedPublished' : 'content.flash.publishingNow');
      res.redirect(303, `/posts/${id}`);
    },

    /** Calendar drag-and-drop and the quick form: a new date and time for a post. */
    async reschedulePost(req: Request, res: Response): Promise<void> {
      const user = currentUser(res);
      const id = postIdOf(req);
      const form = parseReschedule(fieldsOf(req), user.timeZone);
      let { problems, notices } = form;
      if (form.days !== undefined) ({ problems, notices } = services.postActions.shiftDays(user, id, form.days, origin(req)));
      else if (form.at !== undefined) problems = services.postActions.reschedule(user, id, form.at, form.timeZone, origin(req));
      const wantsJson = req.accepts(['html', 'json']) === 'json';
      const say = (p: { key: string; params?: Record<string, string | number> }) => res.locals.t(p.key, p.params ?? {});
      if (problems.length > 0) {
        const first = problems[0] as (typeof problems)[number];
        if (wantsJson) return void res.status(422).json({ ok: false, message: say(first) });
        flash(req, 'error', first.key, first.params);
      } else {
        if (wantsJson) return void res.json({ ok: true, notices: notices.map(say) });
        for (const notice of notices) flash(req, 'info', notice.key, notice.params);
        flash(req, 'success', 'content.flash.rescheduled');
      }
      res.redirect(303, back(req, `/posts/${id}`));
    },
  };
}
