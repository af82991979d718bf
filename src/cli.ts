// Admin commands for the person who runs the server:
//   npm run cli -- user:create <username> [--role owner|editor|viewer] [--password-stdin]
//   npm run cli -- user:reset-password <username> [--password-stdin]
//   npm run cli -- user:disable-2fa <username>
//   npm run cli -- job:list
//   npm run cli -- job:run <name>
import crypto from 'node:crypto';
import { parseArgs } from 'node:util';
import { boot, type Booted } from './boot.js';
import { ConfigError } from './config.js';
import { ROLES, type Role } from './db/schema.js';
import { AppError, Invalid } from './errors.js';
import { ThrottleService } from './features/auth/throttle.service.js';
import { translatorFor } from './i18n/index.js';
import { findJob, jobs, scheduleOf } from './jobs/registry.js';
import { runJob } from './jobs/scheduler.js';
import { StartupError } from './secrets.js';
import { createServices } from './services.js';

const USAGE = `Usage: npm run cli -- <command>

  user:create <username> [--role owner|editor|viewer] [--password-stdin]
  user:reset-password <username> [--password-stdin]
      Without --password-stdin a strong password is generated and printed once.
  user:disable-2fa <username>
      For someone who lost their phone and their recovery codes.
  job:list
  job:run <name>
`;

const t = translatorFor('en');

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

function generatedPassword(): string {
  return crypto.randomBytes(18).toString('base64url');
}

async function passwordFrom(flag: boolean | undefined): Promise<{ password: string; generated: boolean }> {
  return flag ? { password: await readStdin(), generated: false } : { password: generatedPassword(), generated: true };
}

async function run(booted: Booted, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { role: { type: 'string', default: 'owner' }, 'password-stdin': { type: 'boolean' }, help: { type: 'boolean' } },
  });
  const [command, arg] = positionals;
  const services = createServices(booted);
  const by = 'cli';

  switch (command) {
    case 'user:create': {
      if (!arg) break;
      if (!(ROLES as readonly string[]).includes(values.role ?? '')) {
        process.stderr.write(`--role must be one of ${ROLES.join(', ')}\n`);
        return 2;
      }
      const { password, generated } = await passwordFrom(values['password-stdin']);
      const user = await services.users.createUnchecked({ username: arg, password, role: values.role as Role }, { ip: null }, by);
      process.stdout.write(`Created ${user.role} "${user.username}".\n`);
      if (generated) process.stdout.write(`Password (shown once): ${password}\n`);
      return 0;
    }
    case 'user:disable-2fa': {
      if (!arg) break;
      const user = services.users.repo.findByUsername(arg);
      if (!user) {
        process.stderr.write(`No user "${arg}".\n`);
        return 2;
      }
      services.totp.clear(user.id);
      services.audit.record({ kind: 'user.totp.disabled', userId: user.id, actor: by, detail: { username: user.username } });
      process.stdout.write(`Two-factor sign-in of "${user.username}" is off; they sign in with their password and can set it up again.\n`);
      return 0;
    }
    case 'user:reset-password': {
      if (!arg) break;
      const { password, generated } = await passwordFrom(values['password-stdin']);
      const user = await services.users.resetPasswordUnchecked(arg, password, by);
      // The locked-out owner's way back in: lift the lock on their name too.
      services.throttle.clear(ThrottleService.usernameKey(user.username));
      process.stdout.write(`Password of "${user.username}" reset; their sessions were ended and any sign-in lock lifted.\n`);
      if (generated) process.stdout.write(`New password (shown once): ${password}\n`);
      return 0;
    }
    case 'job:list':
      for (const job of jobs) process.stdout.write(`${job.name.padEnd(20)} ${scheduleOf(job, booted.config).padEnd(14)} ${job.description}\n`);
      return 0;
    case 'job:run': {
      const job = arg ? findJob(arg) : undefined;
      if (!job) {
        process.stderr.write(`Unknown job "${arg ?? ''}". Known jobs: ${jobs.map((j) => j.name).join(', ')}\n`);
        return 2;
      }
      const counts = await runJob(job, { ...booted, services });
      process.stdout.write(`${job.name}: ${JSON.stringify(counts)}\n`);
      return 0;
    }
  }
  process.stderr.write(USAGE);
  return 2;
}

async function main(): Promise<void> {
  let booted: Booted;
  try {
    booted = boot({ logToFile: true });
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StartupError) {
      process.stderr.write(`qanat: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  try {
    process.exitCode = await run(booted, process.argv.slice(2));
  } catch (error) {
    if (error instanceof Invalid) {
      for (const [field, key] of Object.entries(error.fieldErrors)) process.stderr.write(`${field}: ${t(key)}\n`);
      process.exitCode = 1;
    } else if (error instanceof AppError) {
      process.stderr.write(`${t(error.messageKey, error.params)}\n`);
      process.exitCode = 1;
    } else {
      throw error;
    }
  } finally {
    booted.db.close();
  }
}

await main();
