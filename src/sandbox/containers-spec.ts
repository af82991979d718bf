// §2.2: which kind of container a POST /<IG_ID>/media asks for, and whether its parameters are
// allowed for that kind. Strict on purpose: a parameter the contract does not list for a type is
// refused, so a client cannot come to depend on something Instagram may drop or reject.
import { errors } from './errors.js';
import { mediaErrors } from './media-errors.js';
import { booleanParam, idListParam, jsonParam, type Params } from './media-params.js';
import type { ContainerKind } from './state.js';

export interface ContainerRequest {
  kind: ContainerKind;
  /** image_url or video_url; none for a carousel parent. */
  sourceUrl?: string;
  caption?: string;
  children?: string[];
  params: Params;
}

/** Documented media_type values; an image sends none (IMAGE itself is not one of them). */
const MEDIA_TYPES = new Set(['CAROUSEL', 'REELS', 'STORIES', 'VIDEO']);

/** Not available with Instagram Login (§2.2). */
const FACEBOOK_LOGIN_ONLY = ['branded_content_sponsor_ids', 'is_paid_partnership', 'audio_configuration', 'product_tags'];

const ALLOWED: Record<ContainerKind, readonly string[]> = {
  IMAGE: ['image_url', 'caption', 'alt_text', 'user_tags', 'collaborators', 'location_id', 'is_ai_generated'],
  REELS: ['media_type', 'video_url', 'upload_type', 'caption', 'share_to_feed', 'cover_url', 'thumb_offset', 'audio_name', 'collaborators', 'user_tags', 'location_id', 'trial_params', 'is_ai_generated'],
  STORY_IMAGE: ['media_type', 'image_url', 'user_tags'],
  STORY_VIDEO: ['media_type', 'video_url', 'upload_type', 'user_tags'],
  CAROUSEL_ITEM_IMAGE: ['is_carousel_item', 'image_url', 'user_tags', 'alt_text'],
  CAROUSEL_ITEM_VIDEO: ['is_carousel_item', 'media_type', 'video_url', 'upload_type', 'user_tags'],
  CAROUSEL: ['media_type', 'children', 'caption', 'collaborators', 'location_id', 'is_ai_generated'],
};
const KNOWN = new Set([...Object.values(ALLOWED).flat(), 'is_carousel_item']);

const DESCRIBED: Record<ContainerKind, string> = {
  IMAGE: 'image posts',
  REELS: 'reels',
  STORY_IMAGE: 'stories',
  STORY_VIDEO: 'stories',
  CAROUSEL_ITEM_IMAGE: 'carousel items',
  CAROUSEL_ITEM_VIDEO: 'carousel items',
  CAROUSEL: 'carousels',
};

function kindOf(p: Params): ContainerKind {
  const mediaType = p['media_type'];
  if (mediaType !== undefined && !MEDIA_TYPES.has(mediaType)) throw mediaErrors.unknownMediaType(mediaType);
  if (booleanParam(p, 'is_carousel_item') === true) {
    if (mediaType === 'VIDEO') {
      if (!p['video_url']) throw errors.missingParameter('video_url');
      return 'CAROUSEL_ITEM_VIDEO';
    }
    // Reels cannot be carousel items; child videos use media_type=VIDEO (§2.2).
    if (mediaType !== undefined) throw errors.invalidParameter(`media_type ${mediaType} cannot be a carousel item; use VIDEO for a video item`);
    if (!p['image_url']) throw errors.missingParameter('image_url');
    return 'CAROUSEL_ITEM_IMAGE';
  }
  switch (mediaType) {
    case undefined:
      if (!p['image_url']) throw errors.missingParameter('image_url');
      return 'IMAGE';
    case 'VIDEO':
      throw mediaErrors.feedVideoUnsupported();
    case 'CAROUSEL':
      if (!p['children']) throw errors.missingParameter('children');
      return 'CAROUSEL';
    case 'REELS':
      if (!p['video_url']) throw errors.missingParameter('video_url');
      return 'REELS';
    default: {
      const image = Boolean(p['image_url']);
      const video = Boolean(p['video_url']);
      if (image === video) throw errors.invalidParameter('a story takes exactly one of image_url and video_url');
      return image ? 'STORY_IMAGE' : 'STORY_VIDEO';
    }
  }
}

