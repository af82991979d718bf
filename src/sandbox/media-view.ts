// How media and containers read back through `fields=` (§2.4, §3.1). Asking for a field the node
// does not have is an error, as in Graph, so a typo in a client's field list shows up in tests.
import type { Request } from 'express';
import { absoluteUrl } from './cdn.js';
import { graphTime } from './clock.js';
import type { ContainerStatus } from './containers.js';
import { SimError } from './errors.js';
import { parseFields, pick, type FieldTree } from './fields.js';
import type { SimAccount, SimContainer, SimMedia } from './state.js';

type Child = NonNullable<SimMedia['children']>[number];

/** IGMedia fields with Instagram Login; edges (comments, insights) are other routes' business. */
const MEDIA_FIELDS = new Set([
  'id', 'caption', 'media_type', 'media_product_type', 'media_url', 'thumbnail_url', 'permalink', 'shortcode', 'timestamp', 'username',
  'like_count', 'comments_count', 'is_comment_enabled', 'owner', 'children', 'is_shared_to_feed', 'alt_text', 'legacy_instagram_media_id',
  'comments', 'insights', 'copyright_check_information', 'boost_ads_list', 'boost_eligibility_info', 'media_audio_type',
]);
/** permalink is not available on carousel children (§3.1). */
const CHILD_FIELDS = new Set(['id', 'media_type', 'media_url', 'thumbnail_url', 'timestamp', 'username', 'owner', 'shortcode']);
const CONTAINER_FIELDS = new Set(['id', 'status_code', 'status', 'copyright_check_status']);
const LIMIT_FIELDS = new Set(['quota_usage', 'config']);

function checkNames(tree: FieldTree, known: Set<string>, nodeType: string): void {
  for (const name of tree.keys()) {
    if (!known.has(name)) throw new SimError(100, `(#100) Tried accessing nonexisting field (${name}) on node type (${nodeType})`);
  }
}

export function mediaFields(req: Request): FieldTree {
  const tree = parseFields(req.query['fields'] as string | undefined, 'id');
  checkNames(tree, MEDIA_FIELDS, 'IGMedia');
  const children = tree.get('children');
  // `children` alone reads back as ids only, like any edge asked for without sub-fields.
  if (children === true) tree.set('children', new Map([['id', true]]));
  else if (children) checkNames(children, CHILD_FIELDS, 'IGMedia');
  return tree;
}

export function containerFields(req: Request): FieldTree {
  const tree = parseFields(req.query['fields'] as string | undefined, 'id');
  checkNames(tree, CONTAINER_FIELDS, 'ShadowIGMediaBuilder');
  return tree;
}

export function limitFields(req: Request): FieldTree {
  const tree = parseFields(req.query['fields'] as string | undefined, 'quota_usage');
  checkNames(tree, LIMIT_FIELDS, 'ContentPublishingLimit');
  return tree;
}

function childView(req: Request, parent: SimMedia, account: SimAccount, child: Child): Record<string, unknown> {
  return {
    id: child.id,
    media_type: child.mediaType,
    media_url: absoluteUrl(req, child.mediaUrl),
    timestamp: graphTime(parent.timestamp),
    username: account.username,
    owner: { id: account.igId },
  };
}

function mediaView(req: Request, m: SimMedia, account: SimAccount): Record<string, unknown> {
  return {
    id: m.id,
    caption: m.caption,
    media_type: m.mediaType,
    media_product_type: m.productType,
    media_url: absoluteUrl(req, m.mediaUrl),
    // thumbnail_url exists only on VIDEO (§3.1).
    ...(m.mediaType === 'VIDEO' && m.thumbnailUrl ? { thumbnail_url: absoluteUrl(req, m.thumbnailUrl) } : {}),
    permalink: m.permalink,
    shortcode: m.shortcode,
    timestamp: graphTime(m.timestamp),
    username: account.username,
    like_count: m.likeCount,
    comments_count: m.commentsCount,
    is_comment_enabled: m.commentEnabled,
    owner: { id: account.igId },
    ...(m.children ? { children: { data: m.children.map((c) => childView(req, m, account, c)) } } : {}),
  };
}

export const showMedia = (req: Request, m: SimMedia, account: SimAccount, fields: FieldTree): Record<string, unknown> => pick(mediaView(req, m, account), fields);

export function showChild(req: Request, parent: SimMedia, account: SimAccount, child: Child, fields: FieldTree): Record<string, unknown> {
  const tree = new Map([...fields].filter(([name]) => CHILD_FIELDS.has(name)));
  return pick(childView(req, parent, account, child), tree);
}

/** §2.4: `status` only on ERROR, where it is the sentence with the subcode. */
export function showContainer(c: SimContainer, status: ContainerStatus, fields: FieldTree): Record<string, unknown> {
  const video = c.kind === 'REELS' || c.kind === 'STORY_VIDEO' || c.kind === 'CAROUSEL_ITEM_VIDEO';
  const full: Record<string, unknown> = {
    id: c.id,
    status_code: status.code,
    ...(status.text ? { status: status.text } : {}),
    ...(video ? { copyright_check_status: { status: status.code === 'IN_PROGRESS' ? 'in_progress' : 'completed', matches_found: false } } : {}),
  };
  return pick(full, fields);
}
