// The only module that reads process.env. Everything else receives a frozen Config.
import fs from 'node:fs';
import path from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import { projectRoot } from './paths.js';
import { canonicalZone, isTimeZone } from './time-zone.js';

type Env = Record<string, string | undefined>;

const MB = 1024 * 1024;

const ARGON2_MIN = { memoryKiB: 19456, timeCost: 2, parallelism: 1 } as const;

const positiveInt = (fallback: number) =>
  z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').positive('must be positive').default(fallback);

const schema = z.object({
  NODE_ENV: z.enum(['development', 'production', 'test']).default('development'),
  PORT: z.coerce.number({ error: 'must be a port number (1-65535)' }).int('must be a port number (1-65535)').min(1, 'must be a port number (1-65535)').max(65535, 'must be a port number (1-65535)').default(3000),
  HOST: z.string().min(1).optional(),
  DATA_DIR: z.string().min(1).default('./data'),
  PUBLIC_URL: z
    .url({ protocol: /^https?$/, error: 'must be an absolute http(s) URL such as https://qanat.example.com' })
    .default('http://localhost:3000')
    .transform((value) => new URL(value).origin),
  QANAT_DATA_KEY: z.string().optional(),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  SESSION_IDLE_MINUTES: positiveInt(30),
  SESSION_ABSOLUTE_HOURS: positiveInt(12),
  TRUST_PROXY_HOPS: z.coerce.number({ error: 'must be 0 or a small whole number' }).int().min(0).max(5).default(1),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  LOG_RETENTION_DAYS: z.coerce.number().int().min(1).max(30, 'the privacy policy promises at most 30 days').default(30),
  /** Shown in the privacy policy: who runs this server, how to reach them, where it stands. */
  PRIVACY_OPERATOR_NAME: z.string().max(200).optional(),
  PRIVACY_CONTACT_EMAIL: z.email('must be an e-mail address').optional(),
  PRIVACY_SERVER_LOCATION: z.string().max(200).optional(),
  AUDIT_RETENTION_DAYS: z.coerce.number().int().min(30, 'at least 30 days').max(3650).default(365),
  LOGIN_MAX_FAILURES_PER_USERNAME: positiveInt(5),
  LOGIN_MAX_FAILURES_PER_IP: positiveInt(20),
  LOGIN_LOCK_MINUTES: positiveInt(15),
  ARGON2_MEMORY_KIB: z.coerce.number().int().min(ARGON2_MIN.memoryKiB, `must be at least ${ARGON2_MIN.memoryKiB}`).default(65536),
  ARGON2_TIME_COST: z.coerce.number().int().min(ARGON2_MIN.timeCost, `must be at least ${ARGON2_MIN.timeCost}`).default(3),
  ARGON2_PARALLELISM: z.coerce.number().int().min(ARGON2_MIN.parallelism).max(16).default(1),
  ARGON2_MAX_CONCURRENT: z.coerce.number().int().min(1).max(16).default(2),
  INSTAGRAM_APP_ID: z.string().regex(/^\d{5,20}$/, 'must be the numeric Instagram App ID').optional(),
  INSTAGRAM_APP_SECRET: z.string().min(16, 'looks too short for an app secret').optional(),
  /** Which secret signs webhooks is unconfirmed for Instagram Login; defaults to the app secret. */
  INSTAGRAM_WEBHOOK_SECRET: z.string().min(16).optional(),
  /** What Meta's dashboard sends in the webhook handshake; derived from the data key when unset. */
  INSTAGRAM_WEBHOOK_VERIFY_TOKEN: z.string().min(8, 'must be at least 8 characters').max(200).optional(),
  /** How often the inbox is read from Instagram as a backstop for webhooks. */
  INBOX_SYNC_MINUTES: z.coerce.number().int().min(1).max(60, 'at most 60 (the backstop must run at least hourly)').default(5),
  /** How far back daily account insights are read the first time (Instagram keeps two years). */
  INSIGHTS_BACKFILL_DAYS: z.coerce.number().int().min(1).max(729, 'at most 729 (Instagram keeps two years)').default(729),
  GRAPH_API_VERSION: z.string().regex(/^v\d{2}\.0$/, 'must look like v25.0').default('v25.0'),
  GRAPH_BASE_URL: z.url({ protocol: /^https?$/ }).default('https://graph.instagram.com'),
  INSTAGRAM_AUTHORIZE_URL: z.url({ protocol: /^https?$/ }).default('https://www.instagram.com/oauth/authorize'),
  INSTAGRAM_TOKEN_URL: z.url({ protocol: /^https?$/ }).default('https://api.instagram.com/oauth/access_token'),
  GRAPH_TIMEOUT_MS: z.coerce.number().int().min(1000).max(120_000).default(20_000),
  SANDBOX_SEED: z.coerce.number().int().min(0).default(42),
  TOKEN_REFRESH_WINDOW_DAYS: z.coerce.number().int().min(1).max(59).default(14),
  TIME_ZONE: z
    .string()
    .refine((zone) => isTimeZone(zone), 'must be an IANA time zone such as Europe/Berlin or Asia/Almaty')
    .transform((zone) => canonicalZone(zone) ?? zone)
    .default('UTC'),
  UPLOAD_MAX_IMAGE_MB: positiveInt(50),
  UPLOAD_MAX_VIDEO_MB: positiveInt(1024),
  /** Uploads are refused while the data disk has less than this free, so the database can still write. */
  UPLOAD_MIN_FREE_MB: z.coerce.number().int().min(0).default(512),
  IMAGE_MAX_MEGAPIXELS: z.coerce.number().int().min(1).max(200).default(60),
  PUBLISH_LATE_LIMIT_HOURS: z.coerce.number().min(0).max(168).default(6),
  PUBLISH_LEASE_SECONDS: z.coerce.number().int().min(5).max(3600).default(120),
  PUBLISH_PROCESSING_LIMIT_MINUTES: z.coerce.number().int().min(1).max(1440).default(30),
  /** Test-only crash injection (see features/publishing/failpoints.ts). */
  /** Encrypts backups; never stored inside one. Generated into data/ for local use when unset. */
  QANAT_BACKUP_KEY: z.string().optional(),
  /** When the backup job runs (cron, UTC), or "off". */
  BACKUP_SCHEDULE: z
    .string()
    .refine((value) => value === 'off' || cron.validate(value), 'must be a cron expression such as "30 3 * * *" (03:30 UTC daily) or "off"')
    .default('30 3 * * *'),
  BACKUP_KEEP: z.coerce.number({ error: 'must be a whole number' }).int('must be a whole number').min(1, 'keep at least 1').max(365).default(14),
  /** Where backups are written; another disk or mount is better than the data volume. */
  BACKUP_DIR: z.string().min(1).optional(),
  QANAT_FAILPOINT: z.string().regex(/^[a-z-]+(@\d+)?$/).optional(),
});

