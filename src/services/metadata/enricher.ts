import type { RawSql } from '../../db/database.js';
import type { EnrichmentStatus, MediaKind } from '../../generated/prisma/client.js';
import { RunStopped } from '../../jobs/run-kind.js';
import type { Logger } from '../../logger.js';
import { UpstreamError } from '../errors.js';
import { normalizeTitle } from '../library/titles.js';
import { decideMatch } from './matcher.js';
import { RequestLimiter } from './request-limiter.js';
import type { CachedTitle, CatalogMemo, TitleKind, TmdbCatalog } from './tmdb-catalog.js';
import type { TmdbCandidate } from './tmdb-records.js';

/** What enrichment needs of the artwork store: an image fetched once, by content, or null. */
export interface ArtworkFetcher {
  storeFromUrl(url: string): Promise<string | null>;
}

/** Which items a piece of enrichment covers; every condition given must hold. */
export interface Selection {
  userId?: string;
  ids?: string[];
  statuses?: EnrichmentStatus[];
}

export interface EnrichOptions {
  /** fetch TMDB's records again even when the cache is fresh, and re-match items already settled */
  force?: boolean;
  signal?: AbortSignal;
  /** after each chunk: items settled so far */
  onProgress?(done: number, total: number): Promise<void>;
}

export interface EnrichSummary {
  total: number;
  enriched: number;
  notFound: number;
  ambiguous: number;
  failed: number;
}

interface MediaRow {
  id: string;
  userId: string;
  kind: MediaKind;
  title: string;
  year: number | null;
  tmdbId: string | null;
  imdbId: string | null;
  showId: string | null;
  seasonNumber: number | null;
  episodeNumber: number | null;
  rank: number;
}

type Outcome =
  | { id: string; status: 'ENRICHED'; patch: Patch }
  | { id: string; status: 'NOT_FOUND' | 'AMBIGUOUS' | 'FAILED'; error: string; candidates: TmdbCandidate[] | null };

/** Fields an enriched item takes; nulls and empty lists leave what the item had. */
export interface Patch {
  title: string | null;
  genres: string[];
  directors: string[];
  cast: string[];
  runtimeMinutes: number | null;
  overview: string | null;
  originalTitle: string | null;
  originalLanguage: string | null;
  releaseDate: string | null;
  voteAverage: number | null;
  year: number | null;
  tmdbId: string | null;
  imdbId: string | null;
  tvdbId: string | null;
  posterHash: string | null;
  backdropHash: string | null;
}

/** items settled together: large enough that writing between chunks barely slows the pace of requests */
const CHUNK = 200;
const KIND_RANK = `CASE m.kind WHEN 'SHOW' THEN 0 WHEN 'MOVIE' THEN 1 WHEN 'SEASON' THEN 2 ELSE 3 END`;
const GENERIC_EPISODE_TITLE = /^(episode|épisode|ep\.?)\s*\d+$/i;

/**
 * Fills items with TMDB's metadata: in chunks, shows before their seasons and episodes, each item matched by
 * a known TMDB id, then an IMDb id, then a confident search; the chunk's results written set-based.
 */
export class Enricher {
  private readonly images = new RequestLimiter(1000, 4);

  constructor(
    private readonly deps: { sql: RawSql; catalog: TmdbCatalog; artwork: ArtworkFetcher; imageUrl: string; log: Logger },
  ) {}

  async count(selection: Selection): Promise<number> {
    const { where, params } = selected(selection);
    const [row] = await this.deps.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Media" m WHERE ${where}`, params);
    return row?.n ?? 0;
  }

