import type { ImportBatch } from '../../generated/prisma/client.js';
import type { ImportRowOutcome, Metrics } from '../../metrics.js';
import type { EventBus, Events } from '../events.js';

const TERMINAL: ReadonlySet<ImportBatch['status']> = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

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

/**
 * The event bus for the import queue, counting a batch's rows when this process publishes its terminal state:
 * once per batch, whatever its resumes, and never again for the same event heard from another replica.
 */
export function countingImportRows(events: EventBus, metrics: Metrics): EventBus {
  if (!metrics.registry) return events;
  const { pubsub } = events;
  const publish: typeof pubsub.publish = (topic, ...args) => {
    if (topic === 'import:progress') {
      const [, batch] = args as Events['import:progress'];
      if (TERMINAL.has(batch.status)) recordImportRows(metrics, batch);
    }
    pubsub.publish(topic, ...args);
  };
  return { ...events, pubsub: { publish, subscribe: pubsub.subscribe } };
}