export interface Config {
  readonly env: 'development' | 'production' | 'test';
  readonly version: string;
  readonly port: number;
  readonly host: string | undefined;
  readonly dataDir: string;
  readonly publicUrl: string;
  readonly secureCookies: boolean;
  readonly dataKey: string | undefined;
  readonly sessionSecret: string | undefined;
  readonly session: { readonly idleMs: number; readonly absoluteMs: number };
  readonly trustProxyHops: number;
  readonly log: { readonly level: string; readonly retentionDays: number };
  /** Audit entries older than this many days are deleted by the retention job. */
  readonly auditRetentionDays: number;
  /** The operator fields of the privacy policy (unset: the page says so). */
  readonly privacy: { readonly operatorName: string | undefined; readonly contactEmail: string | undefined; readonly serverLocation: string | undefined };
  readonly login: { readonly maxFailuresPerUsername: number; readonly maxFailuresPerIp: number; readonly lockMs: number };
  readonly argon2: { readonly memoryKiB: number; readonly timeCost: number; readonly parallelism: number; readonly maxConcurrent: number };
  readonly instagram: InstagramConfig;
  /** Default time zone for new users and the scheduler's display (IANA name). */
  readonly timeZone: string;
  readonly media: MediaConfig;
  readonly publishing: PublishingConfig;
  readonly backup: BackupConfig;
  /** Test-only: kill the process at a named step (QANAT_FAILPOINT). */
  readonly failpoint: string | undefined;
}