  async enrich(selection: Selection, options: EnrichOptions = {}): Promise<EnrichSummary> {
    const summary: EnrichSummary = { total: await this.count(selection), enriched: 0, notFound: 0, ambiguous: 0, failed: 0 };
    const record = async (outcomes: Outcome[]) => {
      await this.write(outcomes);
      for (const o of outcomes) {
        if (o.status === 'ENRICHED') summary.enriched++;
        else if (o.status === 'NOT_FOUND') summary.notFound++;
        else if (o.status === 'AMBIGUOUS') summary.ambiguous++;
        else summary.failed++;
      }
      const done = summary.enriched + summary.notFound + summary.ambiguous + summary.failed;
      await options.onProgress?.(done, Math.max(done, summary.total));
    };
    // a chunk is written while the next one is looked up, so TMDB's pace never waits for the database
    let writing: Promise<void> | null = null;
    let after: [number, string] = [-1, '00000000-0000-0000-0000-000000000000'];
    try {
      for (;;) {
        if (options.signal?.aborted) throw options.signal.reason;
        const chunk = await this.nextChunk(selection, after);
        if (chunk.length === 0) break;
        after = [chunk.at(-1)!.rank, chunk.at(-1)!.id];
        for (const part of [chunk.filter((m) => m.kind === 'SHOW'), chunk.filter((m) => m.kind !== 'SHOW')]) {
          if (part.length === 0) continue;
          // seasons and episodes read their show's match: shows are written first
          if (part.some((m) => m.kind === 'SEASON' || m.kind === 'EPISODE')) await writing;
          const outcomes = await this.settle(part, options);
          await writing;
          writing = record(outcomes);
        }
      }
      await writing;
    } finally {
      await writing?.catch(() => undefined);
    }
    return summary;
  }

  /** Matches one item to the TMDB record a person chose. */
  async match(mediaId: string, tmdbId: string): Promise<'ENRICHED' | 'MISSING'> {
    const [media] = await this.deps.sql.query<MediaRow>(`SELECT m.*, 0 AS rank FROM "Media" m WHERE m.id = $1::uuid`, [mediaId]);
    const kind = titleKind(media!.kind);
    const title = await this.deps.catalog.title(kind, tmdbId);
    if (!title) return 'MISSING';
    const patch = await this.patchFor(title, null);
    await this.write([{ id: mediaId, status: 'ENRICHED', patch }], { replaceIds: true });
    return 'ENRICHED';
  }

  private async nextChunk(selection: Selection, after: [number, string]): Promise<MediaRow[]> {
    const { where, params } = selected(selection);
    return this.deps.sql.query<MediaRow>(
      `SELECT m.id, m."userId", m.kind, m.title, m.year, m."tmdbId", m."imdbId", m."showId", m."seasonNumber", m."episodeNumber", ${KIND_RANK} AS rank
       FROM "Media" m WHERE ${where} AND (${KIND_RANK}, m.id) > ($${params.length + 1}::int, $${params.length + 2}::uuid)
       ORDER BY ${KIND_RANK}, m.id LIMIT ${CHUNK}`,
      [...params, after[0], after[1]],
    );
  }

  private async settle(chunk: MediaRow[], options: EnrichOptions): Promise<Outcome[]> {
    const memo: CatalogMemo = new Map();
    await this.deps.catalog.warm(
      chunk.filter((m) => m.tmdbId && (m.kind === 'MOVIE' || m.kind === 'SHOW')).map((m) => ({ kind: titleKind(m.kind), key: m.tmdbId! })),
      memo,
    );
    const shows = await this.showsOf(chunk);
    return Promise.all(
      chunk.map(async (media): Promise<Outcome> => {
        try {
          return await this.settleOne(media, shows, memo, options);
        } catch (error) {
          if (error instanceof RunStopped || options.signal?.aborted) throw error;
          if (error instanceof UpstreamError && error.code === 'UPSTREAM_KEY_REFUSED') throw error;
          if (!(error instanceof UpstreamError)) this.deps.log.error({ err: error, mediaId: media.id }, 'enrichment of an item failed');
          const message = error instanceof UpstreamError ? error.message : 'an unexpected error; see the server log';
          return { id: media.id, status: 'FAILED', error: message, candidates: null };
        }
      }),
    );
  }

