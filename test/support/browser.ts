// Debian's Chromium driven by playwright-core; never a downloaded browser.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { projectRoot } from '../../src/paths.js';
import { createTestApp, type TestApp } from './app.js';
import { freePort } from './process.js';

export const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
export const SCREENSHOTS = path.join(projectRoot, 'test-artifacts', 'screenshots');

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`);
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

export interface LiveApp {
  t: TestApp;
  url: string;
  close(): Promise<void>;
}

/** The real app on a real port, so the browser talks HTTP to it like anyone would. */
export async function startLiveApp(env: Record<string, string> = {}, dir?: string): Promise<LiveApp> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  // PORT matters in sandbox mode: Qanat calls its mounted simulator on 127.0.0.1:PORT.
  const t = createTestApp({ PUBLIC_URL: url, PORT: String(port), TRUST_PROXY_HOPS: '0', ...env }, dir);
  const server = http.createServer(t.app);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    t,
    url,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      t.close();
    },
  };
}

/** Collects what should never happen on a page: console errors, CSP refusals, script errors and 4xx/5xx answers. */
export function watchProblems(page: Page, problems: string[]): void {
  page.on('console', (message) => {
    if (message.type() === 'error' || /Content Security Policy|Refused to/i.test(message.text())) problems.push(`console ${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`HTTP ${response.status()} ${response.url()}`);
  });
}
