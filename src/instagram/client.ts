// The Instagram client Qanat uses everywhere; built from config, pointed at Instagram or the sandbox.
import type { InstagramConfig } from '../config.js';
import type { Logger } from '../log.js';
import { EngagementApi } from './engagement.js';
import { Graph } from './graph.js';
import { Backoff, type FetchLike, type HttpSettings } from './http.js';
import { InsightsApi } from './insights.js';
import { OAuthClient } from './oauth.js';
import { PublishingApi } from './publishing.js';
import type { Usage } from './usage.js';

export interface InstagramEndpoints {
  graphBaseUrl: string;
  apiVersion: string;
  authorizeUrl: string;
  tokenUrl: string;
}

export interface ClientOptions {
  endpoints: InstagramEndpoints;
  appId: string;
  appSecret: string;
  redirectUri: string;
  timeoutMs: number;
  /** Throttling waits are measured on this clock (the app's), not the machine's. */
  now?: () => number;
  log?: Logger;
  fetch?: FetchLike;
  onUsage?: (usage: Usage) => void;
}

export class InstagramClient {
  readonly oauth: OAuthClient;
  readonly publishing: PublishingApi;
  readonly engagement: EngagementApi;
  readonly insights: InsightsApi;

  constructor(readonly options: ClientOptions) {
    const http: HttpSettings = { timeoutMs: options.timeoutMs, backoff: new Backoff(options.now) };
    if (options.log) http.log = options.log;
    if (options.fetch) http.fetch = options.fetch;
    if (options.onUsage) http.onUsage = options.onUsage;
    const { endpoints } = options;
    this.oauth = new OAuthClient(
      { appId: options.appId, appSecret: options.appSecret, redirectUri: options.redirectUri, authorizeUrl: endpoints.authorizeUrl, tokenUrl: endpoints.tokenUrl, graphBaseUrl: endpoints.graphBaseUrl },
      http,
    );
    const graph = new Graph(endpoints.graphBaseUrl, endpoints.apiVersion, http);
    this.publishing = new PublishingApi(graph);
    this.engagement = new EngagementApi(graph);
    this.insights = new InsightsApi(graph);
  }
}

/** The endpoints of live Instagram from config. */
export function liveEndpoints(config: InstagramConfig): InstagramEndpoints {
  return { graphBaseUrl: config.graphBaseUrl, apiVersion: config.apiVersion, authorizeUrl: config.authorizeUrl, tokenUrl: config.tokenUrl };
}

/** The simulator's three "hosts" under one base URL (see src/sandbox/simulator.ts). */
export function sandboxEndpoints(base: string, apiVersion: string, browserBase: string = base): InstagramEndpoints {
  return {
    graphBaseUrl: `${base}/graph`,
    apiVersion,
    authorizeUrl: `${browserBase}/www/oauth/authorize`,
    tokenUrl: `${base}/api/oauth/access_token`,
  };
}
