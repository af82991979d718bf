// §5 metric tables: which metrics exist, for which periods, types, breakdowns and media types,
// and which were removed (§5.3). The numbers behind them come from SimDay and SimMedia.insights.
import { SimError } from './errors.js';
import type { SimDay } from './state.js';

export type MetricType = 'total_value' | 'time_series';
/** Dimension values with weights that split a total believably. */
export type Dimension = Record<string, number>;

export interface AccountMetric {
  title: string;
  period: 'day' | 'lifetime';
  types: MetricType[];
  breakdowns: Record<string, Dimension>;
  /** undefined: Instagram has no data for it (answered as missing). */
  value?: (day: SimDay) => number;
  /** §5.1: needs at least 100 followers. */
  followerGate?: boolean;
  /** follower_count: only the last 30 days. */
  maxAgeDays?: number;
  demographic?: 'follower' | 'engaged';
}

const MEDIA_PRODUCT_TYPE: Dimension = { POST: 38, REEL: 41, STORY: 13, CAROUSEL_CONTAINER: 8 };
const FOLLOW_TYPE: Dimension = { FOLLOWER: 57, NON_FOLLOWER: 41, UNKNOWN: 2 };
const CONTACT_BUTTON_TYPE: Dimension = { DIRECTION: 46, CALL: 21, TEXT: 17, EMAIL: 9, BOOK_NOW: 7 };
const DEMOGRAPHIC: Record<string, Dimension> = { age: {}, city: {}, country: {}, gender: {} };

export const ACCOUNT_METRICS: Record<string, AccountMetric> = {
  reach: { title: 'Accounts reached', period: 'day', types: ['total_value', 'time_series'], breakdowns: { media_product_type: MEDIA_PRODUCT_TYPE, follow_type: FOLLOW_TYPE }, value: (d) => d.reach },
  views: { title: 'Views', period: 'day', types: ['total_value'], breakdowns: { follower_type: { FOLLOWER: 52, NON_FOLLOWER: 48 }, media_product_type: MEDIA_PRODUCT_TYPE }, value: (d) => d.views },
  accounts_engaged: { title: 'Accounts engaged', period: 'day', types: ['total_value'], breakdowns: {}, value: (d) => d.accountsEngaged },
  total_interactions: { title: 'Content interactions', period: 'day', types: ['total_value'], breakdowns: { media_product_type: MEDIA_PRODUCT_TYPE }, value: (d) => d.totalInteractions },
  likes: { title: 'Likes', period: 'day', types: ['total_value'], breakdowns: { media_product_type: MEDIA_PRODUCT_TYPE }, value: (d) => d.likes },
  comments: { title: 'Comments', period: 'day', types: ['total_value'], breakdowns: { media_product_type: MEDIA_PRODUCT_TYPE }, value: (d) => d.comments },
  saves: { title: 'Saves', period: 'day', types: ['total_value'], breakdowns: { media_product_type: MEDIA_PRODUCT_TYPE }, value: (d) => d.saves },
  shares: { title: 'Shares', period: 'day', types: ['total_value'], breakdowns: { media_product_type: MEDIA_PRODUCT_TYPE }, value: (d) => d.shares },
  replies: { title: 'Replies', period: 'day', types: ['total_value'], breakdowns: {}, value: (d) => d.replies },
  reposts: { title: 'Reposts', period: 'day', types: ['total_value'], breakdowns: {} },
  profile_links_taps: { title: 'Profile link taps', period: 'day', types: ['total_value'], breakdowns: { contact_button_type: CONTACT_BUTTON_TYPE }, value: (d) => d.profileLinksTaps },
  follows_and_unfollows: {
    title: 'Follows and unfollows',
    period: 'day',
    types: ['total_value'],
    breakdowns: { follow_type: {} },
    value: (d) => d.follows + d.unfollows,
    followerGate: true,
  },
  follower_count: { title: 'Follower count', period: 'day', types: ['time_series'], breakdowns: {}, value: (d) => d.follows, followerGate: true, maxAgeDays: 30 },
  follower_demographics: { title: 'Follower demographics', period: 'lifetime', types: ['total_value'], breakdowns: DEMOGRAPHIC, followerGate: true, demographic: 'follower' },
  engaged_audience_demographics: { title: 'Engaged audience demographics', period: 'lifetime', types: ['total_value'], breakdowns: DEMOGRAPHIC, followerGate: true, demographic: 'engaged' },
};

/** §5.1: follower_demographics takes any of these; engaged audience only the first two (v20+). */
export const FOLLOWER_TIMEFRAMES = ['this_week', 'this_month', 'last_14_days', 'last_30_days', 'last_90_days', 'prev_month'];
export const ENGAGED_TIMEFRAMES = ['this_week', 'this_month'];

