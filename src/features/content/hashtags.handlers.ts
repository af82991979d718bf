import type { Request, Response } from 'express';
import { Invalid, NotFound } from '../../errors.js';
import { currentUser, flash } from '../../http/context.js';
import { parseForm, trimmed } from '../../http/forms.js';
import { page } from '../../http/render.js';
import { z } from 'zod';
import type { Services } from '../../services.js';
import { parseId } from '../users/users.forms.js';

const hashtagSetForm = z.object({ name: trimmed(60), tags: trimmed(4000) });

export function hashtagHandlers(services: Services) {
  const render = (res: Response, values = { name: '', tags: '' }, errors: Record<string, string> = {}, status = 200) =>
    page(res, 'content/hashtags', { title: 'content.hashtags.title', sets: services.hashtags.list(), values, errors, canEdit: services.posts.canEdit(currentUser(res)) }, status);

  return {
    async showHashtagsPage(_req: Request, res: Response): Promise<void> {
      await render(res);
    },

    async saveHashtagSet(req: Request, res: Response): Promise<void> {
      const form = parseForm(hashtagSetForm, req.body);
      try {
        services.hashtags.create(currentUser(res), form.name, form.tags);
      } catch (error) {
        if (error instanceof Invalid) return render(res, form, error.fieldErrors, 422);
        throw error;
      }
      flash(req, 'success', 'content.hashtags.flash.saved');
      res.redirect(303, '/hashtags');
    },

    async removeHashtagSet(req: Request, res: Response): Promise<void> {
      const id = parseId(req.params['id']);
      if (id === undefined) throw new NotFound();
      services.hashtags.remove(currentUser(res), id);
      flash(req, 'success', 'content.hashtags.flash.removed');
      res.redirect(303, '/hashtags');
    },
  };
}
