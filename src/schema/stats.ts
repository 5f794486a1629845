import type { WatchStats } from '../services/library/stats.js';
import { builder } from './builder.js';
import { WatchSourceEnum } from './library.js';

export const StatsBucketEnum = builder.enumType('StatsBucket', { values: ['DAY', 'WEEK', 'MONTH'] as const });

type Row<K extends keyof WatchStats> = WatchStats[K] extends (infer R)[] ? R : WatchStats[K];

const Totals = builder.objectRef<WatchStats['totals']>('WatchTotals').implement({
  fields: (t) => ({
    events: t.exposeInt('events'),
    hours: t.exposeFloat('hours', { description: 'runtime of what was watched; items without a runtime count 0' }),
    distinctMedia: t.exposeInt('distinctMedia'),
    movies: t.exposeInt('movies'),
    episodes: t.exposeInt('episodes'),
    rewatches: t.exposeInt('rewatches'),
    ratedEvents: t.exposeInt('ratedEvents'),
    averageRating: t.exposeFloat('averageRating', { nullable: true }),
  }),
});

const SeriesPoint = builder.objectRef<Row<'series'>>('WatchSeriesPoint').implement({
  fields: (t) => ({
    start: t.expose('start', { type: 'DateTime', description: 'UTC start of the bucket' }),
    events: t.exposeInt('events'),
    hours: t.exposeFloat('hours'),
  }),
});

const GenreCount = builder.objectRef<Row<'topGenres'>>('GenreCount').implement({
  fields: (t) => ({ name: t.exposeString('name'), events: t.exposeInt('events'), hours: t.exposeFloat('hours') }),
});

const NameCount = builder.objectRef<Row<'topDirectors'>>('NameCount').implement({
  fields: (t) => ({ name: t.exposeString('name'), events: t.exposeInt('events') }),
});

const RatedMedia = builder.objectRef<Row<'topRated'>>('RatedMedia').implement({
  fields: (t) => ({
    rating: t.exposeFloat('rating'),
    watches: t.exposeInt('watches', { description: 'in the period' }),
    media: t.prismaField({
      type: 'Media',
      // findUnique calls in one tick are batched by Prisma into a single statement
      resolve: (query, row, _args, ctx) => ctx.prisma.media.findUniqueOrThrow({ ...query, where: { id: row.mediaId } }),
    }),
  }),
});

const RatingCount = builder.objectRef<Row<'ratingHistogram'>>('RatingCount').implement({
  fields: (t) => ({ rating: t.exposeFloat('rating'), count: t.exposeInt('count') }),
});

const SourceCount = builder.objectRef<Row<'bySource'>>('SourceCount').implement({
  fields: (t) => ({ source: t.expose('source', { type: WatchSourceEnum }), events: t.exposeInt('events') }),
});

export const WatchStatsType = builder.objectRef<WatchStats>('WatchStats').implement({
  description: 'Everything a dashboard draws for a period (UTC), in one query',
  fields: (t) => ({
    from: t.expose('from', { type: 'DateTime' }),
    to: t.expose('to', { type: 'DateTime' }),
    bucket: t.expose('bucket', { type: StatsBucketEnum }),
    totals: t.expose('totals', { type: Totals }),
    series: t.expose('series', { type: [SeriesPoint], description: 'one point per bucket, empty ones included' }),
    topGenres: t.expose('topGenres', { type: [GenreCount] }),
    topDirectors: t.expose('topDirectors', { type: [NameCount] }),
    topRated: t.expose('topRated', { type: [RatedMedia] }),
    ratingHistogram: t.expose('ratingHistogram', { type: [RatingCount], description: '0.5 to 5.0, empty ones included' }),
    bySource: t.expose('bySource', { type: [SourceCount] }),
  }),
});
