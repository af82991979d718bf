// §7: the webhook receiver's logic. A delivery is checked against X-Hub-Signature-256 over the
// raw bytes before anything is parsed; accepted events are stored (de-duplicated by their hash)
// and answered as soon as they are on disk; the work happens right after, off the request.
// Both sides commit in groups, so a flood costs one fsync per group, not per event
// (test/faults/webhook-flood.test.ts: 1,000 deliveries a second).
import crypto from 'node:crypto';
import { and, asc, eq, isNotNull, isNull, lt, sql } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import { constantTimeEqual, type Cipher } from '../../db/crypto.js';
import { webhookEvents } from '../../db/schema.engagement.js';
import type { Logger } from '../../log.js';
import type { AuditService } from '../audit/audit.service.js';
import type { FollowUp, IngestService } from './ingest.service.js';
import { splitDelivery, type WebhookEvent } from './webhook-events.js';

/** Meta retries a failed delivery for up to 36 h; ids are kept a little longer than that. */
export const DEDUPE_WINDOW_MS = 48 * 3_600_000;
/** Stored events processed per transaction before requests get their turn. */
const PROCESS_BATCH = 25;
/** Refused deliveries and handshakes are audited at most once a minute per source address (a junk flood must not fill the log). */
const REFUSAL_AUDIT_EVERY_MS = 60_000;
/**
 * While deliveries keep arriving (one in the last ARRIVING_MS), answering them comes first: the
 * backlog is worked off a few events per FLOOD_PAUSE_MS, and at full speed once the flood ends.
 * Storing a delivery takes well under a millisecond, processing an event a few, so without this a
 * flood would build a queue of unanswered requests instead of a backlog on disk.
 */
const ARRIVING_MS = 50;
const FLOOD_BATCH = 5;
const FLOOD_PAUSE_MS = 100;

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

interface Arrival {
  events: WebhookEvent[];
  stored(fresh: number): void;
  failed(error: unknown): void;
}

export class WebhookService {
  private running: Promise<void> | undefined;
  private again = false;
  /** Deliveries waiting for the next group commit. */
  private arrivals: Arrival[] = [];
  /** performance.now() of the last delivery (real time, not the app clock: this is about load). */
  private lastArrival = -Infinity;
  /** Built once: a flood inserts thousands of events a second. */
  private insertEvent: { run(values: Record<string, unknown>): { changes: number } } | undefined;
  /** Called with what an event left to look up (the sync service's follow-up). */
  onFollowUp: (followUp: FollowUp) => Promise<void> = async () => undefined;

  constructor(
    private readonly db: Db,
    private readonly cipher: Cipher,
    private readonly ingest: IngestService,
    private readonly clock: Clock,
    private readonly log: Logger,
    readonly settings: WebhookSettings,
    private readonly audit?: AuditService,
  ) {}

  /** source address → when its refusal was last audited, and how many came since. */
  private readonly refusals = new Map<string, { at: number; since: number }>();

  /** security.md row 32: signature failures are in the audit log with time and source address. */
  private auditRefusal(reason: 'signature' | 'verify_token', sourceIp: string | undefined): void {
    if (!this.audit) return;
    const key = sourceIp ?? 'unknown';
    const now = this.clock.now();
    const last = this.refusals.get(key);
    if (last && now - last.at < REFUSAL_AUDIT_EVERY_MS) {
      last.since += 1;
      return;
    }
    if (this.refusals.size > 10_000) this.refusals.clear();
    this.refusals.set(key, { at: now, since: 0 });
    this.audit.record({ kind: 'webhook.refused', sourceIp: sourceIp ?? null, detail: { reason, ...(last && last.since > 0 ? { alsoRefusedSinceLastEntry: last.since } : {}) } });
  }

  /** §7.1 GET ?hub.mode=subscribe&hub.challenge=…&hub.verify_token=… */
  handshake(mode: unknown, token: unknown, challenge: unknown, sourceIp?: string): HandshakeAnswer {
    if (mode !== 'subscribe' || typeof challenge !== 'string' || challenge.length === 0 || challenge.length > 200) return { status: 400 };
    if (typeof token !== 'string' || !constantTimeEqual(token, this.settings.verifyToken)) {
      this.auditRefusal('verify_token', sourceIp);
      return { status: 403 };
    }
    return { status: 200, challenge };
  }

