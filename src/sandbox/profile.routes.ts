// §1.6: /me and /<IG_ID>.
import type { Request, Router } from 'express';
import { authedOf, requireScope, requireToken } from './auth.js';
import { absoluteUrl } from './cdn.js';
import type { SimContext } from './context.js';
import { parseFields, pick } from './fields.js';
import type { NodeKind } from './nodes.js';
import type { SimAccount } from './state.js';

function profileOf(ctx: SimContext, req: Request, a: SimAccount): Record<string, unknown> {
  return {
    user_id: a.igId,
    id: a.appScopedId,
    username: a.username,
    name: a.name,
    account_type: a.accountType,
    profile_picture_url: absoluteUrl(req, a.profilePictureUrl),
    followers_count: a.followersCount,
    follows_count: a.followsCount,
    media_count: ctx.state.mediaOf(a.igId).filter((m) => m.productType !== 'STORY').length,
    biography: a.biography,
    website: a.website,
  };
}

export function profileRoutes(ctx: SimContext, router: Router): void {
  router.get('/me', requireToken(ctx, 'instagram_business_basic'), (req, res) => {
    const { account } = authedOf(res);
    res.json(pick(profileOf(ctx, req, account), parseFields(req.query['fields'] as string | undefined, 'id,username')));
  });
}

export const accountNode: NodeKind<SimAccount> = {
  name: 'account',
  find: (_ctx, id, authed) => (id === authed.account.igId || id === authed.account.appScopedId ? authed.account : undefined),
  get(ctx, req, res, account, authed) {
    requireScope(authed, 'instagram_business_basic');
    res.json(pick(profileOf(ctx, req, account), parseFields(req.query['fields'] as string | undefined, 'id,username')));
  },
};
