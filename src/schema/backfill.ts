import type { BackfillReport } from '../services/library/backfill.js';
import { builder } from './builder.js';

const BackfillChange = builder.objectRef<BackfillReport['changes'][number]>('BackfillChange').implement({
  fields: (t) => ({
    episodeId: t.exposeID('episodeId', { description: 'raw id of the episode or season' }),
    episodeTitle: t.exposeString('episodeTitle'),
    showTitle: t.exposeString('showTitle'),
    createsShow: t.exposeBoolean('createsShow'),
  }),
});

export const BackfillReportType = builder.objectRef<BackfillReport>('BackfillShowsReport').implement({
  fields: (t) => ({
    dryRun: t.exposeBoolean('dryRun'),
    examined: t.exposeInt('examined', { description: 'episodes and seasons without a show' }),
    linked: t.exposeInt('linked'),
    showsCreated: t.exposeInt('showsCreated'),
    unmatched: t.exposeInt('unmatched', { description: 'no series title or ids to go by' }),
    changes: t.expose('changes', { type: [BackfillChange] }),
  }),
});
