// Connecting sandbox accounts through Qanat's real OAuth path, as a signed-in owner would.
import { expect } from 'chai';
import request from 'supertest';
import type { LiveApp } from './browser.js';
import { csrfFrom } from './http.js';
import { PASSWORD } from './factories.js';

export type Agent = ReturnType<typeof request.agent>;

export async function signInLive(live: LiveApp, username: string, password = PASSWORD): Promise<Agent> {
  const agent = request.agent(live.url);
  const form = await agent.get('/login');
  const res = await agent.post('/login').type('form').send({ _csrf: csrfFrom(form.text), username, password });
  expect(res.status, 'sign-in').to.equal(303);
  return agent;
}

export interface ConsentOptions {
  scopes?: string[];
  deny?: boolean;
  /** Which simulator account to pick when it has several. */
  igId?: string;
}

/**
 * Plays the person on the simulator's consent window (GET the page, POST the choice). Returns the
 * page's HTML and the callback path Qanat gets back.
 */
export async function consent(live: LiveApp, authorizeUrl: string, options: ConsentOptions = {}): Promise<{ html: string; callback: string }> {
  const url = new URL(authorizeUrl);
  const page = await fetch(url);
  expect(page.status).to.equal(200);
  const html = await page.text();
  const form = new URLSearchParams({
    client_id: url.searchParams.get('client_id') ?? '',
    redirect_uri: url.searchParams.get('redirect_uri') ?? '',
    state: url.searchParams.get('state') ?? '',
    decision: options.deny ? 'deny' : 'allow',
  });
  if (options.igId) form.set('account', options.igId);
  for (const scope of options.scopes ?? (url.searchParams.get('scope') ?? '').split(',')) form.append('scope', scope);
  const res = await fetch(url, { method: 'POST', body: form, redirect: 'manual' });
  expect(res.status).to.equal(302);
  const back = new URL(res.headers.get('location') ?? '');
  expect(back.origin).to.equal(live.url);
  return { html, callback: back.pathname + back.search };
}

/** GET /accounts/connect, approve on the simulator's consent window, follow the callback. Returns the account id. */
export async function connectAccount(live: LiveApp, agent: Agent, options: { scopes?: string[]; igId?: string } = {}): Promise<number> {
  const start = await agent.get('/accounts/connect');
  const { callback } = await consent(live, String(start.headers['location']), options);
  const done = await agent.get(callback);
  expect(done.status, 'callback').to.equal(303);
  const id = /^\/accounts\/(\d+)$/.exec(String(done.headers['location']))?.[1];
  expect(id, 'account id').to.be.a('string');
  return Number(id);
}

/** Rows per table that has an account_id column, for one account. */
export function rowsOf(live: LiveApp, accountId: number): Record<string, number> {
  const db = live.t.db.sqlite;
  const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '__drizzle%'").all() as Array<{ name: string }>).map((r) => r.name);
  const counts: Record<string, number> = {};
  for (const table of tables) {
    const columns = (db.prepare(`PRAGMA table_info(${table})`).all() as Array<{ name: string }>).map((c) => c.name);
    if (columns.includes('account_id')) counts[table] = (db.prepare(`SELECT count(*) AS n FROM ${table} WHERE account_id = ?`).get(accountId) as { n: number }).n;
  }
  counts['accounts'] = (db.prepare('SELECT count(*) AS n FROM accounts WHERE id = ?').get(accountId) as { n: number }).n;
  return counts;
}
