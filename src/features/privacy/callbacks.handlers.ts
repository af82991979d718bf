// Meta's callbacks (bare routes: no session, no CSRF; the signed_request is the proof) and the
// public pages a person reads: how deletion works, and the status of one request.
import express, { type Request, type Response } from 'express';
import { clientIp } from '../../http/context.js';
import { page } from '../../http/render.js';
import type { Services } from '../../services.js';

const formParser = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 10 });

/** Bare routes come before the app's body parsers; these two read their small form themselves. */
function readForm(req: Request, res: Response): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => formParser(req, res, (error?: unknown) => (error ? reject(error instanceof Error ? error : new Error(String(error))) : resolve((req.body ?? {}) as Record<string, unknown>))));
}

export function callbackHandlers(services: Services) {
  const { callbacks } = services;
  return {
    async receiveDeletionRequest(req: Request, res: Response): Promise<void> {
      const form = await readForm(req, res);
      const answer = callbacks.requestDeletion(form['signed_request'], clientIp(req));
      res.set('Cache-Control', 'no-store');
      if (!answer.ok) {
        res.status(400).json({ error: `signed_request refused: ${answer.reason}` });
        return;
      }
      res.status(200).json(answer.value);
    },

    async receiveDeauthorize(req: Request, res: Response): Promise<void> {
      const form = await readForm(req, res);
      const answer = callbacks.deauthorize(form['signed_request'], clientIp(req));
      res.set('Cache-Control', 'no-store');
      if (!answer.ok) {
        res.status(400).json({ error: `signed_request refused: ${answer.reason}` });
        return;
      }
      res.status(200).json({ success: true });
    },

    async showDeletionPage(_req: Request, res: Response): Promise<void> {
      await page(res, 'privacy/deletion', { title: 'privacy.deletion.title' });
    },

    async showDeletionStatus(req: Request, res: Response): Promise<void> {
      const code = typeof req.query['code'] === 'string' ? req.query['code'] : '';
      const request = callbacks.status(code);
      await page(res, 'privacy/deletion-status', { title: 'privacy.status.title', request: request ?? null, code: request ? request.code : null }, request ? 200 : 404);
    },
  };
}
