// The simulator on a real port and a real client pointed at it: everything over HTTP.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ManualClock } from '../../src/clock.js';
import { InstagramClient, sandboxEndpoints } from '../../src/instagram/client.js';
import type { FetchLike } from '../../src/instagram/http.js';
import { createSimulator, type Simulator, type SimulatorInput } from '../../src/sandbox/simulator.js';

export const SIM_APP_SECRET = 'sandbox-app-secret-for-tests-0123456789';
export const REDIRECT_URI = 'http://127.0.0.1:9/accounts/callback';

export interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body: string;
}

export interface SimHarness {
  sim: Simulator;
  clock: ManualClock;
  base: string;
  client: InstagramClient;
  /** Every request the client sent, in order (method, URL, headers, body). */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

export async function startSimulator(input: Partial<SimulatorInput> = {}, clientOptions: { timeoutMs?: number } = {}): Promise<SimHarness> {
  const clock = new ManualClock(Date.UTC(2026, 10, 1, 9, 0, 0));
  const sim = createSimulator({ appSecret: SIM_APP_SECRET, clock, videoProcessingMs: 2_000, webhookRetryDelaysMs: [50, 100], ...input });
  const server = http.createServer(sim.app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const requests: RecordedRequest[] = [];
  const recordingFetch: FetchLike = async (input, init) => {
    const body = init.body instanceof URLSearchParams ? init.body.toString() : typeof init.body === 'string' ? init.body : '';
    requests.push({ method: init.method ?? 'GET', url: new URL(input), headers: new Headers(init.headers), body });
    return fetch(input, init);
  };
  const client = new InstagramClient({
    endpoints: sandboxEndpoints(base, 'v25.0'),
    appId: sim.options.appId,
    appSecret: SIM_APP_SECRET,
    redirectUri: REDIRECT_URI,
    timeoutMs: clientOptions.timeoutMs ?? 5_000,
    fetch: recordingFetch,
  });
  return {
    sim,
    clock,
    base,
    client,
    requests,
    close: async () => {
      sim.stop();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Walks the consent window like a browser would (GET the page, POST "allow") and returns the code. */
export async function authorize(h: SimHarness, options: { scopes?: string[]; deny?: boolean; state?: string } = {}): Promise<string> {
  const url = new URL(h.client.oauth.authorizeUrl(options.state ?? 'state-1'));
  const page = await fetch(url);
  if (page.status !== 200) throw new Error(`consent page answered ${page.status}`);
  const form = new URLSearchParams({
    client_id: url.searchParams.get('client_id') ?? '',
    redirect_uri: url.searchParams.get('redirect_uri') ?? '',
    state: url.searchParams.get('state') ?? '',
    decision: options.deny ? 'deny' : 'allow',
  });
  for (const scope of options.scopes ?? (url.searchParams.get('scope') ?? '').split(',')) form.append('scope', scope);
  const res = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
  const location = new URL(res.headers.get('location') ?? '');
  return location.searchParams.get('code') ?? `error:${location.searchParams.get('error')}`;
}

/** Connects the seeded account: consent → code → short token → long-lived token. */
export async function longLivedToken(h: SimHarness, scopes?: string[]): Promise<string> {
  const code = await authorize(h, scopes ? { scopes } : {});
  const short = await h.client.oauth.exchangeCode(code);
  return (await h.client.oauth.exchangeForLongLived(short.accessToken)).accessToken;
}
