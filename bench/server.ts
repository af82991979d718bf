// The app under load, in its own process: the real Express app (createApp) on the seeded data,
// with no scheduler or publisher running, plus in the SAME process a bare Express "hello" route
// (the ceiling every page is compared with) and a loopback control port for the harness (run a
// job in this process, read memory).
//   node dist/bench/server.js   (built by tsconfig.bench.json; env: DATA_DIR, PORT, CEILING_PORT, CONTROL_PORT, …)
import http from 'node:http';
import express from 'express';
import { createApp } from '../src/app.js';
import { boot } from '../src/boot.js';
import { findJob } from '../src/jobs/registry.js';
import { runJob } from '../src/jobs/scheduler.js';
import { loadSessionSecret } from '../src/secrets.js';

const booted = boot({ logToFile: true });
const { app, services } = createApp({ ...booted, sessionSecret: loadSessionSecret(booted.config, booted.log) });

const ceiling = express();
ceiling.get('/hello', (_req, res) => {
  res.type('text/plain').send('hello');
});

const control = express();
control.post('/job/:name', async (req, res) => {
  const job = findJob(String(req.params['name']));
  if (!job) {
    res.status(404).json({ error: 'no such job' });
    return;
  }
  const started = performance.now();
  const counts = await runJob(job, { ...booted, services });
  res.json({ counts, ms: performance.now() - started });
});

const listen = (handler: http.RequestListener, port: number, host: string): Promise<void> =>
  new Promise((resolve) => {
    const server = http.createServer(handler);
    server.keepAliveTimeout = 65_000;
    server.listen(port, host, resolve);
  });

await listen(app, Number(process.env['PORT']), '127.0.0.1');
await listen(ceiling, Number(process.env['CEILING_PORT']), '127.0.0.1');
await listen(control, Number(process.env['CONTROL_PORT']), '127.0.0.1');
process.stderr.write('bench server ready\n');
process.on('SIGTERM', () => {
  booted.db.close();
  process.exit(0);
});
