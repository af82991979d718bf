// createApp(deps): the Express app without listen(), so tests drive it through supertest.
import express from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { redactUrl } from './log.js';
import { assetsDir, chartJsDir, viewsDir } from './paths.js';
import { createServices, type Deps, type Services } from './services.js';
import { verifyCsrf } from './http/csrf.js';
import { errorHandler, notFound } from './http/errors.js';
import { requireSetupDone, requireTwoFactorWhenAsked } from './http/guards.js';
import { accountLocals, pageLocals } from './http/locals.js';
import { buildBareRouter, buildRouter, routeTable, type Route } from './http/routes.js';
import { securityHeaders } from './http/security.js';
import { loadUser, sessionMiddleware } from './http/session.js';
import { SANDBOX_MOUNT } from './instagram/setup.js';
import { createSimulator, type Simulator } from './sandbox/simulator.js';

export interface AppDeps extends Deps {
  sessionSecret: string;
}

export interface Qanat {
  app: express.Express;
  services: Services;
  routes: Route[];
  /** The mounted simulator in sandbox mode; undefined with real Meta credentials. */
  simulator: Simulator | undefined;
}

function requestLogger(log: Logger) {
  return pinoHttp({
    logger: log,
    quietReqLogger: true,
    serializers: {
      // Only what helps debugging; headers (cookies, tokens) never reach the log.
      req: (req: { method: string; url: string; remoteAddress?: string }) => ({ method: req.method, url: redactUrl(req.url) }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, error) => (error || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    autoLogging: { ignore: (req) => req.url === '/healthz' || (req.url ?? '').startsWith('/assets/') },
  });
}

export function createApp(deps: AppDeps): Qanat {
  const { config, db, cipher, clock, log } = deps;
  const services = createServices(deps);
  const routes = routeTable(config, db, services, clock);
  const app = express();

  app.set('trust proxy', config.trustProxyHops > 0 ? config.trustProxyHops : false);
  app.set('view engine', 'ejs');
  app.set('views', viewsDir);
  app.set('view cache', config.env !== 'development');
  app.set('x-powered-by', false);
  // Express 5's default; stated because nested query objects must never reach templates.
  app.set('query parser', 'simple');

  app.use(requestLogger(log));
  app.use(securityHeaders(config.secureCookies));
  // Chart.js from our own origin (no CDN, CSP intact), for the analytics charts.
  app.use('/assets/vendor', express.static(chartJsDir, { index: false, fallthrough: false, maxAge: config.env === 'production' ? '7d' : 0 }));
  app.use('/assets', express.static(assetsDir, { index: false, fallthrough: false, maxAge: config.env === 'production' ? '7d' : 0 }));
  app.use(buildBareRouter(routes));
  // Sandbox mode: the simulator stands in for Instagram's hosts, before sessions and CSRF
  // (Instagram's endpoints have neither). With Meta credentials, no simulator route exists.
  const simulator = services.instagram.sandbox
    ? createSimulator({
        appId: services.instagram.appId,
        appSecret: services.instagram.appSecret,
        seed: config.instagram.sandboxSeed,
        redirectUris: [services.instagram.redirectUri],
        // Qanat serves the media it publishes itself; nothing else is fetched.
        mediaOrigins: [config.publicUrl, `http://127.0.0.1:${config.port}`],
        control: false,
        // The simulator delivers its webhooks to this same process, like Meta would over HTTPS.
        webhookUrl: `http://127.0.0.1:${config.port}/webhooks/instagram`,
        clock,
        log,
      })
    : undefined;
  if (simulator) app.use(SANDBOX_MOUNT, simulator.router);
  app.use(express.urlencoded({ extended: false, limit: '64kb', parameterLimit: 100 }));
  // Other content types leave req.body undefined; handlers read fields from an object either way.
  app.use((req, _res, next) => {
    req.body ??= {};
    next();
  });
  app.use(sessionMiddleware(config, services, cipher, clock, deps.sessionSecret));
  app.use(loadUser(config, services, clock));
  app.use(pageLocals(config));
  app.use(accountLocals(services));
  app.use(verifyCsrf(config.publicUrl));
  app.use(requireSetupDone(services));
  app.use(requireTwoFactorWhenAsked(services));
  app.use(buildRouter(routes));
  app.use(notFound);
  app.use(errorHandler(log, config.version));

  return { app, services, routes, simulator };
}
