import type { Request, Response } from 'express';
import type { Config } from '../../config.js';
import type { DbHandle } from '../../db/client.js';

export function healthHandlers(config: Config, db: DbHandle) {
  return {
    /** For Docker and Traefik health checks: is the database answering? */
    showHealth(_req: Request, res: Response): void {
      res.set('Cache-Control', 'no-store');
      try {
        db.sqlite.prepare('SELECT 1').get();
        res.json({ status: 'ok', version: config.version, database: 'ok' });
      } catch {
        res.status(503).json({ status: 'error', version: config.version, database: 'unavailable' });
      }
    },
  };
}