type Product = 'FEED' | 'REELS' | 'STORY';
export interface MediaMetric {
  title: string;
  products: Product[];
  breakdowns?: Record<string, Dimension>;
}

const ALL: Product[] = ['FEED', 'REELS', 'STORY'];
/** §5.2's table. */
export const MEDIA_METRICS: Record<string, MediaMetric> = {
  views: { title: 'Views', products: ALL },
  reach: { title: 'Accounts reached', products: ALL },
  shares: { title: 'Shares', products: ALL },
  total_interactions: { title: 'Interactions', products: ALL },
  reposts: { title: 'Reposts', products: ALL },
  likes: { title: 'Likes', products: ['FEED', 'REELS'] },
  comments: { title: 'Comments', products: ['FEED', 'REELS'] },
  saved: { title: 'Saves', products: ['FEED', 'REELS'] },
  follows: { title: 'Follows', products: ['FEED', 'STORY'] },
  profile_visits: { title: 'Profile visits', products: ['FEED', 'STORY'] },
  profile_activity: { title: 'Profile activity', products: ['FEED', 'STORY'], breakdowns: { action_type: { BIO_LINK_CLICKED: 40, DIRECTION: 30, CALL: 20, TEXT: 10 } } },
  ig_reels_avg_watch_time: { title: 'Average watch time', products: ['REELS'] },
  ig_reels_video_view_total_time: { title: 'Watch time', products: ['REELS'] },
  reels_skip_rate: { title: 'Skip rate', products: ['REELS'] },
  crossposted_views: { title: 'Cross-posted views', products: ['REELS'] },
  facebook_views: { title: 'Facebook views', products: ALL },
  navigation: { title: 'Navigation', products: ['STORY'], breakdowns: { story_navigation_action_type: { TAP_FORWARD: 55, TAP_BACK: 15, TAP_EXIT: 20, SWIPE_FORWARD: 10 } } },
  replies: { title: 'Replies', products: ['STORY'] },
};

/** §5.3: removed metrics answer code 100. */
const REMOVED = new Set([
  'impressions',
  'plays',
  'video_views',
  'clips_replays_count',
  'ig_reels_aggregated_all_plays_count',
  'profile_views',
  'website_clicks',
  'email_contacts',
  'phone_call_clicks',
  'text_message_clicks',
  'get_direction_clicks',
  'exits',
  'engagement',
  'taps_forward',
  'taps_back',
  'online_followers',
]);
const REMOVED_PREFIXES = ['audience_', 'carousel_album_'];
/** §5.2: Facebook Login only. */
const FACEBOOK_LOGIN_ONLY = new Set(['total_likes', 'total_comments', 'total_views', 'link_clicks']);

/** Code 100 for a metric that is removed, Facebook-Login only, or unknown. */
export function unknownMetric(name: string, index: number, known: string[], forMedia: boolean): SimError {
  if (name === 'impressions') {
    return new SimError(100, `(#100) Starting from version v22.0 and above, the impressions metric is no longer supported${forMedia ? ' for the queried media' : ''}`);
  }
  if (REMOVED.has(name) || REMOVED_PREFIXES.some((p) => name.startsWith(p))) return new SimError(100, `(#100) The ${name} metric is no longer supported`);
  if (FACEBOOK_LOGIN_ONLY.has(name)) return new SimError(100, `(#100) The ${name} metric is only available to apps using Facebook Login`);
  return new SimError(100, `(#100) metric[${index}] must be one of the following values: ${known.join(', ')}`);
}

/** §5.1: a breakdown a metric does not support fails with Graph's generic error (code 1). */
export const unsupportedBreakdown = (): SimError => new SimError(1, 'An unknown error has occurred.');

/** Splits a total by weights into whole numbers that add up to it (largest remainder); zeros dropped. */
export function split(total: number, weights: Dimension): Array<{ dimension_values: string[]; value: number }> {
  const sum = Object.values(weights).reduce((a, b) => a + b, 0);
  if (sum === 0) return [];
  const parts = Object.entries(weights).map(([key, w]) => {
    const exact = (total * w) / sum;
    return { key, value: Math.floor(exact), rest: exact - Math.floor(exact) };
  });
  let left = total - parts.reduce((a, p) => a + p.value, 0);
  for (const p of [...parts].sort((a, b) => b.rest - a.rest)) {
    if (left <= 0) break;
    p.value += 1;
    left -= 1;
  }
  return parts.filter((p) => p.value > 0).map((p) => ({ dimension_values: [p.key], value: p.value }));
}
