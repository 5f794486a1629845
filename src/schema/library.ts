import type { Media } from '../generated/prisma/client.js';
import { externalIdsOf } from '../services/library/media.js';
import type { ShowProgress } from '../services/library/shows.js';
import { ConflictError, NotFoundError, UpstreamError, ValidationError } from '../services/errors.js';
import { builder } from './builder.js';
import { resultUnion } from './errors.js';
import { EnrichmentStatusEnum, TmdbCandidateType } from './metadata.js';
import type { TmdbCandidate } from '../services/metadata/tmdb-records.js';
import { asUuid, NO_MATCH } from './ids.js';
import { successPayload } from './payloads.js';

export const MediaKindEnum = builder.enumType('MediaKind', { values: ['MOVIE', 'SHOW', 'SEASON', 'EPISODE'] as const });

export const WatchSourceEnum = builder.enumType('WatchSource', {
  values: ['MANUAL', 'LETTERBOXD', 'TRAKT', 'KLUG_JSON', 'KLUG_CSV', 'JELLYFIN'] as const,
});

export const ExternalIdsType = builder
  .objectRef<ReturnType<typeof externalIdsOf>>('ExternalIds')
  .implement({
    fields: (t) => ({
      tmdb: t.exposeString('tmdb', { nullable: true }),
      imdb: t.exposeString('imdb', { nullable: true }),
      tvdb: t.exposeString('tvdb', { nullable: true }),
      jellyfin: t.exposeString('jellyfin', { nullable: true }),
      letterboxd: t.exposeString('letterboxd', { nullable: true }),
      trakt: t.exposeString('trakt', { nullable: true }),
    }),
  });

const externalIdSelect = {
  tmdbId: true,
  imdbId: true,
  tvdbId: true,
  jellyfinId: true,
  letterboxdId: true,
  traktId: true,
} as const;

const ownedBy = (ctx: { viewer: { user: { id: string } } | null }) => ctx.viewer?.user.id ?? NO_MATCH;

