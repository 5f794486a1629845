/**
 * TMDB's answers reduced to what Klug keeps, read defensively: `""` dates, null paths, missing arrays and
 * numbers where strings were due all come back as nulls or empty lists, never as a crash.
 */

/** A film or a show, as cached in TmdbRecord (kind `movie` or `tv`). */
export interface TmdbTitle {
  tmdbId: string;
  title: string;
  originalTitle: string | null;
  originalLanguage: string | null;
  releaseDate: string | null;
  year: number | null;
  genres: string[];
  runtimeMinutes: number | null;
  /** directors of a film; creators of a show */
  directors: string[];
  /** top-billed, in billing order */
  cast: string[];
  overview: string | null;
  imdbId: string | null;
  tvdbId: string | null;
  posterPath: string | null;
  backdropPath: string | null;
  voteAverage: number | null;
}

/** One season of a show (kind `season`): what its episodes take. */
export interface TmdbSeason {
  airDate: string | null;
  overview: string | null;
  episodes: { episodeNumber: number; tmdbId: string | null; title: string | null; airDate: string | null; runtimeMinutes: number | null; overview: string | null }[];
}

/** A search or /find result: enough to decide a match and to show a person the choices. */
export interface TmdbCandidate {
  tmdbId: string;
  title: string;
  originalTitle: string | null;
  year: number | null;
}

export const CAST_KEPT = 10;

type Json = Record<string, unknown>;

const str = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : typeof value === 'number' ? String(value) : null);
const num = (value: unknown): number | null => {
  const n = typeof value === 'number' ? value : typeof value === 'string' && value.trim() !== '' ? Number(value) : NaN;
  return Number.isFinite(n) ? n : null;
};
const list = (value: unknown): Json[] => (Array.isArray(value) ? value.filter((v): v is Json => !!v && typeof v === 'object') : []);
const date = (value: unknown): string | null => {
  const s = str(value);
  return s && /^\d{4}-\d{2}-\d{2}$/.test(s) ? s : null;
};
const yearOf = (isoDate: string | null): number | null => (isoDate ? Number(isoDate.slice(0, 4)) : null);
const names = (items: Json[]): string[] => [...new Set(items.map((i) => str(i.name)).filter((n): n is string => n !== null))];

export function movieFromTmdb(body: Json): TmdbTitle {
  const releaseDate = date(body.release_date);
  const credits = (body.credits ?? {}) as Json;
  const runtime = num(body.runtime);
  return {
    tmdbId: String(body.id),
    title: str(body.title) ?? str(body.original_title) ?? '',
    originalTitle: str(body.original_title),
    originalLanguage: str(body.original_language),
    releaseDate,
    year: yearOf(releaseDate),
    genres: names(list(body.genres)),
    runtimeMinutes: runtime && runtime > 0 ? Math.round(runtime) : null,
    directors: names(list(credits.crew).filter((c) => c.job === 'Director')),
    cast: topBilled(list(credits.cast)),
    overview: str(body.overview),
    imdbId: imdbIdOf(body.imdb_id),
    tvdbId: null,
    posterPath: str(body.poster_path),
    backdropPath: str(body.backdrop_path),
    voteAverage: num(body.vote_average),
  };
}

export function showFromTmdb(body: Json): TmdbTitle {
  const releaseDate = date(body.first_air_date);
  const credits = (body.credits ?? {}) as Json;
  const externalIds = (body.external_ids ?? {}) as Json;
  const runtimes = Array.isArray(body.episode_run_time) ? body.episode_run_time.map(num).filter((n): n is number => !!n && n > 0) : [];
  return {
    tmdbId: String(body.id),
    title: str(body.name) ?? str(body.original_name) ?? '',
    originalTitle: str(body.original_name),
    originalLanguage: str(body.original_language),
    releaseDate,
    year: yearOf(releaseDate),
    genres: names(list(body.genres)),
    runtimeMinutes: runtimes[0] ?? null,
    directors: names(list(body.created_by)),
    cast: topBilled(list(credits.cast)),
    overview: str(body.overview),
    imdbId: imdbIdOf(externalIds.imdb_id ?? body.imdb_id),
    tvdbId: str(externalIds.tvdb_id),
    posterPath: str(body.poster_path),
    backdropPath: str(body.backdrop_path),
    voteAverage: num(body.vote_average),
  };
}

export function seasonFromTmdb(body: Json): TmdbSeason {
  return {
    airDate: date(body.air_date),
    overview: str(body.overview),
    episodes: list(body.episodes)
      .map((e) => ({
        episodeNumber: num(e.episode_number) ?? -1,
        tmdbId: str(e.id),
        title: str(e.name),
        airDate: date(e.air_date),
        runtimeMinutes: (() => {
          const r = num(e.runtime);
          return r && r > 0 ? Math.round(r) : null;
        })(),
        overview: str(e.overview),
      }))
      .filter((e) => e.episodeNumber >= 0),
  };
}

/** Results of `/search/movie` or `/search/tv` (or a /find list). */
export function candidatesFromTmdb(results: unknown, kind: 'movie' | 'tv'): TmdbCandidate[] {
  return list(results)
    .filter((r) => r.id !== undefined && r.id !== null)
    .map((r) => {
      const title = kind === 'movie' ? (str(r.title) ?? str(r.original_title)) : (str(r.name) ?? str(r.original_name));
      return {
        tmdbId: String(r.id),
        title: title ?? '',
        originalTitle: kind === 'movie' ? str(r.original_title) : str(r.original_name),
        year: yearOf(date(kind === 'movie' ? r.release_date : r.first_air_date)),
      };
    });
}

function topBilled(cast: Json[]): string[] {
  return names([...cast].sort((a, b) => (num(a.order) ?? 999) - (num(b.order) ?? 999))).slice(0, CAST_KEPT);
}

function imdbIdOf(value: unknown): string | null {
  const s = str(value);
  return s && /^tt\d+$/.test(s) ? s : null;
}
