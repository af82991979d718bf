// Everything the simulator knows, in memory. Routes read and change it; the control API
// inspects it; seed.ts fills it with a believable business account.
import type { SimClock } from './clock.js';
import { Random } from './random.js';

export const ALL_SCOPES = [
  'instagram_business_basic',
  'instagram_business_content_publish',
  'instagram_business_manage_comments',
  'instagram_business_manage_messages',
  'instagram_business_manage_insights',
] as const;

export interface SimAccount {
  igId: string;
  appScopedId: string;
  username: string;
  name: string;
  accountType: 'BUSINESS' | 'MEDIA_CREATOR';
  profilePictureUrl: string;
  followersCount: number;
  followsCount: number;
  biography: string;
  website: string;
  /** Fields the app subscribed this account to (§7.4). */
  subscribedFields: string[];
}

export interface SimCode {
  code: string;
  igId: string;
  redirectUri: string;
  scopes: string[];
  issuedAt: number;
  used: boolean;
}

export interface SimToken {
  token: string;
  kind: 'short' | 'long';
  igId: string;
  scopes: string[];
  issuedAt: number;
  expiresAt: number;
  /** Set when invalidated (password change 460, logout 467, app removed 458). */
  revokedSubcode?: number;
}

export type ContainerKind = 'IMAGE' | 'CAROUSEL_ITEM_IMAGE' | 'CAROUSEL_ITEM_VIDEO' | 'CAROUSEL' | 'REELS' | 'STORY_IMAGE' | 'STORY_VIDEO';
export type ContainerStatusCode = 'IN_PROGRESS' | 'FINISHED' | 'PUBLISHED' | 'ERROR' | 'EXPIRED';

export interface SimContainer {
  id: string;
  igId: string;
  kind: ContainerKind;
  createdAt: number;
  /** When processing ends (video); the status reads IN_PROGRESS until then. */
  readyAt: number;
  status: ContainerStatusCode;
  /** Set on ERROR: "Error: Media upload has failed with error code 22070xx". */
  statusText?: string;
  caption?: string;
  mediaUrl?: string;
  children?: string[];
  params: Record<string, string>;
  publishedMediaId?: string;
}

export interface SimMedia {
  id: string;
  igId: string;
  mediaType: 'IMAGE' | 'VIDEO' | 'CAROUSEL_ALBUM';
  productType: 'FEED' | 'REELS' | 'STORY';
  caption: string;
  mediaUrl: string;
  thumbnailUrl?: string;
  permalink: string;
  shortcode: string;
  timestamp: number;
  likeCount: number;
  commentsCount: number;
  commentEnabled: boolean;
  children?: Array<{ id: string; mediaType: 'IMAGE' | 'VIDEO'; mediaUrl: string }>;
  /** Lifetime media insights by metric name. */
  insights: Record<string, number>;
  fromContainerId?: string;
}

export interface SimComment {
  id: string;
  mediaId: string;
  parentId?: string;
  text: string;
  timestamp: number;
  fromId: string;
  username: string;
  likeCount: number;
  hidden: boolean;
  /** A private reply was sent for this comment (§3.5: only one). */
  privateReplySent?: boolean;
}

export interface SimConversation {
  id: string;
  igId: string;
  participantId: string;
  participantUsername: string;
  updatedAt: number;
  /** The customer's last inbound message: the messaging window counts from here (§4.3). */
  lastInboundAt: number;
}

export interface SimMessage {
  id: string;
  conversationId: string;
  fromId: string;
  toId: string;
  text: string;
  createdAt: number;
  direction: 'in' | 'out';
}

/** One day of account metrics (§5.1), newest last. */
export interface SimDay {
  day: string;
  followers: number;
  follows: number;
  unfollows: number;
  reach: number;
  views: number;
  accountsEngaged: number;
  totalInteractions: number;
  likes: number;
  comments: number;
  saves: number;
  shares: number;
  replies: number;
  profileLinksTaps: number;
}

export interface SimDemographics {
  age: Record<string, number>;
  gender: Record<string, number>;
  country: Record<string, number>;
  city: Record<string, number>;
}

export type FaultKind = 'throttle' | 'server-error' | 'latency' | 'reset' | 'invalidate-token' | 'container-error';

export interface SimFault {
  kind: FaultKind;
  /** Only requests whose path contains this text (default: every Graph request; not used by container-error). */
  pathIncludes?: string;
  /** How many requests it applies to; undefined = until cleared (container-error: the next video container only). */
  remaining?: number;
  code?: number;
  subcode?: number;
  ms?: number;
  regainMinutes?: number;
}

export class SimState {
  readonly random: Random;
  readonly accounts = new Map<string, SimAccount>();
  readonly codes = new Map<string, SimCode>();
  readonly tokens = new Map<string, SimToken>();
  readonly containers = new Map<string, SimContainer>();
  readonly media = new Map<string, SimMedia>();
  readonly comments = new Map<string, SimComment>();
  readonly conversations = new Map<string, SimConversation>();
  readonly messages = new Map<string, SimMessage>();
  readonly days = new Map<string, SimDay[]>();
  readonly demographics = new Map<string, SimDemographics>();
  /** Successful publishes per account, for the rolling 24 h quota (§2.6). */
  readonly publishes: Array<{ igId: string; at: number; containerId: string }> = [];
  faults: SimFault[] = [];
  /** The newest Graph requests (method, path and query; never the token), for tests that check what was asked. */
  readonly requestLog: Array<{ method: string; path: string; query: Record<string, string> }> = [];
  readonly counters = {
    requests: 0,
    /** media_publish calls per container id, successful or not. */
    mediaPublishCalls: new Map<string, number>(),
    webhooksSent: 0,
    webhooksFailed: 0,
  };
  private idCounter = 0;

  constructor(
    readonly clock: SimClock,
    seed: number,
  ) {
    this.random = new Random(seed);
  }

  /** Graph-looking numeric ids: 17 digits starting 178 (unique, increasing). */
  newId(prefix = '178'): string {
    this.idCounter += 1;
    const tail = String(this.random.int(10_000, 99_999)) + String(this.idCounter).padStart(9, '0');
    return (prefix + tail).slice(0, 17).padEnd(17, '0');
  }

  /** Base64-looking ids for conversations and messages (§4.1). */
  newOpaqueId(prefix: string): string {
    return prefix + this.random.token(40);
  }

  primaryAccount(): SimAccount {
    const first = this.accounts.values().next().value;
    if (!first) throw new Error('the simulator has no account; seed it first');
    return first;
  }

  mediaOf(igId: string): SimMedia[] {
    return [...this.media.values()].filter((m) => m.igId === igId).sort((a, b) => b.timestamp - a.timestamp || (a.id < b.id ? 1 : -1));
  }
}