  private async settleOne(media: MediaRow, shows: Map<string, { tmdbId: string | null; status: EnrichmentStatus }>, memo: CatalogMemo, options: EnrichOptions): Promise<Outcome> {
    const lookup = { memo, signal: options.signal };
    if (media.kind === 'SEASON' || media.kind === 'EPISODE') {
      const show = media.showId ? shows.get(media.showId) : undefined;
      if (!show) return { id: media.id, status: 'NOT_FOUND', error: 'not linked to its show (backfillShows links episodes to their show)', candidates: null };
      if (!show.tmdbId || show.status !== 'ENRICHED') return { id: media.id, status: 'NOT_FOUND', error: 'its show is not matched to TMDB yet', candidates: null };
      const title = await this.deps.catalog.title('tv', show.tmdbId, lookup);
      if (!title) return { id: media.id, status: 'NOT_FOUND', error: `TMDB has no show ${show.tmdbId}`, candidates: null };
      const season = media.seasonNumber === null ? null : await this.deps.catalog.season(show.tmdbId, media.seasonNumber, lookup);
      const patch = await this.patchFor(title, null);
      const episode = media.kind === 'EPISODE' ? season?.episodes.find((e) => e.episodeNumber === media.episodeNumber) : undefined;
      return {
        id: media.id,
        status: 'ENRICHED',
        patch: {
          ...patch,
          // an episode is its own work: the show's ids, year and artwork stay the show's
          tmdbId: null,
          imdbId: null,
          tvdbId: null,
          year: null,
          originalTitle: null,
          voteAverage: null,
          title: episode?.title && (!media.title.trim() || GENERIC_EPISODE_TITLE.test(media.title.trim())) ? episode.title : null,
          runtimeMinutes: episode?.runtimeMinutes ?? (media.kind === 'EPISODE' ? title.record.runtimeMinutes : null),
          releaseDate: (media.kind === 'EPISODE' ? episode?.airDate : season?.airDate) ?? null,
          overview: (media.kind === 'EPISODE' ? episode?.overview : season?.overview) ?? null,
          posterHash: null,
          backdropHash: null,
        },
      };
    }
    const kind = titleKind(media.kind);
    const found = await this.find(media, kind, { ...lookup, force: options.force });
    if ('status' in found) return { id: media.id, ...found };
    return { id: media.id, status: 'ENRICHED', patch: await this.patchFor(found, memo) };
  }

  /** A known TMDB id, then an IMDb id, then a confident search (the year, then a year either side). */
  private async find(
    media: MediaRow,
    kind: TitleKind,
    lookup: { memo: CatalogMemo; signal?: AbortSignal; force?: boolean },
  ): Promise<CachedTitle | { status: 'NOT_FOUND' | 'AMBIGUOUS'; error: string; candidates: TmdbCandidate[] | null }> {
    const noun = kind === 'movie' ? 'film' : 'show';
    if (media.tmdbId) {
      const title = await this.deps.catalog.title(kind, media.tmdbId, lookup);
      return title ?? { status: 'NOT_FOUND', error: `TMDB has no ${noun} with id ${media.tmdbId}`, candidates: null };
    }
    if (media.imdbId) {
      const found = (await this.deps.catalog.find(media.imdbId, lookup))[kind];
      if (found.length === 1) {
        const title = await this.deps.catalog.title(kind, found[0]!.tmdbId, lookup);
        if (title) return title;
      }
    }
    let decision = decideMatch(media, await this.deps.catalog.search(kind, media.title, media.year, lookup));
    if (decision.kind === 'none' && media.year !== null) decision = decideMatch(media, await this.deps.catalog.search(kind, media.title, null, lookup));
    if (decision.kind === 'match') {
      const title = await this.deps.catalog.title(kind, decision.candidate.tmdbId, lookup);
      return title ?? { status: 'NOT_FOUND', error: `TMDB has no ${noun} with id ${decision.candidate.tmdbId}`, candidates: null };
    }
    const what = `"${media.title}"${media.year ? ` (${media.year})` : ''}`;
    return decision.kind === 'ambiguous'
      ? { status: 'AMBIGUOUS', error: `${decision.candidates.length} TMDB ${noun}s match ${what} equally well; choose one with matchMedia`, candidates: decision.candidates }
      : { status: 'NOT_FOUND', error: `no TMDB ${noun} matches ${what} by title and year`, candidates: decision.candidates };
  }

