import { createHash } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import type { RawSql } from '../db/database.js';
import type { Logger } from '../logger.js';

export interface Job {
  name: string;
  /** cron expression, evaluated in UTC */
  schedule: string;
  run(): Promise<unknown>;
}

/**
 * Runs each job on its schedule. Every tick first takes a PostgreSQL advisory lock named after the job,
 * so when several replicas share a database exactly one of them runs it.
 */
export class Scheduler {
  private readonly tasks: ScheduledTask[] = [];

  constructor(
    private readonly jobs: Job[],
    private readonly sql: RawSql,
    private readonly log: Logger,
  ) {}

  start(): void {
    for (const job of this.jobs) {
      this.tasks.push(cron.schedule(job.schedule, () => void this.runNow(job.name), { timezone: 'Etc/UTC', name: job.name }));
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.tasks.map((task) => task.stop()));
  }

  /** Runs a job now under its lock; `skipped` when another replica holds it. */
  async runNow(name: string): Promise<{ status: 'done' | 'skipped'; result?: unknown }> {
    const job = this.jobs.find((j) => j.name === name);
    if (!job) throw new Error(`no job named ${name}`);
    const key = lockKey(name);
    return this.sql.withConnection(async (conn) => {
      const [row] = await conn.query<{ locked: boolean }>('SELECT pg_try_advisory_lock($1) AS locked', [key]);
      if (!row?.locked) return { status: 'skipped' as const };
      try {
        const result = await job.run();
        this.log.info({ job: name, result }, 'job done');
        return { status: 'done' as const, result };
      } catch (error) {
        this.log.error({ job: name, err: error }, 'job failed');
        throw error;
      } finally {
        await conn.query('SELECT pg_advisory_unlock($1)', [key]);
      }
    });
  }
}

/** A stable 31-bit key per job name, clear of the migrator's. */
function lockKey(name: string): number {
  return createHash('sha256').update(`klug-job:${name}`).digest().readUInt32BE(0) >>> 1;
}
