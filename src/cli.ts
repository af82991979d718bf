// Admin commands for the person who runs the server (inside the container: `qanat <command>`;
// from a checkout: `npm run cli -- <command>`). "user create" and "user:create" are the same.
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
import { backupCommand, configCheck, dbMigrate, keyRotate } from './cli-system.js';
import { BackupError } from './features/system/backup-crypto.js';
import { RotationError } from './features/system/key-rotation.js';

const USAGE = `Usage: qanat <command>   (from a checkout: npm run cli -- <command>)

  user create <username> [--role owner|editor|viewer] [--password-stdin]
  user reset-password <username> [--password-stdin]
      Without --password-stdin a strong password is generated and printed once.
  user disable-2fa <username>
      For someone who lost their phone and their recovery codes.
  backup create            write an encrypted backup to BACKUP_DIR now
  backup list              the backups in BACKUP_DIR
  backup verify <file>     decrypt and check a backup completely, change nothing
  backup restore <file> [--force]
      With the server stopped. Checks the backup first; --force replaces an existing database.
  key rotate [--new-key-stdin]
      With the server stopped. Re-encrypts every encrypted value under a new data key.
  job list
  job run <name>
  db migrate               apply new migrations (start-up does this too)
  config check             print configuration problems; exits 1 if there are any
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

const OPTIONS = {
  role: { type: 'string', default: 'owner' },
  'password-stdin': { type: 'boolean' },
  'new-key-stdin': { type: 'boolean' },
  force: { type: 'boolean' },
  help: { type: 'boolean' },
} as const;

const KNOWN_COMMANDS = ['user:create', 'user:reset-password', 'user:disable-2fa', 'key:rotate', 'job:list', 'job:run', 'config:check', 'db:migrate', 'backup:create', 'backup:list', 'backup:verify', 'backup:restore'];

/** "user create alice" and "user:create alice" both become ["user:create", "alice"]. */
export function commandOf(positionals: string[]): { command: string | undefined; arg: string | undefined } {
  const [first, second, third] = positionals;
  if (first?.includes(':')) return { command: first, arg: second };
  if (first && second) return { command: `${first}:${second}`, arg: third };
  return { command: first, arg: undefined };
}

async function runBooted(booted: Booted, argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  const { command, arg } = commandOf(positionals);
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
    case 'key:rotate':
      return keyRotate(booted, services, values['new-key-stdin'] === true);
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

/** Commands that must not start the app (no database is created, no key generated). */
async function runStandalone(command: string | undefined, arg: string | undefined, force: boolean): Promise<number | undefined> {
  switch (command) {
    case 'config:check':
      return configCheck();
    case 'db:migrate':
      return dbMigrate();
    case 'backup:create':
    case 'backup:list':
    case 'backup:verify':
    case 'backup:restore': {
      const code = await backupCommand(command.slice('backup:'.length), arg, { force }, () => boot({ logToFile: true }), createServices);
      return code < 0 ? undefined : code;
    }
  }
  return undefined;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    process.exitCode = 2;
    return;
  }
  const { command, arg } = commandOf(parsed.positionals);
  if (!command || !KNOWN_COMMANDS.includes(command)) {
    // Nothing is opened or created for a command that does not exist.
    process.stderr.write(USAGE);
    process.exitCode = 2;
    return;
  }
  try {
    const code = await runStandalone(command, arg, parsed.values.force === true);
    if (code !== undefined) {
      process.exitCode = code;
      return;
    }
  } catch (error) {
    if (error instanceof ConfigError || error instanceof StartupError || error instanceof BackupError || error instanceof RotationError) {
      process.stderr.write(`qanat: ${error.message}\n`);
      process.exitCode = 1;
      return;
    }
    throw error;
  }
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
    process.exitCode = await runBooted(booted, argv);
  } catch (error) {
    if (error instanceof RotationError) {
      process.stderr.write(`qanat: ${error.message}\n`);
      process.exitCode = 1;
    } else if (error instanceof Invalid) {
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
