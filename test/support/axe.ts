// axe-core in a real page, under the page's real CSP. The source goes in through page.evaluate
// (the DevTools protocol's Runtime.evaluate, which a page's CSP does not govern), the way
// @axe-core/playwright injects it; a <script> tag would be refused by `script-src 'self'`, and
// bypassCSP would test a page nobody sees.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import type { AxeResults, ImpactValue, Result, RunOptions } from 'axe-core';
import type { Page } from 'playwright-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = fs.readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
export const AXE_VERSION = (require('axe-core/package.json') as { version: string }).version;

/** WCAG 2.0 and 2.1, levels A and AA, and Deque's best practices. */
export const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

/** Impacts that fail the suite; the others are reported only. */
export const BLOCKING: ReadonlySet<ImpactValue> = new Set<ImpactValue>(['serious', 'critical']);

type AxeWindow = typeof globalThis & { axe?: { run(context: Document, options: RunOptions): Promise<AxeResults> } };

/** Injects axe into the page's current document (once per document) and returns its violations. */
export async function axeViolations(page: Page): Promise<Result[]> {
  const present = await page.evaluate(() => typeof (window as AxeWindow).axe !== 'undefined');
  if (!present) await page.evaluate(AXE_SOURCE);
  const options: RunOptions = { runOnly: { type: 'tag', values: AXE_TAGS }, resultTypes: ['violations'] };
  const results = await page.evaluate(async (opts) => {
    const axe = (window as AxeWindow).axe;
    if (!axe) throw new Error('axe-core did not load into the page');
    return axe.run(document, opts);
  }, options);
  return results.violations;
}

export function isBlocking(violation: Pick<Result, 'impact'>): boolean {
  return violation.impact !== undefined && violation.impact !== null && BLOCKING.has(violation.impact);
}

/** One line per violation and one indented line per offending element: rule, impact, help, targets. */
export function formatViolations(violations: Result[], label = ''): string {
  const lines: string[] = [];
  for (const v of violations) {
    lines.push(`${label ? `${label}: ` : ''}[${v.impact ?? 'no impact'}] ${v.id}: ${v.help} (${v.nodes.length} element${v.nodes.length === 1 ? '' : 's'})`);
    for (const node of v.nodes) {
      const detail = node.failureSummary?.split('\n').slice(1).join(' ').trim();
      lines.push(`    ${node.target.map(String).join(' >>> ')}${detail ? ` — ${detail}` : ''}`);
    }
  }
  return lines.join('\n');
}

/** WCAG 2 contrast ratio of two computed colours ("rgb(r, g, b)" or "rgba(r, g, b, 1)"). */
export function contrastRatio(a: string, b: string): number {
  const luminance = (css: string): number => {
    const parts = /^rgba?\((\d+), (\d+), (\d+)(?:, ([\d.]+))?\)$/.exec(css);
    if (!parts || (parts[4] !== undefined && Number(parts[4]) !== 1)) throw new Error(`not an opaque rgb() colour: ${css}`);
    const [r, g, bl] = [parts[1], parts[2], parts[3]].map((c) => {
      const v = Number(c) / 255;
      return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
    }) as [number, number, number];
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x) as [number, number];
  return (hi + 0.05) / (lo + 0.05);
}