function checkAllowed(kind: ContainerKind, p: Params): void {
  for (const name of Object.keys(p)) {
    if (FACEBOOK_LOGIN_ONLY.includes(name)) throw mediaErrors.notAllowed(name, 'the Instagram API with Instagram Login');
    if (!KNOWN.has(name) || ALLOWED[kind].includes(name)) continue;
    if (name === 'is_carousel_item' && booleanParam(p, name) === false) continue;
    throw mediaErrors.notAllowed(name, DESCRIBED[kind]);
  }
}

const chars = (text: string): number => [...text].length;
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** §2.2: JSON array of {username, x, y}; x/y in 0–1 from the top-left, optional on stories. */
function checkUserTags(p: Params, story: boolean): void {
  const tags = jsonParam(p, 'user_tags');
  if (tags === undefined) return;
  if (!Array.isArray(tags)) throw errors.invalidParameter('user_tags must be a JSON array');
  for (const tag of tags as unknown[]) {
    const t = (typeof tag === 'object' && tag !== null ? tag : {}) as Record<string, unknown>;
    if (typeof t['username'] !== 'string' || !t['username'].trim()) throw errors.invalidParameter('every user tag needs a username');
    for (const axis of ['x', 'y']) {
      const value = t[axis];
      if (value === undefined && story) continue;
      if (!isNumber(value) || value < 0 || value > 1) throw errors.invalidParameter(`user tag ${axis} must be a number from 0.0 to 1.0`);
    }
  }
}

function checkCollaborators(p: Params): void {
  const list = jsonParam(p, 'collaborators');
  if (list === undefined) return;
  if (!Array.isArray(list) || !list.every((u) => typeof u === 'string' && u.trim())) throw errors.invalidParameter('collaborators must be a JSON array of usernames');
  if (list.length > 3) throw errors.invalidParameter('collaborators can list at most 3 usernames');
}

function checkScalars(p: Params): void {
  if (p['alt_text'] !== undefined && chars(p['alt_text']) > 1000) throw errors.invalidParameter('alt_text can be at most 1000 characters');
  booleanParam(p, 'is_ai_generated');
  booleanParam(p, 'share_to_feed');
  if (p['thumb_offset'] !== undefined && !/^\d+$/.test(p['thumb_offset'])) throw errors.invalidParameter('thumb_offset must be a whole number of milliseconds');
  if (p['cover_url'] !== undefined && !/^https?:\/\//i.test(p['cover_url'])) throw errors.invalidParameter('cover_url must be an http(s) URL');
  if (p['location_id'] !== undefined && !/^\d+$/.test(p['location_id'])) throw errors.invalidParameter('location_id must be a numeric id');
  if (p['upload_type'] !== undefined && p['upload_type'] !== 'resumable') throw errors.invalidParameter('upload_type must be resumable');
  const trial = jsonParam(p, 'trial_params');
  if (trial !== undefined) {
    const strategy = (typeof trial === 'object' && trial !== null ? trial : {}) as Record<string, unknown>;
    if (strategy['graduation_strategy'] !== 'MANUAL' && strategy['graduation_strategy'] !== 'SS_PERFORMANCE') {
      throw errors.invalidParameter('trial_params.graduation_strategy must be MANUAL or SS_PERFORMANCE');
    }
  }
}

/** Reads and checks the parameters; throws the Graph error Instagram would answer. */
export function containerRequest(p: Params): ContainerRequest {
  // A logged real call (§2.3): resumable without video_url fails before anything else is looked at.
  if (p['upload_type'] === 'resumable' && !p['video_url']) throw errors.missingParameter('video_url');
  const kind = kindOf(p);
  checkAllowed(kind, p);
  checkScalars(p);
  checkCollaborators(p);
  checkUserTags(p, kind === 'STORY_IMAGE' || kind === 'STORY_VIDEO');
  const sourceUrl = kind === 'CAROUSEL' ? undefined : (p['image_url'] ?? p['video_url']);
  const request: ContainerRequest = { kind, params: p };
  if (sourceUrl !== undefined) request.sourceUrl = sourceUrl;
  if (p['caption'] !== undefined) request.caption = p['caption'];
  if (kind === 'CAROUSEL') request.children = idListParam(p, 'children') ?? [];
  return request;
}

export const isVideoKind = (kind: ContainerKind): boolean => kind === 'REELS' || kind === 'STORY_VIDEO' || kind === 'CAROUSEL_ITEM_VIDEO';
