import type { RawSql } from '../../db/database.js';
import type { Media, PrismaClient } from '../../generated/prisma/client.js';
import type { RunQueue } from '../../jobs/run-queue.js';
import { NotFoundError, ValidationError, UpstreamError } from '../errors.js';
import type { Enricher, EnrichSummary } from './enricher.js';
import type { TmdbClient } from './tmdb-client.js';

export const ENRICH_RUN = 'enrich';

/** What an `enrich` run was asked to do, kept in its progress. */
export interface EnrichRequest {
  ids: string[] | null;
  force: boolean;
}

/** How many items the nightly job re-reads from TMDB because their cache entry went stale, at most per run. */
const STALE_PER_RUN = 2000;

/** Metadata for a person's items: enrichment runs on demand and matching by hand. */
export class MetadataService {
  constructor(
    private readonly deps: { prisma: PrismaClient; sql: RawSql; tmdb: TmdbClient; enricher: Enricher; runs: RunQueue; cacheMs: number },
  ) {}

  get enabled(): boolean {
    return this.deps.tmdb.enabled;
  }

  /** Queues enrichment of the given items (all the person's PENDING and FAILED ones when none are given). */
  async enrichMedia(userId: string, ids: string[] | null, force: boolean): Promise<{ runId: string; queued: number }> {
    this.requireEnabled();
    if (ids) {
      const owned = await this.deps.prisma.media.count({ where: { userId, id: { in: ids } } });
      if (owned !== new Set(ids).size) throw new NotFoundError('Some of these items do not exist', ['ids']);
    }
    const request: EnrichRequest = { ids, force };
    const queued = await this.deps.enricher.count({ userId, ...(ids ? { ids } : {}), ...(ids && force ? {} : { statuses: ids ? ['PENDING', 'FAILED', 'NOT_FOUND', 'AMBIGUOUS'] : ['PENDING', 'FAILED'] }) });
    const run = await this.deps.runs.enqueue({ kind: ENRICH_RUN, userId, progress: { request, total: queued, done: 0 } });
    return { runId: run!.id, queued };
  }

  /** Settles an item by hand: the person says which TMDB record it is. */
  async matchMedia(userId: string, mediaId: string, tmdbId: string): Promise<Media> {
    this.requireEnabled();
    if (!/^\d{1,10}$/.test(tmdbId.trim())) throw new ValidationError('A TMDB id is a number, as in themoviedb.org/movie/27205', ['tmdbId']);
    const media = await this.deps.prisma.media.findFirst({ where: { id: mediaId, userId } });
    if (!media) throw new NotFoundError('No such item', ['mediaId']);
    if (media.kind === 'SEASON' || media.kind === 'EPISODE') throw new ValidationError('Seasons and episodes follow their show: match the show', ['mediaId']);
    const taken = await this.deps.prisma.media.findFirst({ where: { userId, kind: media.kind, tmdbId: tmdbId.trim(), id: { not: mediaId } }, select: { title: true } });
    if (taken) throw new ValidationError(`Another of your items, "${taken.title}", is TMDB ${tmdbId} already`, ['tmdbId']);
    const outcome = await this.deps.enricher.match(mediaId, tmdbId.trim());
    if (outcome === 'MISSING') throw new NotFoundError(`TMDB has no ${media.kind === 'MOVIE' ? 'film' : 'show'} with id ${tmdbId}`, ['tmdbId']);
    // the show's seasons and episodes follow it
    if (media.kind === 'SHOW') await this.deps.enricher.enrich({ userId, ids: (await this.deps.prisma.media.findMany({ where: { showId: mediaId }, select: { id: true } })).map((m) => m.id) });
    return this.deps.prisma.media.findUniqueOrThrow({ where: { id: mediaId } });
  }

  /** The nightly job: every person's items still PENDING or FAILED, then items whose TMDB record went stale. */
  async enrichMissing(): Promise<EnrichSummary & { refreshed: number }> {
    if (!this.enabled) return { total: 0, enriched: 0, notFound: 0, ambiguous: 0, failed: 0, refreshed: 0 };
    const summary = await this.deps.enricher.enrich({ statuses: ['PENDING', 'FAILED'] });
    const stale = await this.deps.sql.query<{ id: string }>(
      `SELECT m.id FROM "Media" m JOIN "TmdbRecord" r ON r.kind = CASE m.kind WHEN 'MOVIE' THEN 'movie' ELSE 'tv' END AND r.key = m."tmdbId"
       WHERE m."enrichmentStatus" = 'ENRICHED' AND m.kind IN ('MOVIE', 'SHOW') AND r."fetchedAt" < $1::timestamptz
       ORDER BY r."fetchedAt" LIMIT ${STALE_PER_RUN}`,
      [new Date(Date.now() - this.deps.cacheMs)],
    );
    const refreshed = stale.length > 0 ? await this.deps.enricher.enrich({ ids: stale.map((r) => r.id) }) : null;
    return { ...summary, refreshed: refreshed?.enriched ?? 0 };
  }

  private requireEnabled(): void {
    if (!this.enabled) throw new UpstreamError('UPSTREAM_KEY_REFUSED', 'TMDB', 'TMDB is not configured: set KLUG_TMDB_API_KEY or KLUG_TMDB_TOKEN', 'KLUG_TMDB_API_KEY');
  }
}
