// `npm run test:crash -- --trials 500 [--seed N] [--lanes N] [--only 3,17] [--verbose] [--tsx]`:
// the crash test (test/features/publishing/crash.test.ts) alone, with more trials than `npm test` runs.
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { projectRoot } from '../src/paths.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '500' },
    seed: { type: 'string' },
    lanes: { type: 'string' },
    only: { type: 'string' },
    verbose: { type: 'boolean', default: false },
    tsx: { type: 'boolean', default: false },
  },
});

for (const [name, value] of Object.entries({ trials: values.trials, seed: values.seed, lanes: values.lanes })) {
  if (value !== undefined && !/^\d+$/.test(value)) {
    process.stderr.write(`--${name} must be a whole number, not "${value}"\n`);
    process.exit(2);
  }
}

const env: NodeJS.ProcessEnv = {
  ...process.env,
  QANAT_CRASH_TRIALS: values.trials,
  ...(values.seed ? { QANAT_CRASH_SEED: values.seed } : {}),
  ...(values.lanes ? { QANAT_CRASH_LANES: values.lanes } : {}),
  ...(values.only ? { QANAT_CRASH_ONLY: values.only } : {}),
  ...(values.verbose ? { QANAT_CRASH_VERBOSE: '1' } : {}),
  ...(values.tsx ? { QANAT_CRASH_TSX: '1' } : {}),
};

// The trial deadlines bound the run; mocha's own timeout is set by the test from the trial count.
const mocha = path.join(projectRoot, 'node_modules', 'mocha', 'bin', 'mocha.js');
const args = [mocha, '--no-config', '--node-option', 'import=tsx', '--reporter', path.join(projectRoot, 'test', 'support', 'reporter.cjs'), path.join(projectRoot, 'test', 'features', 'publishing', 'crash.test.ts')];
const child = spawn(process.execPath, args, { cwd: projectRoot, env, stdio: 'inherit' });
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
