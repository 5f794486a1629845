import type { Playlist } from '../generated/prisma/client.js';
import { builder } from '../schema/builder.js';
import { DeleteResult } from '../schema/errors.js';
import { decodeId } from '../schema/ids.js';
import { AddPlaylistInput, AddPlaylistResult, FavoriteUnion, PlaylistType, SetFavoriteResult, SeriesType } from '../schema/iptv.js';
import { SyncResult } from '../schema/media-servers.js';
import { NotFoundError, ValidationError } from '../services/errors.js';
import type { FavoriteKind } from '../services/iptv/browse.js';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from '../services/pagination.js';
import { runChanges, sharedState } from './run-changes.js';
import { requireViewer } from './viewer.js';

/** GraphQL names of the rows setFavorite accepts, and the kind the service knows them by. */
const FAVORITE_KINDS: Record<string, FavoriteKind> = { LiveStream: 'LiveStream', VodStream: 'VodStream', Series: 'IptvSeries' };

const filterOf = (args: { playlistId: string | number; categoryId?: string | number | null; search?: string | null; actor?: string | null }) => ({
  playlistId: decodeId(String(args.playlistId), 'Playlist', 'playlistId'),
  categoryId: args.categoryId == null ? null : decodeId(String(args.categoryId), 'IptvCategory', 'categoryId'),
  search: args.search ?? null,
  actor: args.actor ?? null,
});

builder.queryFields((t) => {
  const streamArgs = () => ({
    playlistId: t.arg.id({ required: true }),
    categoryId: t.arg.id({ description: "an IptvCategory's id (Playlist.categories)" }),
    search: t.arg.string({ description: 'words of the name, case and accents ignored' }),
  });
  return {
    playlists: t.prismaField({
      type: ['Playlist'],
      description: 'your IPTV playlists, oldest first',
      resolve: (query, _root, _args, ctx) => ctx.services.iptv.playlists.list(requireViewer(ctx).user.id, query),
    }),
    liveStreams: t.prismaConnection(
      {
        type: 'LiveStream',
        cursor: 'id',
        description: 'live channels of a playlist, by name; those the provider dropped left out',
        args: streamArgs(),
        resolve: (query, _root, args, ctx) => ctx.services.iptv.browse.liveStreams(requireViewer(ctx).user.id, filterOf(args), query),
      },
      { name: 'LiveStreamConnection' },
      { name: 'LiveStreamEdge' },
    ),
    vodStreams: t.prismaConnection(
      {
        type: 'VodStream',
        cursor: 'id',
        description: 'movies of a playlist, by name; those the provider dropped left out',
        args: streamArgs(),
        resolve: (query, _root, args, ctx) => ctx.services.iptv.browse.vodStreams(requireViewer(ctx).user.id, filterOf(args), query),
      },
      { name: 'VodStreamConnection' },
      { name: 'VodStreamEdge' },
    ),
    series: t.prismaConnection(
      {
        type: 'IptvSeries',
        cursor: 'id',
        description: 'series of a playlist, by name; those the provider dropped left out',
        args: { ...streamArgs(), actor: t.arg.string({ description: 'a name (or part of one) in the cast, case and accents ignored' }) },
        resolve: (query, _root, args, ctx) => ctx.services.iptv.browse.series(requireViewer(ctx).user.id, filterOf(args), query),
      },
      { name: 'SeriesConnection' },
      { name: 'SeriesEdge' },
    ),
    seriesDetails: t.field({
      type: SeriesType,
      nullable: true,
      description: "a series with its seasons and episodes: read from the provider the first time it is opened, then kept",
      args: { id: t.arg.id({ required: true }) },
      resolve: async (_root, args, ctx) => {
        const id = decodeId(String(args.id), 'Series');
        try {
          return await ctx.services.iptv.seriesDetails.open(requireViewer(ctx).user.id, id);
        } catch (error) {
          if (error instanceof NotFoundError) return null;
          throw error;
        }
      },
    }),
    favorites: t.connection(
      {
        type: FavoriteUnion,
        description: 'your favourite channels, movies and series, newest first (those the provider dropped too: see gone)',
        args: { playlistId: t.arg.id() },
        resolve: async (_root, args, ctx) => {
          const size = args.first ?? DEFAULT_PAGE_SIZE;
          if (size < 0 || size > MAX_PAGE_SIZE) throw new ValidationError(`\`first\` must be between 0 and ${MAX_PAGE_SIZE}`, ['first']);
          const { paginator, iptv } = ctx.services;
          const after = args.after ? (paginator.open(args.after, 'after') as [string, string]) : null;
          const rows = await iptv.browse.favorites(requireViewer(ctx).user.id, args.playlistId == null ? null : decodeId(String(args.playlistId), 'Playlist', 'playlistId'), {
            take: size + 1,
            after: after ? { at: new Date(after[0]), id: after[1] } : null,
          });
          const page = rows.slice(0, size);
          const edges = page.map((r) => ({ node: r.row as never, cursor: paginator.seal([r.at.toISOString(), r.id]) }));
          return {
            edges,
            pageInfo: { hasNextPage: rows.length > size, hasPreviousPage: Boolean(args.after), startCursor: edges[0]?.cursor ?? null, endCursor: edges.at(-1)?.cursor ?? null },
          };
        },
      },
      { name: 'FavoriteConnection' },
      { name: 'FavoriteEdge' },
    ),
  };
});

