// Which Instagram Qanat talks to: Meta's (app credentials configured) or the built-in
// simulator mounted at /sandbox (no credentials: sandbox mode). Both use the same client.
import type { Config } from '../config.js';
import type { Cipher } from '../db/crypto.js';
import type { Logger } from '../log.js';
import { DEFAULT_OPTIONS } from '../sandbox/context.js';
import { InstagramClient, liveEndpoints, sandboxEndpoints } from './client.js';

export const SANDBOX_MOUNT = '/sandbox';

export interface InstagramSetup {
  client: InstagramClient;
  sandbox: boolean;
  appId: string;
  appSecret: string;
  webhookSecret: string;
  /** hub.verify_token for the handshake (§7.1). */
  webhookVerifyToken: string;
  redirectUri: string;
}

export function callbackUrl(config: Config): string {
  return `${config.publicUrl}/accounts/callback`;
}

export function instagramSetup(config: Config, cipher: Cipher, log: Logger, now?: () => number): InstagramSetup {
  const ig = config.instagram;
  const redirectUri = callbackUrl(config);
  // Not a secret worth a variable of its own: unset, it is derived from the data key (stable, unguessable).
  const webhookVerifyToken = ig.webhookVerifyToken ?? cipher.deriveSecret('webhook-verify-token').slice(0, 32);
  if (!ig.sandbox && ig.appId && ig.appSecret) {
    const client = new InstagramClient({ endpoints: liveEndpoints(ig), appId: ig.appId, appSecret: ig.appSecret, redirectUri, timeoutMs: ig.timeoutMs, log, ...(now ? { now } : {}) });
    return { client, sandbox: false, appId: ig.appId, appSecret: ig.appSecret, webhookSecret: ig.webhookSecret ?? ig.appSecret, webhookVerifyToken, redirectUri };
  }
  const appSecret = cipher.deriveSecret('sandbox-app-secret');
  // Server-side calls reach the mounted simulator on loopback; the browser uses PUBLIC_URL.
  const internal = `http://127.0.0.1:${config.port}${SANDBOX_MOUNT}`;
  const endpoints = sandboxEndpoints(internal, ig.apiVersion, `${config.publicUrl}${SANDBOX_MOUNT}`);
  const client = new InstagramClient({ endpoints, appId: DEFAULT_OPTIONS.appId, appSecret, redirectUri, timeoutMs: ig.timeoutMs, log, ...(now ? { now } : {}) });
  return { client, sandbox: true, appId: DEFAULT_OPTIONS.appId, appSecret, webhookSecret: appSecret, webhookVerifyToken, redirectUri };
}
