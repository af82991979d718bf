// The simulator's stand-in for Instagram's CDN (mounted at <base>/cdn). Published images are
// served from a downscaled copy of what was uploaded; anything else (seeded media, profile
// pictures, thumbnails) gets a picture drawn from its name, so every media_url resolves.
import type { Request } from 'express';
import { Router } from 'express';
import sharp from 'sharp';
import type { SimContext } from './context.js';
import type { SimState } from './state.js';

const NAME = /^[A-Za-z0-9_-]{1,80}\.jpg$/;
const MAX_DRAWN = 200;
const UPLOAD_BUDGET_BYTES = 64 * 1024 * 1024;

interface CdnStore {
  drawn: Map<string, Buffer>;
  uploads: Map<string, Buffer>;
  uploadBytes: number;
}

const stores = new WeakMap<SimState, CdnStore>();

function storeOf(ctx: SimContext): CdnStore {
  let store = stores.get(ctx.state);
  if (!store) {
    store = { drawn: new Map(), uploads: new Map(), uploadBytes: 0 };
    stores.set(ctx.state, store);
  }
  return store;
}

/** Media URLs are stored relative (`cdn/<id>.jpg`) and answered on the host the caller used. */
export function absoluteUrl(req: Request, stored: string): string {
  if (/^https?:\/\//i.test(stored)) return stored;
  const base = req.baseUrl.replace(/\/graph$/, '');
  return `${req.protocol}://${req.get('host') ?? 'localhost'}${base}/${stored.replace(/^\//, '')}`;
}

/** Keeps a small copy of an uploaded picture under a CDN file name; the oldest go first. */
export async function keepUpload(ctx: SimContext, name: string, original: Buffer): Promise<void> {
  const copy = await sharp(original).autoOrient().resize({ width: 1080, withoutEnlargement: true }).jpeg({ quality: 80 }).toBuffer();
  const store = storeOf(ctx);
  store.uploads.set(name, copy);
  store.uploadBytes += copy.length;
  for (const [oldest, bytes] of store.uploads) {
    if (store.uploadBytes <= UPLOAD_BUDGET_BYTES) break;
    store.uploads.delete(oldest);
    store.uploadBytes -= bytes.length;
  }
}

/** A container's picture becomes its media's when it is published. */
export function renameUpload(ctx: SimContext, from: string, to: string): void {
  const store = storeOf(ctx);
  const bytes = store.uploads.get(from);
  if (!bytes) return;
  store.uploads.delete(from);
  store.uploads.set(to, bytes);
}

function hashOf(text: string): number {
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}

function hsl(h: number, s: number, l: number): string {
  const f = (n: number): string => {
    const k = (n + h / 30) % 12;
    const c = l - s * Math.min(l, 1 - l) * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(c * 255).toString(16).padStart(2, '0');
  };
  return `#${f(0)}${f(8)}${f(4)}`;
}

/** A deterministic gradient with a soft circle: cheap, and different ids look different. */
function drawing(name: string): { svg: string; width: number; height: number } {
  const h = hashOf(name);
  const [width, height] = name === 'profile.jpg' ? [320, 320] : name.endsWith('-thumb.jpg') ? [540, 960] : [1080, 1080];
  const hue = h % 360;
  const cx = 20 + (h >>> 9) % 60;
  const cy = 20 + (h >>> 15) % 60;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}">
<defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${hsl(hue, 0.55, 0.6)}"/><stop offset="1" stop-color="${hsl((hue + 50) % 360, 0.6, 0.32)}"/></linearGradient></defs>
<rect width="100%" height="100%" fill="url(#g)"/><circle cx="${cx}%" cy="${cy}%" r="${Math.round(Math.min(width, height) / 4)}" fill="#ffffff" fill-opacity="0.18"/></svg>`;
  return { svg, width, height };
}

async function drawn(store: CdnStore, name: string): Promise<Buffer> {
  const cached = store.drawn.get(name);
  if (cached) return cached;
  const { svg } = drawing(name);
  const jpeg = await sharp(Buffer.from(svg)).jpeg({ quality: 70 }).toBuffer();
  store.drawn.set(name, jpeg);
  if (store.drawn.size > MAX_DRAWN) store.drawn.delete(store.drawn.keys().next().value as string);
  return jpeg;
}

export function cdnRouter(ctx: SimContext): Router {
  const router = Router();
  router.get('/:name', async (req, res) => {
    const name = String(req.params['name']);
    if (!NAME.test(name)) {
      res.status(404).type('text').send('Not found');
      return;
    }
    const store = storeOf(ctx);
    const jpeg = store.uploads.get(name) ?? (await drawn(store, name));
    res.type('image/jpeg').set('Cache-Control', 'public, max-age=86400').send(jpeg);
  });
  return router;
}
