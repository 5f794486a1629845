import { BackfillReportType } from '../schema/backfill.js';
import { builder } from '../schema/builder.js';
import { requireViewer } from './viewer.js';

builder.mutationField('backfillShows', (t) =>
  t.field({
    type: BackfillReportType,
    description: 'links episodes imported without their show to it (by series ids, then title); dryRun reports only',
    args: { dryRun: t.arg.boolean({ defaultValue: false }) },
    resolve: (_root, args, ctx) => ctx.services.shows.backfill(requireViewer(ctx).user.id, args.dryRun ?? false),
  }),
);
