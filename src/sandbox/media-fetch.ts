// Meta fetches image_url / video_url itself when the container is created (§2.1), so the
// simulator does too: over HTTP, with a timeout and a size cap, never trusting Content-Length.
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { finished } from 'node:stream/promises';

export type FetchFailure = 'unreachable' | 'timeout' | 'too-large';

export class MediaFetchError extends Error {
  constructor(readonly reason: FetchFailure) {
    super(`media fetch failed: ${reason}`);
  }
}

interface Limits {
  maxBytes: number;
  timeoutMs: number;
}

type Sink = (chunk: Uint8Array) => Promise<void> | void;

async function stream(url: string, limits: Limits, sink: Sink): Promise<number> {
  if (!/^https?:\/\//i.test(url)) throw new MediaFetchError('unreachable');
  const signal = AbortSignal.timeout(limits.timeoutMs);
  let total = 0;
  try {
    const response = await fetch(url, { signal, headers: { 'user-agent': 'facebookexternalhit/1.1' } });
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new MediaFetchError('unreachable');
    }
    if (Number(response.headers.get('content-length') ?? 0) > limits.maxBytes) {
      await response.body.cancel();
      throw new MediaFetchError('too-large');
    }
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      total += value.byteLength;
      if (total > limits.maxBytes) {
        await reader.cancel();
        throw new MediaFetchError('too-large');
      }
      await sink(value);
    }
    return total;
  } catch (error) {
    if (error instanceof MediaFetchError) throw error;
    throw new MediaFetchError(signal.aborted ? 'timeout' : 'unreachable');
  }
}

export async function fetchToBuffer(url: string, limits: Limits): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  await stream(url, limits, (chunk) => {
    chunks.push(chunk);
  });
  return Buffer.concat(chunks);
}

/** Streams to a file so a 300 MB reel never sits in memory; returns the size in bytes. */
export async function fetchToFile(url: string, file: string, limits: Limits): Promise<number> {
  const out = createWriteStream(file);
  try {
    const size = await stream(url, limits, async (chunk) => {
      if (!out.write(chunk)) await once(out, 'drain');
    });
    out.end();
    await finished(out);
    return size;
  } finally {
    out.destroy();
  }
}
