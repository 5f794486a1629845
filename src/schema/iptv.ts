import type { Playlist } from '../generated/prisma/client.js';
import {
  ConflictError,
  IptvAccountExpiredError,
  IptvAccountInactiveError,
  IptvCredentialsRefusedError,
  NotFoundError,
  UpstreamError,
  UpstreamUnreachableError,
  ValidationError,
} from '../services/errors.js';
import type { SyncProgress } from '../services/iptv/sync.js';
import { maskedStreamUrl, streamUrl, type StreamKind } from '../services/iptv/urls.js';
import { builder } from './builder.js';
import { ErrorInterface, resultUnion } from './errors.js';
import { asUuid, NO_MATCH } from './ids.js';
import { SyncSuccess } from './media-servers.js';
import { successPayload } from './payloads.js';

export const PlaylistSyncStatusEnum = builder.enumType('PlaylistSyncStatus', {
  values: {
    IDLE: { description: 'the catalog is as of lastSyncAt' },
    SYNCING: { description: 'a sync is queued or running; the catalog synced before is shown meanwhile' },
    ERROR: { description: 'the last sync failed, whole or in some sections (lastError, sectionErrors); what synced is shown' },
  } as const,
});
export const IptvSectionEnum = builder.enumType('IptvSection', { values: ['LIVE', 'VOD', 'SERIES'] as const });

builder.objectType(IptvCredentialsRefusedError, {
  name: 'IptvCredentialsRefusedError',
  description: 'the provider refused the username and password (auth 0, or the 404 page newer panels answer)',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof IptvCredentialsRefusedError,
});
builder.objectType(IptvAccountExpiredError, {
  name: 'IptvAccountExpiredError',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof IptvAccountExpiredError,
  fields: (t) => ({ expiresAt: t.expose('expiresAt', { type: 'DateTime' }) }),
});
builder.objectType(IptvAccountInactiveError, {
  name: 'IptvAccountInactiveError',
  description: 'the provider says the account is not Active (Banned, Disabled…)',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof IptvAccountInactiveError,
  fields: (t) => ({ status: t.exposeString('status') }),
});

const SectionErrorsType = builder.objectRef<Record<string, string>>('PlaylistSectionErrors').implement({
  description: "why each section of the last sync failed; null: it synced (or was not reached)",
  fields: (t) => ({
    categories: t.string({ nullable: true, resolve: (e) => e.categories ?? null }),
    live: t.string({ nullable: true, resolve: (e) => e.live ?? null }),
    vod: t.string({ nullable: true, resolve: (e) => e.vod ?? null }),
    series: t.string({ nullable: true, resolve: (e) => e.series ?? null }),
  }),
});

const SyncProgressType = builder.objectRef<Partial<SyncProgress>>('PlaylistSyncProgress').implement({
  description: 'what the current (or last) sync has done',
  fields: (t) => ({
    phase: t.string({ nullable: true, description: 'queued, categories, live, vod, series or done', resolve: (p) => p.phase ?? null }),
    received: t.int({ description: 'entries read in the section now going', resolve: (p) => p.received ?? 0 }),
    written: t.int({ description: 'entries written in the section now going', resolve: (p) => p.written ?? 0 }),
    skipped: t.int({ description: 'entries that could not be read, in the whole sync so far', resolve: (p) => p.skippedTotal ?? 0 }),
    sectionsDone: t.int({ description: 'of 4', resolve: (p) => p.sectionsDone ?? 0 }),
    sectionsFailed: t.stringList({ resolve: (p) => p.sectionsFailed ?? [] }),
  }),
});

// Fields read the row only (no `select`), so a subscription's rows, which come from the runs mechanism, need no query.
export const PlaylistType = builder.prismaNode('Playlist', {
  nullable: true,
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ctx.viewer?.user.id ?? NO_MATCH }),
  fields: (t) => ({
    name: t.exposeString('name'),
    serverUrl: t.exposeString('serverUrl', { description: 'normalised; the username and password are never returned' }),
    accountStatus: t.exposeString('accountStatus', { nullable: true, description: "the provider's word for the account (Active…)" }),
    maxConnections: t.exposeInt('maxConnections', { nullable: true, description: "the account's connections: the host's download budget" }),
    expiresAt: t.expose('expiresAt', { type: 'DateTime', nullable: true, description: 'null: no expiry' }),
    syncStatus: t.expose('syncStatus', { type: PlaylistSyncStatusEnum }),
    lastSyncAt: t.expose('lastSyncAt', { type: 'DateTime', nullable: true }),
    lastError: t.exposeString('lastError', { nullable: true }),
    sectionErrors: t.field({ type: SectionErrorsType, resolve: (p) => (p.sectionErrors ?? {}) as Record<string, string> }),
    progress: t.field({ type: SyncProgressType, resolve: (p) => (p.syncProgress ?? {}) as Partial<SyncProgress> }),
    liveCount: t.exposeInt('liveCount', { description: 'live channels the provider lists' }),
    vodCount: t.exposeInt('vodCount'),
    seriesCount: t.exposeInt('seriesCount'),
    skippedCount: t.exposeInt('skippedCount', { description: 'entries of the last sync that could not be read' }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
    categories: t.relation('categories', {
      description: "one section's categories in the provider's order (those it dropped left out)",
      args: { section: t.arg({ type: IptvSectionEnum, required: true }) },
      query: (args) => ({ where: { section: args.section, goneAt: null }, orderBy: [{ position: 'asc' }, { id: 'asc' }] }),
    }),
  }),
});

