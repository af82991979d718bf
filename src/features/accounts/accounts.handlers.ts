import crypto from 'node:crypto';
import type { Request, Response } from 'express';
import type { Clock } from '../../clock.js';
import { constantTimeEqual } from '../../db/crypto.js';
import { currentUser, flash, origin, safeReturnPath, saveSession } from '../../http/context.js';
import { NotFound } from '../../errors.js';
import { parseId } from '../users/users.forms.js';
import { REQUIRED_SCOPES } from '../../instagram/types.js';
import { page } from '../../http/render.js';
import { GraphError } from '../../instagram/graph-error.js';
import type { Services } from '../../services.js';

/** How long a person has to finish Instagram's consent window. */
const STATE_TTL_MS = 10 * 60_000;

const param = (req: Request, name: string): string => {
  const value = req.query[name];
  return typeof value === 'string' ? value : '';
};


function accountId(req: Request): number {
  const id = parseId(req.params['id']);
  if (id === undefined) throw new NotFound('accounts.error.notFound');
  return id;
}

export function accountsHandlers(services: Services, clock: Clock) {
  const failure = (res: Response, reason: string, status: number, explanation?: { title: string; text: string }) =>
    page(res, 'accounts/connect-failed', { title: 'accounts.failed.title', reason, explanation: explanation ?? null }, status);

  return {
    async showAccountsPage(_req: Request, res: Response): Promise<void> {
      const user = currentUser(res);
      await page(res, 'accounts/list', { title: 'accounts.title', accounts: services.accounts.list(), canConnect: services.accounts.canConnect(user), now: clock.now() });
    },

    /** The health panel: permissions, token expiry, last sync, webhooks, sandbox or live. */
    async showAccountPage(req: Request, res: Response): Promise<void> {
      const account = services.accounts.get(accountId(req));
      const permissions = REQUIRED_SCOPES.map((scope) => ({ scope, granted: account.scopes.includes(scope) }));
      const daysLeft = Math.floor((account.tokenExpiresAt - clock.now()) / 86_400_000);
      await page(res, 'accounts/show', {
        title: 'accounts.health.title',
        account,
        permissions,
        daysLeft,
        canConnect: services.accounts.canConnect(currentUser(res)),
      });
    },

    async showDisconnectPage(req: Request, res: Response): Promise<void> {
      services.accounts.requireOwner(currentUser(res));
      const account = services.accounts.get(accountId(req));
      await page(res, 'accounts/disconnect', { title: 'accounts.disconnect.title', account, summary: services.accounts.deletionSummary(account.id) });
    },

    async disconnectAccount(req: Request, res: Response): Promise<void> {
      const account = await services.accounts.disconnect(currentUser(res), accountId(req), origin(req));
      if (req.session.accountId === account.id) delete req.session.accountId;
      flash(req, 'success', 'accounts.flash.disconnected', { username: account.username });
      res.redirect(303, '/accounts');
    },

    async syncAccount(req: Request, res: Response): Promise<void> {
      const id = accountId(req);
      services.accounts.requireOwner(currentUser(res));
      const row = services.accounts.repo.findById(id);
      if (!row) throw new NotFound('accounts.error.notFound');
      const outcome = await services.profileSync.sync(row);
      flash(req, outcome === 'synced' ? 'success' : 'error', outcome === 'synced' ? 'accounts.flash.synced' : 'accounts.flash.syncFailed');
      res.redirect(303, `/accounts/${id}`);
    },

    /** The account switcher: which account the pages show. */
    selectAccount(req: Request, res: Response): void {
      const body = req.body as Record<string, unknown>;
      const id = parseId(body['accountId']);
      if (id !== undefined && services.accounts.repo.findById(id)) req.session.accountId = id;
      res.redirect(303, safeReturnPath(body['returnTo']));
    },

    /** Starts Instagram's consent window with a state bound to this session for ten minutes. */
    async startConnect(req: Request, res: Response): Promise<void> {
      services.accounts.requireOwner(currentUser(res));
      const state = crypto.randomBytes(24).toString('base64url');
      req.session.oauth = { state, expiresAt: clock.now() + STATE_TTL_MS };
      await saveSession(req);
      res.redirect(303, services.instagram.client.oauth.authorizeUrl(state));
    },

    /** Instagram sends the person back here with ?code&state, or ?error=access_denied. */
    async finishConnect(req: Request, res: Response): Promise<void> {
      const user = currentUser(res);
      services.accounts.requireOwner(user);
      const expected = req.session.oauth;
      delete req.session.oauth; // single use, whatever happens next: saved before calling Instagram
      await saveSession(req);
      const state = param(req, 'state');
      if (!expected || !state || !constantTimeEqual(state, expected.state)) return failure(res, 'accounts.failed.state', 400);
      if (expected.expiresAt < clock.now()) return failure(res, 'accounts.failed.expired', 400);
      if (param(req, 'error')) return failure(res, param(req, 'error') === 'access_denied' ? 'accounts.failed.denied' : 'accounts.failed.instagram', 400);
      const code = param(req, 'code');
      if (!code) return failure(res, 'accounts.failed.noCode', 400);
      try {
        const { account, reconnected } = await services.accounts.connect(user, code, origin(req));
        flash(req, 'success', reconnected ? 'accounts.flash.reconnected' : 'accounts.flash.connected', { username: account.username });
        req.session.accountId = account.id;
        res.redirect(303, `/accounts/${account.id}`);
      } catch (error) {
        if (error instanceof GraphError) return failure(res, 'accounts.failed.refused', 502, error.explanationKeys());
        throw error;
      }
    },
  };
}
