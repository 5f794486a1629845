import { Prisma, type PrismaClient, type WatchSource } from '../../generated/prisma/client.js';
import { ValidationError } from '../errors.js';

export type StatsBucket = 'DAY' | 'WEEK' | 'MONTH';

export interface WatchStats {
  from: Date;
  to: Date;
  bucket: StatsBucket;
  totals: {
    events: number;
    hours: number;
    distinctMedia: number;
    movies: number;
    episodes: number;
    rewatches: number;
    ratedEvents: number;
    averageRating: number | null;
  };
  series: { start: Date; events: number; hours: number }[];
  topGenres: { name: string; events: number; hours: number }[];
  topDirectors: { name: string; events: number }[];
  topRated: { mediaId: string; rating: number; watches: number }[];
  ratingHistogram: { rating: number; count: number }[];
  bySource: { source: WatchSource; events: number }[];
}

export type StatsPeriod = { from?: Date | null; to?: Date | null; bucket?: StatsBucket | null };

/** A person's watch statistics: every figure counts only the rows of the person asked about. */
export class StatsService {
  constructor(private readonly prisma: PrismaClient) {}

  watchStats(userId: string, period: StatsPeriod, now = new Date()): Promise<WatchStats> {
    return watchStats(this.prisma, userId, period, now);
  }
}

const MAX_BUCKETS = 1000;
const TOP = 10;
const DAY_MS = 86_400_000;

