import type { RawSql } from '../../db/database.js';
import type { Paginator } from '../pagination.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../pagination.js';
import { ValidationError } from '../errors.js';
import type { AllowlistService, ActiveAllowlist } from './allowlist.js';
import type { JellyfinItem } from './jellyfin.js';
import type { SeerrRequest } from './jellyseerr.js';
import {
  daysBefore,
  languageReasons,
  largeMovieReasons,
  monthsBefore,
  oldUnwatchedReasons,
  recentlyAvailableReasons,
  unavailableReasons,
  type LanguageRule,
} from './reasons.js';
import type { JanitorSettingsService, Thresholds } from './settings.js';

/** A cached Jellyfin item as the insights read it: what the sync parsed, and who played it when. */
export interface ItemRow extends Omit<JellyfinItem, 'seriesJellyfinId'> {
  id: string;
  connectionId: string;
  played: boolean;
  lastPlayedAt: Date | null;
  playedBy: string[];
  playCount: number;
  episodeCount: number;
}

/** A cached Jellyseerr request with its title and release date. */
export interface RequestRow extends Omit<SeerrRequest, 'mediaType'> {
  id: string;
  connectionId: string;
  mediaType: string;
  title: string | null;
  releaseDate: Date | null;
}

export interface InsightEdge<Row> {
  node: Row;
  reasons: string[];
  cursor: string;
}

export interface InsightPage<Row> {
  edges: InsightEdge<Row>[];
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; startCursor: string | null; endCursor: string | null };
  totalCount: () => Promise<number>;
}

export interface PageArgs {
  first?: number | null;
  after?: string | null;
}

const ITEM_COLUMNS = `i.id, i."connectionId", i."jellyfinId", i.kind::text AS kind, i.title, i.year, i."seriesTitle", i."seasonNumber", i."episodeNumber",
  i."tmdbId", i."imdbId", i."tvdbId", i."addedAt", i."sizeBytes"::float8 AS "sizeBytes", i.versions, coalesce(i."audioLanguages", '{}') AS "audioLanguages",
  coalesce(i."subtitleLanguages", '{}') AS "subtitleLanguages", i."unknownAudioTracks", i."unknownSubtitleTracks", i.played, i."lastPlayedAt",
  coalesce(i."playedBy", '{}') AS "playedBy", i."playCount", i."episodeCount"`;
const REQUEST_COLUMNS = `i.id, i."connectionId", i."requestId", i."tmdbId", i."mediaType", i."is4k", i.status, i."mediaStatus", i."requestedBy", i."requestedAt",
  i."updatedAt", i."availableAt", i."jellyfinMediaId", i.title, i."releaseDate"::text AS "releaseDate"`;
const ITEMS = `"MediaServerItem" i`;
const REQUESTS = `"MediaServerRequest" i`;

/** A person's servers and the generation of each one's cache shown now. */
type Generations = { id: string; generation: number }[];

/**
 * The person's cache: rows of each of their servers' current generation, named as constants so the planner
 * estimates them from its statistics and an insight's first page can walk its (userId, order) index and stop.
 */
function current(generations: Generations, p: (value: unknown) => string): string {
  if (generations.length === 0) return `i."userId" = $1::uuid AND false`;
  const pairs = generations.map((g) => `(${p(g.id)}::uuid, ${p(g.generation)}::int)`).join(', ');
  return `i."userId" = $1::uuid AND (i."connectionId", i.generation) IN (${pairs})`;
}

/** For look-ups by id, where one statement is all there is: a semi-join on the person's servers. */
const CURRENT = `i."userId" = $1::uuid AND (i."connectionId", i.generation) IN (SELECT c.id, c.generation FROM "MediaServer" c WHERE c."userId" = $1::uuid)`;

type SortKind = 'timestamptz' | 'int8' | 'text';
interface ListSpec<Row> {
  name: string;
  columns: string;
  from: string;
  where: string[];
  params: unknown[];
  sort: { expr: string; kind: SortKind; direction: 'asc' | 'desc' };
  reasons(row: Row): string[];
}

/** Builds a statement's parameters in order: `p(value)` answers its placeholder. */
function params(first: unknown[]) {
  const values = [...first];
  return { values, p: (value: unknown) => `$${values.push(value)}` };
}

/**
 * The five insights over a person's cache, each a Relay connection whose edges say why the item is there.
 * Every threshold comes from the person's settings and every cut-off from one clock reading, so a page and
 * its count agree; CONTENT entries of the allowlist are never proposed for clean-up.
 */
export class InsightsService {
  /** the instant insights are judged at; tests set it */
  clock: () => Date = () => new Date();

