import type { Request, Response } from 'express';
import { AppError, Conflict, Invalid, NotFound } from '../../errors.js';
import { currentUser, flash, origin } from '../../http/context.js';
import { parseForm } from '../../http/forms.js';
import { page } from '../../http/render.js';
import { ROLES } from '../../db/schema.js';
import type { Services } from '../../services.js';
import { newUserForm, parseId, resetPasswordForm, roleForm, type NewUserForm } from './users.forms.js';

interface PageState {
  values?: Partial<NewUserForm>;
  errors?: Record<string, string>;
  /** Errors of the per-user forms, keyed by user id. */
  rowErrors?: Record<number, string>;
}

export function usersHandlers(services: Services) {
  const render = (res: Response, state: PageState = {}, status = 200) =>
    page(
      res,
      'users/list',
      {
        title: 'users.title',
        users: services.users.list(currentUser(res)),
        roles: ROLES,
        values: { username: state.values?.username ?? '', role: state.values?.role ?? 'editor' },
        errors: state.errors ?? {},
        rowErrors: state.rowErrors ?? {},
      },
      status,
    );

  const targetId = (req: Request): number => {
    const id = parseId(req.params['id']);
    if (id === undefined) throw new NotFound('users.error.notFound');
    return id;
  };

  /** Runs a per-user action; a refusal re-renders the list with the reason beside that user. */
  const rowAction = async (req: Request, res: Response, action: (id: number) => Promise<string> | string): Promise<void> => {
    const id = targetId(req);
    try {
      const key = await action(id);
      flash(req, 'success', key);
      res.redirect(303, '/settings/users');
    } catch (error) {
      if (error instanceof Invalid) return render(res, { rowErrors: { [id]: Object.values(error.fieldErrors)[0] ?? 'form.error.invalid' } }, 400);
      if (error instanceof AppError && error.status === 409) return render(res, { rowErrors: { [id]: error.messageKey } }, 409);
      throw error;
    }
  };

  return {
    async showUsersPage(_req: Request, res: Response): Promise<void> {
      await render(res);
    },

    async saveNewUser(req: Request, res: Response): Promise<void> {
      const form = parseForm(newUserForm, req.body);
      try {
        const user = await services.users.create(currentUser(res), form, origin(req));
        flash(req, 'success', 'users.flash.created', { username: user.username });
        res.redirect(303, '/settings/users');
      } catch (error) {
        if (error instanceof Invalid) return render(res, { values: form, errors: error.fieldErrors }, 400);
        throw error;
      }
    },

    saveUserRole: (req: Request, res: Response) =>
      rowAction(req, res, (id) => {
        services.users.changeRole(currentUser(res), id, parseForm(roleForm, req.body).role, origin(req));
        return 'users.flash.roleChanged';
      }),

    saveUserPassword: (req: Request, res: Response) =>
      rowAction(req, res, async (id) => {
        await services.users.resetPassword(currentUser(res), id, parseForm(resetPasswordForm, req.body).newPassword, origin(req));
        return 'users.flash.passwordReset';
      }),

    async showRemoveUserPage(req: Request, res: Response): Promise<void> {
      const actor = currentUser(res);
      const target = services.users.list(actor).find((u) => u.id === targetId(req));
      if (!target) throw new NotFound('users.error.notFound');
      if (target.id === actor.id) throw new Conflict('users.error.cannotRemoveSelf');
      await page(res, 'users/remove', { title: 'users.remove.title', target });
    },

    removeUser: (req: Request, res: Response) =>
      rowAction(req, res, (id) => {
        services.users.remove(currentUser(res), id, origin(req));
        return 'users.flash.removed';
      }),
  };
}
