import { builder } from '../schema/builder.js';
import { backfillShows, type BackfillReport } from '../services/library/backfill.js';
import { requireViewer } from './viewer.js';

const BackfillChange = builder.objectRef<BackfillReport['changes'][number]>('BackfillChange').implement({
  fields: (t) => ({
    episodeId: t.exposeID('episodeId', { description: 'raw id of the episode or season' }),
    episodeTitle: t.exposeString('episodeTitle'),
    showTitle: t.exposeString('showTitle'),
    createsShow: t.exposeBoolean('createsShow'),
  }),
});

const BackfillReportType = builder.objectRef<BackfillReport>('BackfillShowsReport').implement({
  fields: (t) => ({
    dryRun: t.exposeBoolean('dryRun'),
    examined: t.exposeInt('examined', { description: 'episodes and seasons without a show' }),
    linked: t.exposeInt('linked'),
    showsCreated: t.exposeInt('showsCreated'),
    unmatched: t.exposeInt('unmatched', { description: 'no series title or ids to go by' }),
    changes: t.expose('changes', { type: [BackfillChange] }),
  }),
});

builder.mutationField('backfillShows', (t) =>
  t.field({
    type: BackfillReportType,
    description: 'links episodes imported without their show to it (by series ids, then title); dryRun reports only',
    args: { dryRun: t.arg.boolean({ defaultValue: false }) },
    resolve: (_root, args, ctx) => backfillShows(ctx.prisma, requireViewer(ctx).user.id, args.dryRun ?? false),
  }),
);