  constructor(private readonly deps: { sql: RawSql; paginator: Paginator; settings: JanitorSettingsService; allowlist: AllowlistService }) {}

  /** Movies and series not played in `oldContentMonths` and added more than `minAgeMonths` ago, least recently active first. */
  async oldUnwatched(userId: string, args: PageArgs): Promise<InsightPage<ItemRow> & { unknownDateCount: () => Promise<number> }> {
    const { now, settings, allow, generations } = await this.context(userId);
    const { values, p } = params([userId]);
    const mine = current(generations, p);
    const playedBefore = p(monthsBefore(now, settings.oldContentMonths));
    const addedBefore = p(monthsBefore(now, settings.minAgeMonths));
    const candidate = `${mine} AND i.kind IN ('MOVIE', 'SERIES') AND ${notContent(allow, p)}`;
    // an unknown date is never old: no added date, or played on a day nobody recorded
    const old = `i."addedAt" < ${addedBefore}::timestamptz AND ((NOT i.played AND i."lastPlayedAt" IS NULL) OR i."lastPlayedAt" < ${playedBefore}::timestamptz)`;
    const unknown = `(i."addedAt" IS NULL AND (i."lastPlayedAt" IS NULL OR i."lastPlayedAt" < ${playedBefore}::timestamptz))
      OR (i."addedAt" < ${addedBefore}::timestamptz AND i.played AND i."lastPlayedAt" IS NULL)`;
    const page = await this.list<ItemRow>(args, {
      name: 'oldUnwatched',
      columns: ITEM_COLUMNS,
      from: ITEMS,
      where: [candidate, old],
      params: values,
      sort: { expr: `coalesce(i."lastPlayedAt", i."addedAt")`, kind: 'timestamptz', direction: 'asc' },
      reasons: (row) => oldUnwatchedReasons(row, settings, now),
    });
    // both counts in one pass over the cache, asked for once whichever field wants it first
    let counts: Promise<{ listed: number; unknown: number }> | null = null;
    const countBoth = () =>
      (counts ??= this.deps.sql
        .query<{ listed: number; unknown: number }>(
          `SELECT count(*) FILTER (WHERE ${old})::int AS listed, count(*) FILTER (WHERE ${unknown})::int AS unknown FROM ${ITEMS} WHERE ${candidate}`,
          values,
        )
        .then((rows) => rows[0]!));
    return { ...page, totalCount: async () => (await countBoth()).listed, unknownDateCount: async () => (await countBoth()).unknown };
  }

  /** Movies above `largeMovieGb` (decimal gigabytes, all versions together), biggest first. */
  async largeMovies(userId: string, args: PageArgs): Promise<InsightPage<ItemRow>> {
    const { now, settings, allow, generations } = await this.context(userId);
    const { values, p } = params([userId]);
    const mine = current(generations, p);
    return this.list<ItemRow>(args, {
      name: 'largeMovies',
      columns: ITEM_COLUMNS,
      from: ITEMS,
      where: [mine, `i.kind = 'MOVIE'`, `i."sizeBytes" > ${p(Math.round(settings.largeMovieGb * 1e9))}::int8`, notContent(allow, p)],
      params: values,
      sort: { expr: `i."sizeBytes"`, kind: 'int8', direction: 'desc' },
      reasons: (row) => largeMovieReasons(row, settings, now),
    });
  }

