// Inbox → Comments: the list (all posts or one), a thread page, and the moderation forms. A
// refused action re-renders the thread with the explanation and what the person typed.
import type { Request, Response } from 'express';
import { NotFound } from '../../errors.js';
import { currentUser, flash, safeReturnPath } from '../../http/context.js';
import { page } from '../../http/render.js';
import type { Services } from '../../services.js';
import { canModerate, COMMENT_FILTERS } from './comments.service.js';
import { commentQuery, commentText, flag, messageText, type TextCheck } from './engagement.forms.js';
import { ActionRefused } from './refusals.js';

/** Which form on the thread page an error belongs to, and what was typed in it. */
export interface FormState {
  action: 'reply' | 'private' | 'hide' | 'delete' | 'comments' | 'done';
  text?: string;
  error?: { title?: string; key: string; params: Record<string, string | number> };
}

const ID = /^\d{1,30}$/;

function idParam(req: Request, name: string): string {
  const value = String(req.params[name] ?? '');
  if (!ID.test(value)) throw new NotFound('engagement.error.commentGone');
  return value;
}

function accountOf(res: Response): number {
  const account = res.locals.currentAccount;
  if (!account) throw new NotFound('engagement.error.noAccount');
  return account.id;
}

export function commentHandlers(services: Services) {
  const { comments } = services;

  const showThread = async (res: Response, commentId: string, form?: FormState, status = 200): Promise<void> => {
    const accountId = accountOf(res);
    const thread = comments.thread(accountId, commentId);
    await page(res, 'engagement/thread', { title: 'engagement.comments.threadTitle', thread, form: form ?? null, canAct: canModerate(currentUser(res)), returnTo: `/inbox/comments/${thread.comment.igCommentId}` }, status);
  };

  /** Runs an action; refusals and form errors come back as the thread page with the message. */
  const act = async (req: Request, res: Response, action: FormState['action'], run: () => Promise<void> | void, done: string, check?: TextCheck): Promise<void> => {
    const commentId = idParam(req, 'commentId');
    if (check && !check.ok) return showThread(res, commentId, { action, text: check.text, error: { key: check.error.key, params: check.error.params } }, 422);
    try {
      await run();
    } catch (error) {
      if (!(error instanceof ActionRefused)) throw error;
      const form: FormState = { action, error: { title: error.titleKey, key: error.messageKey, params: error.params } };
      if (check) form.text = check.text;
      // The comment may have gone (deleted on Instagram): then the list says why.
      if (!comments.repo.find(accountOf(res), commentId)) {
        flash(req, 'error', error.messageKey, error.params);
        return res.redirect(303, '/inbox/comments');
      }
      return showThread(res, commentId, form, 422);
    }
    flash(req, 'success', done);
    res.redirect(303, safeReturnPath((req.body as Record<string, unknown>)['returnTo'], '/inbox/comments'));
  };

  return {
    async showCommentsPage(req: Request, res: Response): Promise<void> {
      const account = res.locals.currentAccount;
      const query = commentQuery(req);
      const list = account ? comments.list(account.id, query) : undefined;
      const media = account && query.mediaId ? comments.repo.media(account.id, query.mediaId) : undefined;
      const accountRow = account ? services.accounts.repo.findById(account.id) : undefined;
      await page(res, 'engagement/comments', {
        title: 'engagement.comments.title',
        list,
        shown: query,
        filters: COMMENT_FILTERS,
        post: media ?? null,
        canAct: canModerate(currentUser(res)),
        webhooksOn: accountRow?.webhookSubscribed ?? false,
        returnTo: req.originalUrl,
      });
    },

    async showCommentPage(req: Request, res: Response): Promise<void> {
      await showThread(res, idParam(req, 'commentId'));
    },

    async replyToComment(req: Request, res: Response): Promise<void> {
      const check = commentText(req);
      await act(req, res, 'reply', () => comments.reply(currentUser(res), accountOf(res), idParam(req, 'commentId'), check.text), 'engagement.flash.replied', check);
    },

    async sendPrivateReply(req: Request, res: Response): Promise<void> {
      const check = messageText(req);
      await act(req, res, 'private', () => comments.privateReply(currentUser(res), accountOf(res), idParam(req, 'commentId'), check.text), 'engagement.flash.privateSent', check);
    },

    async hideComment(req: Request, res: Response): Promise<void> {
      const hidden = flag(req, 'hidden');
      await act(req, res, 'hide', () => comments.setHidden(currentUser(res), accountOf(res), idParam(req, 'commentId'), hidden), hidden ? 'engagement.flash.hidden' : 'engagement.flash.unhidden');
    },

    async markCommentDone(req: Request, res: Response): Promise<void> {
      const done = flag(req, 'done');
      await act(req, res, 'done', () => comments.markDone(currentUser(res), accountOf(res), idParam(req, 'commentId'), done), done ? 'engagement.flash.done' : 'engagement.flash.undone');
    },

    /** The confirmation: who wrote what, and that replies go with it. */
    async showDeleteCommentPage(req: Request, res: Response): Promise<void> {
      const thread = comments.thread(accountOf(res), idParam(req, 'commentId'));
      const target = [thread.comment, ...thread.replies].find((c) => c.igCommentId === req.params['commentId']) ?? thread.comment;
      await page(res, 'engagement/delete', { title: 'engagement.delete.title', comment: target, replies: target === thread.comment ? thread.replies.length : 0 });
    },

    async deleteComment(req: Request, res: Response): Promise<void> {
      const commentId = idParam(req, 'commentId');
      const accountId = accountOf(res);
      const top = comments.repo.find(accountId, commentId)?.parentId;
      try {
        await comments.remove(currentUser(res), accountId, commentId);
      } catch (error) {
        if (!(error instanceof ActionRefused)) throw error;
        return showThread(res, commentId, { action: 'delete', error: { title: error.titleKey, key: error.messageKey, params: error.params } }, 422);
      }
      flash(req, 'success', 'engagement.flash.deleted');
      res.redirect(303, top ? `/inbox/comments/${top}` : '/inbox/comments');
    },

    /** "Check Instagram now": the sync job's work for the shown account, at once. */
    async syncInbox(req: Request, res: Response): Promise<void> {
      const back = safeReturnPath((req.body as Record<string, unknown>)['returnTo'], '/inbox/comments');
      try {
        const counts = await services.inboxSync.syncNow(currentUser(res), accountOf(res));
        flash(req, counts.failed > 0 ? 'error' : 'success', counts.failed > 0 ? 'engagement.flash.syncFailed' : 'engagement.flash.synced', { comments: counts.comments, messages: counts.messages });
      } catch (error) {
        if (!(error instanceof ActionRefused)) throw error;
        flash(req, 'error', error.messageKey, error.params);
      }
      res.redirect(303, back);
    },

    /** §3.4: comments on or off for one post, from the per-post view. */
    async saveCommentsEnabled(req: Request, res: Response): Promise<void> {
      const mediaId = String(req.params['mediaId'] ?? '');
      if (!ID.test(mediaId)) throw new NotFound('engagement.error.postGone');
      const enabled = flag(req, 'enabled');
      try {
        await comments.setCommentsEnabled(currentUser(res), accountOf(res), mediaId, enabled);
        flash(req, 'success', enabled ? 'engagement.flash.commentsOn' : 'engagement.flash.commentsOff');
      } catch (error) {
        if (!(error instanceof ActionRefused)) throw error;
        flash(req, 'error', error.messageKey, error.params);
      }
      res.redirect(303, `/inbox/comments?media=${mediaId}`);
    },
  };
}