export interface PublishingConfig {
  /** A post missed by more than this (the appliance was down) waits for the owner. */
  readonly lateLimitMs: number;
  readonly leaseMs: number;
  readonly processingLimitMs: number;
}

export interface BackupConfig {
  readonly key: string | undefined;
  /** node-cron expression, or undefined when backups are off. */
  readonly schedule: string | undefined;
  readonly keep: number;
  readonly dir: string;
}

export interface MediaConfig {
  readonly maxImageBytes: number;
  readonly maxVideoBytes: number;
  readonly minFreeBytes: number;
  /** sharp's limitInputPixels: a 50 MP camera photo passes, a decompression bomb does not. */
  readonly maxInputPixels: number;
}

export interface InstagramConfig {
  /** No Meta app configured: the built-in simulator stands in for Instagram. */
  readonly sandbox: boolean;
  readonly appId: string | undefined;
  readonly appSecret: string | undefined;
  readonly webhookSecret: string | undefined;
  readonly webhookVerifyToken: string | undefined;
  /** Minutes between inbox syncs (comments, conversations). */
  readonly inboxSyncMinutes: number;
  /** Days of daily insights read the first time an account is analysed. */
  readonly insightsBackfillDays: number;
  readonly apiVersion: string;
  readonly graphBaseUrl: string;
  readonly authorizeUrl: string;
  readonly tokenUrl: string;
  readonly timeoutMs: number;
  readonly sandboxSeed: number;
  /** Refresh tokens that expire within this many days (and are at least 24 h old). */
  readonly refreshWindowMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

const SECRET_FILE_VARS = ['QANAT_DATA_KEY', 'QANAT_BACKUP_KEY', 'SESSION_SECRET', 'INSTAGRAM_APP_SECRET', 'INSTAGRAM_WEBHOOK_SECRET', 'INSTAGRAM_WEBHOOK_VERIFY_TOKEN'] as const;

/** Every environment variable Qanat reads (.env.example documents each; a test checks it). */
export const ENV_VARIABLES: readonly string[] = [...Object.keys(schema.shape), ...SECRET_FILE_VARS.map((name) => `${name}_FILE`)];

/** Resolves `NAME_FILE` (Docker secrets) into `NAME`; a variable set both ways is a mistake. */
function resolveFileVariables(env: Env, problems: string[]): Env {
  const resolved: Env = { ...env };
  for (const name of SECRET_FILE_VARS) {
    const file = env[`${name}_FILE`];
    if (!file) continue;
    if (env[name]) {
      problems.push(`${name} and ${name}_FILE are both set; use only one`);
      continue;
    }
    try {
      resolved[name] = fs.readFileSync(file, 'utf8').trim();
    } catch {
      problems.push(`${name}_FILE: cannot read ${file}`);
    }
  }
  return resolved;
}

function readVersion(): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(projectRoot, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  const resolved = resolveFileVariables(env, problems);
  // Empty strings mean "unset" (docker-compose often passes VAR= for optional values).
  const cleaned = Object.fromEntries(Object.entries(resolved).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) problems.push(`${issue.path.join('.')}: ${issue.message}`);
  }
  if (parsed.success && Boolean(parsed.data.INSTAGRAM_APP_ID) !== Boolean(parsed.data.INSTAGRAM_APP_SECRET)) {
    problems.push('INSTAGRAM_APP_ID and INSTAGRAM_APP_SECRET: set both (live Instagram) or neither (sandbox)');
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);
  const c = parsed.data;
  const dataDir = path.resolve(projectRoot, c.DATA_DIR);
  return Object.freeze({
    env: c.NODE_ENV,
    version: readVersion(),
    port: c.PORT,
    host: c.HOST,
    dataDir,
    publicUrl: c.PUBLIC_URL,
    secureCookies: c.PUBLIC_URL.startsWith('https://'),
    dataKey: c.QANAT_DATA_KEY,
    sessionSecret: c.SESSION_SECRET,
    session: Object.freeze({ idleMs: c.SESSION_IDLE_MINUTES * 60_000, absoluteMs: c.SESSION_ABSOLUTE_HOURS * 3_600_000 }),
    trustProxyHops: c.TRUST_PROXY_HOPS,
    log: Object.freeze({ level: c.LOG_LEVEL, retentionDays: c.LOG_RETENTION_DAYS }),
    auditRetentionDays: c.AUDIT_RETENTION_DAYS,
    privacy: Object.freeze({ operatorName: c.PRIVACY_OPERATOR_NAME, contactEmail: c.PRIVACY_CONTACT_EMAIL, serverLocation: c.PRIVACY_SERVER_LOCATION }),
    login: Object.freeze({
      maxFailuresPerUsername: c.LOGIN_MAX_FAILURES_PER_USERNAME,
      maxFailuresPerIp: c.LOGIN_MAX_FAILURES_PER_IP,
      lockMs: c.LOGIN_LOCK_MINUTES * 60_000,
    }),
    argon2: Object.freeze({
      memoryKiB: c.ARGON2_MEMORY_KIB,
      timeCost: c.ARGON2_TIME_COST,
      parallelism: c.ARGON2_PARALLELISM,
      maxConcurrent: c.ARGON2_MAX_CONCURRENT,
    }),
    instagram: Object.freeze({
      sandbox: !c.INSTAGRAM_APP_ID,
      appId: c.INSTAGRAM_APP_ID,
      appSecret: c.INSTAGRAM_APP_SECRET,
      webhookSecret: c.INSTAGRAM_WEBHOOK_SECRET ?? c.INSTAGRAM_APP_SECRET,
      webhookVerifyToken: c.INSTAGRAM_WEBHOOK_VERIFY_TOKEN,
      inboxSyncMinutes: c.INBOX_SYNC_MINUTES,
      insightsBackfillDays: c.INSIGHTS_BACKFILL_DAYS,
      apiVersion: c.GRAPH_API_VERSION,
      graphBaseUrl: c.GRAPH_BASE_URL.replace(/\/$/, ''),
      authorizeUrl: c.INSTAGRAM_AUTHORIZE_URL,
      tokenUrl: c.INSTAGRAM_TOKEN_URL,
      timeoutMs: c.GRAPH_TIMEOUT_MS,
      sandboxSeed: c.SANDBOX_SEED,
      refreshWindowMs: c.TOKEN_REFRESH_WINDOW_DAYS * 86_400_000,
    }),
    timeZone: c.TIME_ZONE,
    media: Object.freeze({
      maxImageBytes: c.UPLOAD_MAX_IMAGE_MB * MB,
      maxVideoBytes: c.UPLOAD_MAX_VIDEO_MB * MB,
      minFreeBytes: c.UPLOAD_MIN_FREE_MB * MB,
      maxInputPixels: c.IMAGE_MAX_MEGAPIXELS * 1_000_000,
    }),
    publishing: Object.freeze({
      lateLimitMs: c.PUBLISH_LATE_LIMIT_HOURS * 3_600_000,
      leaseMs: c.PUBLISH_LEASE_SECONDS * 1000,
      processingLimitMs: c.PUBLISH_PROCESSING_LIMIT_MINUTES * 60_000,
    }),
    backup: Object.freeze({
      key: c.QANAT_BACKUP_KEY,
      schedule: c.BACKUP_SCHEDULE === 'off' ? undefined : c.BACKUP_SCHEDULE,
      keep: c.BACKUP_KEEP,
      dir: c.BACKUP_DIR ? path.resolve(projectRoot, c.BACKUP_DIR) : path.join(dataDir, 'backups'),
    }),
    failpoint: c.QANAT_FAILPOINT,
  });
}
