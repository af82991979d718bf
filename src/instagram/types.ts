// Shapes Instagram answers with (section numbers refer to shared/design/instagram-api.md).

export const REQUIRED_SCOPES = [
  'instagram_business_basic',
  'instagram_business_content_publish',
  'instagram_business_manage_comments',
  'instagram_business_manage_messages',
  'instagram_business_manage_insights',
] as const;

export interface Paging {
  cursors?: { before?: string; after?: string };
  next?: string;
  previous?: string;
}

export interface Page<T> {
  data: T[];
  paging?: Paging;
}

/** §1.3: the code exchange, normalised from either documented shape. */
export interface ShortLivedToken {
  accessToken: string;
  /** App-scoped user id, as a string (it can exceed 2^53). */
  userId: string;
  permissions: string[];
}

export interface LongLivedToken {
  accessToken: string;
  tokenType: string;
  expiresIn: number;
}

/** §1.6 */
export interface Profile {
  user_id: string;
  id: string;
  username: string;
  name?: string;
  account_type?: 'BUSINESS' | 'MEDIA_CREATOR';
  profile_picture_url?: string;
  followers_count?: number;
  follows_count?: number;
  media_count?: number;
  biography?: string;
  website?: string;
}

/** §3.1 */
export interface Media {
  id: string;
  caption?: string;
  media_type: 'IMAGE' | 'VIDEO' | 'CAROUSEL_ALBUM';
  media_product_type?: 'AD' | 'FEED' | 'STORY' | 'REELS';
  media_url?: string;
  thumbnail_url?: string;
  permalink?: string;
  shortcode?: string;
  timestamp: string;
  username?: string;
  like_count?: number;
  comments_count?: number;
  is_comment_enabled?: boolean;
  children?: { data: Array<{ id: string; media_type: string; media_url?: string }> };
}

export type ContainerStatusCode = 'IN_PROGRESS' | 'FINISHED' | 'PUBLISHED' | 'ERROR' | 'EXPIRED';

/** §2.4 */
export interface ContainerStatus {
  id: string;
  status_code: ContainerStatusCode;
  status?: string;
}

/** §2.6 */
export interface PublishingLimit {
  quota_usage: number;
  config?: { quota_total: number; quota_duration: number };
}

/** §3.2 */
export interface Comment {
  id: string;
  text: string;
  timestamp: string;
  username?: string;
  like_count?: number;
  hidden?: boolean;
  from?: { id: string; username: string };
  parent_id?: string;
  replies?: Page<Comment>;
}

/** §4.1 */
export interface Conversation {
  id: string;
  updated_time: string;
  participants?: { data: Array<{ id: string; username?: string }> };
}

export interface Message {
  id: string;
  created_time: string;
  from?: { id: string; username?: string };
  to?: { data: Array<{ id: string; username?: string }> };
  message?: string;
}

export interface SentMessage {
  recipient_id: string;
  message_id: string;
}

/** §5.1 / 5.2 */
export interface Insight {
  name: string;
  period: string;
  title?: string;
  description?: string;
  id?: string;
  values?: Array<{ value: number | Record<string, number>; end_time?: string }>;
  total_value?: {
    /** Absent on demographics, which only have breakdowns. */
    value?: number;
    breakdowns?: Array<{ dimension_keys: string[]; results: Array<{ dimension_values: string[]; value: number }> }>;
  };
}

export interface Success {
  success: boolean;
}
