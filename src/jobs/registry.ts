// Every background job, in one place. Jobs call services only; each returns counts to log.
import type { Config } from '../config.js';
import type { Deps } from '../services.js';
import type { Services } from '../services.js';
import { publishTick } from './publish-tick.js';
import { purgeSessions } from './purge-sessions.js';
import { refreshTokens } from './refresh-tokens.js';
import { rotateLogs } from './rotate-logs.js';
import { syncProfiles } from './sync-profiles.js';
import { purgeInbox, syncInbox } from './inbox.js';
import { insightsAudience, insightsDaily } from './insights.js';
import { retention } from './retention.js';
import { backup } from './backup.js';

export interface JobContext extends Deps {
  services: Services;
}

export interface Job {
  name: string;
  /** node-cron expression (UTC), or one built from config where the interval is a setting. */
  schedule: string | ((config: Config) => string);
  description: string;
  run(ctx: JobContext): Promise<Record<string, number>> | Record<string, number>;
}

export const jobs: readonly Job[] = [publishTick, purgeSessions, rotateLogs, refreshTokens, syncProfiles, syncInbox, purgeInbox, insightsDaily, insightsAudience, retention, backup];

export function scheduleOf(job: Job, config: Config): string {
  return typeof job.schedule === 'function' ? job.schedule(config) : job.schedule;
}

export function findJob(name: string): Job | undefined {
  return jobs.find((job) => job.name === name);
}
