// §7: the webhook receiver's logic. A delivery is checked against X-Hub-Signature-256 over the
// raw bytes before anything is parsed; accepted events are stored (de-duplicated by their hash)
// and answered at once; the work happens right after, off the request.
import crypto from 'node:crypto';
import { and, eq, isNull, lt, isNotNull, asc } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import { constantTimeEqual, type Cipher } from '../../db/crypto.js';
import { webhookEvents } from '../../db/schema.engagement.js';
import type { Logger } from '../../log.js';
import type { FollowUp, IngestService } from './ingest.service.js';
import { splitDelivery, type WebhookEvent } from './webhook-events.js';

/** Meta retries a failed delivery for up to 36 h; ids are kept a little longer than that. */
export const DEDUPE_WINDOW_MS = 48 * 3_600_000;

export interface WebhookSettings {
  /** Signs deliveries (§7.2: the app secret, or another one if configured). */
  secret: string;
  /** What Meta's dashboard sends as hub.verify_token in the handshake. */
  verifyToken: string;
}

export type HandshakeAnswer = { status: 200; challenge: string } | { status: 400 | 403 };

export type ReceiveAnswer = { status: 200; events: number; fresh: number } | { status: 400 | 401 };

const payloadRef = (id: string) => ({ table: 'webhook_events', column: 'payload', row: id });

export function signatureOf(secret: string, raw: Buffer): string {
  return 'sha256=' + crypto.createHmac('sha256', secret).update(raw).digest('hex');
}

export class WebhookService {
  private running: Promise<void> | undefined;
  private again = false;
  /** Called with what an event left to look up (the sync service's follow-up). */
  onFollowUp: (followUp: FollowUp) => Promise<void> = async () => undefined;

  constructor(
    private readonly db: Db,
    private readonly cipher: Cipher,
    private readonly ingest: IngestService,
    private readonly clock: Clock,
    private readonly log: Logger,
    readonly settings: WebhookSettings,
  ) {}

  /** §7.1 GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=… */
  handshake(mode: unknown, token: unknown, challenge: unknown): HandshakeAnswer {
    if (mode !== 'subscribe' || typeof challenge !== 'string' || challenge.length === 0 || challenge.length > 200) return { status: 400 };
    if (typeof token !== 'string' || !constantTimeEqual(token, this.settings.verifyToken)) return { status: 403 };
    return { status: 200, challenge };
  }

  /** §7.2: over the raw bytes, in constant time; nothing is parsed before this holds. */
  signatureValid(raw: Buffer, header: string | undefined): boolean {
    if (!header || !header.startsWith('sha256=')) return false;
    return constantTimeEqual(header.trim().toLowerCase(), signatureOf(this.settings.secret, raw));
  }

  receive(raw: Buffer, header: string | undefined): ReceiveAnswer {
    if (!this.signatureValid(raw, header)) return { status: 401 };
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return { status: 400 };
    }
    const events = splitDelivery(body);
    if (!events) {
      // Signed, so it is Meta's; an object we do not handle is acknowledged, not retried for 36 h.
      this.log.info('webhook for an object other than instagram ignored');
      return { status: 200, events: 0, fresh: 0 };
    }
    const fresh = this.store(events);
    if (fresh > 0) this.kick();
    return { status: 200, events: events.length, fresh };
  }

  /** Inserts the events not seen before, all or none; returns how many were new. */
  private store(events: WebhookEvent[]): number {
    const now = this.clock.now();
    return this.db.transaction((tx) => {
      let fresh = 0;
      for (const event of events) {
        const payload = this.cipher.seal(JSON.stringify({ time: event.time, value: event.value }), payloadRef(event.id));
        const result = tx
          .insert(webhookEvents)
          .values({ id: event.id, receivedAt: now, igUserId: event.igUserId, field: event.field, payload })
          .onConflictDoNothing()
          .run();
        fresh += result.changes;
      }
      return fresh;
    });
  }

  /** Processes stored events soon, off the request that delivered them. */
  kick(): void {
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = new Promise<void>((resolve) => setImmediate(resolve))
      .then(async () => {
        await this.processPending();
      })
      .catch((error: unknown) => this.log.error({ err: error }, 'webhook processing failed'))
      .finally(() => {
        this.running = undefined;
        if (this.again) {
          this.again = false;
          this.kick();
        }
      });
  }

  /** Resolves once nothing is being processed (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Every stored event not yet processed, oldest first; the payload is dropped once used. */
  async processPending(): Promise<number> {
    let processed = 0;
    const followUps: FollowUp[] = [];
    for (;;) {
      const batch = this.db.select().from(webhookEvents).where(isNull(webhookEvents.processedAt)).orderBy(asc(webhookEvents.receivedAt)).limit(100).all();
      if (batch.length === 0) break;
      for (const row of batch) {
        let outcome = 'failed';
        try {
          const stored = JSON.parse(this.cipher.open(row.payload ?? '', payloadRef(row.id))) as { time?: number; value: unknown };
          const result = this.ingest.applyEvent({ id: row.id, igUserId: row.igUserId, field: row.field, time: stored.time, value: stored.value });
          outcome = result.outcome;
          if (result.followUp) followUps.push(result.followUp);
        } catch (error) {
          // The sync job reads the same data from Instagram; one bad event must not block the rest.
          this.log.warn({ err: error, field: row.field }, 'webhook event could not be processed');
        }
        this.db.update(webhookEvents).set({ processedAt: this.clock.now(), outcome, payload: null }).where(eq(webhookEvents.id, row.id)).run();
        processed += 1;
      }
    }
    for (const followUp of mergeFollowUps(followUps)) {
      await this.onFollowUp(followUp).catch((error: unknown) => this.log.warn({ err: error }, 'looking up webhook details failed; the sync job will'));
    }
    return processed;
  }

  /** Ids of processed events older than the dedupe window. */
  purge(now: number): number {
    return this.db
      .delete(webhookEvents)
      .where(and(isNotNull(webhookEvents.processedAt), lt(webhookEvents.receivedAt, now - DEDUPE_WINDOW_MS)))
      .run().changes;
  }
}

function mergeFollowUps(list: FollowUp[]): FollowUp[] {
  const byAccount = new Map<number, FollowUp>();
  for (const f of list) {
    const into = byAccount.get(f.accountId) ?? { accountId: f.accountId, mediaIds: [], conversationIds: [] };
    into.mediaIds = [...new Set([...into.mediaIds, ...f.mediaIds])];
    into.conversationIds = [...new Set([...into.conversationIds, ...f.conversationIds])];
    byAccount.set(f.accountId, into);
  }
  return [...byAccount.values()].filter((f) => f.mediaIds.length > 0 || f.conversationIds.length > 0);
}
