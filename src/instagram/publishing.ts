// §2 and §3.1: profile, media, containers, publishing and the quota.
import type { Graph } from './graph.js';
import type { ContainerStatus, Media, Page, Profile, PublishingLimit } from './types.js';

export const PROFILE_FIELDS = 'user_id,id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count,biography,website';
export const MEDIA_FIELDS =
  'id,caption,media_type,media_product_type,media_url,thumbnail_url,permalink,shortcode,timestamp,username,like_count,comments_count,is_comment_enabled,children{id,media_type,media_url}';

export interface UserTag {
  username: string;
  x?: number;
  y?: number;
}

export interface ImageContainer {
  imageUrl: string;
  caption?: string;
  altText?: string;
  userTags?: UserTag[];
  collaborators?: string[];
  /** §2.2: the AI label (22 Jun 2026); never on carousel items. */
  isAiGenerated?: boolean;
}

export interface ReelContainer {
  videoUrl: string;
  caption?: string;
  shareToFeed?: boolean;
  coverUrl?: string;
  thumbOffsetMs?: number;
  userTags?: UserTag[];
  collaborators?: string[];
  /** Renames the reel's original audio; Instagram lets it be set once. */
  audioName?: string;
  /** §2.2 trial reels (error 2207081 when the account cannot use them). */
  trialGraduation?: 'MANUAL' | 'SS_PERFORMANCE';
  isAiGenerated?: boolean;
}

export type CarouselChild = { imageUrl: string; altText?: string; userTags?: UserTag[] } | { videoUrl: string; userTags?: UserTag[] };

export type StoryContainer = { imageUrl: string; userTags?: UserTag[] } | { videoUrl: string; userTags?: UserTag[] };

const json = (value: unknown): string | undefined => (value === undefined ? undefined : JSON.stringify(value));

export class PublishingApi {
  constructor(private readonly graph: Graph) {}

  me(token: string): Promise<Profile> {
    return this.graph.get<Profile>(token, 'me', { fields: PROFILE_FIELDS });
  }

  listMedia(token: string, igId: string, options: { limit?: number; after?: string } = {}): Promise<Page<Media>> {
    return this.graph.get<Page<Media>>(token, `${igId}/media`, { fields: MEDIA_FIELDS, limit: options.limit ?? 25, after: options.after });
  }

  nextPage<T>(token: string, page: Page<T>): Promise<Page<T>> | undefined {
    return page.paging?.next ? this.graph.next<Page<T>>(token, page.paging.next) : undefined;
  }

  async createImage(token: string, igId: string, c: ImageContainer): Promise<string> {
    const body = {
      image_url: c.imageUrl,
      caption: c.caption,
      alt_text: c.altText,
      user_tags: json(c.userTags),
      collaborators: json(c.collaborators),
      is_ai_generated: c.isAiGenerated,
    };
    return (await this.graph.post<{ id: string }>(token, `${igId}/media`, body)).id;
  }

  async createCarouselChild(token: string, igId: string, c: CarouselChild): Promise<string> {
    const body =
      'imageUrl' in c
        ? { is_carousel_item: true, image_url: c.imageUrl, alt_text: c.altText, user_tags: json(c.userTags) }
        : { is_carousel_item: true, media_type: 'VIDEO', video_url: c.videoUrl, user_tags: json(c.userTags) };
    return (await this.graph.post<{ id: string }>(token, `${igId}/media`, body)).id;
  }

  /** The AI label goes on the parent only; setting it on an item is an error (§2.2). */
  async createCarousel(token: string, igId: string, children: string[], options: { caption?: string; collaborators?: string[]; isAiGenerated?: boolean } = {}): Promise<string> {
    const body = {
      media_type: 'CAROUSEL',
      children: children.join(','),
      caption: options.caption,
      collaborators: json(options.collaborators),
      is_ai_generated: options.isAiGenerated,
    };
    return (await this.graph.post<{ id: string }>(token, `${igId}/media`, body)).id;
  }

  async createReel(token: string, igId: string, c: ReelContainer): Promise<string> {
    const body = {
      media_type: 'REELS',
      video_url: c.videoUrl,
      caption: c.caption,
      share_to_feed: c.shareToFeed,
      cover_url: c.coverUrl,
      thumb_offset: c.thumbOffsetMs,
      user_tags: json(c.userTags),
      collaborators: json(c.collaborators),
      audio_name: c.audioName,
      trial_params: c.trialGraduation ? json({ graduation_strategy: c.trialGraduation }) : undefined,
      is_ai_generated: c.isAiGenerated,
    };
    return (await this.graph.post<{ id: string }>(token, `${igId}/media`, body)).id;
  }

  async createStory(token: string, igId: string, c: StoryContainer): Promise<string> {
    const media = 'imageUrl' in c ? { image_url: c.imageUrl } : { video_url: c.videoUrl };
    return (await this.graph.post<{ id: string }>(token, `${igId}/media`, { media_type: 'STORIES', ...media, user_tags: json(c.userTags) })).id;
  }

  containerStatus(token: string, containerId: string): Promise<ContainerStatus> {
    return this.graph.get<ContainerStatus>(token, containerId, { fields: 'id,status_code,status' });
  }

  /**
   * §2.5: never retry this blindly. If an answer is lost the post may be live, and a second call
   * for a PUBLISHED container is refused or answered unpredictably: read containerStatus first.
   */
  async publish(token: string, igId: string, containerId: string): Promise<string> {
    return (await this.graph.post<{ id: string }>(token, `${igId}/media_publish`, { creation_id: containerId })).id;
  }

  /** §2.6: trust config.quota_total, the docs disagree on it. `since` (Unix s) must be within the last 24 h. */
  async publishingLimit(token: string, igId: string, options: { since?: number } = {}): Promise<PublishingLimit> {
    const page = await this.graph.get<Page<PublishingLimit>>(token, `${igId}/content_publishing_limit`, { fields: 'quota_usage,config', since: options.since });
    const first = page.data[0];
    if (!first) throw new Error('content_publishing_limit answered with no data');
    return first;
  }

  /** §3.1: stories are not in /media; they are listed here while they are up (24 h). */
  listStories(token: string, igId: string): Promise<Page<Media>> {
    return this.graph.get<Page<Media>>(token, `${igId}/stories`, { fields: MEDIA_FIELDS });
  }

  mediaById(token: string, mediaId: string): Promise<Media> {
    return this.graph.get<Media>(token, mediaId, { fields: MEDIA_FIELDS });
  }
}
