// §2.5–2.6 media_publish and the rolling 24 h publishing quota.
import { DAY } from './clock.js';
import type { SimContext } from './context.js';
import { renameUpload } from './cdn.js';
import { isCarouselItem, statusOf } from './containers.js';
import { errors } from './errors.js';
import { mediaErrors } from './media-errors.js';
import type { SimAccount, SimContainer, SimMedia } from './state.js';

/** Successful publishes in the rolling 24 h (a carousel is one), optionally only since a moment. */
export function quotaUsage(ctx: SimContext, igId: string, sinceMs?: number): number {
  const from = Math.max(ctx.clock.now() - DAY, sinceMs ?? -Infinity);
  return ctx.state.publishes.filter((p) => p.igId === igId && p.at > from).length;
}

function countCall(ctx: SimContext, containerId: string): void {
  const calls = ctx.state.counters.mediaPublishCalls;
  calls.set(containerId, (calls.get(containerId) ?? 0) + 1);
}

const EMPTY_INSIGHTS = { reach: 0, views: 0, likes: 0, comments: 0, saved: 0, shares: 0, total_interactions: 0 };

function shapeOf(c: SimContainer): Pick<SimMedia, 'mediaType' | 'productType'> {
  switch (c.kind) {
    case 'REELS':
      return { mediaType: 'VIDEO', productType: 'REELS' }; // a reel reads back as VIDEO (§2.2)
    case 'STORY_IMAGE':
      return { mediaType: 'IMAGE', productType: 'STORY' };
    case 'STORY_VIDEO':
      return { mediaType: 'VIDEO', productType: 'STORY' };
    case 'CAROUSEL':
      return { mediaType: 'CAROUSEL_ALBUM', productType: 'FEED' };
    default:
      return { mediaType: 'IMAGE', productType: 'FEED' };
  }
}

/**
 * Images are served from the simulator's CDN (a copy of the upload); a video's media_url is the
 * source URL it was fetched from, the only playable copy the simulator has.
 */
function mediaUrlOf(ctx: SimContext, c: SimContainer, mediaId: string): string {
  if (c.kind === 'REELS' || c.kind === 'STORY_VIDEO' || c.kind === 'CAROUSEL_ITEM_VIDEO') {
    renameUpload(ctx, `${c.id}-thumb.jpg`, `${mediaId}-thumb.jpg`);
    return c.mediaUrl ?? `cdn/${mediaId}.jpg`;
  }
  renameUpload(ctx, `${c.id}.jpg`, `${mediaId}.jpg`);
  return `cdn/${mediaId}.jpg`;
}

function markPublished(c: SimContainer, mediaId: string): void {
  c.status = 'PUBLISHED';
  c.publishedMediaId = mediaId;
}

function permalinkOf(account: SimAccount, media: Pick<SimMedia, 'id' | 'productType' | 'shortcode'>): string {
  if (media.productType === 'STORY') return `https://www.instagram.com/stories/${account.username}/${media.id}/`;
  return `https://www.instagram.com/${media.productType === 'REELS' ? 'reel' : 'p'}/${media.shortcode}/`;
}

function createMedia(ctx: SimContext, account: SimAccount, c: SimContainer): SimMedia {
  const id = ctx.state.newId('179');
  const shape = shapeOf(c);
  const shortcode = ctx.state.random.token(11);
  const media: SimMedia = {
    id,
    igId: account.igId,
    ...shape,
    caption: c.caption ?? '',
    mediaUrl: '',
    permalink: permalinkOf(account, { id, productType: shape.productType, shortcode }),
    shortcode,
    timestamp: ctx.clock.now(),
    likeCount: 0,
    commentsCount: 0,
    commentEnabled: true,
    insights: { ...EMPTY_INSIGHTS },
    fromContainerId: c.id,
  };
  if (c.kind === 'CAROUSEL') {
    media.children = (c.children ?? []).map((childId) => {
      const child = ctx.state.containers.get(childId) as SimContainer;
      const mediaChildId = ctx.state.newId('179');
      const mediaUrl = mediaUrlOf(ctx, child, mediaChildId);
      // The items are used up with their carousel: they cannot be published again.
      markPublished(child, mediaChildId);
      return { id: mediaChildId, mediaType: child.kind === 'CAROUSEL_ITEM_VIDEO' ? ('VIDEO' as const) : ('IMAGE' as const), mediaUrl };
    });
    media.mediaUrl = media.children[0]?.mediaUrl ?? '';
  } else {
    media.mediaUrl = mediaUrlOf(ctx, c, id);
    if (shape.mediaType === 'VIDEO') media.thumbnailUrl = `cdn/${id}-thumb.jpg`;
  }
  return media;
}

/**
 * Every call is counted before anything is decided, so tests can see a client that hammers
 * media_publish. Then, in order: unknown or expired → 24/2207008; already published → see
 * PublishingOptions.alreadyPublished; not FINISHED (IN_PROGRESS or ERROR) → 9007/2207027, so a
 * client must read status_code to tell waiting from failing; over quota → 9/2207042.
 */
export async function publishContainer(ctx: SimContext, account: SimAccount, creationId: string): Promise<string> {
  countCall(ctx, creationId);
  const c = ctx.state.containers.get(creationId);
  if (!c || c.igId !== account.igId) throw mediaErrors.containerGone(creationId);
  if (isCarouselItem(c)) throw errors.invalidParameter('a carousel item cannot be published on its own; publish the carousel container');
  const status = await statusOf(ctx, c);
  if (status.code === 'EXPIRED') throw mediaErrors.containerGone(creationId);
  if (status.code === 'PUBLISHED') {
    if (ctx.options.alreadyPublished === 'same-id' && c.publishedMediaId) return c.publishedMediaId;
    throw mediaErrors.containerGone(creationId);
  }
  if (status.code !== 'FINISHED') throw mediaErrors.notReady();
  if (quotaUsage(ctx, account.igId) >= ctx.options.quotaTotal) throw mediaErrors.quotaReached();
  const usedChild = (c.children ?? []).find((id) => ctx.state.containers.get(id)?.publishedMediaId !== undefined);
  if (usedChild) throw errors.invalidParameter(`children: ${usedChild} was already published in another carousel`);
  const media = createMedia(ctx, account, c);
  ctx.state.media.set(media.id, media);
  ctx.state.publishes.push({ igId: account.igId, at: media.timestamp, containerId: c.id });
  markPublished(c, media.id);
  return media.id;
}