export const IptvCategoryType = builder.prismaNode('IptvCategory', {
  nullable: true,
  name: 'IptvCategory',
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ctx.viewer?.user.id ?? NO_MATCH }),
  fields: (t) => ({
    section: t.expose('section', { type: IptvSectionEnum }),
    categoryId: t.exposeString('categoryId', { description: "the provider's id" }),
    name: t.exposeString('name'),
  }),
});

/** A stream's URL with the account masked: `{server}/{kind}/***\/***\/{id}.{ext}`. */
const maskedUrl = (serverUrl: string, kind: StreamKind, id: string | number, ext: string) => maskedStreamUrl(streamUrl({ serverUrl, username: '-', password: '-' }, kind, id, ext));
const playlistServer = { playlist: { select: { serverUrl: true } } } as const;

export const LiveStreamType = builder.prismaNode('LiveStream', {
  nullable: true,
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ctx.viewer?.user.id ?? NO_MATCH }),
  fields: (t) => ({
    streamId: t.exposeInt('streamId', { description: "the provider's stream_id" }),
    num: t.exposeInt('num', { nullable: true }),
    name: t.exposeString('name'),
    categoryId: t.exposeString('categoryId', { nullable: true, description: "the provider's category_id" }),
    icon: t.exposeString('icon', { nullable: true }),
    epgChannelId: t.exposeString('epgChannelId', { nullable: true }),
    tvArchive: t.exposeBoolean('tvArchive'),
    added: t.expose('added', { type: 'DateTime', nullable: true }),
    gone: t.boolean({ description: 'the provider no longer lists it', resolve: (s) => s.goneAt !== null }),
    goneAt: t.expose('goneAt', { type: 'DateTime', nullable: true }),
    favorite: t.boolean({ resolve: (s) => s.favoritedAt !== null }),
    favoritedAt: t.expose('favoritedAt', { type: 'DateTime', nullable: true }),
    url: t.string({ select: playlistServer, description: 'where it plays, the account masked', resolve: (s) => maskedUrl(s.playlist.serverUrl, 'live', s.streamId, 'ts') }),
  }),
});

export const VodStreamType = builder.prismaNode('VodStream', {
  nullable: true,
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ctx.viewer?.user.id ?? NO_MATCH }),
  fields: (t) => ({
    streamId: t.exposeInt('streamId', { description: "the provider's stream_id" }),
    num: t.exposeInt('num', { nullable: true }),
    name: t.exposeString('name'),
    categoryId: t.exposeString('categoryId', { nullable: true }),
    icon: t.exposeString('icon', { nullable: true }),
    rating: t.exposeFloat('rating', { nullable: true }),
    rating5: t.exposeFloat('rating5', { nullable: true, description: 'rating_5based' }),
    containerExtension: t.exposeString('containerExtension', { nullable: true }),
    added: t.expose('added', { type: 'DateTime', nullable: true }),
    gone: t.boolean({ resolve: (s) => s.goneAt !== null }),
    goneAt: t.expose('goneAt', { type: 'DateTime', nullable: true }),
    favorite: t.boolean({ resolve: (s) => s.favoritedAt !== null }),
    favoritedAt: t.expose('favoritedAt', { type: 'DateTime', nullable: true }),
    url: t.string({
      select: { ...playlistServer, containerExtension: true },
      description: 'where it plays or downloads from, the account masked',
      resolve: (s) => maskedUrl(s.playlist.serverUrl, 'movie', s.streamId, s.containerExtension ?? 'mp4'),
    }),
  }),
});

