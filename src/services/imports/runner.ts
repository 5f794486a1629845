import type { RawSql } from '../../db/database.js';
import type { ImportBatch, PrismaClient } from '../../generated/prisma/client.js';
import type { Logger } from '../../logger.js';
import { DomainError } from '../errors.js';
import type { EventBus } from '../events.js';
import { EventWriter } from './event-writer.js';
import { listEntries } from './files.js';
import { MediaResolver } from './media-resolver.js';
import type { ImportedEvent, ImportedMedia, RowError, StagedFile } from './records.js';
import { SOURCES } from './sources/index.js';

const CHUNK = 5000;
const PROGRESS_INTERVAL_MS = 1000;
/** Errors beyond this many are counted but not kept, so one broken file cannot flood the database. */
export const MAX_STORED_ERRORS = 10_000;

export class ImportCancelled extends Error {}
/** The server is shutting down: the batch stays PROCESSING and is resumed at the next start. */
export class ImportInterrupted extends Error {}

interface Counters {
  totalRows: number;
  processedRows: number;
  insertedCount: number;
  duplicateCount: number;
  updatedCount: number;
  skippedCount: number;
  errorCount: number;
  cursorAfter: Date | null;
}

export interface RunnerDeps {
  prisma: PrismaClient;
  sql: RawSql;
  events: EventBus;
  log: Logger;
  uploadMaxBytes: number;
  shouldStop(): boolean;
}

/**
 * Runs one claimed batch to its end: parses the staged files, writes in chunks of a few thousand rows,
 * keeps the counters in the database and on the event bus about once a second, and ends COMPLETED,
 * FAILED (with a reason) or CANCELLED. REPLACE runs in one transaction; the other modes commit per chunk.
 */
