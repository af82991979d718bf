// §7: webhooks signed with HMAC-SHA256 over the raw body, redelivered when not answered 200.
import crypto from 'node:crypto';
import type { Logger } from '../log.js';
import type { SimState } from './state.js';

export function signatureOf(secret: string, rawBody: Buffer | string): string {
  return 'sha256=' + crypto.createHmac('sha256', secret).update(rawBody).digest('hex');
}

export interface WebhookSenderOptions {
  url: string | undefined;
  secret: string;
  state: SimState;
  log?: Logger;
  /** Delays between redelivery attempts (Meta retries for up to 36 h; tests use short ones). */
  retryDelaysMs?: number[];
}

export class WebhookSender {
  private readonly pending = new Set<NodeJS.Timeout>();
  url: string | undefined;

  constructor(private readonly options: WebhookSenderOptions) {
    this.url = options.url;
  }

  /** Sends one delivery; resolves when it was accepted or the retries are scheduled. */
  async send(payload: object): Promise<boolean> {
    const body = Buffer.from(JSON.stringify(payload), 'utf8');
    return this.deliver(body, 0);
  }

  private async deliver(body: Buffer, attempt: number): Promise<boolean> {
    if (!this.url) return false;
    let ok = false;
    try {
      const res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': signatureOf(this.options.secret, body) },
        body: new Uint8Array(body),
        signal: AbortSignal.timeout(10_000),
      });
      ok = res.status === 200;
      await res.arrayBuffer();
    } catch (error) {
      this.options.log?.debug({ err: error }, 'sandbox webhook delivery failed');
    }
    if (ok) {
      this.options.state.counters.webhooksSent += 1;
      return true;
    }
    this.options.state.counters.webhooksFailed += 1;
    const delays = this.options.retryDelaysMs ?? [1_000, 5_000, 30_000, 120_000];
    const delay = delays[attempt];
    if (delay !== undefined) {
      const timer = setTimeout(() => {
        this.pending.delete(timer);
        void this.deliver(body, attempt + 1);
      }, delay);
      timer.unref();
      this.pending.add(timer);
    }
    return false;
  }

  stop(): void {
    for (const timer of this.pending) clearTimeout(timer);
    this.pending.clear();
  }
}
