// `npm run sandbox`: the Instagram simulator alone, for exploring the API by hand or pointing a
// development copy of Qanat at it (GRAPH_BASE_URL, INSTAGRAM_AUTHORIZE_URL, INSTAGRAM_TOKEN_URL).
//   npm run sandbox -- [--port 4000] [--seed 42] [--app-secret S] [--webhook-url URL]
import crypto from 'node:crypto';
import express from 'express';
import { parseArgs } from 'node:util';
import { createLogger } from '../log.js';
import { assetsDir } from '../paths.js';
import { createSimulator } from './simulator.js';

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '4000' },
    seed: { type: 'string', default: '42' },
    'app-secret': { type: 'string' },
    'webhook-url': { type: 'string' },
  },
});

const port = Number(values.port);
const appSecret = values['app-secret'] ?? crypto.randomBytes(24).toString('base64url');
const log = createLogger({ level: 'info' });
const simulator = createSimulator({
  appSecret,
  seed: Number(values.seed),
  control: true,
  log,
  ...(values['webhook-url'] ? { webhookUrl: values['webhook-url'] } : {}),
});
const app = express();
app.use('/assets', express.static(assetsDir, { index: false }));
app.use(simulator.app);
const server = app.listen(port, () => {
  const base = `http://localhost:${port}`;
  const account = simulator.state.primaryAccount();
  process.stdout.write(
    [
      `Instagram simulator on ${base} (seed ${values.seed}, account @${account.username}, IG id ${account.igId})`,
      `  app id:        ${simulator.options.appId}`,
      `  app secret:    ${appSecret}`,
      `  authorize:     ${base}/www/oauth/authorize`,
      `  token:         ${base}/api/oauth/access_token`,
      `  graph:         ${base}/graph/v25.0/...`,
      `  control API:   ${base}/__control/state`,
      '',
    ].join('\n'),
  );
});
const stop = () => {
  simulator.stop();
  server.close(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
