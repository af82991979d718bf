// The webhook flood's sender (test/faults/webhook-flood.test.ts), in a process of its own so that
// making thousands of requests a second does not take the CPU the server under test needs.
// Reads its orders from FLOOD_* variables; prints one JSON line with what it saw.
import crypto from 'node:crypto';
import http from 'node:http';

const env = (name: string): string => {
  const value = process.env[name];
  if (value === undefined) throw new Error(`${name} is not set`);
  return value;
};

export interface FloodResult {
  total: number;
  fresh: number;
  ms: number;
  latencies: number[];
  statuses: Record<string, number>;
  errors: number;
}

const url = new URL(env('FLOOD_URL'));
const secret = env('FLOOD_SECRET');
const igUserId = env('FLOOD_IG_USER');
const mediaId = env('FLOOD_MEDIA');
const rate = Number(env('FLOOD_RATE'));
const seconds = Number(env('FLOOD_SECONDS'));
const replayEvery = Number(env('FLOOD_REPLAY_EVERY'));
const time = Number(env('FLOOD_TIME'));

const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const sent: Buffer[] = [];
const latencies: number[] = [];
const statuses: Record<string, number> = {};
let errors = 0;

function deliveryBytes(n: number): Buffer {
  const value = { id: `flood-${n}`, text: `Flood comment ${n} ✓`, from: { id: `9${n}`, username: `fan_${n}` }, media: { id: mediaId, media_product_type: 'FEED' } };
  return Buffer.from(JSON.stringify({ object: 'instagram', entry: [{ id: igUserId, time, changes: [{ field: 'comments', value }] }] }));
}

function send(body: Buffer): Promise<void> {
  // Answer time counts from the moment the request has a connection: beyond 64 at once, requests
  // wait in this sender's pool (as they would at Meta's end), and that wait is not the server's.
  let started = performance.now();
  const signature = 'sha256=' + crypto.createHmac('sha256', secret).update(body).digest('hex');
  return new Promise((resolve) => {
    const req = http.request(url, { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length, 'x-hub-signature-256': signature } }, (res) => {
      res.resume();
      res.on('end', () => {
        latencies.push(Math.round((performance.now() - started) * 10) / 10);
        const key = String(res.statusCode ?? 0);
        statuses[key] = (statuses[key] ?? 0) + 1;
        resolve();
      });
    });
    req.on('socket', () => (started = performance.now()));
    req.on('error', () => {
      errors += 1;
      resolve();
    });
    req.end(body);
  });
}

const total = rate * seconds;
const pending: Array<Promise<void>> = [];
const start = performance.now();
let fresh = 0;
for (let i = 0; i < total; i += 1) {
  // Paced by the wall clock: delivery i leaves at i / rate seconds.
  const wait = start + (i * 1000) / rate - performance.now();
  if (wait > 1) await new Promise((r) => setTimeout(r, wait));
  let body: Buffer;
  if (i % replayEvery === replayEvery - 1 && sent.length > 0) body = sent[(i * 7919) % sent.length] as Buffer;
  else {
    body = deliveryBytes(fresh);
    fresh += 1;
    sent.push(body);
  }
  pending.push(send(body));
}
await Promise.all(pending);
agent.destroy();
const result: FloodResult = { total, fresh, ms: Math.round(performance.now() - start), latencies, statuses, errors };
process.stdout.write(`${JSON.stringify(result)}\n`);
