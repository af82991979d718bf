// Which insights Qanat asks Instagram for (§5, 2026 reference). Nothing removed in §5.3 is ever
// requested: the test suite checks the simulator's request log against DEPRECATED_METRICS.

/** Daily account metrics, asked together for one day at a time (total_value over that day). */
export const ACCOUNT_DAY_METRICS = ['reach', 'views', 'accounts_engaged', 'total_interactions', 'likes', 'comments', 'saves', 'shares', 'profile_links_taps'] as const;
export type AccountDayMetric = (typeof ACCOUNT_DAY_METRICS)[number];

/** follows_and_unfollows (≥100 followers), stored as two daily metrics from its follow_type breakdown. */
export const FOLLOW_METRICS = ['follows', 'unfollows'] as const;

/** Marks a day as asked for, so days before the account existed are not asked again every night. */
export const CHECKED = '_checked';

/** §5.2 by media product type; stories are not posts and expire after 24 h, so they are left out. */
export const FEED_MEDIA_METRICS = ['views', 'reach', 'likes', 'comments', 'saved', 'shares', 'total_interactions'] as const;
export const REELS_MEDIA_METRICS = [...FEED_MEDIA_METRICS, 'ig_reels_avg_watch_time', 'reels_skip_rate'] as const;

/** §5.3: removed or deprecated; never to be sent. */
export const DEPRECATED_METRICS = [
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
  'engagement',
  'exits',
  'taps_forward',
  'taps_back',
  'carousel_album_impressions',
  'carousel_album_reach',
  'carousel_album_engagement',
  'audience_gender_age',
  'audience_city',
  'audience_country',
  'audience_locale',
] as const;

/** Instagram shares follows/unfollows and demographics only from 100 followers on (§5.1). */
export const FOLLOWER_GATE = 100;
