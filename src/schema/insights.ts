import { encodeGlobalID } from '@pothos/plugin-relay';
import type { InsightPage, ItemRow, RequestRow } from '../services/janitor/insights.js';
import type { Thresholds } from '../services/janitor/settings.js';
import { ConflictError, NotFoundError, ValidationError } from '../services/errors.js';
import { builder } from './builder.js';
import { resultUnion } from './errors.js';
import { asUuid, NO_MATCH } from './ids.js';
import { successPayload } from './payloads.js';

export const MediaServerItemKindEnum = builder.enumType('MediaServerItemKind', { values: ['MOVIE', 'SERIES', 'EPISODE'] as const });
export const AllowlistKindEnum = builder.enumType('AllowlistKind', {
  values: {
    CONTENT: { description: 'never proposed for clean-up (old, large, unavailable request)' },
    FRENCH_ONLY: { description: 'English audio is not required' },
    FRENCH_SUBS_ONLY: { description: 'only the subtitle languages are required, no audio language' },
    LANGUAGE_EXEMPT: { description: 'no language check at all' },
  } as const,
});

const ItemRef = builder.objectRef<ItemRow>('MediaServerItem');
export const MediaServerItemType = builder.node(ItemRef, {
  description: 'A Jellyfin movie, series or episode as last synced; its id stays the same across syncs',
  id: { resolve: (item) => item.id },
  loadMany: (ids, ctx) => ctx.services.insights.itemsByIds(ctx.viewer?.user.id ?? NO_MATCH, ids.map(asUuid)),
  fields: (t) => ({
    kind: t.expose('kind', { type: MediaServerItemKindEnum }),
    title: t.exposeString('title'),
    year: t.exposeInt('year', { nullable: true }),
    jellyfinId: t.exposeString('jellyfinId'),
    mediaServerId: t.id({ resolve: (item) => encodeGlobalID('MediaServer', item.connectionId) }),
    seriesTitle: t.exposeString('seriesTitle', { nullable: true }),
    seasonNumber: t.exposeInt('seasonNumber', { nullable: true }),
    episodeNumber: t.exposeInt('episodeNumber', { nullable: true }),
    tmdbId: t.exposeString('tmdbId', { nullable: true }),
    imdbId: t.exposeString('imdbId', { nullable: true }),
    tvdbId: t.exposeString('tvdbId', { nullable: true }),
    addedAt: t.expose('addedAt', { type: 'DateTime', nullable: true, description: 'a series: its latest episode added' }),
    sizeBytes: t.exposeFloat('sizeBytes', { description: 'every version on disk; a series: all its episodes' }),
    versions: t.exposeInt('versions'),
    audioLanguages: t.exposeStringList('audioLanguages', { description: 'ISO 639-2/B codes' }),
    subtitleLanguages: t.exposeStringList('subtitleLanguages', { description: 'ISO 639-2/B codes' }),
    unknownAudioTracks: t.exposeInt('unknownAudioTracks', { description: 'audio tracks tagged und or not at all' }),
    unknownSubtitleTracks: t.exposeInt('unknownSubtitleTracks'),
    played: t.exposeBoolean('played', { description: 'anyone on the server played it (a series: any episode)' }),
    lastPlayedAt: t.expose('lastPlayedAt', { type: 'DateTime', nullable: true }),
    playedBy: t.exposeStringList('playedBy', { description: 'the Jellyfin users who played it' }),
    playCount: t.exposeInt('playCount'),
    episodeCount: t.exposeInt('episodeCount'),
  }),
});

