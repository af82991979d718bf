// "Can Meta reach this instance?": Meta fetches media and delivers webhooks through PUBLIC_URL,
// only over https with a valid certificate, and only to a public host name. Each check requests
// the real route through the public address, the way Meta would, and says what to fix.
import crypto from 'node:crypto';
import dns from 'node:dns/promises';
import net from 'node:net';
import { Forbidden } from '../../errors.js';

export const CHECK_IDS = ['https', 'host', 'dns', 'health', 'media', 'webhook'] as const;
export type CheckId = (typeof CHECK_IDS)[number];

export interface ReachCheck {
  id: CheckId;
  /** null: not run (an earlier problem makes it meaningless). */
  ok: boolean | null;
  /** i18n key of the explanation, with its parameters. */
  messageKey: string;
  params: Record<string, string>;
}

interface Actor {
  role: string;
}

const TIMEOUT_MS = 5000;
const PROBE_TTL_MS = 60_000;
const LOCAL_SUFFIXES = ['.local', '.localhost', '.internal', '.lan', '.home', '.home.arpa', '.test', '.example', '.invalid', '.localdomain'];
/** A 1×1 JPEG served for the media check. */
export const PROBE_JPEG = Buffer.from(
  '/9j/2wBDABALDA4MChAODQ4SERATGCgaGBYWGDEjJR0oOjM9PDkzODdASFxOQERXRTc4UG1RV19iZ2hnPk1xeXBkeFxlZ2P/2wBDARESEhgVGC8aGi9jQjhCY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2NjY2P/wAARCAABAAEDASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAAAAf/xAAUEAEAAAAAAAAAAAAAAAAAAAAA/8QAFAEBAAAAAAAAAAAAAAAAAAAAAP/EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAMAwEAAhEDEQA/AKAAD//Z',
  'base64',
);

/** Loopback, private, link-local, carrier-grade NAT and unique-local addresses: Meta cannot reach them. */
export function isPrivateAddress(address: string): boolean {
  if (net.isIPv4(address)) {
    const [a = 0, b = 0] = address.split('.').map(Number);
    return a === 10 || a === 127 || a === 0 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168) || (a === 169 && b === 254) || (a === 100 && b >= 64 && b <= 127);
  }
  const lower = address.toLowerCase();
  if (lower.startsWith('::ffff:')) return isPrivateAddress(lower.slice(7));
  return lower === '::1' || lower === '::' || lower.startsWith('fc') || lower.startsWith('fd') || lower.startsWith('fe80');
}

/** Why a host name cannot be Meta's target, or undefined when it looks public. */
export function hostProblem(host: string): string | undefined {
  const name = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (name === 'localhost') return 'system.reach.host.localhost';
  if (net.isIP(name)) return 'system.reach.host.address';
  if (!name.includes('.')) return 'system.reach.host.noDot';
  if (LOCAL_SUFFIXES.some((suffix) => name.endsWith(suffix))) return 'system.reach.host.local';
  return undefined;
}

function failureReason(error: unknown): string {
  const err = error as { name?: string; message?: string; cause?: { code?: string; message?: string } };
  if (err.name === 'TimeoutError' || err.name === 'AbortError') return `no answer in ${TIMEOUT_MS / 1000} s`;
  return err.cause?.code ?? err.cause?.message ?? err.message ?? String(error);
}

export class ReachService {
  private readonly probes = new Map<string, number>();

  constructor(
    private readonly publicUrl: string,
    private readonly webhookVerifyToken: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** True for a media token this service handed out in the last minute (served by /m/:token). */
  isProbe(token: string): boolean {
    const expires = this.probes.get(token);
    return expires !== undefined && expires > this.now();
  }

  private newProbe(): string {
    for (const [token, expires] of this.probes) if (expires <= this.now()) this.probes.delete(token);
    const token = crypto.randomBytes(24).toString('base64url');
    this.probes.set(token, this.now() + PROBE_TTL_MS);
    return token;
  }

  private async get(path: string): Promise<{ status: number; type: string; body: Buffer } | { error: string }> {
    try {
      const res = await fetch(`${this.publicUrl}${path}`, { redirect: 'manual', signal: AbortSignal.timeout(TIMEOUT_MS), headers: { 'User-Agent': 'Qanat reach check' } });
      return { status: res.status, type: res.headers.get('content-type') ?? '', body: Buffer.from(await res.arrayBuffer()) };
    } catch (error) {
      return { error: failureReason(error) };
    }
  }

  async check(actor: Actor): Promise<ReachCheck[]> {
    if (actor.role !== 'owner') throw new Forbidden();
    const url = new URL(this.publicUrl);
    const checks: ReachCheck[] = [];
    const add = (id: CheckId, ok: boolean | null, messageKey: string, params: Record<string, string> = {}): void => {
      checks.push({ id, ok, messageKey, params: { url: this.publicUrl, host: url.hostname, ...params } });
    };

    const https = url.protocol === 'https:';
    add('https', https, https ? 'system.reach.https.ok' : 'system.reach.https.bad');
    const hostIssue = hostProblem(url.hostname);
    add('host', hostIssue === undefined, hostIssue ?? 'system.reach.host.ok');

    if (hostIssue === undefined) {
      try {
        const addresses = (await dns.lookup(url.hostname, { all: true })).map((a) => a.address);
        const privateOnes = addresses.filter(isPrivateAddress);
        if (privateOnes.length === addresses.length) add('dns', false, 'system.reach.dns.private', { addresses: addresses.join(', ') });
        else add('dns', true, 'system.reach.dns.ok', { addresses: addresses.join(', ') });
      } catch (error) {
        add('dns', false, 'system.reach.dns.bad', { reason: (error as { code?: string }).code ?? String(error) });
      }
    } else {
      add('dns', null, 'system.reach.skipped');
    }

    const answered = (
      id: CheckId,
      result: Awaited<ReturnType<ReachService['get']>>,
      good: (r: { status: number; type: string; body: Buffer }) => boolean,
      keys: { ok: string; bad: string },
    ): void => {
      if ('error' in result) add(id, false, 'system.reach.unreachable', { reason: result.error });
      else if (result.status >= 300 && result.status < 400) add(id, false, 'system.reach.redirected', { status: String(result.status) });
      else if (!good(result)) add(id, false, keys.bad, { status: String(result.status) });
      else add(id, true, keys.ok);
    };

    answered('health', await this.get('/healthz'), (r) => r.status === 200, { ok: 'system.reach.health.ok', bad: 'system.reach.health.bad' });
    const probe = this.newProbe();
    answered('media', await this.get(`/m/${probe}`), (r) => r.status === 200 && r.type.startsWith('image/jpeg') && r.body.equals(PROBE_JPEG), { ok: 'system.reach.media.ok', bad: 'system.reach.media.bad' });
    this.probes.delete(probe);
    const challenge = crypto.randomBytes(12).toString('hex');
    const query = new URLSearchParams({ 'hub.mode': 'subscribe', 'hub.verify_token': this.webhookVerifyToken, 'hub.challenge': challenge });
    answered('webhook', await this.get(`/webhooks/instagram?${query.toString()}`), (r) => r.status === 200 && r.body.toString('utf8') === challenge, { ok: 'system.reach.webhook.ok', bad: 'system.reach.webhook.bad' });
    return checks;
  }
}