export async function runBatch(deps: RunnerDeps, claimed: ImportBatch): Promise<ImportBatch> {
  const { prisma, sql, log } = deps;
  const batch = claimed;
  const reader = SOURCES[batch.source];
  const counters: Counters = {
    totalRows: batch.totalRows,
    processedRows: 0,
    insertedCount: 0,
    duplicateCount: 0,
    updatedCount: 0,
    skippedCount: 0,
    errorCount: 0,
    cursorAfter: batch.cursorBefore,
  };
  const resolver = new MediaResolver(batch.userId, batch.dryRun);
  const writer = new EventWriter(batch.userId, batch.id, reader.watchSource, batch.mode, batch.dryRun, resolver);
  const errors: RowError[] = [];
  let storedErrors = 0;
  let lastProgress = 0;
  let inTransaction: RawSql | null = null;

  const flushErrors = async () => {
    const keep = errors.splice(0).slice(0, Math.max(0, MAX_STORED_ERRORS - storedErrors));
    storedErrors += keep.length;
    if (keep.length === 0) return;
    await prisma.importError.createMany({
      data: keep.map((e) => ({ batchId: batch.id, file: e.file, row: e.row, field: e.field ?? null, code: e.code, message: e.message, raw: e.raw?.slice(0, 4000) ?? null })),
    });
  };

  /** Persists (outside REPLACE's transaction) and publishes the counters; notices a cancel request. */
  const progress = async (force = false) => {
    if (deps.shouldStop()) throw new ImportInterrupted();
    const now = Date.now();
    if (!force && now - lastProgress < PROGRESS_INTERVAL_MS) return;
    lastProgress = now;
    let snapshot: ImportBatch;
    if (inTransaction) {
      // inside REPLACE's transaction: read through it (PGlite has one connection, held by the transaction)
      const [row] = await inTransaction.query<{ cancelRequested: boolean }>(
        `SELECT "cancelRequested" FROM "ImportBatch" WHERE id = $1::uuid`,
        [batch.id],
      );
      snapshot = { ...batch, ...counters, heartbeatAt: new Date(), cancelRequested: row?.cancelRequested ?? false };
    } else {
      await flushErrors();
      snapshot = await prisma.importBatch.update({ where: { id: batch.id }, data: { ...counters, heartbeatAt: new Date() } });
    }
    deps.events.pubsub.publish('import:progress', batch.id, snapshot);
    if (snapshot.cancelRequested) throw new ImportCancelled();
  };

  const work = async (conn: RawSql) => {
    const entries = await listEntries(batch.files as unknown as StagedFile[], deps.uploadMaxBytes);
    if (batch.mode === 'REPLACE') await writer.clearSource(conn);
    let chunk: ImportedEvent[] = [];
    const ratings: { media: ImportedMedia; rating: number; ratedAt: Date }[] = [];
    const flush = async () => {
      if (chunk.length === 0) return;
      const counts = await writer.write(conn, chunk);
      counters.insertedCount += counts.inserted;
      counters.duplicateCount += counts.duplicates;
      counters.updatedCount += counts.updated;
      counters.processedRows += chunk.length;
      chunk = [];
      await progress();
    };
    for await (const item of reader.parse(entries)) {
      if (item.type === 'error') {
        counters.errorCount++;
        counters.processedRows++;
        if (storedErrors + errors.length < MAX_STORED_ERRORS) errors.push(item.error);
        continue;
      }
      if (item.type === 'rating') {
        ratings.push(item);
        counters.processedRows++;
        continue;
      }
      const { watchedAt } = item.event;
      if (batch.cursorBefore && watchedAt <= batch.cursorBefore) {
        counters.skippedCount++;
        counters.processedRows++;
        continue;
      }
      if (watchedAt.getTime() > Date.now() + 5 * 60_000) {
        counters.errorCount++;
        counters.processedRows++;
        if (storedErrors + errors.length < MAX_STORED_ERRORS) errors.push({
          file: item.at?.file ?? '',
          row: item.at?.row ?? 0,
          field: item.at?.dateField ?? 'watched_at',
          code: 'FUTURE_DATE',
          message: `watched at ${watchedAt.toISOString()}, in the future`,
          raw: item.at?.raw ?? null,
        });
        continue;
      }
      if (!counters.cursorAfter || watchedAt > counters.cursorAfter) counters.cursorAfter = watchedAt;
      chunk.push(item.event);
      if (chunk.length >= CHUNK) await flush();
    }
    await flush();
    await writer.applyRatings(conn, ratings);
    counters.totalRows = counters.processedRows;
  };

  try {
    if (batch.mode === 'REPLACE' && !batch.dryRun) {
      await sql.transaction((conn) => {
        inTransaction = conn;
        return work(conn);
      });
      inTransaction = null;
    }
    else await work(sql);
    await flushErrors();
    if (!batch.dryRun && batch.mode !== 'UPSERT') {
      // after a resume, events written before the restart count as this batch's too
      const [row] = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "WatchEvent" WHERE "importBatchId" = $1::uuid`, [batch.id]);
      const written = row?.n ?? counters.insertedCount;
      counters.duplicateCount = Math.max(0, counters.duplicateCount - (written - counters.insertedCount));
      counters.insertedCount = written;
    }
    return await finish(deps, batch.id, 'COMPLETED', counters, null);
  } catch (error) {
    inTransaction = null;
    await flushErrors().catch(() => undefined);
    if (error instanceof ImportInterrupted) {
      return prisma.importBatch.update({ where: { id: batch.id }, data: { heartbeatAt: null } });
    }
    if (error instanceof ImportCancelled) {
      if (!batch.dryRun) await sql.query(`DELETE FROM "WatchEvent" WHERE "importBatchId" = $1::uuid`, [batch.id]);
      return finish(deps, batch.id, 'CANCELLED', { ...counters, insertedCount: 0 }, null);
    }
    const message = error instanceof DomainError ? error.message : 'the import stopped on an unexpected error; nothing of this batch was lost';
    if (!(error instanceof DomainError)) log.error({ err: error, batchId: batch.id }, 'import failed');
    return finish(deps, batch.id, 'FAILED', counters, message);
  }
}

async function finish(deps: RunnerDeps, id: string, status: 'COMPLETED' | 'FAILED' | 'CANCELLED', counters: Counters, errorMessage: string | null) {
  const done = await deps.prisma.importBatch.update({
    where: { id },
    data: { ...counters, status, errorMessage, finishedAt: new Date(), heartbeatAt: null },
  });
  deps.events.pubsub.publish('import:progress', id, done);
  return done;
}
