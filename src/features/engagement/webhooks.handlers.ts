// /webhooks/instagram: Meta's handshake (GET) and deliveries (POST). No session, no CSRF: the
// signature over the raw body is the only proof, and it is checked before anything is parsed.
import type { Request, Response } from 'express';
import { BodyTooLarge, readRawBody } from '../../http/raw-body.js';
import type { Services } from '../../services.js';

/** §7.3: up to 1000 updates a delivery; comment and message events are small. */
const MAX_DELIVERY_BYTES = 4 * 1024 * 1024;

export function webhookHandlers(services: Services) {
  return {
    verifyWebhook(req: Request, res: Response): void {
      const answer = services.webhooks.handshake(req.query['hub.mode'], req.query['hub.verify_token'], req.query['hub.challenge'], req.ip);
      res.set('Cache-Control', 'no-store');
      if (answer.status === 200) res.status(200).type('text/plain').send(answer.challenge);
      else res.status(answer.status).type('text/plain').send(answer.status === 403 ? 'verify token does not match' : 'not a subscription handshake');
    },

    async receiveWebhook(req: Request, res: Response): Promise<void> {
      let raw: Buffer;
      try {
        raw = await readRawBody(req, MAX_DELIVERY_BYTES);
      } catch (error) {
        if (!(error instanceof BodyTooLarge)) throw error;
        res.set('Connection', 'close').status(413).type('text/plain').send('delivery too large');
        return;
      }
      const answer = await services.webhooks.receive(raw, req.get('x-hub-signature-256'), req.ip);
      if (answer.status === 200) res.status(200).json({ received: answer.events, new: answer.fresh });
      else res.status(answer.status).type('text/plain').send(answer.status === 401 ? 'signature missing or wrong' : 'body is not JSON');
    },
  };
}
