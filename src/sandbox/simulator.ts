// createSimulator(): a faithful stand-in for Instagram's three hosts under one Express app.
//   /www/oauth/authorize        → www.instagram.com (consent window)
//   /api/oauth/access_token     → api.instagram.com (code exchange)
//   /graph[/vNN.0]/...          → graph.instagram.com
//   /__control/...              → test and demo control API (optional)
import express, { Router } from 'express';
import { systemClock, type Clock } from '../clock.js';
import { SimClock } from './clock.js';
import { DEFAULT_OPTIONS, type SimContext, type SimulatorOptions } from './context.js';
import { controlRouter } from './control.routes.js';
import { engagementControl, engagementNodes, engagementRoutes } from './engagement.routes.js';
import { simErrorHandler, errors } from './errors.js';
import { faultMiddleware } from './faults.js';
import { cdnRouter, mediaNodes, mediaRoutes } from './media.routes.js';
import { nodeRoutes, type NodeKind } from './nodes.js';
import { apiRouter, tokenRoutes, wwwRouter } from './oauth.routes.js';
import { accountNode, profileRoutes } from './profile.routes.js';
import { seedState } from './seed.js';
import { SimState } from './state.js';
import { WebhookSender } from './webhooks.js';
import { people, type People } from './people.js';

export interface Simulator {
  app: express.Express;
  /** The same routes as a Router, for mounting inside Qanat (sandbox mode). */
  router: Router;
  state: SimState;
  clock: SimClock;
  options: SimulatorOptions;
  webhooks: WebhookSender;
  /** People commenting and writing DMs (tests, the demo). */
  people: People;
  stop(): void;
}

export type SimulatorInput = Partial<SimulatorOptions> & { appSecret: string; clock?: Clock; stylesheet?: string; webhookRetryDelaysMs?: number[] };

export function createSimulator(input: SimulatorInput): Simulator {
  const options: SimulatorOptions = { ...DEFAULT_OPTIONS, ...input };
  const clock = new SimClock(input.clock ?? systemClock);
  const state = new SimState(clock, options.seed);
  seedState(state, options.seed);
  const webhooks = new WebhookSender({
    url: options.webhookUrl,
    secret: options.webhookSecret ?? options.appSecret,
    state,
    ...(options.log ? { log: options.log } : {}),
    ...(input.webhookRetryDelaysMs ? { retryDelaysMs: input.webhookRetryDelaysMs } : {}),
  });
  const ctx: SimContext = { options, state, clock, webhooks };

  const graph = Router();
  graph.use(express.urlencoded({ extended: false, limit: '1mb' }));
  graph.use(express.json({ limit: '1mb' }));
  // Any vNN.0 prefix is accepted, and so is none (§9.1).
  graph.use((req, _res, next) => {
    req.url = req.url.replace(/^\/v\d+\.\d+(?=\/|$)/, '') || '/';
    next();
  });
  graph.use(faultMiddleware(ctx));
  tokenRoutes(ctx, graph);
  profileRoutes(ctx, graph);
  mediaRoutes(ctx, graph);
  engagementRoutes(ctx, graph);
  nodeRoutes(ctx, graph, [accountNode as NodeKind<never>, ...mediaNodes, ...engagementNodes]);
  graph.use(() => {
    throw errors.invalidParameter('Unknown path components');
  });

  const router = Router();
  router.get('/www/sandbox.css', (_req, res) => res.redirect(302, '/assets/css/app.css'));
  router.use('/www', wwwRouter(ctx, input.stylesheet ?? '/assets/css/app.css'));
  router.use('/api', apiRouter(ctx));
  router.use('/graph', graph);
  router.use('/cdn', cdnRouter(ctx));
  if (options.control) router.use('/__control', controlRouter(ctx, [engagementControl]));
  router.use(simErrorHandler);

  const app = express();
  app.set('x-powered-by', false);
  app.use(router);
  return { app, router, state, clock, options, webhooks, people: people(ctx), stop: () => webhooks.stop() };
}
