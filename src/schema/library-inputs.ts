import type { MediaInput as ServiceMediaInput } from '../services/library/types.js';
import { builder } from './builder.js';
import { decodeId, MEDIA_TYPENAMES } from './ids.js';
import { MediaKindEnum, WatchSourceEnum } from './library.js';

export const ExternalIdsInput = builder.inputType('ExternalIdsInput', {
  fields: (t) => ({
    tmdb: t.string(),
    imdb: t.string(),
    tvdb: t.string(),
    jellyfin: t.string(),
    letterboxd: t.string(),
    trakt: t.string(),
  }),
});

const mediaFields = (required: boolean) =>
  builder.inputType(required ? 'MediaInput' : 'UpdateMediaInput', {
    description: required ? 'an item of the library' : 'fields to change; omitted ones stay as they are',
    fields: (t) => ({
      kind: t.field({ type: MediaKindEnum, required }),
      title: t.string({ required }),
      year: t.int(),
      externalIds: t.field({ type: ExternalIdsInput }),
      showId: t.id({ description: 'seasons and episodes: the Show or Media id of their show' }),
      seriesTitle: t.string({ description: 'seasons and episodes without showId: their show, found or (recordWatch) created by it' }),
      seriesExternalIds: t.field({ type: ExternalIdsInput }),
      seasonNumber: t.int(),
      episodeNumber: t.int(),
      genres: t.stringList(),
      runtime: t.int({ description: 'minutes' }),
      directors: t.stringList(),
      cast: t.stringList(),
      overview: t.string(),
      posterUrl: t.string(),
      releaseDate: t.field({ type: 'DateTime' }),
    }),
  });

export const MediaInput = mediaFields(true);
export const UpdateMediaInput = mediaFields(false);

export const RecordWatchInput = builder.inputType('RecordWatchInput', {
  fields: (t) => ({
    mediaId: t.id({ description: 'an item already in the library…' }),
    media: t.field({ type: MediaInput, description: '…or one described here, matched to the library first' }),
    watchedAt: t.field({ type: 'DateTime', description: 'defaults to now' }),
    source: t.field({ type: WatchSourceEnum, description: 'defaults to MANUAL' }),
    rating: t.float({ description: '0.5 to 5.0 in half steps' }),
    rewatch: t.boolean({ description: 'defaults to whether an earlier watch exists' }),
    tags: t.stringList(),
    review: t.string(),
  }),
});

export const WatchEventFilter = builder.inputType('WatchEventFilter', {
  fields: (t) => ({
    kinds: t.field({ type: [MediaKindEnum] }),
    from: t.field({ type: 'DateTime', description: 'watched at or after' }),
    to: t.field({ type: 'DateTime', description: 'watched before' }),
    sources: t.field({ type: [WatchSourceEnum] }),
    ratingMin: t.float(),
    ratingMax: t.float(),
    genre: t.string(),
    search: t.string({ description: 'in the title of the item or its show' }),
    rewatch: t.boolean(),
    mediaId: t.id(),
  }),
});

export const MediaFilter = builder.inputType('MediaFilter', {
  fields: (t) => ({
    kinds: t.field({ type: [MediaKindEnum] }),
    search: t.string({ description: 'in the title' }),
    genre: t.string(),
    yearFrom: t.int(),
    yearTo: t.int(),
    ratingMin: t.float(),
    ratingMax: t.float(),
    watched: t.boolean(),
    showId: t.id(),
  }),
});

export const WatchEventOrderEnum = builder.enumType('WatchEventOrder', {
  values: ['WATCHED_AT_DESC', 'WATCHED_AT_ASC', 'RATING_DESC', 'RATING_ASC'] as const,
});

export const MediaOrderEnum = builder.enumType('MediaOrder', {
  values: ['TITLE_ASC', 'TITLE_DESC', 'YEAR_DESC', 'YEAR_ASC', 'ADDED_DESC', 'ADDED_ASC', 'RATING_DESC', 'RATING_ASC'] as const,
});

interface GraphQLMediaInput {
  kind?: ServiceMediaInput['kind'] | null;
  title?: string | null;
  year?: number | null;
  externalIds?: ServiceMediaInput['externalIds'];
  showId?: string | number | null;
  seriesTitle?: string | null;
  seriesExternalIds?: ServiceMediaInput['seriesExternalIds'];
  seasonNumber?: number | null;
  episodeNumber?: number | null;
  genres?: string[] | null;
  runtime?: number | null;
  directors?: string[] | null;
  cast?: string[] | null;
  overview?: string | null;
  posterUrl?: string | null;
  releaseDate?: Date | null;
}

/** GraphQL's media input in the service's terms: global ids decoded, `runtime` in minutes. */
export function toMediaInput(input: GraphQLMediaInput, path = 'media'): Partial<ServiceMediaInput> {
  const { runtime, showId, ...rest } = input;
  return withoutUndefined({
    ...rest,
    runtimeMinutes: runtime,
    showId: showId == null ? showId : decodeId(String(showId), MEDIA_TYPENAMES, `${path}.showId`),
  }) as Partial<ServiceMediaInput>;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