builder.mutationFields((t) => ({
  addPlaylist: t.field({
    type: AddPlaylistResult,
    description: "checks the account with the provider (credentials, status, expiry), saves the playlist and queues its first sync",
    args: { input: t.arg({ type: AddPlaylistInput, required: true }) },
    resolve: async (_root, { input }, ctx) => ({ playlistId: (await ctx.services.iptv.playlists.add(requireViewer(ctx).user.id, input)).id }),
  }),
  syncPlaylist: t.field({
    type: SyncResult,
    description: 'syncs the playlist now; follow it with playlistSyncProgress',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const playlist = await ctx.services.iptv.playlists.sync(requireViewer(ctx).user.id, decodeId(String(args.id), 'Playlist'));
      return { serverIds: [], playlistIds: [playlist.id] };
    },
  }),
  deletePlaylist: t.field({
    type: DeleteResult,
    description: 'forgets the playlist, its password and everything synced from it',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => ({ deletedId: await ctx.services.iptv.playlists.delete(requireViewer(ctx).user.id, decodeId(String(args.id), 'Playlist')) }),
  }),
  setFavorite: t.field({
    type: SetFavoriteResult,
    description: 'marks or unmarks a live channel, a movie or a series as a favourite',
    args: { streamId: t.arg.id({ required: true, description: 'a LiveStream, VodStream or Series id' }), favorite: t.arg.boolean({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const userId = requireViewer(ctx).user.id;
      const typename = Object.keys(FAVORITE_KINDS).find((name) => {
        try {
          return Boolean(decodeId(String(args.streamId), name, 'streamId'));
        } catch {
          return false;
        }
      });
      if (!typename) throw new NotFoundError('No stream or series with this id', ['streamId']);
      const id = decodeId(String(args.streamId), typename, 'streamId');
      const kind = FAVORITE_KINDS[typename]!;
      await ctx.services.iptv.browse.setFavorite(userId, kind, id, args.favorite);
      const delegate = kind === 'LiveStream' ? ctx.prisma.liveStream : kind === 'VodStream' ? ctx.prisma.vodStream : ctx.prisma.iptvSeries;
      return { row: await (delegate as typeof ctx.prisma.liveStream).findFirstOrThrow({ where: { id, userId } }) };
    },
  }),
}));

builder.subscriptionField('playlistSyncProgress', (t) =>
  t.field({
    extensions: sharedState('syncStatus'),
    type: PlaylistType,
    description: 'the playlist now, then on every change of its syncs and about once a second while one runs',
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => {
      const userId = requireViewer(ctx).user.id;
      const id = decodeId(String(args.id), 'Playlist');
      return runChanges<Playlist>(ctx, id, () => ctx.services.iptv.playlists.require(userId, id));
    },
    resolve: (playlist) => playlist,
  }),
);