/** Everything a personal dashboard draws for a period, in one call: a handful of aggregate statements. */
export async function watchStats(
  prisma: PrismaClient,
  userId: string,
  options: StatsPeriod,
  now = new Date(),
): Promise<WatchStats> {
  const to = options.to ?? now;
  const from = options.from ?? new Date(Date.UTC(to.getUTCFullYear() - 1, to.getUTCMonth(), to.getUTCDate()));
  if (from >= to) throw new ValidationError('`from` must be before `to`', ['from']);
  const days = (to.getTime() - from.getTime()) / DAY_MS;
  const bucket = options.bucket ?? (days <= 62 ? 'DAY' : days <= 366 ? 'WEEK' : 'MONTH');
  const buckets = bucketStarts(from, to, bucket);
  if (buckets.length > MAX_BUCKETS) {
    throw new ValidationError(`That range has more than ${MAX_BUCKETS} ${bucket.toLowerCase()}s; use a coarser bucket`, ['bucket']);
  }

  // One statement: the period's events are read and joined with their media (and an episode's show, whose
  // genres and directors it falls back to) once, into a materialized CTE; every figure aggregates that. Seven
  // statements each scanning and joining the period again cost seven times the scan on a 2-core machine.
  const unit = Prisma.raw(`'${bucket.toLowerCase()}'`);
  const [row] = await prisma.$queryRaw<[StatsRow]>`
    WITH shows AS MATERIALIZED (
      -- the person's shows, hashed once, rather than an index probe per episode watched
      -- (an item's showId is always one of the person's shows: media.ts checks it on every write)
      SELECT id, genres, directors FROM "Media" WHERE "userId" = ${userId}::uuid AND kind = 'SHOW'
    ), e AS MATERIALIZED (
      SELECT w."mediaId", w."watchedAt", w.rating, w.rewatch, w.source, m.kind, m."runtimeMinutes" AS runtime,
             m.rating AS "mediaRating",
             CASE WHEN cardinality(m.genres) > 0 THEN m.genres ELSE coalesce(s.genres, '{}') END AS genres,
             CASE WHEN cardinality(m.directors) > 0 THEN m.directors ELSE coalesce(s.directors, '{}') END AS directors
      FROM "WatchEvent" w
      JOIN "Media" m ON m.id = w."mediaId" AND m."userId" = ${userId}::uuid
      LEFT JOIN shows s ON s.id = m."showId"
      WHERE w."userId" = ${userId}::uuid AND w."watchedAt" >= ${from} AND w."watchedAt" < ${to}
    )
    SELECT
      (SELECT json_build_object(
         'events', count(*)::int, 'distinctMedia', count(DISTINCT "mediaId")::int,
         'movies', (count(*) FILTER (WHERE kind = 'MOVIE'))::int, 'episodes', (count(*) FILTER (WHERE kind = 'EPISODE'))::int,
         'rewatches', (count(*) FILTER (WHERE rewatch))::int, 'hours', coalesce(sum(runtime), 0)::float8 / 60,
         'ratedEvents', count(rating)::int, 'averageRating', avg(rating)::float8) FROM e) AS totals,
      (SELECT coalesce(json_agg(x), '[]') FROM (
         SELECT date_trunc(${unit}, "watchedAt" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS start,
                count(*)::int AS events, coalesce(sum(runtime), 0)::float8 / 60 AS hours
         FROM e GROUP BY 1) x) AS series,
      (SELECT coalesce(json_agg(x ORDER BY x.events DESC, x.name), '[]') FROM (
         SELECT g AS name, count(*)::int AS events, coalesce(sum(runtime), 0)::float8 / 60 AS hours
         FROM e CROSS JOIN LATERAL unnest(e.genres) AS g GROUP BY g ORDER BY events DESC, g LIMIT ${TOP}) x) AS genres,
      (SELECT coalesce(json_agg(x ORDER BY x.events DESC, x.name), '[]') FROM (
         SELECT d AS name, count(*)::int AS events
         FROM e CROSS JOIN LATERAL unnest(e.directors) AS d GROUP BY d ORDER BY events DESC, d LIMIT ${TOP}) x) AS directors,
      (SELECT coalesce(json_agg(json_build_object('mediaId', x."mediaId", 'rating', x.rating, 'watches', x.watches) ORDER BY x.ord), '[]') FROM (
         SELECT "mediaId", max(coalesce(rating, "mediaRating"))::float8 AS rating, count(*)::int AS watches,
                row_number() OVER (ORDER BY max(coalesce(rating, "mediaRating")) DESC, count(*) DESC, max("watchedAt") DESC) AS ord
         FROM e WHERE coalesce(rating, "mediaRating") IS NOT NULL
         GROUP BY "mediaId" ORDER BY ord LIMIT ${TOP}) x) AS rated,
      (SELECT coalesce(json_agg(x), '[]') FROM (
         SELECT rating::float8 AS rating, count(*)::int AS count FROM e WHERE rating IS NOT NULL GROUP BY 1) x) AS histogram,
      (SELECT coalesce(json_agg(x ORDER BY x.events DESC, x.source), '[]') FROM (
         SELECT source::text AS source, count(*)::int AS events FROM e GROUP BY 1) x) AS sources`;
  const { totals, genres, directors, rated, histogram, sources } = row;
  const series = row.series.map((point) => ({ ...point, start: new Date(point.start) }));

  const seriesByStart = new Map(series.map((row) => [new Date(row.start).getTime(), row]));
  const ratings = new Map(histogram.map((row) => [row.rating, row.count]));
  return {
    from,
    to,
    bucket,
    totals,
    series: buckets.map((start) => {
      const row = seriesByStart.get(start.getTime());
      return { start, events: row?.events ?? 0, hours: row?.hours ?? 0 };
    }),
    topGenres: genres,
    topDirectors: directors,
    topRated: rated,
    ratingHistogram: Array.from({ length: 10 }, (_, i) => (i + 1) / 2).map((rating) => ({ rating, count: ratings.get(rating) ?? 0 })),
    bySource: sources,
  };
}

interface StatsRow {
  totals: WatchStats['totals'];
  /** JSON: the start is text */
  series: { start: string; events: number; hours: number }[];
  genres: WatchStats['topGenres'];
  directors: WatchStats['topDirectors'];
  rated: WatchStats['topRated'];
  histogram: { rating: number; count: number }[];
  sources: WatchStats['bySource'];
}

/** UTC starts of every bucket that overlaps [from, to); weeks start on Monday, as date_trunc's do. */
function bucketStarts(from: Date, to: Date, bucket: StatsBucket): Date[] {
  const starts: Date[] = [];
  let cursor = truncate(from, bucket);
  while (cursor < to && starts.length <= MAX_BUCKETS) {
    starts.push(cursor);
    cursor =
      bucket === 'MONTH'
        ? new Date(Date.UTC(cursor.getUTCFullYear(), cursor.getUTCMonth() + 1, 1))
        : new Date(cursor.getTime() + (bucket === 'WEEK' ? 7 : 1) * DAY_MS);
  }
  return starts;
}

function truncate(date: Date, bucket: StatsBucket): Date {
  const day = new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate()));
  if (bucket === 'DAY') return day;
  if (bucket === 'MONTH') return new Date(Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1));
  return new Date(day.getTime() - ((day.getUTCDay() + 6) % 7) * DAY_MS);
}