export const SeriesType = builder.prismaNode('IptvSeries', {
  nullable: true,
  name: 'Series',
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ctx.viewer?.user.id ?? NO_MATCH }),
  fields: (t) => ({
    seriesId: t.exposeInt('seriesId', { description: "the provider's series_id" }),
    name: t.exposeString('name'),
    categoryId: t.exposeString('categoryId', { nullable: true }),
    cover: t.exposeString('cover', { nullable: true }),
    plot: t.exposeString('plot', { nullable: true }),
    cast: t.exposeString('cast', { nullable: true }),
    director: t.exposeString('director', { nullable: true }),
    genre: t.exposeString('genre', { nullable: true }),
    releaseDate: t.exposeString('releaseDate', { nullable: true }),
    rating: t.exposeFloat('rating', { nullable: true }),
    episodeRunTime: t.exposeInt('episodeRunTime', { nullable: true, description: 'minutes' }),
    backdrops: t.exposeStringList('backdrops'),
    lastModified: t.expose('lastModified', { type: 'DateTime', nullable: true }),
    gone: t.boolean({ resolve: (s) => s.goneAt !== null }),
    goneAt: t.expose('goneAt', { type: 'DateTime', nullable: true }),
    favorite: t.boolean({ resolve: (s) => s.favoritedAt !== null }),
    favoritedAt: t.expose('favoritedAt', { type: 'DateTime', nullable: true }),
    detailsFetchedAt: t.expose('detailsFetchedAt', { type: 'DateTime', nullable: true, description: 'null until seasons and episodes were read (seriesDetails)' }),
    seasons: t.relation('seasons', { query: { orderBy: { seasonNumber: 'asc' } } }),
    episodes: t.relation('episodes', {
      args: { season: t.arg.int() },
      query: (args) => ({ where: { goneAt: null, ...(args.season != null ? { season: args.season } : {}) }, orderBy: [{ season: 'asc' }, { episodeNum: 'asc' }, { id: 'asc' }] }),
    }),
  }),
});

builder.prismaObject('IptvSeason', {
  name: 'IptvSeason',
  fields: (t) => ({
    seasonNumber: t.exposeInt('seasonNumber'),
    name: t.exposeString('name', { nullable: true }),
    airDate: t.exposeString('airDate', { nullable: true }),
    episodeCount: t.exposeInt('episodeCount', { nullable: true }),
    cover: t.exposeString('cover', { nullable: true }),
    overview: t.exposeString('overview', { nullable: true }),
  }),
});

builder.prismaNode('IptvEpisode', {
  nullable: true,
  name: 'IptvEpisode',
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ctx.viewer?.user.id ?? NO_MATCH }),
  fields: (t) => ({
    episodeId: t.exposeString('episodeId', { description: "the provider's episode id (the one its URL carries)" }),
    season: t.exposeInt('season'),
    episodeNum: t.exposeInt('episodeNum', { nullable: true }),
    title: t.exposeString('title', { nullable: true }),
    containerExtension: t.exposeString('containerExtension', { nullable: true }),
    durationSecs: t.exposeInt('durationSecs', { nullable: true }),
    plot: t.exposeString('plot', { nullable: true }),
    image: t.exposeString('image', { nullable: true }),
    added: t.expose('added', { type: 'DateTime', nullable: true }),
    gone: t.boolean({ resolve: (e) => e.goneAt !== null }),
    url: t.string({
      select: { containerExtension: true, series: { select: { playlist: { select: { serverUrl: true } } } } },
      description: 'where it downloads from, the account masked',
      resolve: (e) => maskedUrl(e.series.playlist.serverUrl, 'series', e.episodeId, e.containerExtension ?? 'mp4'),
    }),
  }),
});

export const FavoriteUnion = builder.unionType('Favorite', {
  types: [LiveStreamType, VodStreamType, SeriesType],
  resolveType: (row) => ('seriesId' in row ? SeriesType : 'epgChannelId' in row ? LiveStreamType : VodStreamType),
});

export const AddPlaylistInput = builder.inputType('AddPlaylistInput', {
  fields: (t) => ({
    name: t.string({ description: "what to call it; the server's host name when omitted" }),
    serverUrl: t.string({ required: true, description: "the panel's address, e.g. http://provider.example:8080" }),
    username: t.string({ required: true }),
    password: t.string({ required: true, description: 'encrypted at rest, never returned or logged' }),
  }),
});

export const AddPlaylistResult = resultUnion(
  'AddPlaylistResult',
  successPayload('AddPlaylistSuccess', { field: 'playlist', model: 'Playlist', id: (r: { playlistId: string }) => r.playlistId }),
  [ValidationError, ConflictError, IptvCredentialsRefusedError, IptvAccountExpiredError, IptvAccountInactiveError, UpstreamUnreachableError, UpstreamError],
);

const SetFavoriteSuccess = builder.objectRef<{ row: object }>('SetFavoriteSuccess').implement({
  fields: (t) => ({ stream: t.field({ type: FavoriteUnion, resolve: (r) => r.row as never }) }),
});
export const SetFavoriteResult = resultUnion('SetFavoriteResult', SetFavoriteSuccess, [NotFoundError]);

builder.objectField(SyncSuccess, 'playlists', (t) =>
  t.prismaField({
    type: ['Playlist'],
    description: 'syncPlaylist: the playlist whose sync was queued (or already going)',
    resolve: (query, result, _args, ctx) =>
      result.playlistIds?.length ? ctx.prisma.playlist.findMany({ ...query, where: { id: { in: result.playlistIds } } }) : Promise.resolve([] as Playlist[]),
  }),
);
