import type { RawSql } from '../db/database.js';
import type { RunContext } from './run-context.js';
import type { RunRecord } from './run-record.js';

/**
 * A kind of long work, declared by its domain: the handler reads top to bottom (load, check, work in
 * checkpointed steps, report progress, finish); the runs mechanism does claiming, leases, cancel, pause,
 * retries, throttling and status changes around it.
 */
export interface RunKind<Checkpoint = unknown, View = unknown> {
  name: string;
  /** runs of this kind one process works on at once */
  concurrency: number;
  /** claims before a run fails for good (a crash of the worker counts as one) */
  maxAttempts?: number;
  /** whether a failure is worth another attempt after a backoff; by default a lost connection is (see transient.ts) */
  retryable?(error: unknown): boolean;
  /** what a run failed by an unexpected error says (the error itself goes to the log only) */
  failureMessage?: string;
  /** the work; answers the final counters */
  run(ctx: RunContext<Checkpoint>): Promise<Record<string, unknown> | void>;
  /**
   * Writes the domain's own record of the run (its status, counters, error) on the connection that changes
   * the run, so both move together; answers what subscribers of the domain see.
   */
  mirror?(conn: RawSql, run: RunRecord<Checkpoint>): Promise<View>;
  /** after the run ended, however and wherever it ended: remove what it no longer needs */
  ended?(run: RunRecord<Checkpoint>): Promise<void>;
}

/** The work stops at its next checkpoint; why decides the status it is left in. */
export class RunStopped extends Error {
  constructor(readonly reason: 'cancel' | 'pause' | 'shutdown' | 'lease-lost') {
    super(`run stopped: ${reason}`);
    this.name = 'RunStopped';
  }
}
