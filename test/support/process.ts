// Runs the real entry points (src/main.ts, src/cli.ts) as child processes.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { projectRoot } from '../../src/paths.js';
import { FAST_ARGON2 } from './app.js';

const TSX = ['--import', 'tsx'];

export function baseEnv(dataDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: process.env['PATH'], HOME: process.env['HOME'], NODE_ENV: 'test', DATA_DIR: dataDir, LOG_LEVEL: 'info', ...FAST_ARGON2, ...extra };
}

export function runCli(args: string[], env: NodeJS.ProcessEnv, input?: string) {
  const result = spawnSync(process.execPath, [...TSX, path.join(projectRoot, 'src/cli.ts'), ...args], {
    cwd: projectRoot,
    env,
    input: input ?? '',
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** Starts the server; the first run in a data folder works through migrations first. */
export function runMain(env: NodeJS.ProcessEnv) {
  return spawnSync(process.execPath, [...TSX, path.join(projectRoot, 'src/main.ts')], { cwd: projectRoot, env, encoding: 'utf8', timeout: 60_000 });
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export interface Server {
  child: ChildProcess;
  output: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
}

export async function startServer(env: NodeJS.ProcessEnv, port: number, waitFor: RegExp = /Qanat is listening/): Promise<Server> {
  const child = spawn(process.execPath, [...TSX, path.join(projectRoot, 'src/main.ts')], { cwd: projectRoot, env: { ...env, PORT: String(port) } });
  let out = '';
  child.stdout?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  const deadline = Date.now() + 30_000;
  while (!waitFor.test(out)) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`server did not start:\n${out}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, output: () => out, exited };
}