const RequestRef = builder.objectRef<RequestRow>('MediaRequest');
export const MediaRequestType = builder.node(RequestRef, {
  description: 'A Jellyseerr request as last synced, with its title and release date',
  id: { resolve: (request) => request.id },
  loadMany: (ids, ctx) => ctx.services.insights.requestsByIds(ctx.viewer?.user.id ?? NO_MATCH, ids.map(asUuid)),
  fields: (t) => ({
    requestId: t.exposeInt('requestId', { description: "Jellyseerr's own request id" }),
    mediaServerId: t.id({ resolve: (request) => encodeGlobalID('MediaServer', request.connectionId) }),
    tmdbId: t.exposeString('tmdbId'),
    mediaType: t.exposeString('mediaType', { description: 'movie or tv' }),
    title: t.exposeString('title', { nullable: true, description: 'null until it could be looked up' }),
    releaseDate: t.expose('releaseDate', { type: 'DateTime', nullable: true }),
    is4k: t.exposeBoolean('is4k'),
    status: t.exposeInt('status', { description: 'Jellyseerr MediaRequestStatus: 1 pending, 2 approved, 3 declined, 4 failed, 5 completed (2.6+)' }),
    mediaStatus: t.exposeInt('mediaStatus', { nullable: true, description: 'MediaStatus: 1 unknown … 4 partially available, 5 available, 6 blocklisted, 7 deleted' }),
    requestedBy: t.exposeString('requestedBy', { nullable: true }),
    requestedAt: t.expose('requestedAt', { type: 'DateTime' }),
    availableAt: t.expose('availableAt', { type: 'DateTime', nullable: true }),
  }),
});

const reasonsEdge = (ref: typeof MediaServerItemType | typeof MediaRequestType, name: string) =>
  builder.edgeObject({
    type: ref,
    name,
    fields: (t) => ({ reasons: t.stringList({ description: 'why it is listed, in plain words', resolve: (e) => (e as unknown as { reasons: string[] }).reasons }) }),
  });
const ItemEdge = reasonsEdge(MediaServerItemType, 'InsightItemEdge');
const RequestEdge = reasonsEdge(MediaRequestType, 'InsightRequestEdge');

/** An insight's connection: its edges carry the reasons, the connection its total. */
function insightConnection(ref: typeof MediaServerItemType | typeof MediaRequestType, edge: unknown, name: string, unknownDates = false) {
  return builder.connectionObject(
    {
      type: ref,
      name,
      fields: (t) => ({
        totalCount: t.int({ description: 'items listed in all pages', resolve: (c) => (c as unknown as InsightPage<unknown>).totalCount() }),
        ...(unknownDates
          ? {
              unknownDateCount: t.int({
                description: 'items whose added or last-played date is unknown: never listed as old, counted here',
                resolve: (c) => (c as unknown as { unknownDateCount: () => Promise<number> }).unknownDateCount(),
              }),
            }
          : {}),
      }),
    },
    edge as never,
  );
}

export const InsightItemConnection = insightConnection(MediaServerItemType, ItemEdge, 'InsightItemConnection');
export const OldUnwatchedConnection = insightConnection(MediaServerItemType, ItemEdge, 'OldUnwatchedConnection', true);
export const InsightRequestConnection = insightConnection(MediaRequestType, RequestEdge, 'InsightRequestConnection');

export const InsightsType = builder.objectRef<{ userId: string }>('Insights').implement({
  description: 'What could be cleaned up or fixed on your media servers, each with its reasons (from the cache of the last good sync)',
  fields: (t) => {
    const insight = (type: typeof InsightItemConnection | typeof InsightRequestConnection, name: 'oldUnwatched' | 'largeMovies' | 'languageIssues' | 'unavailableRequests' | 'recentlyAvailable', description: string) =>
      t.field({
        type,
        description,
        args: { first: t.arg.int(), after: t.arg.string() },
        resolve: (o, a, ctx) => ctx.services.insights[name](o.userId, { first: a.first, after: a.after }) as never,
      });
    return {
      oldUnwatched: insight(OldUnwatchedConnection, 'oldUnwatched', 'movies and series not played in oldContentMonths and added more than minAgeMonths ago'),
      largeMovies: insight(InsightItemConnection, 'largeMovies', 'movies above largeMovieGb, biggest first'),
      languageIssues: insight(InsightItemConnection, 'languageIssues', 'movies and episodes missing a required audio or subtitle language'),
      unavailableRequests: insight(InsightRequestConnection, 'unavailableRequests', 'Jellyseerr requests still not available, oldest first'),
      recentlyAvailable: insight(InsightRequestConnection, 'recentlyAvailable', 'Jellyseerr requests available within the last recentDays, newest first'),
    };
  },
});

