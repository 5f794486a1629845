import { builder } from '../schema/builder.js';
import { WatchStatsType } from '../schema/stats.js';
import { watchStatsArgs } from './history-fields.js';
import { requireViewer } from './viewer.js';

builder.queryField('watchStats', (t) =>
  t.field({
    type: WatchStatsType,
    description: 'defaults: the year up to now, bucketed by day, week or month depending on the range',
    args: watchStatsArgs(t.arg),
    resolve: (_root, args, ctx) => ctx.services.stats.watchStats(requireViewer(ctx).user.id, args),
  }),
);
