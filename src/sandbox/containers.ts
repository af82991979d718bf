// §2.1–2.4 containers: creation (with the 24 h cap and media checks), and the status, which is
// computed from the sim clock when read so tests move it with clock.advance() alone.
import { DAY } from './clock.js';
import type { SimContext } from './context.js';
import { keepUpload } from './cdn.js';
import { errors } from './errors.js';
import { isVideoKind, type ContainerRequest } from './containers-spec.js';
import { checkCaption } from './media-caption.js';
import { mediaErrors, uploadFailed } from './media-errors.js';
import { checkImage } from './media-image.js';
import { checkVideo, VIDEO_SUBCODE } from './media-video.js';
import type { SimAccount, SimContainer, SimFault, ContainerStatusCode } from './state.js';

/**
 * A video's download and ffprobe run in the background, as at Instagram, and its outcome is
 * revealed at readyAt. Whoever reads the status after readyAt waits for the check (a tiny test
 * video takes a fraction of a second), so the answer does not depend on how fast ffprobe happened
 * to be; a big download still in progress after PATIENCE_MS reads IN_PROGRESS, as it would at
 * Instagram, rather than holding the caller's request open.
 */
const processing = new WeakMap<SimContainer, Promise<void>>();
const PATIENCE_MS = 3_000;

async function waitForProcessing(c: SimContainer): Promise<void> {
  const pending = processing.get(c);
  if (!pending) return;
  let timer: NodeJS.Timeout | undefined;
  const patience = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, PATIENCE_MS);
  });
  await Promise.race([pending, patience]);
  clearTimeout(timer);
}

export interface ContainerStatus {
  code: ContainerStatusCode;
  text?: string;
}

export async function statusOf(ctx: SimContext, c: SimContainer): Promise<ContainerStatus> {
  if (c.publishedMediaId) return { code: 'PUBLISHED' };
  const now = ctx.clock.now();
  if (now >= c.createdAt + DAY) return { code: 'EXPIRED' };
  if (now < c.readyAt) return { code: 'IN_PROGRESS' };
  await waitForProcessing(c);
  if (c.status === 'ERROR') return c.statusText ? { code: 'ERROR', text: c.statusText } : { code: 'ERROR' };
  return { code: c.status };
}

export const isCarouselItem = (c: SimContainer): boolean => c.kind === 'CAROUSEL_ITEM_IMAGE' || c.kind === 'CAROUSEL_ITEM_VIDEO';

function checkCap(ctx: SimContext, igId: string): void {
  const since = ctx.clock.now() - DAY;
  let count = 0;
  for (const c of ctx.state.containers.values()) if (c.igId === igId && c.createdAt > since) count += 1;
  if (count >= ctx.options.containerCap) throw mediaErrors.containerCapReached(ctx.options.containerCap);
}

/** Children must be this account's finished carousel items, 2 to 10 of them, each once. */
async function checkChildren(ctx: SimContext, igId: string, ids: string[]): Promise<void> {
  if (ids.length < 2 || ids.length > 10) throw mediaErrors.carouselSize(ids.length);
  if (new Set(ids).size !== ids.length) throw errors.invalidParameter('children lists the same container more than once');
  for (const id of ids) {
    const child = ctx.state.containers.get(id);
    if (!child || child.igId !== igId) throw mediaErrors.containerGone(id);
    if (!isCarouselItem(child)) throw errors.invalidParameter(`children: ${id} was not created with is_carousel_item=true`);
    const status = await statusOf(ctx, child);
    if (status.code === 'EXPIRED') throw mediaErrors.containerGone(id);
    if (status.code === 'IN_PROGRESS') throw mediaErrors.notReady();
    if (status.code !== 'FINISHED') throw errors.invalidParameter(`children: ${id} is ${status.code}, not FINISHED`);
  }
}

/**
 * An injected {kind:'container-error'} fault fails the next video container and is used up
 * (with `remaining`, that many containers). The subcode defaults to 2207053, "unknown upload error".
 */
