// ffprobe and ffmpeg, always with an argument array and never a shell (security.md #23): a file
// name or anything inside a file can never become part of a command line.
import { spawn } from 'node:child_process';
import path from 'node:path';

export interface RunOptions {
  /** Kill the tool after this long. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called with each complete line of standard output instead of collecting it. */
  onLine?: (line: string) => void;
  /** Standard output larger than this is an error (it is kept in memory). */
  maxOutputBytes?: number;
}

/** The tool ran but failed: exit status, or killed by timeout or abort. stderrTail is for the log. */
export class ToolFailed extends Error {
  constructor(
    readonly tool: string,
    readonly reason: 'exit' | 'timeout' | 'aborted' | 'output-too-large',
    readonly stderrTail: string,
    readonly exitCode: number | null = null,
  ) {
    super(`${tool} failed (${reason}${exitCode === null ? '' : ` ${exitCode}`}): ${stderrTail.slice(-500)}`);
    this.name = 'ToolFailed';
  }
}

const STDERR_TAIL = 4_096;

/**
 * Runs ffmpeg or ffprobe and resolves with its standard output. A missing binary rejects with the
 * spawn error itself (code ENOENT): that is a broken installation, not a bad file.
 */
export function runTool(tool: 'ffmpeg' | 'ffprobe', args: string[], options: RunOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(new ToolFailed(tool, 'aborted', ''));
      return;
    }
    const child = spawn(tool, args, { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    const chunks: Buffer[] = [];
    let size = 0;
    let stderr = '';
    let pending = '';
    let failure: ToolFailed['reason'] | undefined;

    const stop = (reason: ToolFailed['reason']) => {
      failure ??= reason;
      child.kill('SIGKILL');
    };
    const timer = options.timeoutMs ? setTimeout(() => stop('timeout'), options.timeoutMs) : undefined;
    const onAbort = () => stop('aborted');
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      if (options.onLine) {
        const lines = (pending + chunk.toString('utf8')).split('\n');
        pending = lines.pop() ?? '';
        for (const line of lines) options.onLine(line.trim());
        return;
      }
      size += chunk.length;
      if (options.maxOutputBytes !== undefined && size > options.maxOutputBytes) stop('output-too-large');
      else chunks.push(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_TAIL);
    });
    const settle = () => {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
    };
    child.on('error', (error) => {
      settle();
      reject(error);
    });
    child.on('close', (code) => {
      settle();
      if (options.onLine && pending) options.onLine(pending.trim());
      if (failure) reject(new ToolFailed(tool, failure, stderr));
      else if (code !== 0) reject(new ToolFailed(tool, 'exit', stderr, code));
      else resolve(Buffer.concat(chunks));
    });
  });
}

/** The spawn error for a tool that is not installed: rethrow it, it is not the file's fault. */
export const isMissingTool = (error: unknown): boolean => (error as NodeJS.ErrnoException | undefined)?.code === 'ENOENT';

/**
 * A local path as ffmpeg must read it: with the file: protocol, so no name (a leading "-", or
 * "concat:", "http:", "subfile,,…") can make it an option or another protocol.
 */
export const fileArg = (file: string): string => `file:${path.resolve(file)}`;
