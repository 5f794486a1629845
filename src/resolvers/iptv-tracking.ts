import { builder } from '../schema/builder.js';
import { DeleteResult } from '../schema/errors.js';
import { decodeId } from '../schema/ids.js';
import { TrackSeriesInput, TrackSeriesResult } from '../schema/iptv-tracking.js';
import { requireViewer } from './viewer.js';

builder.mutationFields((t) => ({
  trackSeries: t.field({
    type: TrackSeriesResult,
    description: "reads the series' episodes now, queues those due, and from then on checks it every hour and queues each new one once",
    args: { seriesId: t.arg.id({ required: true }), input: t.arg({ type: TrackSeriesInput }) },
    resolve: async (_root, args, ctx) => {
      const seriesId = decodeId(String(args.seriesId), 'Series', 'seriesId');
      const { tracking, queued } = await ctx.services.iptv.tracking.track(requireViewer(ctx).user.id, seriesId, args.input ?? {});
      return { seriesId: tracking.seriesId, queuedIds: queued.map((d) => d.id) };
    },
  }),
  untrackSeries: t.field({
    type: DeleteResult,
    description: 'stops checking the series; downloads already queued go on',
    args: { seriesId: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      await ctx.services.iptv.tracking.untrack(requireViewer(ctx).user.id, decodeId(String(args.seriesId), 'Series', 'seriesId'));
      return { deletedId: String(args.seriesId) };
    },
  }),
}));
