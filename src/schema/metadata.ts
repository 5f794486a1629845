import type { TmdbCandidate } from '../services/metadata/tmdb-records.js';
import { NotFoundError, UpstreamError, ValidationError } from '../services/errors.js';
import { builder } from './builder.js';
import { resultUnion } from './errors.js';

export const EnrichmentStatusEnum = builder.enumType('EnrichmentStatus', {
  values: {
    PENDING: { description: 'not looked up yet' },
    ENRICHED: { description: "TMDB's metadata filled in" },
    NOT_FOUND: { description: 'no confident match; candidates may say what came close' },
    AMBIGUOUS: { description: 'several equally good matches; choose one with matchMedia' },
    FAILED: { description: 'TMDB failed; tried again by the nightly enrich-missing job' },
  } as const,
});

export const TmdbCandidateType = builder.objectRef<TmdbCandidate>('TmdbCandidate').implement({
  description: 'A TMDB record that came close, for a person to choose with matchMedia',
  fields: (t) => ({
    tmdbId: t.exposeString('tmdbId'),
    title: t.exposeString('title'),
    originalTitle: t.exposeString('originalTitle', { nullable: true }),
    year: t.exposeInt('year', { nullable: true }),
  }),
});

const EnrichMediaSuccess = builder.objectRef<{ runId: string; queued: number }>('EnrichMediaSuccess').implement({
  fields: (t) => ({
    runId: t.exposeID('runId', { description: 'the enrichment run (raw id)' }),
    queued: t.exposeInt('queued', { description: 'items it will look up' }),
  }),
});

export const EnrichMediaResult = resultUnion('EnrichMediaResult', EnrichMediaSuccess, [ValidationError, NotFoundError, UpstreamError]);
