// GET /inbox/events: server-sent events telling an open inbox page that something changed, with
// the navigation counts. The page then fetches its own fresh HTML (views/assets/js/inbox-live.js).
import type { Request, Response } from 'express';
import type { Services } from '../../services.js';
import type { InboxTopic } from './live.js';

const HEARTBEAT_MS = 25_000;
/** Bursts (a sync, a batch of webhooks) reach the page as one event. */
const COALESCE_MS = 150;

export function liveHandlers(services: Services) {
  return {
    showInboxEvents(req: Request, res: Response): void {
      const accountId = res.locals.currentAccount?.id;
      // No account, nothing to watch: 204 tells EventSource not to reconnect.
      if (accountId === undefined) {
        res.status(204).end();
        return;
      }
      res.status(200).set({ 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
      res.flushHeaders();
      res.write('retry: 5000\n\n');
      const pending = new Set<InboxTopic>();
      let timer: NodeJS.Timeout | undefined;
      const send = (): void => {
        timer = undefined;
        const counts = { comments: services.comments.needsReplyCount(accountId), messages: services.messages.unreadCount(accountId) };
        for (const topic of pending) res.write(`event: ${topic}\ndata: ${JSON.stringify(counts)}\n\n`);
        pending.clear();
      };
      const stopListening = services.inboxLive.subscribe((change) => {
        if (change.accountId !== accountId) return;
        pending.add(change.topic);
        timer ??= setTimeout(send, COALESCE_MS);
      });
      const heartbeat = setInterval(() => res.write(': keep-alive\n\n'), HEARTBEAT_MS);
      let ended = false;
      const end = (): void => {
        if (ended) return;
        ended = true;
        stopListening();
        stopClose();
        clearInterval(heartbeat);
        if (timer) clearTimeout(timer);
        res.end();
      };
      const stopClose = services.inboxLive.onClose(end);
      req.on('close', end);
    },
  };
}
