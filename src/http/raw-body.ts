// The request body as bytes, for the one route that must verify a signature over exactly what
// was sent (webhooks) before anything parses it.
import type { Request } from 'express';

export class BodyTooLarge extends Error {}

export async function readRawBody(req: Request, limitBytes: number): Promise<Buffer> {
  const declared = Number(req.get('content-length') ?? '0');
  if (declared > limitBytes) throw new BodyTooLarge();
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limitBytes) throw new BodyTooLarge();
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}
