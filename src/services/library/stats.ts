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

  // the owner on the joins lets the planner hash one person's media, not everyone's
  const joined = Prisma.sql`
    FROM "WatchEvent" w
    JOIN "Media" m ON m.id = w."mediaId" AND m."userId" = ${userId}::uuid
    LEFT JOIN "Media" s ON s.id = m."showId" AND s."userId" = ${userId}::uuid`;
  const period = Prisma.sql`WHERE w."userId" = ${userId}::uuid AND w."watchedAt" >= ${from} AND w."watchedAt" < ${to}`;
  const scope = Prisma.sql`${joined} ${period}`;
  const unit = Prisma.raw(`'${bucket.toLowerCase()}'`);

  const [totals, series, genres, directors, rated, histogram, sources] = await Promise.all([
    prisma.$queryRaw<Record<string, unknown>[]>`
      SELECT count(*)::int AS events, count(DISTINCT w."mediaId")::int AS "distinctMedia",
             (count(*) FILTER (WHERE m.kind = 'MOVIE'))::int AS movies,
             (count(*) FILTER (WHERE m.kind = 'EPISODE'))::int AS episodes,
             (count(*) FILTER (WHERE w.rewatch))::int AS rewatches,
             coalesce(sum(m."runtimeMinutes"), 0)::float8 / 60 AS hours,
             count(w.rating)::int AS "ratedEvents", avg(w.rating)::float8 AS "averageRating"
      ${scope}`,
    prisma.$queryRaw<{ start: Date; events: number; hours: number }[]>`
      SELECT date_trunc(${unit}, w."watchedAt" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS start,
             count(*)::int AS events, coalesce(sum(m."runtimeMinutes"), 0)::float8 / 60 AS hours
      ${scope} GROUP BY 1`,
    prisma.$queryRaw<{ name: string; events: number; hours: number }[]>`
      SELECT g AS name, count(*)::int AS events, coalesce(sum(m."runtimeMinutes"), 0)::float8 / 60 AS hours
      ${joined}
      CROSS JOIN LATERAL unnest(CASE WHEN cardinality(m.genres) > 0 THEN m.genres ELSE coalesce(s.genres, '{}') END) AS g
      ${period}
      GROUP BY g ORDER BY events DESC, g LIMIT ${TOP}`,
    prisma.$queryRaw<{ name: string; events: number }[]>`
      SELECT d AS name, count(*)::int AS events
      ${joined}
      CROSS JOIN LATERAL unnest(CASE WHEN cardinality(m.directors) > 0 THEN m.directors ELSE coalesce(s.directors, '{}') END) AS d
      ${period}
      GROUP BY d ORDER BY events DESC, d LIMIT ${TOP}`,
    prisma.$queryRaw<{ mediaId: string; rating: number; watches: number }[]>`
      SELECT m.id AS "mediaId", max(coalesce(w.rating, m.rating))::float8 AS rating, count(*)::int AS watches
      ${scope} AND coalesce(w.rating, m.rating) IS NOT NULL
      GROUP BY m.id ORDER BY rating DESC, watches DESC, max(w."watchedAt") DESC LIMIT ${TOP}`,
    prisma.$queryRaw<{ rating: number; count: number }[]>`
      SELECT w.rating::float8 AS rating, count(*)::int AS count ${scope} AND w.rating IS NOT NULL GROUP BY 1`,
    prisma.$queryRaw<{ source: WatchSource; events: number }[]>`
      SELECT w.source::text AS source, count(*)::int AS events ${scope} GROUP BY 1 ORDER BY events DESC, source`,
  ]);

  const seriesByStart = new Map(series.map((row) => [new Date(row.start).getTime(), row]));
  const ratings = new Map(histogram.map((row) => [row.rating, row.count]));
  return {
    from,
    to,
    bucket,
    totals: totals[0] as WatchStats['totals'],
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