  private async patchFor(found: CachedTitle, memo: CatalogMemo | null): Promise<Patch> {
    const { record } = found;
    const artwork = await this.artworkOf(found, memo);
    return {
      title: null,
      genres: record.genres,
      directors: record.directors,
      cast: record.cast,
      runtimeMinutes: record.runtimeMinutes,
      overview: record.overview,
      originalTitle: record.originalTitle,
      originalLanguage: record.originalLanguage,
      releaseDate: record.releaseDate,
      voteAverage: record.voteAverage,
      year: record.year,
      tmdbId: record.tmdbId,
      imdbId: record.imdbId,
      tvdbId: record.tvdbId,
      ...artwork,
    };
  }

  /** The title's poster and backdrop, fetched from the image host the first time anyone needs them. */
  private async artworkOf(found: CachedTitle, memo: CatalogMemo | null): Promise<{ posterHash: string | null; backdropHash: string | null }> {
    const { record } = found;
    const fetch = (path: string | null, known: string | null) =>
      known || !path ? Promise.resolve(known) : this.images.run(() => this.deps.artwork.storeFromUrl(`${this.deps.imageUrl}/original${path}`));
    const [posterHash, backdropHash] = await Promise.all([fetch(record.posterPath, found.posterHash), fetch(record.backdropPath, found.backdropHash)]);
    if ((posterHash && posterHash !== found.posterHash) || (backdropHash && backdropHash !== found.backdropHash)) {
      await this.deps.catalog.setArtwork(found.kind, record.tmdbId, { posterHash, backdropHash }, memo ?? undefined);
      Object.assign(found, { posterHash, backdropHash });
    }
    return { posterHash, backdropHash };
  }

  private async showsOf(chunk: MediaRow[]): Promise<Map<string, { tmdbId: string | null; status: EnrichmentStatus }>> {
    const ids = [...new Set(chunk.map((m) => m.showId).filter((id): id is string => id !== null))];
    if (ids.length === 0) return new Map();
    const rows = await this.deps.sql.query<{ id: string; tmdbId: string | null; enrichmentStatus: EnrichmentStatus }>(
      `SELECT id, "tmdbId", "enrichmentStatus" FROM "Media" WHERE id = ANY($1::uuid[])`,
      [ids],
    );
    return new Map(rows.map((r) => [r.id, { tmdbId: r.tmdbId, status: r.enrichmentStatus }]));
  }

