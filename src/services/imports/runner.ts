import type { RawSql } from '../../db/database.js';
import type { ImportBatch, PrismaClient } from '../../generated/prisma/client.js';
import { DomainError } from '../errors.js';
import { EventWriter, type PreparedChunk } from './event-writer.js';
import { listEntries } from './files.js';
import { MediaResolver } from './media-resolver.js';
import type { ImportCounters, ImportedEvent, ImportedMedia, RowError, StagedFile } from './records.js';
import { SOURCES } from './sources/index.js';

const CHUNK = 5000;
/**
 * Rows parsed between turns of the event loop. Parsing a file that is in the page cache never waits for I/O: its
 * rows come through promise continuations only, and the loop stayed in one turn for up to 2 s (measured by
 * bench:subscriptions on 2 loaded cores), holding back every request, socket write and timer meanwhile.
 */
const ROWS_PER_TURN = 500;
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));
/** Errors beyond this many are counted but not kept, so one broken file cannot flood the database. */
export const MAX_STORED_ERRORS = 10_000;

/** Where an interrupted batch picks up: items already written, and the counters and errors kept by then. */
export interface ImportCheckpoint {
  itemsDone: number;
  storedErrors: number;
  counters: Omit<ImportCounters, 'cursorAfter'> & { cursorAfter: string | null };
}

/** What the import needs of the run that carries it (see src/jobs/run-context.ts). */
export interface ImportProgress {
  readonly run: { readonly checkpoint: ImportCheckpoint | null };
  progress(counters: Record<string, unknown>, options?: { checkpoint?: ImportCheckpoint; force?: boolean; conn?: RawSql }): Promise<void>;
}

export class FilesGoneError extends DomainError {
  readonly code = 'FILES_GONE';
  constructor() {
    super('the server restarted and the uploaded files are gone; start the import again');
  }
}

export interface RunnerDeps {
  prisma: PrismaClient;
  sql: RawSql;
  uploadMaxBytes: number;
  hasStagedFiles(batch: ImportBatch): boolean;
}

/** Parsed rows waiting to be written, with what they add to the counters once they are. */
interface Chunk {
  events: ImportedEvent[];
  /** items read when the chunk was handed over: its checkpoint */
  items: number;
  /** rows done without an event to write (errors, skipped, ratings), and the errors among them */
  processed: number;
  skipped: number;
  errors: RowError[];
  cursorAfter: Date | null;
}
const newChunk = (): Chunk => ({ events: [], items: 0, processed: 0, skipped: 0, errors: [], cursorAfter: null });

const counted = (counters: ImportCounters) => ({ ...counters, cursorAfter: counters.cursorAfter?.toISOString() ?? null });

/**
 * Runs one batch to its end: parses the staged files, writes in chunks of a few thousand rows, reports
 * counters (saved with a checkpoint) after each chunk, and answers the final counters. REPLACE runs in one
 * transaction and starts over when interrupted; the other modes commit per chunk and resume after the last
 * checkpoint, skipping what was written.
 */
