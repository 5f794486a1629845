import { randomBytes } from 'node:crypto';
import type { RawSql } from '../db/database.js';
import type { Logger } from '../logger.js';
import { DomainError } from '../services/errors.js';
import type { EventBus } from '../services/events.js';
import { backoffMs } from './backoff.js';
import { RunContext, type ProgressSink } from './run-context.js';
import { RunStopped, type RunKind } from './run-kind.js';
import type { NewRun, RunRecord } from './run-record.js';
import { isTerminal } from './run-status.js';
import { isTransient } from './transient.js';
import { RunStore } from './run-store.js';
import type { RunQueue } from './run-queue.js';

export interface RunSettings {
  /** a claim holds this long without renewal; a dead worker's run is taken over after it */
  leaseMs: number;
  /** how often a worker looks for work queued by other replicas (a local enqueue wakes it at once) */
  pollMs: number;
  /** counters are saved and published at most this often per run */
  progressMs: number;
  /** a run kept on one replica may be taken by another once it has waited this long */
  affinityGraceMs: number;
  retryBaseMs: number;
  retryMaxMs: number;
}

export interface RunObserver {
  started(kind: string): void;
  finished(kind: string, status: string, seconds: number): void;
}

export interface RunWorkerDeps {
  sql: RawSql;
  events: EventBus;
  log: Logger;
  settings: RunSettings;
  /** this replica; stable across restarts (it names where staged files live) */
  node: string;
  /** true when no other process can share this node's database (embedded PGlite): an earlier boot's runs are dead */
  exclusive: boolean;
  observer?: RunObserver;
}

interface Held {
  ctx: RunContext;
  done: Promise<void>;
}

/**
 * Works on runs of the kinds registered with it, sharing one queue with every other worker of every
 * replica: claims with SKIP LOCKED, renews its leases, takes over runs whose worker is gone, stops
 * cooperatively, retries with backoff, and publishes every change on the event bus.
 */
export class RunWorker implements RunQueue {
  readonly store: RunStore;
  readonly node: string;
  readonly id: string;
  private readonly kinds = new Map<string, RunKind<any, any>>();
  private readonly held = new Map<string, Held>();
  private readonly timers: NodeJS.Timeout[] = [];
  private filling: Promise<void> | null = null;
  private refill = false;
  private stopping = false;
  private unsubscribe: (() => void) | null = null;

  constructor(private readonly deps: RunWorkerDeps) {
    this.store = new RunStore(deps.sql);
    this.node = deps.node;
    this.id = `${deps.node}/${randomBytes(6).toString('hex')}`;
  }

  latestFor(kind: string, subjectId: string): Promise<RunRecord | null> {
    return this.store.latestFor(kind, subjectId);
  }

  register(kind: RunKind<any, any>): void {
    this.kinds.set(kind.name, kind);
  }

  async start(): Promise<void> {
    await this.reap(this.deps.exclusive);
    const { leaseMs, pollMs } = this.deps.settings;
    this.every(pollMs, () => this.wake());
    this.every(Math.max(50, leaseMs / 3), () => this.renew());
    this.every(Math.max(100, leaseMs / 2), () => this.reap(false));
    this.unsubscribe = this.listenForWork();
    this.wake();
  }

  /** Records a new run and wakes a worker for it, here and on the other replicas. */
  async enqueue(run: NewRun): Promise<RunRecord | null> {
    const maxAttempts = run.maxAttempts ?? this.kinds.get(run.kind)?.maxAttempts;
    // the domain recorded its row as waiting already: nothing to mirror or announce yet
    const created = await this.store.insert({ ...run, maxAttempts });
    if (created) {
      this.wake();
      this.deps.events.pubsub.publish('run:queued', { kind: run.kind });
    }
    return created;
  }

  /** Ends a run for good: at once when nobody works on it, else at its worker's next checkpoint. */
  async cancel(id: string): Promise<RunRecord | null> {
    const current = await this.store.get(id);
    if (!current) return null;
    const run = await this.transition(current.kind, (conn) => this.store.requestCancel(conn, id));
    const held = this.held.get(id);
    if (held) {
      held.ctx.requestStop('cancel');
      await held.done;
    } else if (run?.status === 'RUNNING') {
      await this.reap(false); // its worker may be gone already
    }
    return this.store.get(id);
  }

  async pause(id: string): Promise<RunRecord | null> {
    const current = await this.store.get(id);
    if (!current) return null;
    await this.transition(current.kind, (conn) => this.store.requestPause(conn, id));
    const held = this.held.get(id);
    if (held) {
      held.ctx.requestStop('pause');
      await held.done;
    }
    return this.store.get(id);
  }

  async resume(id: string): Promise<RunRecord | null> {
    const current = await this.store.get(id);
    if (!current) return null;
    const run = await this.transition(current.kind, (conn) => this.store.resume(conn, id));
    if (run) this.wake();
    return run ?? this.store.get(id);
  }

