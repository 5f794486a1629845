import type { RawSql } from '../../db/database.js';
import { normalizeTitle } from '../library/titles.js';
import type { TmdbClient } from './tmdb-client.js';
import {
  candidatesFromTmdb,
  movieFromTmdb,
  seasonFromTmdb,
  showFromTmdb,
  type TmdbCandidate,
  type TmdbSeason,
  type TmdbTitle,
} from './tmdb-records.js';

export type TitleKind = 'movie' | 'tv';
type RecordKind = TitleKind | 'season' | 'find' | 'search-movie' | 'search-tv';

export interface CachedTitle {
  kind: TitleKind;
  record: TmdbTitle;
  posterHash: string | null;
  backdropHash: string | null;
}

interface Row {
  kind: RecordKind;
  key: string;
  data: unknown;
  posterHash: string | null;
  backdropHash: string | null;
}

export interface FindResult {
  movie: TmdbCandidate[];
  tv: TmdbCandidate[];
}

/** What one piece of work has read from the cache already, so an item never asks the database twice. */
export type CatalogMemo = Map<string, Row>;

const id = (kind: RecordKind, key: string) => `${kind}\u0000${key}`;
export const searchKey = (title: string, year: number | null) => `${normalizeTitle(title)}|${year ?? ''}`;

/**
 * TMDB's answers through the shared cache: each (kind, key) is fetched once for the whole server and served
 * to everyone until older than KLUG_TMDB_CACHE_DAYS; concurrent asks for one key share one request.
 */
export class TmdbCatalog {
  private readonly inFlight = new Map<string, Promise<Row | null>>();

  constructor(
    private readonly client: TmdbClient,
    private readonly sql: RawSql,
    private readonly cacheMs: number,
  ) {}

  /** Reads the fresh cache rows for many keys in one statement. */
  async warm(keys: { kind: RecordKind; key: string }[], memo: CatalogMemo = new Map()): Promise<CatalogMemo> {
    const wanted = keys.filter((k) => !memo.has(id(k.kind, k.key)));
    if (wanted.length === 0) return memo;
    const rows = await this.sql.query<Row>(
      `SELECT r.kind, r.key, r.data, r."posterHash", r."backdropHash" FROM "TmdbRecord" r
       JOIN unnest($1::text[], $2::text[]) AS k(kind, key) ON r.kind = k.kind AND r.key = k.key
       WHERE r."fetchedAt" > $3::timestamptz`,
      [wanted.map((k) => k.kind), wanted.map((k) => k.key), new Date(Date.now() - this.cacheMs)],
    );
    for (const row of rows) memo.set(id(row.kind, row.key), row);
    return memo;
  }

  async title(kind: TitleKind, tmdbId: string, options: Options = {}): Promise<CachedTitle | null> {
    const row = await this.record(kind, tmdbId, options, async () => {
      const body = await this.client.get<Record<string, unknown>>(`/${kind}/${encodeURIComponent(tmdbId)}`, {
        append_to_response: kind === 'movie' ? 'credits' : 'credits,external_ids',
      }, options.signal);
      return body && (kind === 'movie' ? movieFromTmdb(body) : showFromTmdb(body));
    });
    return row && { kind, record: row.data as TmdbTitle, posterHash: row.posterHash, backdropHash: row.backdropHash };
  }

  async season(tvId: string, seasonNumber: number, options: Options = {}): Promise<TmdbSeason | null> {
    const row = await this.record('season', `${tvId}/${seasonNumber}`, options, async () => {
      const body = await this.client.get<Record<string, unknown>>(`/tv/${encodeURIComponent(tvId)}/season/${seasonNumber}`, {}, options.signal);
      return body && seasonFromTmdb(body);
    });
    return row && (row.data as TmdbSeason);
  }

  async search(kind: TitleKind, title: string, year: number | null, options: Options = {}): Promise<TmdbCandidate[]> {
    const row = await this.record(kind === 'movie' ? 'search-movie' : 'search-tv', searchKey(title, year), options, async () => {
      const params = kind === 'movie' ? { query: title, primary_release_year: year ?? undefined } : { query: title, first_air_date_year: year ?? undefined };
      const body = await this.client.get<{ results?: unknown }>(`/search/${kind}`, { ...params, include_adult: 'false' }, options.signal);
      return candidatesFromTmdb(body?.results, kind);
    });
    return (row?.data as TmdbCandidate[] | undefined) ?? [];
  }

  async find(imdbId: string, options: Options = {}): Promise<FindResult> {
    const row = await this.record('find', imdbId, options, async () => {
      const body = await this.client.get<Record<string, unknown>>(`/find/${encodeURIComponent(imdbId)}`, { external_source: 'imdb_id' }, options.signal);
      return { movie: candidatesFromTmdb(body?.movie_results, 'movie'), tv: candidatesFromTmdb(body?.tv_results, 'tv') };
    });
    return (row?.data as FindResult | undefined) ?? { movie: [], tv: [] };
  }

  /** Records the stored artwork of a title, for everyone the record serves. */
  async setArtwork(kind: TitleKind, tmdbId: string, hashes: { posterHash: string | null; backdropHash: string | null }, memo?: CatalogMemo): Promise<void> {
    await this.sql.query(`UPDATE "TmdbRecord" SET "posterHash" = coalesce($3, "posterHash"), "backdropHash" = coalesce($4, "backdropHash") WHERE kind = $1 AND key = $2`, [
      kind,
      tmdbId,
      hashes.posterHash,
      hashes.backdropHash,
    ]);
    const row = memo?.get(id(kind, tmdbId));
    if (row) Object.assign(row, { posterHash: hashes.posterHash ?? row.posterHash, backdropHash: hashes.backdropHash ?? row.backdropHash });
  }

  private async record(kind: RecordKind, key: string, options: Options, fetch: () => Promise<unknown>): Promise<Row | null> {
    const name = id(kind, key);
    if (!options.force) {
      const known = options.memo?.get(name) ?? (await this.warm([{ kind, key }], options.memo ?? new Map())).get(name);
      if (known) return known;
    }
    let pending = this.inFlight.get(name);
    if (!pending) {
      pending = this.fetchAndStore(kind, key, fetch).finally(() => this.inFlight.delete(name));
      this.inFlight.set(name, pending);
    }
    const row = await pending;
    if (row) options.memo?.set(name, row);
    return row;
  }

  private async fetchAndStore(kind: RecordKind, key: string, fetch: () => Promise<unknown>): Promise<Row | null> {
    const data = await fetch();
    if (data === null) return null;
    // a new poster or backdrop path makes the stored image stale; the same one keeps it
    const [row] = await this.sql.query<Row>(
      `INSERT INTO "TmdbRecord" (kind, key, data, "fetchedAt") VALUES ($1, $2, $3::jsonb, now())
       ON CONFLICT (kind, key) DO UPDATE SET data = excluded.data, "fetchedAt" = excluded."fetchedAt",
         "posterHash" = CASE WHEN "TmdbRecord".data->>'posterPath' IS NOT DISTINCT FROM excluded.data->>'posterPath' THEN "TmdbRecord"."posterHash" END,
         "backdropHash" = CASE WHEN "TmdbRecord".data->>'backdropPath' IS NOT DISTINCT FROM excluded.data->>'backdropPath' THEN "TmdbRecord"."backdropHash" END
       RETURNING kind, key, data, "posterHash", "backdropHash"`,
      [kind, key, JSON.stringify(data)],
    );
    return row!;
  }
}

interface Options {
  /** fetch again even when the cache is fresh */
  force?: boolean;
  memo?: CatalogMemo;
  signal?: AbortSignal;
}
