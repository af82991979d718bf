// GET/POST /<id> for containers (§2.4) and media (§3.1, §3.4), registered with nodes.ts.
import { requireScope } from './auth.js';
import { statusOf } from './containers.js';
import { errors } from './errors.js';
import { booleanParam, paramsOf } from './media-params.js';
import { containerFields, mediaFields, showChild, showContainer, showMedia } from './media-view.js';
import type { NodeKind } from './nodes.js';
import type { SimContainer, SimMedia } from './state.js';

export const containerNode: NodeKind<SimContainer> = {
  name: 'container',
  find: (ctx, id, authed) => {
    const c = ctx.state.containers.get(id);
    return c && c.igId === authed.account.igId ? c : undefined;
  },
  async get(ctx, req, res, c, authed) {
    requireScope(authed, 'instagram_business_content_publish');
    const fields = containerFields(req);
    res.json(showContainer(c, await statusOf(ctx, c), fields));
  },
};

/** A media object, or one item of a carousel (which Graph also addresses by its own id). */
interface FoundMedia {
  media: SimMedia;
  child?: NonNullable<SimMedia['children']>[number];
}

export const mediaNode: NodeKind<FoundMedia> = {
  name: 'media',
  find: (ctx, id, authed) => {
    const own = ctx.state.media.get(id);
    if (own) return own.igId === authed.account.igId ? { media: own } : undefined;
    for (const media of ctx.state.mediaOf(authed.account.igId)) {
      const child = media.children?.find((c) => c.id === id);
      if (child) return { media, child };
    }
    return undefined;
  },
  get(_ctx, req, res, found, authed) {
    requireScope(authed, 'instagram_business_basic');
    const fields = mediaFields(req);
    res.json(found.child ? showChild(req, found.media, authed.account, found.child, fields) : showMedia(req, found.media, authed.account, fields));
  },
  /** §3.4: POST /<MEDIA_ID>?comment_enabled=true|false. */
  post(_ctx, req, res, found, authed) {
    requireScope(authed, 'instagram_business_manage_comments');
    if (found.child) throw errors.invalidParameter('comments are turned on or off on the carousel, not on its items');
    const enabled = booleanParam(paramsOf(req), 'comment_enabled');
    if (enabled === undefined) throw errors.missingParameter('comment_enabled');
    found.media.commentEnabled = enabled;
    res.json({ success: true });
  },
};