  /** Resolves once this worker holds nothing and finds nothing it could claim now (tests, the CLI). */
  async idle(): Promise<void> {
    for (;;) {
      await this.fill();
      if (this.held.size === 0) return;
      await Promise.all([...this.held.values()].map((h) => h.done));
    }
  }

  /** Stops claiming; held runs stop at their next checkpoint and go back to the queue, resumable. */
  async stop(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers.splice(0)) clearInterval(timer);
    this.unsubscribe?.();
    await this.filling; // a claim in flight lands in `held` first
    for (const held of this.held.values()) held.ctx.requestStop('shutdown');
    await Promise.all([...this.held.values()].map((h) => h.done));
  }

  wake(): void {
    if (this.stopping) return;
    if (this.filling) {
      this.refill = true;
      return;
    }
    void this.fill();
  }

  private fill(): Promise<void> {
    if (this.stopping) return Promise.resolve();
    // cleared in a callback, which always runs after the assignment (a pass may finish without awaiting anything)
    this.filling ??= this.claimAll().finally(() => {
      this.filling = null;
    });
    return this.filling;
  }

  private async claimAll(): Promise<void> {
    try {
      do {
        this.refill = false;
        const open = [...this.kinds.values()].filter((kind) => this.heldOf(kind.name) < kind.concurrency);
        if (open.length === 0) continue;
        const ready = await this.store.claimable(open.map((kind) => kind.name), this.deps.node, this.deps.settings.affinityGraceMs);
        for (const kind of open) if (ready.has(kind.name)) await this.fillKind(kind);
      } while (this.refill && !this.stopping);
    } catch (error) {
      this.deps.log.error({ err: error }, 'could not claim runs');
    }
  }

  private async fillKind(kind: RunKind<any, any>): Promise<void> {
    const { leaseMs, affinityGraceMs } = this.deps.settings;
    while (!this.stopping && this.heldOf(kind.name) < kind.concurrency) {
      const run = await this.transition(kind.name, (conn) => this.store.claim(conn, kind.name, this.id, this.deps.node, leaseMs, affinityGraceMs));
      if (!run) return;
      this.execute(kind, run);
    }
  }

  private heldOf(kind: string): number {
    let n = 0;
    for (const held of this.held.values()) if (held.ctx.run.kind === kind) n++;
    return n;
  }

  private execute(kind: RunKind<any, any>, run: RunRecord): void {
    const ctx = new RunContext(run, this.sink(kind), this.deps.settings.progressMs);
    if (this.stopping) ctx.requestStop('shutdown');
    const startedAt = performance.now();
    this.deps.observer?.started(kind.name);
    const done = (async () => {
      const ended = await this.work(kind, ctx).catch((error: unknown) => {
        this.deps.log.error({ err: error, runId: run.id, kind: kind.name }, 'run could not be recorded; its lease will run out and it will be taken over');
        return null;
      });
      if (ended && isTerminal(ended.status)) this.deps.observer?.finished(kind.name, ended.status, (performance.now() - startedAt) / 1000);
    })().finally(() => {
      this.held.delete(run.id);
      this.wake();
    });
    this.held.set(run.id, { ctx, done });
  }

  /** Runs the handler and records how it ended; answers the run as left, or null when another worker has it. */
  private async work(kind: RunKind<any, any>, ctx: RunContext): Promise<RunRecord | null> {
    const { run } = ctx;
    const release = (to: 'QUEUED' | 'PAUSED', opts: { delayMs: number; refund: boolean; error: string | null }) =>
      this.transition(kind.name, (conn) => this.store.release(conn, run.id, this.id, to, { ...opts, progress: ctx.latest, checkpoint: ctx.latestCheckpoint }));
    const finish = (status: 'COMPLETED' | 'FAILED' | 'CANCELLED', error: string | null, progress: unknown = ctx.latest) =>
      this.transition(kind.name, (conn) => this.store.finish(conn, run.id, this.id, status, error, progress));
    try {
      const result = await kind.run(ctx);
      return await finish('COMPLETED', null, result ?? ctx.latest);
    } catch (thrown) {
      // work asked to stop may end with whatever its I/O threw when aborted (an AbortError, a closed pool): it is the stop
      const error = !(thrown instanceof RunStopped) && ctx.signal.aborted && ctx.signal.reason instanceof RunStopped ? ctx.signal.reason : thrown;
      if (error instanceof RunStopped) {
        switch (error.reason) {
          case 'cancel':
            return finish('CANCELLED', null);
          case 'pause':
            return release('PAUSED', { delayMs: 0, refund: true, error: null });
          case 'shutdown':
            return release('QUEUED', { delayMs: 0, refund: true, error: null });
          case 'lease-lost':
            return null;
        }
      }
      const expected = error instanceof DomainError;
      if (!expected) this.deps.log.error({ err: error, runId: run.id, kind: kind.name }, 'run failed');
      const message = expected ? error.message : (kind.failureMessage ?? 'stopped on an unexpected error; it was logged');
      const retry = !expected && (kind.retryable ?? isTransient)(error) && run.attempts < run.maxAttempts;
      if (retry) {
        const { retryBaseMs, retryMaxMs } = this.deps.settings;
        return release('QUEUED', { delayMs: backoffMs(run.attempts, retryBaseMs, retryMaxMs), refund: false, error: message });
      }
      return finish('FAILED', message);
    }
  }

  private sink(kind: RunKind<any, any>): ProgressSink {
    return {
      save: async (run, progress, checkpoint, conn) => {
        if (conn) {
          // inside the work's own transaction: read the requests through it, write nothing elsewhere
          const flags = await this.store.readFlags(conn, run.id);
          await this.announce(kind, { ...run, progress }, conn);
          return flags;
        }
        const flags = await this.store.saveProgress(run, this.id, this.deps.settings.leaseMs, progress, checkpoint);
        if (!flags.leaseLost) await this.announce(kind, { ...run, progress, heartbeatAt: new Date() }, this.deps.sql);
        return flags;
      },
    };
  }

  /** Mirrors a run into its domain and publishes it: the one place progress goes out. */
  private async announce(kind: RunKind<any, any> | undefined, run: RunRecord, conn: RawSql): Promise<void> {
    const view = kind?.mirror ? await kind.mirror(conn, run) : undefined;
    this.publish(run, view);
  }

  private publish(run: RunRecord, view: unknown): void {
    this.deps.events.pubsub.publish('run:changed', run.subjectId ?? run.id, { run, view });
    if (run.userId) this.deps.events.pubsub.publish('run:changed:user', run.userId, { run, view });
  }

  /**
   * Changes a run and its domain's mirror in one transaction, then publishes the change and, when the
   * run ended, lets its kind clean up. The one place a run's status is written from.
   */
  private async transition(kindName: string, change: (conn: RawSql) => Promise<RunRecord | null>): Promise<RunRecord | null> {
    const kind = this.kinds.get(kindName);
    const changed = await this.deps.sql.transaction(async (tx) => {
      const run = await change(tx);
      return run ? { run, view: kind?.mirror ? await kind.mirror(tx, run) : undefined } : null;
    });
    if (!changed) return null;
    this.publish(changed.run, changed.view);
    if (isTerminal(changed.run.status)) await this.ended(kind, changed.run);
    return changed.run;
  }

  private async ended(kind: RunKind<any, any> | undefined, run: RunRecord): Promise<void> {
    await kind?.ended?.(run).catch((error: unknown) => this.deps.log.warn({ err: error, runId: run.id }, 'clean-up after a run failed'));
  }

  private async renew(): Promise<void> {
    if (this.held.size === 0) return;
    try {
      const alive = await this.store.renew(this.id, [...this.held.keys()], this.deps.settings.leaseMs);
      for (const [id, held] of this.held) {
        const flags = alive.get(id);
        if (!flags) held.ctx.requestStop('lease-lost');
        else if (flags.cancelRequested) held.ctx.requestStop('cancel');
        else if (flags.pauseRequested) held.ctx.requestStop('pause');
      }
    } catch (error) {
      this.deps.log.warn({ err: error }, 'could not renew run leases');
    }
  }

  /** Takes back runs whose worker is gone (see RunStore.reap) and publishes what became of them. */
  private async reap(sameNode: boolean): Promise<void> {
    try {
      const reaped = await this.deps.sql.transaction(async (tx) => {
        const runs = await this.store.reap(tx, this.id, sameNode ? { node: this.deps.node } : null);
        const out: { run: RunRecord; view: unknown }[] = [];
        for (const run of runs) {
          const kind = this.kinds.get(run.kind);
          out.push({ run, view: kind?.mirror ? await kind.mirror(tx, run) : undefined });
        }
        return out;
      });
      for (const { run, view } of reaped) {
        this.deps.log.info({ runId: run.id, kind: run.kind, status: run.status }, 'took over a run whose worker is gone');
        this.publish(run, view);
        if (isTerminal(run.status)) await this.ended(this.kinds.get(run.kind), run);
      }
      if (reaped.some((r) => r.run.status === 'QUEUED')) this.wake();
    } catch (error) {
      this.deps.log.warn({ err: error }, 'could not check for abandoned runs');
    }
  }

  private listenForWork(): () => void {
    const iterator = this.deps.events.pubsub.subscribe('run:queued')[Symbol.asyncIterator]();
    void (async () => {
      for (let next = await iterator.next(); !next.done; next = await iterator.next()) {
        if (this.kinds.has(next.value.kind)) this.wake();
      }
    })().catch(() => undefined);
    return () => void iterator.return?.();
  }

  private every(ms: number, task: () => unknown): void {
    const timer = setInterval(() => void task(), ms);
    timer.unref();
    this.timers.push(timer);
  }
}