export async function runImport(deps: RunnerDeps, batchId: string, run: ImportProgress): Promise<ImportCounters> {
  const { prisma, sql } = deps;
  const batch = await prisma.importBatch.findUniqueOrThrow({ where: { id: batchId } });
  if (!deps.hasStagedFiles(batch)) throw new FilesGoneError();
  const replace = batch.mode === 'REPLACE' && !batch.dryRun;
  const resumeAt = replace ? null : run.run.checkpoint;
  const reader = SOURCES[batch.source];
  const counters: ImportCounters = resumeAt
    ? { ...resumeAt.counters, cursorAfter: resumeAt.counters.cursorAfter ? new Date(resumeAt.counters.cursorAfter) : null }
    : { totalRows: batch.totalRows, processedRows: 0, insertedCount: 0, duplicateCount: 0, updatedCount: 0, skippedCount: 0, errorCount: 0, cursorAfter: batch.cursorBefore };
  let storedErrors = resumeAt?.storedErrors ?? 0;
  // errors kept after the checkpoint belong to rows that are read again
  await sql.query(
    `DELETE FROM "ImportError" WHERE "batchId" = $1::uuid AND id NOT IN (SELECT id FROM "ImportError" WHERE "batchId" = $1::uuid ORDER BY id LIMIT $2)`,
    [batch.id, storedErrors],
  );
  const resolver = new MediaResolver(batch.userId, batch.dryRun);
  const writer = new EventWriter(batch.userId, batch.id, reader.watchSource, batch.mode, batch.dryRun, resolver);
  const errors: RowError[] = [];
  let inTransaction: RawSql | undefined;

  const keepError = (error: RowError) => {
    counters.errorCount++;
    if (storedErrors + errors.length < MAX_STORED_ERRORS) errors.push(error);
  };
  const flushErrors = async () => {
    const keep = errors.splice(0);
    storedErrors += keep.length;
    if (keep.length === 0) return;
    await prisma.importError.createMany({
      data: keep.map((e) => ({ batchId: batch.id, file: e.file, row: e.row, field: e.field ?? null, code: e.code, message: e.message, raw: e.raw?.slice(0, 4000) ?? null })),
    });
  };

  const work = async (conn: RawSql) => {
    const entries = await listEntries(batch.files as unknown as StagedFile[], deps.uploadMaxBytes);
    if (replace) await writer.clearSource(conn);
    let items = 0;
    const ratings: { media: ImportedMedia; rating: number; ratedAt: Date }[] = [];
    const ratedBefore: ImportedMedia[] = [];
    // the chunk being parsed; the one before it is written meanwhile (the database and Node share the cores),
    // never more than one ahead, and the counters and errors of a chunk count once it is written. Outside a
    // transaction a chunk's items are found on one connection while the chunk before it is written on another
    // (a COPY keeps one backend busy; the media lookups and inserts use the other core); inside REPLACE's
    // transaction its one connection does one thing at a time, so a failed COPY undoes only itself.
    const overlap = !replace;
    let chunk = newChunk();
    let writing: Promise<void> = Promise.resolve();
    let preparing: Promise<PreparedChunk | null> = Promise.resolve(null);
    const write = async (done: Chunk, prepared: PreparedChunk | null) => {
      counters.processedRows += done.processed;
      counters.skippedCount += done.skipped;
      for (const error of done.errors) keepError(error);
      if (done.cursorAfter && (!counters.cursorAfter || done.cursorAfter > counters.cursorAfter)) counters.cursorAfter = done.cursorAfter;
      if (prepared) {
        const counts = await writer.write(conn, prepared);
        counters.insertedCount += counts.inserted;
        counters.duplicateCount += counts.duplicates;
        counters.updatedCount += counts.updated;
        counters.processedRows += done.events.length;
      }
      counters.totalRows = Math.max(counters.totalRows, counters.processedRows);
      if (inTransaction) return run.progress(counted(counters), { conn: inTransaction });
      await flushErrors();
      await run.progress(counted(counters), { checkpoint: { itemsDone: done.items, storedErrors, counters: counted(counters) } });
    };
    const prepare = (done: Chunk) => (done.events.length > 0 ? writer.prepare(conn, done.events) : Promise.resolve(null));
    const handOver = async () => {
      const done = chunk;
      done.items = items;
      chunk = newChunk();
      const before = writing;
      // overlapping, chunks are prepared in order: this one starts once the one before it is prepared (not yet
      // written); otherwise it is prepared once the one before it is written
      const prepared = overlap ? preparing.then(() => prepare(done)) : null;
      if (prepared) {
        preparing = prepared;
        prepared.catch(() => undefined); // awaited by the write below
      }
      writing = before.then(async () => write(done, await (prepared ?? prepare(done))));
      writing.catch(() => undefined); // awaited at the next hand-over or at the end
      await before;
    };
    try {
      for await (const item of reader.parse(entries)) {
        // rows without an event (errors, ratings) fill a chunk too, so a broken file's errors wait in small batches
        if (chunk.events.length >= CHUNK || chunk.processed >= CHUNK) await handOver();
        items++;
        if (items % ROWS_PER_TURN === 0) await nextTurn();
        if (item.type === 'rating') {
          ratings.push(item);
          if (!resumeAt || items > resumeAt.itemsDone) chunk.processed++;
          continue;
        }
        if (resumeAt && items <= resumeAt.itemsDone) {
          // written before the interruption: only what the end of the batch needs is kept
          if (item.type === 'event' && item.event.rating !== null) ratedBefore.push(item.event.media);
          continue;
        }
        if (item.type === 'error') {
          chunk.processed++;
          chunk.errors.push(item.error);
          continue;
        }
        const { watchedAt } = item.event;
        if (batch.cursorBefore && watchedAt <= batch.cursorBefore) {
          chunk.skipped++;
          chunk.processed++;
          continue;
        }
        if (watchedAt.getTime() > Date.now() + 5 * 60_000) {
          chunk.processed++;
          chunk.errors.push({
            file: item.at?.file ?? '',
            row: item.at?.row ?? 0,
            field: item.at?.dateField ?? 'watched_at',
            code: 'FUTURE_DATE',
            message: `watched at ${watchedAt.toISOString()}, in the future`,
            raw: item.at?.raw ?? null,
          });
          continue;
        }
        if (!chunk.cursorAfter || watchedAt > chunk.cursorAfter) chunk.cursorAfter = watchedAt;
        chunk.events.push(item.event);
      }
      await handOver();
    } finally {
      // a failure while parsing waits for the chunks in flight before its transaction (if any) ends
      await Promise.allSettled([writing, preparing]);
    }
    await writing;
    await writer.markRated(conn, ratedBefore);
    await writer.applyRatings(conn, ratings);
    counters.totalRows = counters.processedRows;
  };

  if (replace) {
    await sql.transaction((conn) => {
      inTransaction = conn;
      return work(conn);
    });
    inTransaction = undefined;
  } else {
    await work(sql);
  }
  await flushErrors();
  if (counters.duplicateCount > 0 && !batch.dryRun && batch.mode !== 'UPSERT') {
    // after a resume, events written before the interruption count as this batch's too (they came back as
    // duplicates: without any, the inserts' own counts are exact and the person's events need no scan)
    const [row] = await sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "WatchEvent" WHERE "userId" = $2::uuid AND "importBatchId" = $1::uuid`, [batch.id, batch.userId]);
    const written = row?.n ?? counters.insertedCount;
    counters.duplicateCount = Math.max(0, counters.duplicateCount - (written - counters.insertedCount));
    counters.insertedCount = written;
  }
  return counters;
}
