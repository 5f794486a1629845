import { queryFromInfo } from '@pothos/plugin-prisma';
import { builder } from '../schema/builder.js';
import { toConnection } from '../schema/connections.js';
import { DeleteResult } from '../schema/errors.js';
import { decodeId, MEDIA_TYPENAMES } from '../schema/ids.js';
import {
  MediaConnection,
  MediaResult,
  RateMediaResult,
  RecordWatchResult,
  ShowConnection,
  WatchEventConnection,
} from '../schema/library.js';
import {
  MediaFilter,
  MediaInput,
  MediaOrderEnum,
  RecordWatchInput,
  toMediaInput,
  UpdateMediaInput,
} from '../schema/library-inputs.js';
import type { MediaInput as ServiceMediaInput } from '../services/library/types.js';
import { watchEventsArgs, watchEventsOf } from './history-fields.js';
import { requireViewer } from './viewer.js';

const decodeMediaId = (id: string | number | null | undefined, field: string) =>
  id == null ? null : decodeId(String(id), MEDIA_TYPENAMES, field);

builder.queryFields((t) => ({
  watchEvents: t.field({
    type: WatchEventConnection,
    args: watchEventsArgs(t.arg),
    resolve: (_root, args, ctx, info) => watchEventsOf(requireViewer(ctx).user.id, args, ctx, info),
  }),
  mediaItems: t.field({
    type: MediaConnection,
    args: {
      ...t.arg.connectionArgs(),
      filter: t.arg({ type: MediaFilter }),
      orderBy: t.arg({ type: MediaOrderEnum, defaultValue: 'TITLE_ASC' }),
    },
    resolve: async (_root, args, ctx, info) => {
      const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'], typeName: 'Media' });
      const filter = { ...args.filter, showId: decodeMediaId(args.filter?.showId, 'filter.showId') };
      const page = await ctx.services.media.list(requireViewer(ctx).user.id, filter, args.orderBy ?? 'TITLE_ASC', args, query);
      return toConnection(page);
    },
  }),
  shows: t.field({
    type: ShowConnection,
    args: { ...t.arg.connectionArgs(), search: t.arg.string() },
    resolve: async (_root, args, ctx, info) => {
      const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'], typeName: 'Show' });
      const filter = { kinds: ['SHOW' as const], search: args.search };
      const page = await ctx.services.media.list(requireViewer(ctx).user.id, filter, 'TITLE_ASC', args, query);
      return toConnection(page);
    },
  }),
}));

builder.mutationFields((t) => ({
  recordWatch: t.field({
    type: RecordWatchResult,
    args: { input: t.arg({ type: RecordWatchInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const event = await ctx.services.watchEvents.record(requireViewer(ctx).user.id, {
        ...input,
        mediaId: decodeMediaId(input.mediaId, 'mediaId'),
        media: input.media ? (toMediaInput(input.media, 'input.media') as ServiceMediaInput) : null,
      });
      return { watchEventId: event.id };
    },
  }),
  deleteWatchEvent: t.field({
    type: DeleteResult,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await ctx.services.watchEvents.delete(requireViewer(ctx).user.id, decodeId(String(args.id), 'WatchEvent'));
      return { deletedId: String(args.id) };
    },
  }),
  rateMedia: t.field({
    type: RateMediaResult,
    description: '0.5 to 5.0 in half steps; null clears the rating',
    args: { mediaId: t.arg.id({ required: true }), rating: t.arg.float() },
    resolve: async (_root, args, ctx) => {
      const id = decodeId(String(args.mediaId), MEDIA_TYPENAMES, 'mediaId');
      const media = await ctx.services.media.rate(requireViewer(ctx).user.id, id, args.rating ?? null);
      return { mediaId: media.id };
    },
  }),
  createMedia: t.field({
    type: MediaResult,
    args: { input: t.arg({ type: MediaInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const media = await ctx.services.media.create(requireViewer(ctx).user.id, toMediaInput(input, 'input') as ServiceMediaInput);
      return { mediaId: media.id };
    },
  }),
  updateMedia: t.field({
    type: MediaResult,
    args: { id: t.arg.id({ required: true }), input: t.arg({ type: UpdateMediaInput, required: true }) },
    resolve: async (_root, args, ctx) => {
      const id = decodeId(String(args.id), MEDIA_TYPENAMES);
      const media = await ctx.services.media.update(requireViewer(ctx).user.id, id, toMediaInput(args.input, 'input'));
      return { mediaId: media.id };
    },
  }),
  deleteMedia: t.field({
    type: DeleteResult,
    description: 'deletes the item with its watch events',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await ctx.services.media.delete(requireViewer(ctx).user.id, decodeId(String(args.id), MEDIA_TYPENAMES));
      return { deletedId: String(args.id) };
    },
  }),
  mergeMedia: t.field({
    type: MediaResult,
    description: "moves the duplicate's watch events, rating and external ids onto the survivor, then deletes it",
    args: { survivorId: t.arg.id({ required: true }), duplicateId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const survivorId = decodeId(String(args.survivorId), MEDIA_TYPENAMES, 'survivorId');
      const duplicateId = decodeId(String(args.duplicateId), MEDIA_TYPENAMES, 'duplicateId');
      const media = await ctx.services.media.merge(requireViewer(ctx).user.id, survivorId, duplicateId);
      return { mediaId: media.id };
    },
  }),
}));
