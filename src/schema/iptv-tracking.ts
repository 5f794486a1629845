import { AddressRefusedError, IptvCredentialsRefusedError, NotFoundError, UpstreamError, UpstreamUnreachableError, ValidationError } from '../services/errors.js';
import { builder } from './builder.js';
import { resultUnion } from './errors.js';
import { successPayload } from './payloads.js';

export const SeriesTrackModeEnum = builder.enumType('SeriesTrackMode', {
  values: {
    NEW_ONLY: { description: 'episodes that appear from now on' },
    ALL: { description: 'every episode listed, and each new one' },
    SEASONS: { description: 'the episodes of the chosen seasons, those listed and those to come' },
  } as const,
});

export const TrackSeriesInput = builder.inputType('TrackSeriesInput', {
  fields: (t) => ({
    mode: t.field({ type: SeriesTrackModeEnum, description: 'NEW_ONLY when omitted' }),
    seasons: t.intList({ description: 'with SEASONS: the season numbers' }),
    language: t.string({ description: 'the {language} folder of Series/{language}/{series}/Season {season}/{title}.{ext}; without one there is no language folder' }),
  }),
});

builder.prismaObject('SeriesTracking', {
  name: 'SeriesTracking',
  fields: (t) => ({
    mode: t.expose('mode', { type: SeriesTrackModeEnum }),
    seasons: t.exposeIntList('seasons'),
    language: t.exposeString('language', { nullable: true }),
    since: t.expose('since', { type: 'DateTime', description: 'NEW_ONLY: episodes first seen after this' }),
    lastCheckedAt: t.expose('lastCheckedAt', { type: 'DateTime', nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true }),
  }),
});

builder.prismaObjectField('IptvSeries', 'tracking', (t) => t.relation('tracking', { nullable: true, description: 'null while the series is not tracked' }));

builder.prismaObjectFields('IptvEpisode', (t) => ({
  queuedAt: t.expose('queuedAt', { type: 'DateTime', nullable: true, description: 'when it was queued for download; never queued twice' }),
  download: t.relation('download', { nullable: true }),
}));

const TrackSeriesSuccess = successPayload('TrackSeriesSuccess', {
  field: 'series',
  model: 'IptvSeries',
  id: (result: { seriesId: string; queuedIds: string[] }) => result.seriesId,
  fields: (t) => ({
    queued: t.prismaField({
      type: ['Download'],
      description: 'the downloads queued now (NEW_ONLY: none until episodes appear)',
      resolve: (query, result, _args, ctx) => ctx.prisma.download.findMany({ ...query, where: { id: { in: result.queuedIds } }, orderBy: { id: 'asc' } }),
    }),
  }),
});

export const TrackSeriesResult = resultUnion('TrackSeriesResult', TrackSeriesSuccess, [
  ValidationError,
  NotFoundError,
  AddressRefusedError,
  IptvCredentialsRefusedError,
  UpstreamUnreachableError,
  UpstreamError,
]);
