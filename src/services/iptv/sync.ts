import type { RawSql } from '../../db/database.js';
import type { Playlist, PrismaClient } from '../../generated/prisma/client.js';
import type { RunContext } from '../../jobs/run-context.js';
import { RunStopped } from '../../jobs/run-kind.js';
import type { Logger } from '../../logger.js';
import { DomainError, UpstreamError } from '../errors.js';
import { CatalogWriter } from './catalog-writer.js';
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
  live: (deps) => streamSection(deps, 'get_live_streams', parseLive, (r) => r.streamId, (rows) => deps.writer.live(rows), (seen) => deps.writer.markGone('LiveStream', 'streamId', seen)),
  vod: (deps) => streamSection(deps, 'get_vod_streams', parseVod, (r) => r.streamId, (rows) => deps.writer.vod(rows), (seen) => deps.writer.markGone('VodStream', 'streamId', seen)),
  series: (deps) => streamSection(deps, 'get_series', parseSeries, (r) => r.seriesId, (rows) => deps.writer.series(rows), (seen) => deps.writer.markGone('IptvSeries', 'seriesId', seen)),
};

/**
 * One list read as a stream: each entry parsed (unreadable ones skipped and counted, repeated ids kept once),
 * written in batches as they come, then what the list no longer has marked gone.
 */
async function streamSection<Row>(
  deps: SectionDeps,
  action: ListAction,
  parse: (raw: unknown) => Row | null,
  idOf: (row: Row) => number,
  write: (rows: Row[]) => Promise<void>,
  gone: (seen: number[]) => Promise<number>,
): Promise<{ skipped: number; count: number }> {
  const seen = new Set<number>();
  const counters = { received: 0, written: 0, skipped: 0 };
  let pending: Row[] = [];
  const flush = async () => {
    if (pending.length === 0) return;
    await write(pending);
    counters.written += pending.length;
    pending = [];
    await deps.report(counters);
  };
  for await (const batch of deps.client.list(action, deps.signal)) {
    for (const raw of batch) {
      counters.received++;
      const row = parse(raw);
      if (!row) {
        counters.skipped++;
        continue;
      }
      const id = idOf(row);
      if (seen.has(id)) continue;
      seen.add(id);
      pending.push(row);
    }
    if (pending.length >= BATCH) await flush();
  }
  await flush();
  const count = await gone([...seen]);
  return { skipped: counters.skipped, count };
}