  /**
   * Writes a chunk's outcomes in two statements. External ids fill only empty ones (or replace them when a
   * person chose the match), and never one another item of the same person and kind holds already.
   */
  private async write(outcomes: Outcome[], options: { replaceIds?: boolean } = {}): Promise<void> {
    const settled = outcomes.filter((o) => o.status !== 'ENRICHED');
    if (settled.length > 0) {
      await this.deps.sql.query(
        `UPDATE "Media" m SET "enrichmentStatus" = u.status::"EnrichmentStatus", "enrichmentError" = u.error,
           "enrichmentCandidates" = u.candidates, "updatedAt" = now()
         FROM jsonb_to_recordset($1::jsonb) AS u(id uuid, status text, error text, candidates jsonb) WHERE m.id = u.id`,
        [JSON.stringify(settled.map((o) => ({ id: o.id, status: o.status, error: 'error' in o ? o.error : null, candidates: 'candidates' in o ? o.candidates : null })))],
      );
    }
    const enriched = outcomes.filter((o): o is Extract<Outcome, { status: 'ENRICHED' }> => o.status === 'ENRICHED');
    if (enriched.length === 0) return;
    const rows = enriched.map((o) => ({ id: o.id, ...o.patch, normalizedTitle: o.patch.title === null ? null : normalizeTitle(o.patch.title) }));
    const ids = options.replaceIds ? `coalesce(u."%", m."%")` : `CASE WHEN m."%" IS NULL AND NOT EXISTS (
             SELECT 1 FROM "Media" o WHERE o."userId" = m."userId" AND o.kind = m.kind AND o."%" = u."%" AND o.id <> m.id)
             AND NOT EXISTS (SELECT 1 FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, "%" text) JOIN "Media" vm ON vm.id = v.id
             WHERE v."%" = u."%" AND vm."userId" = m."userId" AND vm.kind = m.kind AND v.id < m.id) THEN u."%" ELSE m."%" END`;
    await this.deps.sql.query(
      `UPDATE "Media" m SET "enrichmentStatus" = 'ENRICHED', "enrichmentError" = NULL, "enrichmentCandidates" = NULL,
         "enrichedAt" = now(), "updatedAt" = now(),
         title = coalesce(u.title, m.title), "normalizedTitle" = coalesce(u."normalizedTitle", m."normalizedTitle"),
         genres = CASE WHEN cardinality(u.genres) > 0 THEN u.genres ELSE m.genres END,
         directors = CASE WHEN cardinality(u.directors) > 0 THEN u.directors ELSE m.directors END,
         "cast" = CASE WHEN cardinality(u."cast") > 0 THEN u."cast" ELSE m."cast" END,
         "runtimeMinutes" = coalesce(u."runtimeMinutes", m."runtimeMinutes"), overview = coalesce(u.overview, m.overview),
         "originalTitle" = coalesce(u."originalTitle", m."originalTitle"), "originalLanguage" = coalesce(u."originalLanguage", m."originalLanguage"),
         "releaseDate" = coalesce(u."releaseDate", m."releaseDate"), "voteAverage" = coalesce(u."voteAverage", m."voteAverage"),
         year = coalesce(m.year, u.year),
         "posterHash" = coalesce(u."posterHash", m."posterHash"), "backdropHash" = coalesce(u."backdropHash", m."backdropHash"),
         "tmdbId" = ${ids.replaceAll('%', 'tmdbId')}, "imdbId" = ${ids.replaceAll('%', 'imdbId')}, "tvdbId" = ${ids.replaceAll('%', 'tvdbId')}
       FROM jsonb_to_recordset($1::jsonb) AS u(id uuid, title text, "normalizedTitle" text, genres text[], directors text[], "cast" text[],
         "runtimeMinutes" int, overview text, "originalTitle" text, "originalLanguage" text, "releaseDate" date, "voteAverage" float8,
         year int, "posterHash" text, "backdropHash" text, "tmdbId" text, "imdbId" text, "tvdbId" text)
       WHERE m.id = u.id`,
      [JSON.stringify(rows)],
    );
  }
}

function titleKind(kind: MediaKind): TitleKind {
  return kind === 'MOVIE' ? 'movie' : 'tv';
}

/** The selection as SQL over "Media" m, with the shows of its seasons and episodes that still need matching. */
function selected(selection: Selection): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const conditions: string[] = [];
  const add = (sql: (n: number) => string, value: unknown) => {
    params.push(value);
    conditions.push(sql(params.length));
  };
  if (selection.userId) add((n) => `p."userId" = $${n}::uuid`, selection.userId);
  if (selection.ids) add((n) => `p.id = ANY($${n}::uuid[])`, selection.ids);
  if (selection.statuses) add((n) => `p."enrichmentStatus"::text = ANY($${n}::text[])`, selection.statuses);
  const picked = `SELECT p.id, p."showId" FROM "Media" p${conditions.length ? ` WHERE ${conditions.join(' AND ')}` : ''}`;
  return {
    where: `(m.id IN (SELECT id FROM (${picked}) a) OR (m.id IN (SELECT "showId" FROM (${picked}) b) AND m."enrichmentStatus" IN ('PENDING', 'FAILED')))`,
    params,
  };
}
