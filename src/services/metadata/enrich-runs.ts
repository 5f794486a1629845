import type { RunKind } from '../../jobs/run-kind.js';
import type { Enricher } from './enricher.js';
import { ENRICH_RUN, type EnrichRequest } from './metadata.js';

/** `enrichMedia` as a run: resumable because items already settled leave the selection. */
export function enrichRunKind(enricher: Enricher): RunKind {
  return {
    name: ENRICH_RUN,
    concurrency: 1,
    maxAttempts: 3,
    failureMessage: 'enrichment stopped on an unexpected error; the items it settled keep their metadata',
    run: async (ctx) => {
      const request = (ctx.run.progress.request ?? { ids: null, force: false }) as EnrichRequest;
      const userId = ctx.run.userId!;
      // a forced run over given ids takes them whatever their status; the first attempt only, so a resume goes on
      const statuses = request.ids && request.force && ctx.run.attempts <= 1 ? undefined : request.ids ? (['PENDING', 'FAILED', 'NOT_FOUND', 'AMBIGUOUS'] as const) : (['PENDING', 'FAILED'] as const);
      const summary = await enricher.enrich(
        { userId, ...(request.ids ? { ids: request.ids } : {}), ...(statuses ? { statuses: [...statuses] } : {}) },
        {
          force: request.force,
          signal: ctx.signal,
          onProgress: (done, total) => ctx.progress({ request, done, total }),
        },
      );
      return { request, done: summary.total, ...summary };
    },
  };
}
