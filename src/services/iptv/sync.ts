import type { RawSql } from '../../db/database.js';
import type { Playlist, PrismaClient } from '../../generated/prisma/client.js';
import type { RunContext } from '../../jobs/run-context.js';
import { RunStopped } from '../../jobs/run-kind.js';
import type { Logger } from '../../logger.js';
import { DomainError, UpstreamError } from '../errors.js';
import { createHash } from 'node:crypto';
import { CatalogWriter, type CatalogTable, type Fingerprinted } from './catalog-writer.js';
import { parseCategory, parseLive, parseSeries, parseVod } from './parse.js';
import type { ListAction, XtreamClient } from './xtream-client.js';
import { SERVICE } from './xtream-http.js';

export const SECTIONS = ['categories', 'live', 'vod', 'series'] as const;
export type Section = (typeof SECTIONS)[number];

/** Where a sync resumes after its worker died: the sections finished (well or not) and what they found. */
export interface SyncCheckpoint {
  done: Section[];
  errors: Partial<Record<Section, string>>;
  skipped: number;
}

export interface SyncProgress {
  phase: Section | 'queued' | 'done';
  /** entries read, written and skipped in the section now going */
  received: number;
  written: number;
  skipped: number;
  /** entries skipped in the whole sync so far */
  skippedTotal: number;
  sectionsDone: number;
  sectionsFailed: Section[];
}

export interface SyncDeps {
  prisma: PrismaClient;
  sql: RawSql;
  log: Logger;
}

/** rows per set-based statement */
const BATCH = 2000;
/** rows written by a section past which the table's statistics are refreshed at once */
const ANALYZE_AFTER = 5000;

/**
 * A playlist's sync, top to bottom: categories, live, VOD, series, each committed on its own. A section that
 * fails keeps what the others wrote and records its error; one that completes marks what the provider no
 * longer lists as gone. Entries that cannot be read are skipped and counted. Fails only when every section did.
 */
export async function syncPlaylist(ctx: RunContext<SyncCheckpoint>, deps: SyncDeps, playlist: Playlist, client: XtreamClient): Promise<SyncProgress> {
  const checkpoint: SyncCheckpoint = ctx.latestCheckpoint ?? { done: [], errors: {}, skipped: 0 };
  const writer = new CatalogWriter(deps.sql, playlist.id, playlist.userId);
  const report = async (phase: SyncProgress['phase'], counters: Pick<SyncProgress, 'received' | 'written' | 'skipped'>, force = false) =>
    ctx.progress(
      {
        phase,
        ...counters,
        skippedTotal: checkpoint.skipped + counters.skipped,
        sectionsDone: checkpoint.done.length,
        sectionsFailed: Object.keys(checkpoint.errors) as Section[],
      } satisfies SyncProgress,
      { checkpoint, force },
    );

  for (const section of SECTIONS) {
    if (checkpoint.done.includes(section)) continue;
    await report(section, { received: 0, written: 0, skipped: 0 }, true);
    let skipped = 0;
    try {
      const outcome = await SECTION_WORK[section]({ writer, client, signal: ctx.signal, report: (c) => report(section, c) });
      skipped = outcome.skipped;
      if (outcome.count !== undefined) {
        await deps.prisma.playlist.update({ where: { id: playlist.id }, data: { [COUNT_FIELD[section as Exclude<Section, 'categories'>]]: outcome.count } });
      }
    } catch (error) {
      if (error instanceof RunStopped) throw error;
      if (ctx.signal.aborted) throw ctx.signal.reason;
      checkpoint.errors[section] = error instanceof DomainError ? error.message : 'an unexpected error (see the server log)';
      if (!(error instanceof DomainError)) deps.log.error({ err: error, playlist: playlist.id, section }, 'IPTV sync section failed');
      else deps.log.warn({ playlist: playlist.id, section, failure: error.message }, 'IPTV sync section failed');
    }
    checkpoint.skipped += skipped;
    checkpoint.done.push(section);
    await report(section, { received: 0, written: 0, skipped: 0 }, true);
  }

  const failed = Object.keys(checkpoint.errors) as Section[];
  const lastError = failed.length > 0 ? failed.map((s) => `${s}: ${checkpoint.errors[s]}`).join('; ') : null;
  await deps.prisma.playlist.update({
    where: { id: playlist.id },
    data: {
      skippedCount: checkpoint.skipped,
      sectionErrors: checkpoint.errors,
      lastError,
      ...(failed.length < SECTIONS.length ? { lastSyncAt: new Date() } : {}),
    },
  });
  if (failed.length === SECTIONS.length) throw new UpstreamError('UPSTREAM_UNAVAILABLE', SERVICE, lastError!);
  return { phase: 'done', received: 0, written: 0, skipped: 0, skippedTotal: checkpoint.skipped, sectionsDone: SECTIONS.length, sectionsFailed: failed };
}