export const JanitorSettingsType = builder.objectRef<Thresholds>('JanitorSettings').implement({
  fields: (t) => ({
    oldContentMonths: t.exposeInt('oldContentMonths', { description: 'old: not played for this many months' }),
    minAgeMonths: t.exposeInt('minAgeMonths', { description: '…and added more than this many months ago' }),
    largeMovieGb: t.exposeFloat('largeMovieGb', { description: 'large: movies above this size (decimal GB, 10⁹ bytes)' }),
    recentReleaseMonths: t.exposeInt('recentReleaseMonths'),
    recentDays: t.exposeInt('recentDays', { description: 'recently available: within this many days' }),
    excludeFutureReleases: t.exposeBoolean('excludeFutureReleases', { description: 'unavailable requests leave out unreleased titles' }),
    excludeRecentReleases: t.exposeBoolean('excludeRecentReleases', { description: '…and titles released within recentReleaseMonths' }),
    audioLanguages: t.exposeStringList('audioLanguages', { description: 'required audio languages (ISO 639-2/B)' }),
    subtitleLanguages: t.exposeStringList('subtitleLanguages', { description: 'required subtitle languages (ISO 639-2/B)' }),
  }),
});

export const JanitorSettingsInput = builder.inputType('JanitorSettingsInput', {
  description: 'what to change; languages in any ISO 639 form (fr, fre, fra, French)',
  fields: (t) => ({
    oldContentMonths: t.int(),
    minAgeMonths: t.int(),
    largeMovieGb: t.float(),
    recentReleaseMonths: t.int(),
    recentDays: t.int(),
    excludeFutureReleases: t.boolean(),
    excludeRecentReleases: t.boolean(),
    audioLanguages: t.stringList(),
    subtitleLanguages: t.stringList(),
  }),
});

const JanitorSettingsSuccess = builder.objectRef<Thresholds>('JanitorSettingsSuccess').implement({
  fields: (t) => ({ settings: t.field({ type: JanitorSettingsType, resolve: (s) => s }) }),
});
export const JanitorSettingsResult = resultUnion('JanitorSettingsResult', JanitorSettingsSuccess, [ValidationError]);

export const AllowlistEntryType = builder.prismaNode('AllowlistEntry', {
  nullable: true,
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ctx.viewer?.user.id ?? NO_MATCH }),
  fields: (t) => ({
    kind: t.expose('kind', { type: AllowlistKindEnum }),
    targetKind: t.exposeString('targetKind', { description: 'MOVIE, SERIES, EPISODE or REQUEST' }),
    title: t.exposeString('title'),
    jellyfinId: t.exposeString('jellyfinId', { nullable: true }),
    tmdbId: t.exposeString('tmdbId', { nullable: true }),
    mediaType: t.exposeString('mediaType', { nullable: true }),
    note: t.exposeString('note', { nullable: true }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true, description: 'after it the entry protects nothing' }),
    active: t.boolean({ select: { expiresAt: true }, description: 'not past its expiresAt', resolve: (e, _args, ctx) => !e.expiresAt || e.expiresAt > ctx.services.insights.clock() }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const AllowlistEntryInput = builder.inputType('AllowlistEntryInput', {
  fields: (t) => ({
    kind: t.field({ type: AllowlistKindEnum, required: true }),
    itemId: t.id({ required: true, description: 'a MediaServerItem (a series covers its episodes) or a MediaRequest' }),
    note: t.string(),
    expiresAt: t.field({ type: 'DateTime', description: 'stops protecting after this instant' }),
  }),
});

const AllowlistEntrySuccess = successPayload('AllowlistEntrySuccess', {
  field: 'allowlistEntry',
  model: 'AllowlistEntry',
  id: (result: { entryId: string }) => result.entryId,
});
export const AllowlistEntryResult = resultUnion('AllowlistEntryResult', AllowlistEntrySuccess, [ValidationError, NotFoundError, ConflictError]);
