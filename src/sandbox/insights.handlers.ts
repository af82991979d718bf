// §5 over HTTP: GET /<IG_ID>/insights and GET /<MEDIA_ID>/insights share one path shape.
import type { Request, Response } from 'express';
import { authedOf, requireScope } from './auth.js';
import { ownMedia } from './comments.service.js';
import type { SimContext } from './context.js';
import { errors } from './errors.js';
import { accountInsights } from './insights.account.js';
import { carouselChildError, isCarouselChild, mediaInsights } from './insights.media.js';

const query = (req: Request, name: string): string | undefined => {
  const value = req.query[name];
  return typeof value === 'string' ? value : undefined;
};

export function getInsights(ctx: SimContext) {
  return (req: Request, res: Response): void => {
    const authed = authedOf(res);
    requireScope(authed, 'instagram_business_basic');
    requireScope(authed, 'instagram_business_manage_insights');
    const id = String(req.params['id']);
    const { account } = authed;
    if (id === 'me' || id === account.igId || id === account.appScopedId) {
      const selfUrl = new URL(`${req.protocol}://${req.get('host') ?? 'localhost'}${req.originalUrl}`);
      const q = {
        metric: query(req, 'metric'),
        period: query(req, 'period'),
        metricType: query(req, 'metric_type'),
        breakdown: query(req, 'breakdown'),
        timeframe: query(req, 'timeframe'),
        since: query(req, 'since'),
        until: query(req, 'until'),
      };
      res.json(accountInsights(ctx, account, q, selfUrl));
      return;
    }
    const media = ownMedia(ctx, account, id);
    if (media) {
      res.json(mediaInsights(ctx, media, { metric: query(req, 'metric'), period: query(req, 'period'), breakdown: query(req, 'breakdown') }));
      return;
    }
    if (isCarouselChild(ctx, account, id)) throw carouselChildError();
    throw errors.unknownObject(id);
  };
}
