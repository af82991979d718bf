// Graph addresses objects by id alone (GET/POST/DELETE /<id>). Each feature module registers
// the kinds of object it owns; the node router asks each in turn.
import type { Request, Response, Router } from 'express';
import { authenticate, type Authed } from './auth.js';
import type { SimContext } from './context.js';
import { errors, SimError } from './errors.js';

export interface NodeKind<T = unknown> {
  name: string;
  /** The object with this id, if it belongs to this kind and to the token's account. */
  find(ctx: SimContext, id: string, authed: Authed): T | undefined;
  get?(ctx: SimContext, req: Request, res: Response, entity: T, authed: Authed): void | Promise<void>;
  post?(ctx: SimContext, req: Request, res: Response, entity: T, authed: Authed): void | Promise<void>;
  delete?(ctx: SimContext, req: Request, res: Response, entity: T, authed: Authed): void | Promise<void>;
}

export function nodeRoutes(ctx: SimContext, router: Router, kinds: Array<NodeKind<never>>): void {
  for (const method of ['get', 'post', 'delete'] as const) {
    router[method]('/:id', async (req, res) => {
      const authed = authenticate(ctx, req);
      const id = String(req.params['id']);
      for (const kind of kinds as Array<NodeKind<unknown>>) {
        const entity = kind.find(ctx, id, authed);
        if (entity === undefined) continue;
        const handler = kind[method];
        if (!handler) throw new SimError(100, `Unsupported ${method} request.`);
        await handler(ctx, req, res, entity, authed);
        return;
      }
      throw errors.unknownObject(id);
    });
  }
}
