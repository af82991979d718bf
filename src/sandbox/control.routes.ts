// The control API (tests, benchmarks and the demo only): faults, clock, counters, inbound events.
import express, { Router } from 'express';
import { z } from 'zod';
import { DAY } from './clock.js';
import type { SimContext } from './context.js';
import type { SimFault } from './state.js';

const faultSchema = z.object({
  kind: z.enum(['throttle', 'server-error', 'latency', 'reset', 'invalidate-token', 'container-error']),
  pathIncludes: z.string().optional(),
  remaining: z.number().int().positive().optional(),
  code: z.number().int().optional(),
  subcode: z.number().int().optional(),
  ms: z.number().int().min(0).max(120_000).optional(),
  regainMinutes: z.number().int().min(0).optional(),
});

export type ControlExtension = (ctx: SimContext, router: Router) => void;

export function controlRouter(ctx: SimContext, extensions: ControlExtension[]): Router {
  const router = Router();
  router.use(express.json({ limit: '256kb' }));

  router.get('/state', (_req, res) => {
    const s = ctx.state;
    res.json({
      now: ctx.clock.now(),
      accounts: [...s.accounts.values()].map((a) => ({ igId: a.igId, appScopedId: a.appScopedId, username: a.username, subscribedFields: a.subscribedFields })),
      counts: { tokens: s.tokens.size, containers: s.containers.size, media: s.media.size, comments: s.comments.size, conversations: s.conversations.size, messages: s.messages.size },
      faults: s.faults,
    });
  });

  router.get('/counters', (_req, res) => {
    const c = ctx.state.counters;
    res.json({ requests: c.requests, mediaPublishCalls: Object.fromEntries(c.mediaPublishCalls), webhooksSent: c.webhooksSent, webhooksFailed: c.webhooksFailed });
  });

  router.post('/clock', (req, res) => {
    const body = z.object({ advanceMs: z.number().int().min(0).max(400 * DAY) }).parse(req.body);
    ctx.clock.advance(body.advanceMs);
    res.json({ now: ctx.clock.now() });
  });

  router.post('/faults', (req, res) => {
    const fault = faultSchema.parse(req.body) as SimFault;
    ctx.state.faults.push(fault);
    res.status(201).json({ faults: ctx.state.faults });
  });

  router.delete('/faults', (_req, res) => {
    ctx.state.faults = [];
    res.json({ faults: [] });
  });

  /** Invalidates every token of the account (190 with subcode 460 by default, §1.5). */
  router.post('/tokens/invalidate', (req, res) => {
    const body = z.object({ subcode: z.number().int().default(460) }).parse(req.body ?? {});
    let count = 0;
    for (const token of ctx.state.tokens.values()) {
      token.revokedSubcode = body.subcode;
      count += 1;
    }
    res.json({ invalidated: count });
  });

  router.post('/webhook-url', (req, res) => {
    const body = z.object({ url: z.url().nullable() }).parse(req.body);
    ctx.webhooks.url = body.url ?? undefined;
    res.json({ url: ctx.webhooks.url ?? null });
  });

  for (const extend of extensions) extend(ctx, router);

  router.use((error: unknown, _req: express.Request, res: express.Response, next: express.NextFunction) => {
    if (error instanceof z.ZodError) {
      res.status(400).json({ error: 'invalid control request', issues: error.issues.map((i) => `${i.path.join('.')}: ${i.message}`) });
      return;
    }
    next(error);
  });
  return router;
}
