// Drives the app like a browser: a cookie jar, CSRF tokens read from the rendered forms.
import * as cheerio from 'cheerio';
import request from 'supertest';
import type { TestApp } from './app.js';
import { PASSWORD } from './factories.js';

export type Agent = ReturnType<typeof request.agent>;

/** Supertest connects from 127.0.0.1; Traefik would append the client's address like this. */
export function viaProxy(clientIp: string, spoofed?: string): string {
  return spoofed ? `${spoofed}, ${clientIp}` : clientIp;
}

export function csrfFrom(html: string): string {
  const token = cheerio.load(html)('input[name="_csrf"]').first().attr('value');
  if (!token) throw new Error('no CSRF token on the page');
  return token;
}

export async function csrfToken(agent: Agent, path = '/login'): Promise<string> {
  const res = await agent.get(path);
  return csrfFrom(res.text);
}

export function agentFor(t: TestApp): Agent {
  return request.agent(t.app);
}

/** Signs in through the real form; returns the agent and the response of the POST. */
export async function signIn(t: TestApp, username: string, password = PASSWORD, agent = agentFor(t)) {
  const token = await csrfToken(agent, '/login');
  const res = await agent.post('/login').type('form').send({ _csrf: token, username, password });
  return { agent, res };
}

export function $(html: string): cheerio.CheerioAPI {
  return cheerio.load(html);
}

/** The session cookie's value from a response, if it set one. */
export function sessionCookie(res: { headers: Record<string, unknown> }, name = 'qanat.sid'): string | undefined {
  const cookies = (res.headers['set-cookie'] as string[] | undefined) ?? [];
  return cookies.map((c) => c.split(';')[0] ?? '').find((c) => c.startsWith(`${name}=`));
}