  /**
   * Movies and episodes missing a required audio or subtitle language. FRENCH_ONLY drops English audio from
   * the rule, FRENCH_SUBS_ONLY drops the audio rule, LANGUAGE_EXEMPT drops the check; an entry on a series
   * covers its episodes.
   */
  async languageIssues(userId: string, args: PageArgs): Promise<InsightPage<ItemRow>> {
    const { settings, allow, generations } = await this.context(userId);
    const { values, p } = params([userId]);
    const mine = current(generations, p);
    const audio = p(settings.audioLanguages);
    const subtitles = p(settings.subtitleLanguages);
    const matches = (kind: 'FRENCH_ONLY' | 'FRENCH_SUBS_ONLY' | 'LANGUAGE_EXEMPT') =>
      `coalesce(i."jellyfinId" = ANY(${p(allow.jellyfinIds[kind])}::text[]) OR i."seriesJellyfinId" = ANY(${p(allow.jellyfinIds[kind])}::text[])
        OR (i.kind = 'MOVIE' AND i."tmdbId" = ANY(${p(allow.movieTmdbIds[kind])}::text[])), false)`;
    const [frenchOnly, subsOnly, exempt] = [matches('FRENCH_ONLY'), matches('FRENCH_SUBS_ONLY'), matches('LANGUAGE_EXEMPT')];
    const requiredAudio = `CASE WHEN ${subsOnly} THEN '{}'::text[] WHEN ${frenchOnly} THEN array_remove(${audio}::text[], 'eng') ELSE ${audio}::text[] END`;
    const rows = await this.list<ItemRow & { frenchOnly: boolean; subsOnly: boolean }>(args, {
      name: 'languageIssues',
      columns: `${ITEM_COLUMNS}, ${frenchOnly} AS "frenchOnly", ${subsOnly} AS "subsOnly"`,
      from: ITEMS,
      where: [
        mine,
        `i.kind IN ('MOVIE', 'EPISODE')`,
        `NOT ${exempt}`,
        `(NOT (coalesce(i."audioLanguages", '{}') @> ${requiredAudio}) OR NOT (coalesce(i."subtitleLanguages", '{}') @> ${subtitles}::text[]))`,
      ],
      params: values,
      // series title, season, episode, title, lower-cased, compared bytewise (COLLATE "C")
      sort: { expr: `i."sortTitle"`, kind: 'text', direction: 'asc' },
      reasons: (row) => {
        const rule: LanguageRule = row.subsOnly
          ? { audio: [], subtitles: settings.subtitleLanguages, because: 'FRENCH_SUBS_ONLY' }
          : { audio: row.frenchOnly ? settings.audioLanguages.filter((l) => l !== 'eng') : settings.audioLanguages, subtitles: settings.subtitleLanguages, because: row.frenchOnly ? 'FRENCH_ONLY' : null };
        return languageReasons(row, rule);
      },
    });
    return rows;
  }

  /**
   * Requests still waiting (pending, approved or failed, the media neither available, blocklisted nor deleted),
   * oldest first; with the filters on, releases in the future and within `recentReleaseMonths` are left out.
   */
  async unavailableRequests(userId: string, args: PageArgs): Promise<InsightPage<RequestRow>> {
    const { now, settings, allow, generations } = await this.context(userId);
    const { values, p } = params([userId]);
    const mine = current(generations, p);
    const where = [mine, `i.status IN (1, 2, 4)`, `coalesce(i."mediaStatus", 1) NOT IN (5, 6, 7)`, notContentRequest(allow, p)];
    const today = now.toISOString().slice(0, 10);
    if (settings.excludeFutureReleases) where.push(`(i."releaseDate" IS NULL OR i."releaseDate" <= ${p(today)}::date)`);
    // recent: released within the last recentReleaseMonths, up to today (the future is the other filter's)
    if (settings.excludeRecentReleases) where.push(`(i."releaseDate" IS NULL OR i."releaseDate" <= ${p(monthsBefore(now, settings.recentReleaseMonths).toISOString().slice(0, 10))}::date OR i."releaseDate" > ${p(today)}::date)`);
    return this.list<RequestRow>(args, {
      name: 'unavailableRequests',
      columns: REQUEST_COLUMNS,
      from: REQUESTS,
      where,
      params: values,
      sort: { expr: `i."requestedAt"`, kind: 'timestamptz', direction: 'asc' },
      reasons: (row) => unavailableReasons(row, now),
    });
  }

  /** Requests whose media became available in the last `recentDays`, newest first. */
  async recentlyAvailable(userId: string, args: PageArgs): Promise<InsightPage<RequestRow>> {
    const { now, settings, generations } = await this.context(userId);
    const { values, p } = params([userId]);
    const mine = current(generations, p);
    return this.list<RequestRow>(args, {
      name: 'recentlyAvailable',
      columns: REQUEST_COLUMNS,
      from: REQUESTS,
      where: [mine, `i."mediaStatus" = 5`, `i."availableAt" >= ${p(daysBefore(now, settings.recentDays))}::timestamptz`, `i."availableAt" <= ${p(now)}::timestamptz`],
      params: values,
      sort: { expr: `i."availableAt"`, kind: 'timestamptz', direction: 'desc' },
      reasons: (row) => recentlyAvailableReasons(row, settings.recentDays, now),
    });
  }

  /** Cached items of the person's current caches by their stable ids (for `node`). */
  async itemsByIds(userId: string, ids: string[]): Promise<ItemRow[]> {
    return this.deps.sql.query<ItemRow>(`SELECT ${ITEM_COLUMNS} FROM ${ITEMS} WHERE ${CURRENT} AND i.id = ANY($2::uuid[])`, [userId, ids]);
  }

  async requestsByIds(userId: string, ids: string[]): Promise<RequestRow[]> {
    const rows = await this.deps.sql.query<RequestRow & { releaseDate: unknown }>(`SELECT ${REQUEST_COLUMNS} FROM ${REQUESTS} WHERE ${CURRENT} AND i.id = ANY($2::uuid[])`, [userId, ids]);
    return rows.map(withReleaseDate);
  }

