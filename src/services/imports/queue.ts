import type { ImportBatch } from '../../generated/prisma/client.js';
import { removeStaging } from './files.js';
import type { ImportService } from './imports.js';
import { runBatch, type RunnerDeps } from './runner.js';

/** A batch whose server stopped writing its heartbeat this long ago is taken over. */
const STALE_MS = 60_000;

/**
 * Runs queued batches one at a time in this process. Claiming is an atomic UPDATE, so replicas sharing a
 * database never run the same batch twice; after a restart, stale batches are resumed or failed.
 */
export class ImportQueue {
  private readonly pending: string[] = [];
  private current: Promise<unknown> | null = null;
  private stopped = false;

  private readonly deps: RunnerDeps;

  constructor(
    deps: Omit<RunnerDeps, 'shouldStop'>,
    private readonly imports: () => ImportService,
  ) {
    this.deps = { ...deps, shouldStop: () => this.stopped };
  }

  enqueue(batchId: string): void {
    if (this.stopped) return;
    this.pending.push(batchId);
    this.current ??= this.drain().finally(() => {
      this.current = null;
    });
  }

  /** Resumes batches left behind by a stopped server, or fails them when their files are gone. */
  async recover(): Promise<void> {
    const { prisma } = this.deps;
    const stale = await prisma.importBatch.findMany({
      where: {
        OR: [
          { status: 'QUEUED' },
          { status: { in: ['PROCESSING', 'ENRICHING'] }, OR: [{ heartbeatAt: null }, { heartbeatAt: { lt: new Date(Date.now() - STALE_MS) } }] },
        ],
      },
      orderBy: { id: 'asc' },
    });
    for (const batch of stale) {
      if (this.imports().hasStagedFiles(batch)) {
        await prisma.importBatch.update({ where: { id: batch.id }, data: { status: 'QUEUED', heartbeatAt: null } });
        this.enqueue(batch.id);
      } else {
        await prisma.importBatch.update({
          where: { id: batch.id },
          data: { status: 'FAILED', finishedAt: new Date(), errorMessage: 'the server restarted and the uploaded files are gone; start the import again' },
        });
      }
    }
  }

  /** Stops taking batches; the one running stops at its next chunk boundary and is resumed on next start. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.pending.length = 0;
    await this.current;
  }

  /** Waits until the queue is empty (tests and the CLI use it instead of sleeping). */
  async idle(): Promise<void> {
    while (this.current) await this.current;
  }

  private async drain(): Promise<void> {
    for (let id = this.pending.shift(); id && !this.stopped; id = this.pending.shift()) {
      try {
        const claimed = await this.claim(id);
        if (!claimed) continue;
        const done = await runBatch(this.deps, claimed);
        if (done.status !== 'PROCESSING') await removeStaging(this.imports().stagingDir(id));
      } catch (error) {
        // the batch keeps its state; a later start resumes or fails it
        this.deps.log.error({ err: error, batchId: id }, 'import could not be run');
      }
    }
  }

  private async claim(id: string): Promise<ImportBatch | null> {
    const { count } = await this.deps.prisma.importBatch.updateMany({
      where: { id, status: 'QUEUED', cancelRequested: false },
      data: { status: 'PROCESSING', startedAt: new Date(), heartbeatAt: new Date() },
    });
    if (count === 0) return null;
    const batch = await this.deps.prisma.importBatch.findUniqueOrThrow({ where: { id } });
    this.deps.events.pubsub.publish('import:progress', id, batch);
    return batch;
  }
}