// Selection mode (`select`): a page reads the columns its query asks for, not whole rows (a Media row carries
// JSON, cast and external ids a history page never shows; reading them cost more than the page itself).
export const MediaType = builder.prismaNode('Media', {
  nullable: true,
  select: { id: true },
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ownedBy(ctx) }),
  fields: (t) => ({
    kind: t.expose('kind', { type: MediaKindEnum }),
    title: t.exposeString('title'),
    year: t.exposeInt('year', { nullable: true }),
    externalIds: t.field({
      type: ExternalIdsType,
      select: externalIdSelect,
      resolve: (media) => externalIdsOf(media as Media),
    }),
    seasonNumber: t.exposeInt('seasonNumber', { nullable: true }),
    episodeNumber: t.exposeInt('episodeNumber', { nullable: true }),
    seriesTitle: t.exposeString('seriesTitle', { nullable: true, description: 'the show, as an importer named it' }),
    show: t.relation('show', { nullable: true }),
    season: t.relation('season', { nullable: true }),
    genres: t.exposeStringList('genres'),
    runtime: t.exposeInt('runtimeMinutes', { nullable: true, description: 'minutes' }),
    directors: t.exposeStringList('directors'),
    cast: t.exposeStringList('cast'),
    overview: t.exposeString('overview', { nullable: true }),
    posterUrl: t.exposeString('posterUrl', { nullable: true }),
    releaseDate: t.expose('releaseDate', { type: 'DateTime', nullable: true }),
    originalTitle: t.exposeString('originalTitle', { nullable: true }),
    originalLanguage: t.exposeString('originalLanguage', { nullable: true, description: 'ISO 639-1, from TMDB' }),
    voteAverage: t.exposeFloat('voteAverage', { nullable: true, description: "TMDB's average vote, 0 to 10" }),
    enrichmentStatus: t.expose('enrichmentStatus', { type: EnrichmentStatusEnum }),
    enrichmentError: t.exposeString('enrichmentError', { nullable: true, description: 'why the item is not enriched' }),
    enrichmentCandidates: t.field({
      type: [TmdbCandidateType],
      select: { enrichmentCandidates: true },
      description: 'what came close when the item is NOT_FOUND or AMBIGUOUS',
      resolve: (media) => (Array.isArray(media.enrichmentCandidates) ? (media.enrichmentCandidates as unknown as TmdbCandidate[]) : []),
    }),
    enrichedAt: t.expose('enrichedAt', { type: 'DateTime', nullable: true }),
    rating: t.exposeFloat('rating', { nullable: true, description: "the person's current rating, 0.5 to 5.0" }),
    ratedAt: t.expose('ratedAt', { type: 'DateTime', nullable: true }),
    watchCount: t.relationCount('watchEvents'),
    watchEvents: t.relatedConnection('watchEvents', {
      cursor: 'id',
      query: { orderBy: [{ watchedAt: 'desc' }, { id: 'desc' }] },
      description: 'newest first',
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const WatchEventType = builder.prismaNode('WatchEvent', {
  nullable: true,
  select: { id: true },
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ownedBy(ctx) }),
  fields: (t) => ({
    media: t.relation('media'),
    watchedAt: t.expose('watchedAt', { type: 'DateTime' }),
    source: t.expose('source', { type: WatchSourceEnum }),
    rating: t.exposeFloat('rating', { nullable: true }),
    rewatch: t.exposeBoolean('rewatch'),
    tags: t.exposeStringList('tags'),
    review: t.exposeString('review', { nullable: true }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const ShowProgressType = builder.objectRef<ShowProgress>('ShowProgress').implement({
  fields: (t) => ({
    watched: t.exposeInt('watched', { description: 'episodes watched at least once (specials aside)' }),
    total: t.exposeInt('total', { description: 'episodes in the library (specials aside)' }),
    percent: t.exposeFloat('percent'),
    lastWatchedAt: t.expose('lastWatchedAt', { type: 'DateTime', nullable: true }),
    nextEpisode: t.prismaField({
      type: 'Media',
      nullable: true,
      description: 'the first unwatched episode after the furthest one watched',
      resolve: (query, progress, _args, ctx) => {
        // read the selection even when there is nothing to load: Pothos reports a query left unused
        const selection = { ...query };
        return progress.nextEpisodeId ? ctx.prisma.media.findUnique({ ...selection, where: { id: progress.nextEpisodeId } }) : null;
      },
    }),
  }),
});

export const ShowType = builder.prismaNode('Media', {
  variant: 'Show',
  nullable: true,
  select: { id: true },
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ownedBy(ctx), kind: 'SHOW' }),
  fields: (t) => ({
    title: t.exposeString('title'),
    year: t.exposeInt('year', { nullable: true }),
    media: t.variant('Media'),
    progress: t.loadable({
      type: ShowProgressType,
      load: (showIds: string[], ctx) => ctx.services.shows.progress(showIds),
      resolve: (show) => show.id,
    }),
    episodes: t.relatedConnection('showParts', {
      cursor: 'id',
      query: { where: { kind: 'EPISODE' }, orderBy: [{ seasonNumber: 'asc' }, { episodeNumber: 'asc' }, { id: 'asc' }] },
      description: 'in airing order',
    }),
  }),
});

export const WatchEventConnection = builder.connectionObject(
  { type: WatchEventType, name: 'WatchEventConnection' },
  { name: 'WatchEventEdge' },
);
export const MediaConnection = builder.connectionObject({ type: MediaType, name: 'MediaConnection' }, { name: 'MediaEdge' });
export const ShowConnection = builder.connectionObject({ type: ShowType, name: 'ShowConnection' }, { name: 'ShowEdge' });

const RecordWatchSuccess = successPayload('RecordWatchSuccess', {
  field: 'watchEvent',
  model: 'WatchEvent',
  id: (result: { watchEventId: string }) => result.watchEventId,
});

/** A mutation's success that answers one item. */
export const MediaSuccess = successPayload('MediaSuccess', { field: 'media', model: 'Media', id: (result: { mediaId: string }) => result.mediaId });

export const RecordWatchResult = resultUnion('RecordWatchResult', RecordWatchSuccess, [ValidationError, NotFoundError, ConflictError]);
export const RateMediaResult = resultUnion('RateMediaResult', MediaSuccess, [ValidationError, NotFoundError]);
export const MediaResult = resultUnion('MediaResult', MediaSuccess, [ValidationError, NotFoundError, ConflictError, UpstreamError]);
