import type { RawSql } from '../db/database.js';
import type { RunRecord } from './run-record.js';
import { RunStopped } from './run-kind.js';

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

export interface ProgressOptions<Checkpoint> {
  /** saved with the counters: where the work resumes after an interruption */
  checkpoint?: Checkpoint;
  /** save and publish now, whatever the throttle says */
  force?: boolean;
  /** the connection of a transaction the work holds open: read through it, write nothing outside it */
  conn?: RawSql;
}

export interface ProgressSink {
  /** persists counters and checkpoint, renews the lease, answers the stop requests seen in the database */
  save(run: RunRecord, progress: Record<string, unknown>, checkpoint: unknown, conn: RawSql | undefined): Promise<StopFlags>;
}

export interface StopFlags {
  cancelRequested: boolean;
  pauseRequested: boolean;
  leaseLost?: boolean;
}

/** What a run's handler gets: its record, a stop signal, and one throttled way to report progress. */
export class RunContext<Checkpoint = unknown> {
  private lastSaved = Number.NEGATIVE_INFINITY;
  private stopReason: RunStopped['reason'] | null = null;
  private readonly controller = new AbortController();
  latest: Record<string, unknown>;
  latestCheckpoint: Checkpoint | null;

  constructor(
    readonly run: RunRecord<Checkpoint>,
    private readonly sink: ProgressSink,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {
    this.latest = run.progress;
    this.latestCheckpoint = run.checkpoint;
  }

  /** aborted when the run is asked to stop (cancel, pause, shutdown), for work that waits on I/O */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Asks the work to stop at its next checkpoint. */
  requestStop(reason: RunStopped['reason']): void {
    if (this.stopReason === 'cancel') return;
    this.stopReason = reason;
    this.controller.abort(new RunStopped(reason));
  }

  throwIfStopped(): void {
    if (this.stopReason) throw new RunStopped(this.stopReason);
  }

  /**
   * Records the counters and checkpoint the worker saves when the run stops or ends, without saving now
   * and whether or not a stop was asked: for work that has just stopped and knows exactly where it is.
   */
  keep(progress: Record<string, unknown>, options: { checkpoint?: Checkpoint } = {}): void {
    this.latest = progress;
    if (options.checkpoint !== undefined) this.latestCheckpoint = options.checkpoint;
  }

  /**
   * Reports the work's counters (and where to resume). Saved and published at most about once per
   * interval, whatever the work's own rate; throws RunStopped when the run was asked to stop.
   */
  async progress(progress: Record<string, unknown>, options: ProgressOptions<Checkpoint> = {}): Promise<void> {
    this.throwIfStopped();
    this.latest = progress;
    if (options.checkpoint !== undefined) this.latestCheckpoint = options.checkpoint;
    const now = this.now();
    if (!options.force && now - this.lastSaved < this.intervalMs) return;
    this.lastSaved = now;
    const flags = await this.sink.save(this.run, progress, this.latestCheckpoint, options.conn);
    // the save published the change: its subscribers are written in the microtasks that follow, and the work's
    // own continuation (the next chunk's preparation, its COPY) would otherwise run among them, before most sockets
    await nextTurn();
    if (flags.leaseLost) this.requestStop('lease-lost');
    else if (flags.cancelRequested) this.requestStop('cancel');
    else if (flags.pauseRequested) this.requestStop('pause');
    this.throwIfStopped();
  }
}
