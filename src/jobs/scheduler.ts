// Starts the registry on node-cron after migrations; never used by tests.
import cron, { type ScheduledTask } from 'node-cron';
import { jobs, scheduleOf, type Job, type JobContext } from './registry.js';

export async function runJob(job: Job, ctx: JobContext): Promise<Record<string, number>> {
  const started = Date.now();
  try {
    const counts = await job.run(ctx);
    ctx.log.info({ job: job.name, ...counts, ms: Date.now() - started }, 'job finished');
    return counts;
  } catch (error) {
    ctx.log.error({ job: job.name, err: error }, 'job failed');
    throw error;
  }
}

export class Scheduler {
  private tasks: ScheduledTask[] = [];

  constructor(private readonly ctx: JobContext) {}

  start(): void {
    for (const job of jobs) {
      const schedule = scheduleOf(job, this.ctx.config);
      if (schedule === 'off') continue;
      const task = cron.schedule(schedule, () => runJob(job, this.ctx).then(() => undefined, () => undefined), {
        name: job.name,
        timezone: 'Etc/UTC',
        noOverlap: true,
      });
      this.tasks.push(task);
    }
    this.ctx.log.info({ jobs: jobs.map((j) => j.name) }, 'jobs started');
  }

  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((task) => task.stop()));
    this.tasks = [];
  }
}