function takeContainerFault(ctx: SimContext): SimFault | undefined {
  const fault = ctx.state.faults.find((f) => f.kind === 'container-error');
  if (!fault) return undefined;
  if (fault.remaining !== undefined && fault.remaining > 1) fault.remaining -= 1;
  else ctx.state.faults = ctx.state.faults.filter((f) => f !== fault);
  return fault;
}

function fail(c: SimContainer, subcode: number): void {
  c.status = 'ERROR';
  c.statusText = uploadFailed(subcode);
}

async function processVideo(ctx: SimContext, c: SimContainer, url: string): Promise<void> {
  try {
    const thumbOffset = c.params['thumb_offset'];
    const outcome = await checkVideo(url, c.kind, { timeoutMs: ctx.options.mediaFetchTimeoutMs, ...(thumbOffset ? { thumbOffsetMs: Number(thumbOffset) } : {}) });
    if (!outcome.ok) return fail(c, outcome.subcode);
    if (outcome.thumbnail) {
      await keepUpload(ctx, `${c.id}-thumb.jpg`, outcome.thumbnail).catch((error: unknown) => {
        ctx.options.log?.warn({ err: error, container: c.id }, 'simulator could not keep a video thumbnail; the CDN will draw one');
      });
    }
    c.status = 'FINISHED';
  } catch (error) {
    ctx.options.log?.warn({ err: error, container: c.id }, 'simulated video processing failed');
    fail(c, VIDEO_SUBCODE.unknown);
  }
}

function newContainer(ctx: SimContext, account: SimAccount, request: ContainerRequest, readyAt: number): SimContainer {
  const c: SimContainer = {
    id: ctx.state.newId(),
    igId: account.igId,
    kind: request.kind,
    createdAt: ctx.clock.now(),
    readyAt,
    status: 'IN_PROGRESS',
    params: request.params,
  };
  if (request.caption !== undefined) c.caption = request.caption;
  if (request.sourceUrl !== undefined) c.mediaUrl = request.sourceUrl;
  if (request.children) c.children = request.children;
  ctx.state.containers.set(c.id, c);
  return c;
}

/**
 * Inside Qanat (sandbox mode) the simulator only fetches from Qanat's own origins: whoever holds
 * a sandbox token must not be able to make the appliance fetch arbitrary addresses.
 */
function mediaOriginAllowed(ctx: SimContext, url: string): boolean {
  if (!ctx.options.mediaOrigins) return true;
  try {
    return ctx.options.mediaOrigins.includes(new URL(url).origin);
  } catch {
    return false;
  }
}

/**
 * Creates the container or throws the Graph error Instagram answers at creation. Images and
 * carousels are checked now and are FINISHED at once; videos are IN_PROGRESS until
 * videoProcessingMs later, then FINISHED or ERROR.
 */
export async function createContainer(ctx: SimContext, account: SimAccount, request: ContainerRequest): Promise<SimContainer> {
  checkCaption(ctx, request.caption);
  checkCap(ctx, account.igId);
  const now = ctx.clock.now();
  if (request.kind === 'CAROUSEL') {
    await checkChildren(ctx, account.igId, request.children ?? []);
    const c = newContainer(ctx, account, request, now);
    c.status = 'FINISHED';
    return c;
  }
  const url = request.sourceUrl ?? '';
  if (!mediaOriginAllowed(ctx, url)) throw mediaErrors.fetchFailed();
  if (!isVideoKind(request.kind)) {
    const image = await checkImage(url, { feedRatio: request.kind !== 'STORY_IMAGE', timeoutMs: ctx.options.mediaFetchTimeoutMs });
    const c = newContainer(ctx, account, request, now);
    c.status = 'FINISHED';
    try {
      await keepUpload(ctx, `${c.id}.jpg`, image.bytes);
    } catch {
      // The header was fine but the picture does not decode: a broken JPEG is no JPEG.
      ctx.state.containers.delete(c.id);
      throw mediaErrors.imageFormat();
    }
    return c;
  }
  const c = newContainer(ctx, account, request, now + ctx.options.videoProcessingMs);
  const fault = takeContainerFault(ctx);
  if (fault) fail(c, fault.subcode ?? VIDEO_SUBCODE.unknown);
  else processing.set(c, processVideo(ctx, c, url));
  return c;
}
