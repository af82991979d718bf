// The benchmark's result: its shape, and the markdown table the README shows.
import type { MediaBenchResult } from './media.js';
import type { PublishingBenchResult } from './publishing.js';

export interface HttpRow {
  name: string;
  path: string;
  reqPerSec: number;
  p50Ms: number;
  p99Ms: number;
  /** Throughput as a percentage of the bare Express route in the same process. */
  ofCeiling: number;
  non2xx: number;
  errors: number;
  peakRssMb: number;
}

export interface Goal {
  goal: string;
  target: string;
  measured: string;
  met: boolean;
}

export interface BenchResult {
  date: string;
  quick: boolean;
  machine: { cpu: string; cores: number; memoryGb: number; node: string; os: string };
  dataset: { accounts: number; days: number; publishedPosts: number; comments: number; messages: number; scheduledPosts: number; rows: Record<string, number>; ms: number };
  startup: { runsMs: number[]; medianMs: number; idleRssMb: number };
  http: HttpRow[];
  httpPeakRssMb: number;
  retention: { rows: number; purged: number; purgeMs: number; worstLatencyMs: number; p99Ms: number; requests: number };
  media: MediaBenchResult | undefined;
  mediaError: string | undefined;
  publishing: PublishingBenchResult | undefined;
  publishingError: string | undefined;
  goals: Goal[];
}

const table = (head: string[], rows: Array<Array<string | number>>): string =>
  [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`, ...rows.map((row) => `| ${row.join(' | ')} |`)].join('\n');

export function renderMarkdown(r: BenchResult): string {
  const m = r.machine;
  const out: string[] = [];
  out.push(`Measured ${r.date.slice(0, 16).replace('T', ' ')} UTC${r.quick ? ' (--quick: small data, short runs — not for comparison)' : ''} on ${m.cores} × ${m.cpu}, ${m.memoryGb} GB RAM, Node ${m.node}, ${m.os}.`);
  out.push('');
  out.push(`Data: ${r.dataset.accounts} accounts × ${r.dataset.days} days of followers and insights, ${r.dataset.publishedPosts} published posts, ${r.dataset.comments} comments, ${r.dataset.messages} messages, ${r.dataset.scheduledPosts} scheduled posts (generated in ${(r.dataset.ms / 1000).toFixed(1)} s).`);
  out.push('');
  out.push('HTTP, 10 connections, signed in, same process as the ceiling:');
  out.push('');
  out.push(table(['page', 'req/s', 'p50 ms', 'p99 ms', 'of ceiling', 'non-2xx'], r.http.map((h) => [`${h.name} \`${h.path}\``, h.reqPerSec, h.p50Ms, h.p99Ms, `${h.ofCeiling} %`, h.non2xx])));
  out.push('');
  if (r.publishing) {
    out.push('Publishing, all posts due in the same second:');
    out.push('');
    out.push(table(['simulator latency', 'posts', 'fire lag p50', 'fire lag p99', 'all published after', 'failed', 'duplicates'], r.publishing.runs.map((p) => [`${p.latencyMs} ms`, `${p.posts} (${p.accounts} accounts)`, `${p.fireLagP50Ms} ms`, `${p.fireLagP99Ms} ms`, `${(p.allPublishedMs / 1000).toFixed(1)} s`, p.failed, p.duplicates])));
    out.push('');
  } else {
    out.push(`Publishing: not measured (${r.publishingError ?? 'unknown'}).`);
    out.push('');
  }
  if (r.media) {
    out.push('Media preparation (median of runs), against the bare library on the same input:');
    out.push('');
    out.push(table(['input', 'Qanat', 'bare', 'ratio'], r.media.items.map((i) => [i.name, `${i.appMs} ms`, `${i.bareMs} ms`, `${i.ratio} ×`])));
    out.push('');
  } else {
    out.push(`Media: not measured (${r.mediaError ?? 'unknown'}).`);
    out.push('');
  }
  out.push(table(['memory and time', 'value'], [
    ['start-up to /healthz (node dist/src/main.js, seeded database)', `${r.startup.medianMs} ms (runs: ${r.startup.runsMs.join(', ')})`],
    ['RSS idle after start-up', `${r.startup.idleRssMb} MB`],
    ['RSS peak under HTTP load', `${r.httpPeakRssMb} MB`],
    ['RSS peak while preparing media', r.media ? `${r.media.peakRssMb} MB` : '—'],
    [`purge of ${r.retention.rows.toLocaleString('en')} expired comments (2 connections on /queue meanwhile)`, `${r.retention.purgeMs} ms; worst request meanwhile ${r.retention.worstLatencyMs} ms (p99 ${r.retention.p99Ms} ms, ${r.retention.requests} requests)`],
  ]));
  out.push('');
  out.push(table(['goal', 'target', 'measured', 'met'], r.goals.map((g) => [g.goal, g.target, g.measured, g.met ? 'yes' : '**no**'])));
  out.push('');
  return out.join('\n');
}
