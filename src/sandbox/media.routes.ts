// §2 and §3.1: containers, validation, publishing, the quota and media listing.
// (Filled in by the publishing part of the simulator.)
import type { Router } from 'express';
import type { SimContext } from './context.js';
import type { NodeKind } from './nodes.js';

export function mediaRoutes(_ctx: SimContext, _router: Router): void {}

export const mediaNodes: Array<NodeKind<never>> = [];
