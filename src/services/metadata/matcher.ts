import { normalizeTitle } from '../library/titles.js';
import type { TmdbCandidate } from './tmdb-records.js';

export type MatchDecision =
  | { kind: 'match'; candidate: TmdbCandidate }
  | { kind: 'ambiguous'; candidates: TmdbCandidate[] }
  | { kind: 'none'; candidates: TmdbCandidate[] };

/** candidates kept on an item for a person to choose from */
export const CANDIDATES_KEPT = 5;

/**
 * Accepts only a confident match: the title or original title equal once normalised, and the year within
 * one (the same year wins over a neighbour). Several equally good is ambiguous; never a guess.
 */
export function decideMatch(target: { title: string; year: number | null }, results: TmdbCandidate[]): MatchDecision {
  const wanted = normalizeTitle(target.title);
  const unique = [...new Map(results.map((c) => [c.tmdbId, c])).values()];
  const titled = unique.filter((c) => normalizeTitle(c.title) === wanted || (c.originalTitle !== null && normalizeTitle(c.originalTitle) === wanted));
  const tiers =
    target.year === null
      ? [titled]
      : [titled.filter((c) => c.year === target.year), titled.filter((c) => c.year !== null && Math.abs(c.year - target.year!) === 1)];
  for (const tier of tiers) {
    if (tier.length === 1) return { kind: 'match', candidate: tier[0]! };
    if (tier.length > 1) return { kind: 'ambiguous', candidates: tier.slice(0, CANDIDATES_KEPT) };
  }
  return { kind: 'none', candidates: unique.slice(0, CANDIDATES_KEPT) };
}
