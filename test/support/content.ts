// Helpers for the content tests: a signed-in owner with an account, images made with sharp, and
// composer submits as the browser sends them (multipart, the CSRF token first).
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import type { TestApp } from './app.js';
import { createAccount, createUser } from './factories.js';
import { csrfFrom, signIn, type Agent } from './http.js';

export interface Studio {
  t: TestApp;
  agent: Agent;
  accountId: number;
  csrf: string;
}

export async function studio(t: TestApp, role: 'owner' | 'editor' | 'viewer' = 'owner'): Promise<Studio> {
  const user = await createUser(t, { role });
  const account = createAccount(t);
  const { agent } = await signIn(t, user.username);
  const page = await agent.get('/queue');
  return { t, agent, accountId: account.id, csrf: csrfFrom(page.text) };
}

/** A flat JPEG of the given size with two colour halves (left red, right blue), so crops can be told apart. */
export async function photo(width: number, height: number, format: 'jpeg' | 'png' = 'jpeg'): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><rect width="50%" height="100%" fill="#d22"/><rect x="50%" width="50%" height="100%" fill="#22d"/></svg>`;
  const image = sharp(Buffer.from(svg));
  return format === 'png' ? image.png().toBuffer() : image.jpeg({ quality: 80 }).toBuffer();
}

export interface Submit {
  fields?: Record<string, string>;
  files?: Array<{ field?: string; name: string; bytes: Buffer }>;
  csrf?: string | false;
}

/** POSTs the composer form to `url` (/compose or /posts/:id) the way a browser does. */
export function submit(s: Studio, url: string, { fields = {}, files = [], csrf }: Submit) {
  let req = s.agent.post(url);
  if (csrf !== false) req = req.field('_csrf', csrf ?? s.csrf);
  for (const [name, value] of Object.entries({ accountId: String(s.accountId), ...fields })) req = req.field(name, value);
  for (const file of files) req = req.attach(file.field ?? 'files', file.bytes, file.name);
  return req;
}

export function postIdFrom(location: unknown): number {
  const id = /^\/posts\/(\d+)$/.exec(String(location))?.[1];
  if (!id) throw new Error(`not a post location: ${String(location)}`);
  return Number(id);
}

/** Every file under data/media (random names), for checks that nothing is left behind. */
export function mediaFiles(t: TestApp): string[] {
  const root = path.join(t.dir, 'media');
  if (!fs.existsSync(root)) return [];
  return fs
    .readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => path.join(e.parentPath, e.name));
}
