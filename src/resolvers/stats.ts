import { builder } from '../schema/builder.js';
import { StatsBucketEnum, WatchStatsType } from '../schema/stats.js';
import { requireViewer } from './viewer.js';

builder.queryField('watchStats', (t) =>
  t.field({
    type: WatchStatsType,
    description: 'defaults: the year up to now, bucketed by day, week or month depending on the range',
    args: {
      from: t.arg({ type: 'DateTime' }),
      to: t.arg({ type: 'DateTime' }),
      bucket: t.arg({ type: StatsBucketEnum }),
    },
    resolve: (_root, args, ctx) => ctx.services.stats.watchStats(requireViewer(ctx).user.id, args),
  }),
);
