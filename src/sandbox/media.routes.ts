// §2 and §3.1: containers, validation, publishing, the quota and media listing. The rules live
// in containers*.ts and media-*.ts; this file is the table.
import type { Router } from 'express';
import type { SimContext } from './context.js';
import { createMediaContainer, listMedia, listStories, publishMedia, showPublishingLimit } from './media-handlers.js';
import { containerNode, mediaNode } from './media-nodes.js';
import type { NodeKind } from './nodes.js';

export function mediaRoutes(ctx: SimContext, router: Router): void {
  router.post('/:igId/media', (req, res) => createMediaContainer(ctx, req, res));
  router.post('/:igId/media_publish', (req, res) => publishMedia(ctx, req, res));
  router.get('/:igId/content_publishing_limit', (req, res) => showPublishingLimit(ctx, req, res));
  router.get('/:igId/media', (req, res) => listMedia(ctx, req, res));
  router.get('/:igId/stories', (req, res) => listStories(ctx, req, res));
}

export const mediaNodes: Array<NodeKind<never>> = [containerNode as NodeKind<never>, mediaNode as NodeKind<never>];

/** Serves the media files the simulator hands out as media_url (mounted at <base>/cdn). */
export { cdnRouter } from './cdn.js';
