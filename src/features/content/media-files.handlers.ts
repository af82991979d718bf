// Serving prepared files: to signed-in people for previews, and to Meta at /m/<token> while the
// post is queued or being published. Both send the exact bytes that Instagram will get.
import type { Request, Response } from 'express';
import { NotFound } from '../../errors.js';
import type { Services } from '../../services.js';
import { parseId } from '../users/users.forms.js';
import { postIdOf } from './compose.handlers.js';
import type { MediaRow } from './posts.repo.js';
import { PROBE_JPEG } from '../system/reach.service.js';

const TOKEN = /^[A-Za-z0-9_-]{32}$/;
const TYPES: Record<string, string> = { '.jpg': 'image/jpeg', '.mp4': 'video/mp4' };

function send(res: Response, file: string, dir: string, extraHeaders: Record<string, string> = {}): Promise<void> {
  const ext = file.slice(file.lastIndexOf('.'));
  return new Promise((resolve, reject) => {
    // send() answers Range requests (206, Content-Range) and sets Content-Length itself.
    res.sendFile(file, { root: dir, dotfiles: 'deny', headers: { 'Content-Type': TYPES[ext] ?? 'application/octet-stream', ...extraHeaders } }, (error: (Error & { status?: number }) | undefined) => {
      if (!error || res.headersSent) return resolve();
      // A range outside the file: send() set Content-Range (bytes */size); answer 416, not "not found".
      if (error.status === 416) {
        res.status(416).end();
        return resolve();
      }
      reject(new NotFound());
    });
  });
}

export function mediaFileHandlers(services: Services) {
  const { posts, media } = services;

  const rowOf = (req: Request): MediaRow => {
    const postId = postIdOf(req);
    const id = parseId(req.params['mediaId']);
    const row = id === undefined ? undefined : posts.repo.findMedia(id);
    if (!row || row.postId !== postId) throw new NotFound();
    return row;
  };

  return {
    /** The prepared file (or a video's poster frame) for the composer's preview. */
    async showMediaFile(req: Request, res: Response): Promise<void> {
      const row = rowOf(req);
      const name = req.params['variant'] === 'poster' ? row.posterFile : req.params['variant'] === 'output' ? row.outputFile : null;
      if (!name || row.status !== 'ready') throw new NotFound();
      // Signed-in content like any page: not kept by the browser after signing out (security.md).
      await send(res, name, media.dirOf(row.accountId), { 'Cache-Control': 'no-store' });
    },

    /** Preparation progress for the composer's script (it polls while files are processing). */
    showMediaStatus(req: Request, res: Response): void {
      const post = posts.get(postIdOf(req));
      const items = posts.repo.mediaOf(post.id).map((m) => ({ id: m.id, status: m.status, progress: m.progress }));
      res.json({ state: post.state, items });
    },

    /** Meta fetches image_url / video_url here. Unknown, cancelled, published or deleted → 404. */
    async servePublicMedia(req: Request, res: Response): Promise<void> {
      const token = String(req.params['token'] ?? '');
      if (services.reach.isProbe(token)) {
        res.status(200).type('image/jpeg').set('Cache-Control', 'no-store').send(PROBE_JPEG);
        return;
      }
      const row = TOKEN.test(token) ? posts.repo.publicMedia(token) : undefined;
      if (!row?.outputFile) {
        res.status(404).type('text/plain').set('Cache-Control', 'no-store').send('Not found');
        return;
      }
      try {
        await send(res, row.outputFile, media.dirOf(row.accountId), { 'Cache-Control': 'no-store', 'X-Robots-Tag': 'noindex' });
      } catch {
        if (!res.headersSent) res.status(404).type('text/plain').send('Not found');
      }
    },
  };
}