const COUNT_FIELD = { live: 'liveCount', vod: 'vodCount', series: 'seriesCount' } as const;

interface SectionDeps {
  writer: CatalogWriter;
  client: XtreamClient;
  signal: AbortSignal;
  report(counters: { received: number; written: number; skipped: number }): Promise<void>;
}

type SectionWork = (deps: SectionDeps) => Promise<{ skipped: number; count?: number }>;

const SECTION_WORK: Record<Section, SectionWork> = {
  categories: async ({ writer, client, signal }) => {
    let skipped = 0;
    const lists = [
      ['LIVE', 'get_live_categories'],
      ['VOD', 'get_vod_categories'],
      ['SERIES', 'get_series_categories'],
    ] as const;
    for (const [section, action] of lists) {
      const rows = [];
      const seen = new Set<string>();
      for await (const batch of client.list(action, signal)) {
        for (const raw of batch) {
          const row = parseCategory(raw);
          if (!row) skipped++;
          else if (!seen.has(row.categoryId)) {
            seen.add(row.categoryId);
            rows.push(row);
          }
        }
      }
      await writer.categories(section, rows);
    }
    return { skipped };
  },
  live: (deps) => streamSection(deps, 'get_live_streams', parseLive, { table: 'LiveStream', id: 'streamId' }, (r) => r.streamId, (rows) => deps.writer.live(rows)),
  vod: (deps) => streamSection(deps, 'get_vod_streams', parseVod, { table: 'VodStream', id: 'streamId' }, (r) => r.streamId, (rows) => deps.writer.vod(rows)),
  series: (deps) => streamSection(deps, 'get_series', parseSeries, { table: 'IptvSeries', id: 'seriesId' }, (r) => r.seriesId, (rows) => deps.writer.series(rows)),
};

/** A 32-bit hash of a parsed entry: equal hashes, nothing to write. */
function fingerprintOf(row: object): number {
  return createHash('sha1').update(JSON.stringify(row)).digest().readInt32BE(0);
}

/**
 * One list read as a stream: each entry parsed (unreadable ones skipped and counted, repeated ids kept once),
 * compared with what the last sync wrote (only new, changed or returning rows are written), written in batches
 * while the next ones are parsed, then what the list no longer has marked gone.
 */
async function streamSection<Row extends object>(
  deps: SectionDeps,
  action: ListAction,
  parse: (raw: unknown) => Row | null,
  table: { table: CatalogTable; id: 'streamId' | 'seriesId' },
  idOf: (row: Row) => number,
  write: (rows: Fingerprinted<Row>[]) => Promise<void>,
): Promise<{ skipped: number; count: number }> {
  const known = await deps.writer.known(table.table, table.id);
  const seen = new Set<number>();
  const counters = { received: 0, written: 0, skipped: 0 };
  let pending: Fingerprinted<Row>[] = [];
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    // one batch in the database while the next is parsed; a failed write fails the section at the next flush
    await writing;
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    writing = write(batch).then(() => void (counters.written += batch.length));
    writing.catch(() => undefined); // handled: the next flush (or the end) awaits it and fails the section
    await deps.report(counters);
  };
  try {
    for await (const entries of deps.client.list(action, deps.signal)) {
      for (const raw of entries) {
        counters.received++;
        const row = parse(raw);
        if (!row) {
          counters.skipped++;
          continue;
        }
        const id = idOf(row);
        if (seen.has(id)) continue;
        seen.add(id);
        const fingerprint = fingerprintOf(row);
        const before = known.get(id);
        if (before && before.fingerprint === fingerprint && !before.gone) continue;
        pending.push({ ...row, fingerprint });
      }
      if (pending.length >= BATCH) await flush();
    }
    await flush();
  } finally {
    await writing.catch(() => undefined);
  }
  await writing;
  const count = await deps.writer.markGone(table.table, table.id, [...seen]);
  if (counters.written >= ANALYZE_AFTER) await deps.writer.analyze(table.table);
  return { skipped: counters.skipped, count };
}
