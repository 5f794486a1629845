import { createHash } from 'node:crypto';
import cron, { type ScheduledTask } from 'node-cron';
import { ConfigError } from '../config.js';
import type { RawSql } from '../db/database.js';
import type { Logger } from '../logger.js';
import { AlreadyRunningError, NotFoundError } from '../services/errors.js';
import type { RunRecord } from './run-record.js';
import type { RunStatus } from './run-status.js';
import type { RunWorker } from './run-worker.js';

export interface Job {
  name: string;
  /** cron expression (seconds optional), evaluated in UTC; `KLUG_JOB_<NAME>` overrides it, `off` disables */
  schedule: string;
  run(): Promise<unknown>;
}

export interface JobState {
  name: string;
  schedule: string | null;
  lastRunAt: Date | null;
  lastStatus: RunStatus | null;
  lastError: string | null;
  nextRunAt: Date | null;
  running: boolean;
}


export const jobKind = (name: string) => `job:${name}`;
/** `purge-expired` → `KLUG_JOB_PURGE_EXPIRED` */
export const jobVariable = (name: string) => `KLUG_JOB_${name.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

/**
 * Scheduled and manual jobs, each run a recorded run of the runs mechanism (kind `job:<name>`): a tick
 * is queued under a key made of the job and the instant, so when every replica's clock fires, one run is
 * recorded; a partial unique index keeps one run of a job active at a time; the run itself holds a
 * PostgreSQL advisory lock named after the job while it works.
 */
export class Scheduler {
  private readonly tasks = new Map<string, ScheduledTask>();
  private readonly schedules = new Map<string, string | null>();

  constructor(
    private readonly jobs: Job[],
    private readonly runs: RunWorker,
    private readonly sql: RawSql,
    private readonly log: Logger,
    /** `KLUG_JOB_*` settings as given */
    overrides: Record<string, string> = {},
  ) {
    const known = new Map(jobs.map((j) => [jobVariable(j.name), j]));
    const problems: string[] = [];
    for (const [variable, value] of Object.entries(overrides)) {
      if (!known.has(variable)) problems.push(`${variable}: no such job (jobs: ${jobs.map((j) => jobVariable(j.name)).join(', ')})`);
      else if (value.trim() !== 'off' && !cron.validate(value.trim())) problems.push(`${variable}: "${value}" is not a cron expression or "off"`);
    }
    if (problems.length > 0) throw new ConfigError(problems);
    for (const job of jobs) {
      const given = overrides[jobVariable(job.name)]?.trim();
      this.schedules.set(job.name, given === 'off' ? null : (given ?? job.schedule));
      runs.register({
        name: jobKind(job.name),
        concurrency: 1,
        // jobs are upkeep that is safe to repeat: a run whose replica died is run again by another
        maxAttempts: 3,
        run: async () => ((await this.underLock(job)) ?? {}) as Record<string, unknown>,
      });
    }
  }

  start(): void {
    for (const job of this.jobs) {
      const schedule = this.schedules.get(job.name);
      if (!schedule) continue;
      const task = cron.schedule(schedule, (ctx) => this.tick(job, ctx.date), { timezone: 'Etc/UTC', name: job.name, noOverlap: false });
      this.tasks.set(job.name, task);
    }
  }

  async stop(): Promise<void> {
    await Promise.all([...this.tasks.values()].map((task) => task.stop()));
    this.tasks.clear();
  }

  /** Queues a run of the job now; AlreadyRunningError while one is queued or running anywhere. */
  async runNow(name: string): Promise<RunRecord> {
    if (!this.jobs.some((j) => j.name === name)) throw new NotFoundError(`No job named "${name}"`, ['name']);
    const run = await this.runs.enqueue({ kind: jobKind(name) });
    if (!run) throw new AlreadyRunningError(`The job "${name}" is running already`, ['name']);
    return run;
  }

  async list(): Promise<JobState[]> {
    const latest = await this.sql.query<RunRecord>(
      `SELECT DISTINCT ON (kind) * FROM "Run" WHERE kind = ANY($1::text[]) AND status <> 'QUEUED' ORDER BY kind, id DESC`,
      [this.jobs.map((j) => jobKind(j.name))],
    );
    const active = await this.sql.query<{ kind: string }>(
      `SELECT kind FROM "Run" WHERE kind = ANY($1::text[]) AND status IN ('QUEUED', 'RUNNING')`,
      [this.jobs.map((j) => jobKind(j.name))],
    );
    return this.jobs.map((job) => {
      const last = latest.find((r) => r.kind === jobKind(job.name));
      return {
        name: job.name,
        schedule: this.schedules.get(job.name) ?? null,
        lastRunAt: last ? (last.startedAt ?? last.createdAt) : null,
        lastStatus: last?.status ?? null,
        lastError: last?.error ?? null,
        nextRunAt: this.tasks.get(job.name)?.getNextRun() ?? null,
        running: active.some((a) => a.kind === jobKind(job.name)),
      };
    });
  }

  names(): string[] {
    return this.jobs.map((j) => j.name);
  }

  /** One tick, on every replica whose clock fired: the first to record it runs it. */
  private async tick(job: Job, at: Date): Promise<void> {
    const dedupeKey = `${jobKind(job.name)}@${new Date(Math.floor(at.getTime() / 1000) * 1000).toISOString()}`;
    try {
      const run = await this.runs.enqueue({ kind: jobKind(job.name), dedupeKey });
      if (run) return;
      // not queued: another replica recorded this tick, or the job is still running; a skip is recorded once
      await this.runs.store.insert({
        kind: jobKind(job.name),
        dedupeKey,
        status: 'CANCELLED',
        error: 'skipped: the previous run was still going',
      });
    } catch (error) {
      this.log.error({ err: error, job: job.name }, 'could not queue a scheduled job');
    }
  }

  private async underLock(job: Job): Promise<unknown> {
    const key = lockKey(job.name);
    return this.sql.withConnection(async (conn) => {
      await conn.query('SELECT pg_advisory_lock($1)', [key]);
      try {
        const result = await job.run();
        this.log.info({ job: job.name, result }, 'job done');
        return result;
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