  private async context(userId: string): Promise<{ now: Date; settings: Thresholds; allow: ActiveAllowlist; generations: Generations }> {
    const now = this.clock();
    const settings = await this.deps.settings.get(userId);
    const allow = await this.deps.allowlist.active(userId, now);
    const generations = await this.deps.sql.query<{ id: string; generation: number }>(`SELECT id, generation FROM "MediaServer" WHERE "userId" = $1::uuid`, [userId]);
    return { now, settings, allow, generations };
  }

  private async count(from: string, where: string[], values: unknown[]): Promise<number> {
    const [row] = await this.deps.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${from} WHERE ${where.join(' AND ')}`, values);
    return row?.n ?? 0;
  }

  /** Forward keyset pages on (sort key, id), cursors signed like every other list's. */
  private async list<Row extends { id: string }>(args: PageArgs, spec: ListSpec<Row>): Promise<InsightPage<Row>> {
    const size = args.first ?? DEFAULT_PAGE_SIZE;
    if (size < 0 || size > MAX_PAGE_SIZE) throw new ValidationError(`\`first\` must be between 0 and ${MAX_PAGE_SIZE}`, ['first']);
    const { values, p } = params(spec.params);
    const where = [...spec.where];
    const op = spec.sort.direction === 'asc' ? '>' : '<';
    if (args.after) {
      const [name, key, id] = this.deps.paginator.open(args.after, 'after') as [string, unknown, string];
      if (name !== spec.name || typeof id !== 'string' || !/^[0-9a-f-]{36}$/.test(id)) throw new ValidationError('The cursor belongs to another list', ['after']);
      where.push(`(${spec.sort.expr}, i.id) ${op} (${p(key)}::${spec.sort.kind}, ${p(id)}::uuid)`);
    }
    const rows = await this.deps.sql.query<Row & { sortKey: unknown }>(
      `SELECT ${spec.columns}, ${spec.sort.expr} AS "sortKey" FROM ${spec.from}
       WHERE ${where.join(' AND ')}
       ORDER BY ${spec.sort.expr} ${spec.sort.direction}, i.id ${spec.sort.direction} LIMIT ${size + 1}`,
      values,
    );
    const more = rows.length > size;
    const edges = rows.slice(0, size).map(({ sortKey, ...rest }) => {
      const node = ('releaseDate' in rest ? withReleaseDate(rest as never) : rest) as unknown as Row;
      const key = sortKey instanceof Date ? sortKey.toISOString() : sortKey;
      return { node, reasons: spec.reasons(node), cursor: this.deps.paginator.seal([spec.name, key, node.id]) };
    });
    return {
      edges,
      pageInfo: { hasNextPage: more, hasPreviousPage: Boolean(args.after), startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
      totalCount: () => this.count(spec.from, spec.where, spec.params),
    };
  }
}

/** A DATE read as text ("2024-05-01") becomes that day's midnight UTC; pg would make it local midnight. */
function withReleaseDate<Row extends { releaseDate: unknown }>(row: Row): Row & { releaseDate: Date | null } {
  return { ...row, releaseDate: typeof row.releaseDate === 'string' ? new Date(`${row.releaseDate}T00:00:00Z`) : null };
}

/** Items the CONTENT allowlist does not protect: by Jellyfin id (a series covers its episodes) or TMDB id. */
function notContent(allow: ActiveAllowlist, p: (value: unknown) => string): string {
  return `NOT coalesce(i."jellyfinId" = ANY(${p(allow.jellyfinIds.CONTENT)}::text[]) OR i."seriesJellyfinId" = ANY(${p(allow.jellyfinIds.CONTENT)}::text[])
    OR (i.kind = 'MOVIE' AND i."tmdbId" = ANY(${p(allow.movieTmdbIds.CONTENT)}::text[]))
    OR (i.kind = 'SERIES' AND i."tmdbId" = ANY(${p(allow.tvTmdbIds.CONTENT)}::text[])), false)`;
}

function notContentRequest(allow: ActiveAllowlist, p: (value: unknown) => string): string {
  return `NOT coalesce(i."jellyfinMediaId" = ANY(${p(allow.jellyfinIds.CONTENT)}::text[])
    OR (i."mediaType" = 'movie' AND i."tmdbId" = ANY(${p(allow.movieTmdbIds.CONTENT)}::text[]))
    OR (i."mediaType" = 'tv' AND i."tmdbId" = ANY(${p(allow.tvTmdbIds.CONTENT)}::text[])), false)`;
}
