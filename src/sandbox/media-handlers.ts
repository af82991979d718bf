// Handlers for the account's publishing edges (§2, §3.1): parse → check → service → answer.
import type { Request, Response } from 'express';
import { authenticate, ownAccount, requireScope } from './auth.js';
import { DAY } from './clock.js';
import type { SimContext } from './context.js';
import { createContainer } from './containers.js';
import { publishContainer, quotaUsage } from './containers-publish.js';
import { containerRequest } from './containers-spec.js';
import { errors } from './errors.js';
import { pick } from './fields.js';
import { paramsOf } from './media-params.js';
import { limitFields, mediaFields, showMedia } from './media-view.js';
import { limitOf, paginate } from './paging.js';
import type { SimAccount } from './state.js';

const PUBLISH_SCOPE = 'instagram_business_content_publish';
/** §3.1: at most the 10,000 most recent media are listed. */
const LISTABLE = 10_000;

function accountFor(ctx: SimContext, req: Request, scope: string): SimAccount {
  const authed = authenticate(ctx, req);
  requireScope(authed, scope);
  return ownAccount(authed, String(req.params['igId']));
}

/** A Unix time in seconds from the query, in milliseconds. */
function unixParam(req: Request, name: string): number | undefined {
  const raw = req.query[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^\d{1,12}$/.test(raw)) throw errors.invalidParameter(`${name} must be a Unix time in seconds`);
  return Number(raw) * 1000;
}

export async function createMediaContainer(ctx: SimContext, req: Request, res: Response): Promise<void> {
  const account = accountFor(ctx, req, PUBLISH_SCOPE);
  const container = await createContainer(ctx, account, containerRequest(paramsOf(req)));
  res.json({ id: container.id });
}

export async function publishMedia(ctx: SimContext, req: Request, res: Response): Promise<void> {
  const account = accountFor(ctx, req, PUBLISH_SCOPE);
  const creationId = paramsOf(req)['creation_id'];
  if (!creationId) throw errors.missingParameter('creation_id');
  res.json({ id: await publishContainer(ctx, account, creationId) });
}

/** §2.6: `since` may not reach back further than the 24 h window. */
export function showPublishingLimit(ctx: SimContext, req: Request, res: Response): void {
  const account = accountFor(ctx, req, PUBLISH_SCOPE);
  const fields = limitFields(req);
  const since = unixParam(req, 'since');
  const now = ctx.clock.now();
  if (since !== undefined && (since < now - DAY || since > now)) throw errors.invalidParameter('since must be a Unix time within the past 24 hours');
  const full = {
    quota_usage: quotaUsage(ctx, account.igId, since),
    config: { quota_total: ctx.options.quotaTotal, quota_duration: DAY / 1000 },
  };
  res.json({ data: [pick(full, fields)] });
}

/** §3.1: newest first, stories excluded, cursor paging, optional since/until. */
export function listMedia(ctx: SimContext, req: Request, res: Response): void {
  const account = accountFor(ctx, req, 'instagram_business_basic');
  const fields = mediaFields(req);
  const since = unixParam(req, 'since') ?? -Infinity;
  const until = unixParam(req, 'until') ?? Infinity;
  const items = ctx.state
    .mediaOf(account.igId)
    .filter((m) => m.productType !== 'STORY' && m.timestamp >= since && m.timestamp <= until)
    .slice(0, LISTABLE);
  const page = paginate(req, items, limitOf(req, 25, 100));
  res.json({ data: page.data.map((m) => showMedia(req, m, account, fields)), ...(page.paging ? { paging: page.paging } : {}) });
}

/** §3.1: stories live 24 h and are listed apart from the feed (GET /<IG_ID>/stories). */
export function listStories(ctx: SimContext, req: Request, res: Response): void {
  const account = accountFor(ctx, req, 'instagram_business_basic');
  const fields = mediaFields(req);
  const since = ctx.clock.now() - DAY;
  const items = ctx.state.mediaOf(account.igId).filter((m) => m.productType === 'STORY' && m.timestamp >= since);
  const page = paginate(req, items, limitOf(req, 25, 100));
  res.json({ data: page.data.map((m) => showMedia(req, m, account, fields)), ...(page.paging ? { paging: page.paging } : {}) });
}
