// load config → open db → migrate → build app → listen → start jobs; SIGTERM: stop, drain, close.
import http from 'node:http';
import os from 'node:os';
import { createApp } from './app.js';
import { boot } from './boot.js';
import { ConfigError } from './config.js';
import { loadSessionSecret, StartupError } from './secrets.js';
import { Scheduler } from './jobs/scheduler.js';
import { InstanceMarker } from './features/system/instance.js';

const SHUTDOWN_LIMIT_MS = 9_000;

function start(): void {
  let booted;
  try {
    booted = boot({ logToFile: true });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StartupError) {
      process.stderr.write(`qanat: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const { config, log, db } = booted;
  const { app, services } = createApp({ ...booted, sessionSecret: loadSessionSecret(config, log) });
  const server = http.createServer(app);
  // Slightly longer than Traefik's idle timeout so the proxy, not us, closes idle connections.
  server.keepAliveTimeout = 65_000;
  const scheduler = new Scheduler({ ...booted, services });
  // Lets the CLI's restore and key rotation see that a server is using this data directory.
  const marker = new InstanceMarker(config.dataDir);

  server.listen(config.port, config.host, () => {
    marker.start(os.hostname());
    log.info({ port: config.port, publicUrl: config.publicUrl, version: config.version }, 'Qanat is listening');
    if (services.setup.isNeeded()) {
      // The one-time code is meant to be read from this log by whoever installed the server.
      log.warn(`First run: open ${config.publicUrl}/setup and enter the setup code ${services.setup.code}`);
    }
    scheduler.start();
    services.engine.start();
    // Webhook events stored but not processed when the last run stopped.
    services.webhooks.kick();
    const resumed = services.mediaWorker.resume();
    if (resumed > 0) log.info({ posts: resumed }, 'preparing media left unfinished by the last run');
  });

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing requests in flight');
    const force = setTimeout(() => {
      log.warn('requests still open at the shutdown limit; closing them');
      server.closeAllConnections();
    }, SHUTDOWN_LIMIT_MS);
    force.unref();
    // Open inbox streams end now, or the server would wait for them until the limit.
    services.inboxLive.closeAll();
    // The publisher stops first: a step in flight may need this server to hand Instagram its files (/m/).
    void services.engine.stop().finally(() => {
      server.close(() => {
        // Webhook events already answered are applied before the database closes.
        void Promise.all([scheduler.stop(), services.webhooks.idle()]).finally(() => {
          db.close();
          marker.stop();
          log.info('stopped');
          log.flush();
          clearTimeout(force);
          process.exitCode = 0;
          // Give pino's asynchronous file stream a tick to drain.
          setImmediate(() => process.exit(0));
        });
      });
      // Connections that finish their last response become idle; close them as they do.
      server.closeIdleConnections();
      setInterval(() => server.closeIdleConnections(), 100).unref();
    });
  };
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
}

start();
