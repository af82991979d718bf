import type { Logger } from '../log.js';
import type { SimClock } from './clock.js';
import type { SimState } from './state.js';
import type { WebhookSender } from './webhooks.js';

export interface SimulatorOptions {
  /** Seed for the generated account, ids and history. */
  seed: number;
  appId: string;
  appSecret: string;
  /** Secret that signs webhooks; defaults to appSecret (which one Meta uses is unconfirmed, §7.2). */
  webhookSecret?: string;
  /** Where webhooks are POSTed; none are sent without it. */
  webhookUrl?: string;
  /** Exact redirect URIs accepted (§1.2); undefined accepts any. */
  redirectUris?: string[];
  /** §2.6: 100 by default; the docs also say 50. */
  quotaTotal: number;
  /** §2.1: containers per rolling 24 h. */
  containerCap: number;
  /** §1.3: the simulator answers the flat shape by default; 'wrapped' is the documented data[] shape. */
  exchangeShape: 'flat' | 'wrapped';
  /** §1.5: the refusal for refreshing a token younger than 24 h is unconfirmed: configurable. */
  refreshTooYoung: { code: number; message: string };
  /** §2.8: the error for more than 30 hashtags is unconfirmed: configurable (default like a long caption). */
  hashtagLimit: { code: number; subcode: number; message: string };
  /**
   * §2.5: what media_publish answers for an already PUBLISHED container is unconfirmed.
   * 'error' (default) answers 24/2207008 like a used-up container; 'same-id' answers the first
   * media id again. The stricter default makes a client check status_code before retrying.
   */
  alreadyPublished: 'error' | 'same-id';
  /** How long Meta's fetcher waits for image_url / video_url before giving up (−2/2207003). */
  mediaFetchTimeoutMs: number;
  /** When set, image_url / video_url must be on one of these origins (else 9004/2207052). */
  mediaOrigins?: string[];
  /** How long a video container stays IN_PROGRESS. */
  videoProcessingMs: number;
  /** Mount /__control (tests, benchmarks, the demo). */
  control: boolean;
  log?: Logger;
}

export interface SimContext {
  options: SimulatorOptions;
  state: SimState;
  clock: SimClock;
  webhooks: WebhookSender;
}

export const DEFAULT_OPTIONS: Omit<SimulatorOptions, 'appSecret'> = {
  seed: 42,
  appId: '990011223344556',
  quotaTotal: 100,
  containerCap: 400,
  exchangeShape: 'flat',
  refreshTooYoung: { code: 100, message: 'Token is too new to be refreshed; try again once it is at least 24 hours old' },
  hashtagLimit: { code: 36004, subcode: 2207010, message: 'The caption has more than 30 hashtags' },
  alreadyPublished: 'error',
  mediaFetchTimeoutMs: 15_000,
  videoProcessingMs: 5_000,
  control: true,
};
