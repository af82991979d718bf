// §2 and §3.1: containers, validation, publishing, the quota and media listing.
// (Filled in by the publishing part of the simulator.)
import { Router } from 'express';
import type { SimContext } from './context.js';
import type { NodeKind } from './nodes.js';

export function mediaRoutes(_ctx: SimContext, _router: Router): void {}

export const mediaNodes: Array<NodeKind<never>> = [];

/** Serves the media files the simulator hands out as media_url (mounted at <base>/cdn). */
export function cdnRouter(_ctx: SimContext): Router {
  return Router();
}
