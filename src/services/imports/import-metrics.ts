import type { ImportBatch } from '../../generated/prisma/client.js';
import type { ImportRowOutcome, Metrics } from '../../metrics.js';

/** Counts a finished batch's rows by outcome; dry runs wrote nothing and are left out. */
export function recordImportRows(metrics: Metrics, batch: ImportBatch): void {
  if (batch.dryRun) return;
  const rows: [ImportRowOutcome, number][] = [
    ['inserted', batch.insertedCount],
    ['duplicate', batch.duplicateCount],
    ['updated', batch.updatedCount],
    ['skipped', batch.skippedCount],
    ['error', batch.errorCount],
  ];
  for (const [outcome, n] of rows) metrics.importRows(batch.source, outcome, n);
}
