// §3.2–3.5 comments and moderation, §4 messaging, §7.4 subscribed_apps, §5 insights.
// (Filled in by the engagement part of the simulator.)
import type { Router } from 'express';
import type { ControlExtension } from './control.routes.js';
import type { SimContext } from './context.js';
import type { NodeKind } from './nodes.js';

export function engagementRoutes(_ctx: SimContext, _router: Router): void {}

export const engagementNodes: Array<NodeKind<never>> = [];

export const engagementControl: ControlExtension = () => {};
