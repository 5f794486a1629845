import type { RawSql } from '../../db/database.js';
import type { ImportBatch, ImportStatus } from '../../generated/prisma/client.js';
import type { RunKind } from '../../jobs/run-kind.js';
import type { RunRecord } from '../../jobs/run-record.js';
import type { Metrics } from '../../metrics.js';
import { removeStaging } from './files.js';
import { recordImportRows } from './import-metrics.js';
import type { ImportCounters } from './records.js';
import { DomainError } from '../errors.js';
import { runImport, type ImportCheckpoint, type ImportProgress, type RunnerDeps } from './runner.js';
import type { RunContext } from '../../jobs/run-context.js';
import { RunStopped } from '../../jobs/run-kind.js';
import type { Logger } from '../../logger.js';

export const IMPORT_RUN = 'import';

const COUNTERS = ['totalRows', 'processedRows', 'insertedCount', 'duplicateCount', 'updatedCount', 'skippedCount', 'errorCount', 'enrichedCount'] as const;

/** Once the rows are written the batch enriches its person's new items; a resume goes straight back to that. */
type EnrichingCheckpoint = { phase: 'enriching'; counters: Record<string, unknown> };
export type ImportRunCheckpoint = ImportCheckpoint | EnrichingCheckpoint;

/** What the import needs to enrich the items it brought: off when TMDB is not configured. */
export interface ImportEnrichment {
  readonly enabled: boolean;
  enrichPending(userId: string, options: { signal: AbortSignal; onProgress(done: number): Promise<void> }): Promise<unknown>;
}

/** The batch status a run shows as: the run's lifecycle in the words importBatches has always used. */
export function batchStatus(run: Pick<RunRecord, 'status'> & { progress?: unknown }): ImportStatus {
  switch (run.status) {
    case 'QUEUED':
    case 'PAUSED':
      return 'QUEUED';
    case 'RUNNING':
      return (run as { progress?: { phase?: unknown } }).progress?.phase === 'enriching' ? 'ENRICHING' : 'PROCESSING';
    default:
      return run.status;
  }
}

/**
 * Imports as runs: the work is runImport; the batch row mirrors the run (status, counters, error) in the
 * same transaction as each change, and a cancelled batch's events go in that transaction too.
 */
export function importRunKind(
  deps: RunnerDeps & { concurrency: number; stagingDir(batchId: string): string; metrics: Metrics; enrichment: ImportEnrichment; log: Logger },
): RunKind<ImportRunCheckpoint, ImportBatch> {
  return {
    name: IMPORT_RUN,
    concurrency: deps.concurrency,
    maxAttempts: 3,
    failureMessage: 'the import stopped on an unexpected error; nothing of this batch was lost',
    run: async (ctx) => {
      const checkpoint = ctx.run.checkpoint;
      const counters =
        checkpoint && 'phase' in checkpoint
          ? checkpoint.counters
          : await runImport(deps, ctx.run.subjectId!, ctx as unknown as ImportProgress).then(({ cursorAfter, ...rest }) => ({ ...rest, cursorAfter: cursorAfter?.toISOString() ?? null }));
      return enrichAfterImport(deps, ctx, counters);
    },
    mirror: (conn, run) => mirrorBatch(conn, run),
    ended: async (run) => {
      await removeStaging(deps.stagingDir(run.subjectId!));
      const batch = await deps.prisma.importBatch.findUnique({ where: { id: run.subjectId! } });
      if (batch) recordImportRows(deps.metrics, batch);
    },
  };
}

/**
 * ENRICHING: the person's items still PENDING get TMDB's metadata, `enrichedCount` counting those settled.
 * A failure here never fails the import: the batch completes and says why enrichment stopped.
 */
async function enrichAfterImport(
  deps: { enrichment: ImportEnrichment; log: Logger; prisma: RunnerDeps['prisma'] },
  ctx: RunContext<ImportRunCheckpoint>,
  counters: Record<string, unknown>,
): Promise<Record<string, unknown>> {
  const batch = await deps.prisma.importBatch.findUniqueOrThrow({ where: { id: ctx.run.subjectId! }, select: { userId: true, dryRun: true } });
  if (!deps.enrichment.enabled || batch.dryRun) return counters;
  const before = typeof ctx.run.progress.enrichedCount === 'number' && ctx.run.checkpoint && 'phase' in ctx.run.checkpoint ? ctx.run.progress.enrichedCount : 0;
  const checkpoint: EnrichingCheckpoint = { phase: 'enriching', counters };
  let enrichedCount = before;
  await ctx.progress({ ...counters, phase: 'enriching', enrichedCount }, { checkpoint, force: true });
  try {
    await deps.enrichment.enrichPending(batch.userId, {
      signal: ctx.signal,
      onProgress: (done) => ctx.progress({ ...counters, phase: 'enriching', enrichedCount: (enrichedCount = before + done) }, { checkpoint }),
    });
    return { ...counters, enrichedCount };
  } catch (error) {
    if (error instanceof RunStopped || ctx.signal.aborted) throw error;
    const reason = error instanceof DomainError ? error.message : 'an unexpected error';
    if (!(error instanceof DomainError)) deps.log.error({ err: error, batchId: ctx.run.subjectId }, 'enrichment after an import failed');
    return { ...counters, enrichedCount, enrichmentError: `enrichment stopped: ${reason}; the nightly enrich-missing job tries again` };
  }
}

async function mirrorBatch(conn: RawSql, run: RunRecord): Promise<ImportBatch> {
  const status = batchStatus(run);
  const progress = run.progress as Partial<Record<keyof ImportCounters | 'enrichedCount' | 'enrichmentError', unknown>>;
  // a cancelled batch's events are removed with it
  const counters = COUNTERS.map((name) => (name === 'insertedCount' && status === 'CANCELLED' ? 0 : typeof progress[name] === 'number' ? progress[name] : null));
  const cursorAfter = typeof progress.cursorAfter === 'string' ? progress.cursorAfter : null;
  if (status === 'CANCELLED') {
    await conn.query(`DELETE FROM "WatchEvent" WHERE "userId" = (SELECT b."userId" FROM "ImportBatch" b WHERE b.id = $1::uuid AND NOT b."dryRun") AND "importBatchId" = $1::uuid`, [run.subjectId]);
  }
  const [batch] = await conn.query<ImportBatch>(
    `UPDATE "ImportBatch" SET status = $2::"ImportStatus", "errorMessage" = $3, "startedAt" = $4, "finishedAt" = $5,
       "cursorAfter" = coalesce($6::timestamptz, "cursorAfter"),
       ${COUNTERS.map((name, i) => `"${name}" = coalesce($${i + 7}::int, "${name}")`).join(', ')}
     WHERE id = $1::uuid RETURNING *`,
    [run.subjectId, status, status === 'FAILED' ? run.error : typeof progress.enrichmentError === 'string' ? progress.enrichmentError : null, run.startedAt, run.finishedAt, cursorAfter, ...counters],
  );
  return batch!;
}