  /** §7.2: over the raw bytes, in constant time; nothing is parsed before this holds. */
  signatureValid(raw: Buffer, header: string | undefined): boolean {
    if (!header || !header.startsWith('sha256=')) return false;
    return constantTimeEqual(header.trim().toLowerCase(), signatureOf(this.settings.secret, raw));
  }

  async receive(raw: Buffer, header: string | undefined, sourceIp?: string): Promise<ReceiveAnswer> {
    if (!this.signatureValid(raw, header)) {
      this.auditRefusal('signature', sourceIp);
      return { status: 401 };
    }
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
    this.lastArrival = performance.now();
    const fresh = await this.store(events);
    if (fresh > 0) this.kick();
    return { status: 200, events: events.length, fresh };
  }

  /**
   * Resolves with how many of the events were new, once they are committed. Deliveries that arrive
   * while a commit is being made wait for the next one and share it (a group commit): the answer
   * still means "on disk", and a failed commit (disk full, locked) fails each of them, so Meta retries.
   */
  private store(events: WebhookEvent[]): Promise<number> {
    return new Promise((stored, failed) => {
      this.arrivals.push({ events, stored, failed });
      if (this.arrivals.length === 1) setImmediate(() => this.commitArrivals());
    });
  }

  private commitArrivals(): void {
    const arrivals = this.arrivals;
    this.arrivals = [];
    const now = this.clock.now();
    let counts: number[];
    try {
      this.insertEvent ??= this.db
        .insert(webhookEvents)
        .values({ id: sql.placeholder('id'), receivedAt: sql.placeholder('receivedAt'), igUserId: sql.placeholder('igUserId'), field: sql.placeholder('field'), payload: sql.placeholder('payload') })
        .onConflictDoNothing()
        .prepare();
      const insert = this.insertEvent;
      counts = this.db.transaction(() =>
        arrivals.map(({ events }) => {
          let fresh = 0;
          for (const event of events) {
            const payload = this.cipher.seal(JSON.stringify({ time: event.time, value: event.value }), payloadRef(event.id));
            fresh += insert.run({ id: event.id, receivedAt: now, igUserId: event.igUserId, field: event.field, payload }).changes;
          }
          return fresh;
        }),
      );
    } catch (error) {
      for (const arrival of arrivals) arrival.failed(error);
      return;
    }
    arrivals.forEach((arrival, i) => arrival.stored(counts[i] ?? 0));
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
      // Small batches with a pause between them: during a flood, new deliveries must still be
      // answered while the backlog is worked off (they only need a commit; this needs much more).
      const flooded = performance.now() - this.lastArrival < ARRIVING_MS;
      const batch = this.db.select().from(webhookEvents).where(isNull(webhookEvents.processedAt)).orderBy(asc(webhookEvents.receivedAt)).limit(flooded ? FLOOD_BATCH : PROCESS_BATCH).all();
      if (batch.length === 0) break;
      // One commit per batch; each event in a savepoint of its own (better-sqlite3 nests
      // transactions that way), so a bad one is rolled back alone.
      this.db.transaction(() => {
        for (const row of batch) {
          let outcome = 'failed';
          try {
            const stored = JSON.parse(this.cipher.open(row.payload ?? '', payloadRef(row.id))) as { time?: number; value: unknown };
            const result = this.db.transaction(() => this.ingest.applyEvent({ id: row.id, igUserId: row.igUserId, field: row.field, time: stored.time, value: stored.value }));
            outcome = result.outcome;
            if (result.followUp) followUps.push(result.followUp);
          } catch (error) {
            // The sync job reads the same data from Instagram; one bad event must not block the rest.
            this.log.warn({ err: error, field: row.field }, 'webhook event could not be processed');
          }
          this.db.update(webhookEvents).set({ processedAt: this.clock.now(), outcome, payload: null }).where(eq(webhookEvents.id, row.id)).run();
          processed += 1;
        }
      });
      // Let requests in between batches of a backlog; during a flood, give them most of the time.
      await new Promise((resolve) => (flooded ? setTimeout(resolve, FLOOD_PAUSE_MS) : setImmediate(resolve)));
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
