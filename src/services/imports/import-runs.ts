import type { RawSql } from '../../db/database.js';
import type { ImportBatch, ImportStatus } from '../../generated/prisma/client.js';
import type { RunKind } from '../../jobs/run-kind.js';
import type { RunRecord } from '../../jobs/run-record.js';
import type { Metrics } from '../../metrics.js';
import { removeStaging } from './files.js';
import { recordImportRows } from './import-metrics.js';
import type { ImportCounters } from './records.js';
import { runImport, type ImportCheckpoint, type RunnerDeps } from './runner.js';

export const IMPORT_RUN = 'import';

const COUNTERS = ['totalRows', 'processedRows', 'insertedCount', 'duplicateCount', 'updatedCount', 'skippedCount', 'errorCount'] as const;

/** The batch status a run shows as: the run's lifecycle in the words importBatches has always used. */
export function batchStatus(run: Pick<RunRecord, 'status'>): ImportStatus {
  switch (run.status) {
    case 'QUEUED':
    case 'PAUSED':
      return 'QUEUED';
    case 'RUNNING':
      return 'PROCESSING';
    default:
      return run.status;
  }
}

/**
 * Imports as runs: the work is runImport; the batch row mirrors the run (status, counters, error) in the
 * same transaction as each change, and a cancelled batch's events go in that transaction too.
 */
export function importRunKind(
  deps: RunnerDeps & { concurrency: number; stagingDir(batchId: string): string; metrics: Metrics },
): RunKind<ImportCheckpoint, ImportBatch> {
  return {
    name: IMPORT_RUN,
    concurrency: deps.concurrency,
    maxAttempts: 3,
    failureMessage: 'the import stopped on an unexpected error; nothing of this batch was lost',
    run: (ctx) => runImport(deps, ctx.run.subjectId!, ctx).then(({ cursorAfter, ...rest }) => ({ ...rest, cursorAfter: cursorAfter?.toISOString() ?? null })),
    mirror: (conn, run) => mirrorBatch(conn, run),
    ended: async (run) => {
      await removeStaging(deps.stagingDir(run.subjectId!));
      const batch = await deps.prisma.importBatch.findUnique({ where: { id: run.subjectId! } });
      if (batch) recordImportRows(deps.metrics, batch);
    },
  };
}

async function mirrorBatch(conn: RawSql, run: RunRecord): Promise<ImportBatch> {
  const status = batchStatus(run);
  const progress = run.progress as Partial<Record<keyof ImportCounters, unknown>>;
  // a cancelled batch's events are removed with it
  const counters = COUNTERS.map((name) => (name === 'insertedCount' && status === 'CANCELLED' ? 0 : typeof progress[name] === 'number' ? progress[name] : null));
  const cursorAfter = typeof progress.cursorAfter === 'string' ? progress.cursorAfter : null;
  if (status === 'CANCELLED') {
    await conn.query(`DELETE FROM "WatchEvent" WHERE "importBatchId" = $1::uuid AND NOT EXISTS (SELECT 1 FROM "ImportBatch" b WHERE b.id = $1::uuid AND b."dryRun")`, [run.subjectId]);
  }
  const [batch] = await conn.query<ImportBatch>(
    `UPDATE "ImportBatch" SET status = $2::"ImportStatus", "errorMessage" = $3, "startedAt" = $4, "finishedAt" = $5,
       "cursorAfter" = coalesce($6::timestamptz, "cursorAfter"),
       ${COUNTERS.map((name, i) => `"${name}" = coalesce($${i + 7}::int, "${name}")`).join(', ')}
     WHERE id = $1::uuid RETURNING *`,
    [run.subjectId, status, status === 'FAILED' ? run.error : null, run.startedAt, run.finishedAt, cursorAfter, ...counters],
  );
  return batch!;
}
