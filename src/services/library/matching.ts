import type { RawSql } from '../../db/database.js';
import type { MediaKind, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { uuid7 } from '../../db/uuid7.js';
import { normalizeTitle } from './titles.js';
import type { ExternalIds } from './types.js';

/**
 * The one rule that says which library item a description means, for recordWatch, imports and every sync:
 * an item of the same kind with any of its external ids (in this order), else, for a season or an episode
 * of a known show, the show's part with the same numbers, else one with the same normalised title and kind
 * and a compatible year (the same year first). Set-based, so a batch of thousands costs one statement.
 */
export const MATCH_PROVIDERS = ['tmdb', 'imdb', 'tvdb', 'trakt', 'letterboxd', 'jellyfin'] as const;

/** What a caller knows of an item: recordWatch's inline media, an import's record, a sync's entry. */
export interface MediaDescription {
  kind: MediaKind;
  title: string;
  year?: number | null;
  externalIds?: ExternalIds | null;
  /** seasons and episodes: the show they belong to, as the source names it */
  seriesTitle?: string | null;
  seriesYear?: number | null;
  seriesExternalIds?: ExternalIds | null;
  seasonNumber?: number | null;
  episodeNumber?: number | null;
}

/** A description to match, with the show it belongs to when that is already known. */
export interface Candidate {
  media: MediaDescription;
  showId: string | null;
}

type Sql = Pick<RawSql, 'query'>;

/** Raw SQL through Prisma, inside the caller's transaction when given one, for the set-based rule below. */
export const prismaSql = (db: PrismaClient | Prisma.TransactionClient): Sql => ({
  query: <Row>(text: string, params: unknown[] = []) => db.$queryRawUnsafe<Row[]>(text, ...params),
});

export const isShowPart = (kind: MediaKind) => kind === 'EPISODE' || kind === 'SEASON';

const idOf = (ids: ExternalIds | null | undefined, provider: (typeof MATCH_PROVIDERS)[number]) => ids?.[provider]?.trim() || null;
const hasIds = (ids: ExternalIds | null | undefined) => MATCH_PROVIDERS.some((p) => idOf(ids, p));

/** The SHOW a season or an episode belongs to, as its description tells it; null when it tells nothing. */
export function seriesOf(media: MediaDescription): MediaDescription | null {
  if (!isShowPart(media.kind)) return null;
  const title = media.seriesTitle?.trim() ?? '';
  if (!title && !hasIds(media.seriesExternalIds)) return null;
  return { kind: 'SHOW', title, year: media.seriesYear ?? null, externalIds: media.seriesExternalIds ?? {} };
}

/** A show can be created only from a title: a series known by its ids alone is looked up, never made up. */
export const canCreate = (media: MediaDescription) => normalizeTitle(media.title) !== '';

/** One key per distinct item within a batch: its strongest external id, else its title, year and numbering. */
export function matchKey(media: MediaDescription): string {
  const provider = MATCH_PROVIDERS.find((p) => idOf(media.externalIds, p));
  if (provider) return `${media.kind}|${provider}:${idOf(media.externalIds, provider)}`;
  const series = seriesOf(media);
  const numbering = isShowPart(media.kind)
    ? `|${series ? matchKey(series) : ''}|${media.seasonNumber ?? ''}x${media.episodeNumber ?? ''}`
    : '';
  return `${media.kind}|${normalizeTitle(media.title)}|${media.kind === 'EPISODE' ? '' : (media.year ?? '')}${numbering}`;
}

/** The library item each candidate means, by the rule above, or null; in the candidates' order. */
export async function matchMedia(sql: Sql, userId: string, rows: Candidate[]): Promise<(string | null)[]> {
  if (rows.length === 0) return [];
  // one index lookup per provider and row (LATERAL), never a scan: the planner may not know yet how large
  // "Media" has grown during this very import; conditions on the row alone become one-time filters
  const byId = MATCH_PROVIDERS.map(
    (p) => `LEFT JOIN LATERAL (SELECT m.id FROM "Media" m WHERE i.${p} IS NOT NULL AND m."userId" = $1::uuid
             AND m.kind = i.kind::"MediaKind" AND m."${p}Id" = i.${p} LIMIT 1) AS by_${p} ON true`,
  );
  const numbered = `i.show IS NOT NULL AND (i.kind = 'SEASON' OR (i.kind = 'EPISODE' AND i.episode IS NOT NULL))`;
  const result = await sql.query<{ idx: number; id: string | null }>(
    `SELECT i.idx, coalesce(${MATCH_PROVIDERS.map((p) => `by_${p}.id`).join(', ')}, by_numbers.id, by_title.id) AS id
     FROM unnest($2::int[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[],
                 $10::text[], $11::text[], $12::uuid[], $13::int[], $14::int[], $15::text[])
       AS i(idx, kind, norm, year, tmdb, imdb, tvdb, trakt, letterboxd, jellyfin, show, season, episode, series)
     ${byId.join('\n     ')}
     LEFT JOIN LATERAL (SELECT m.id FROM "Media" m
         WHERE ${numbered} AND m."showId" = i.show AND m."userId" = $1::uuid AND m.kind = i.kind::"MediaKind"
           AND m."seasonNumber" IS NOT DISTINCT FROM i.season AND (i.kind = 'SEASON' OR m."episodeNumber" = i.episode)
         ORDER BY m.id LIMIT 1) AS by_numbers ON true
     LEFT JOIN LATERAL (SELECT m.id FROM "Media" m
         WHERE NOT (${numbered}) AND m."userId" = $1::uuid AND m.kind = i.kind::"MediaKind" AND m."normalizedTitle" = i.norm
           AND (i.year IS NULL OR m.year IS NULL OR m.year = i.year)
           -- "Pilot" S1E1 of one series is not "Pilot" S1E1 of another: the show, or without one the series title, agrees
           AND (i.kind NOT IN ('EPISODE', 'SEASON') OR (m."showId" IS NOT DISTINCT FROM i.show
             AND m."seasonNumber" IS NOT DISTINCT FROM i.season AND m."episodeNumber" IS NOT DISTINCT FROM i.episode
             AND (i.show IS NOT NULL OR lower(m."seriesTitle") IS NOT DISTINCT FROM lower(i.series))))
         ORDER BY (m.year IS NOT DISTINCT FROM i.year) DESC, m.id LIMIT 1) AS by_title ON true`,
    [
      userId,
      rows.map((_, i) => i),
      rows.map((r) => r.media.kind),
      // a series known by its ids alone has no title to go by
      rows.map((r) => normalizeTitle(r.media.title) || null),
      rows.map((r) => r.media.year ?? null),
      ...MATCH_PROVIDERS.map((p) => rows.map((r) => idOf(r.media.externalIds, p))),
      rows.map((r) => r.showId),
      rows.map((r) => r.media.seasonNumber ?? null),
      rows.map((r) => r.media.episodeNumber ?? null),
      rows.map((r) => r.media.seriesTitle?.trim() || null),
    ],
  );
  const ids: (string | null)[] = rows.map(() => null);
  for (const row of result) ids[row.idx] = row.id;
  return ids;
}

/**
 * Creates the candidates as bare items (titles, years, ids and numbering), set-based, for bulk writers that
 * matched them first; a row that clashes with an item written meanwhile is skipped and answers null.
 */
export async function insertMedia(sql: Sql, userId: string, rows: Candidate[]): Promise<(string | null)[]> {
  if (rows.length === 0) return [];
  const ids = rows.map(() => uuid7());
  const partOf = (r: Candidate) => isShowPart(r.media.kind);
  const created = await sql.query<{ id: string }>(
    `INSERT INTO "Media" (id, "userId", kind, title, "normalizedTitle", year, "tmdbId", "imdbId", "tvdbId", "traktId",
                          "letterboxdId", "jellyfinId", "showId", "seasonNumber", "episodeNumber", "seriesTitle", "seriesIds", "updatedAt")
     SELECT i.id, $1::uuid, i.kind::"MediaKind", i.title, i.norm, i.year, i.tmdb, i.imdb, i.tvdb, i.trakt, i.letterboxd,
            i.jellyfin, i.show, i.season, i.episode, i.series, i.series_ids::jsonb, now()
     FROM unnest($2::uuid[], $3::text[], $4::text[], $5::text[], $6::int[], $7::text[], $8::text[], $9::text[], $10::text[],
                 $11::text[], $12::text[], $13::uuid[], $14::int[], $15::int[], $16::text[], $17::text[])
       AS i(id, kind, title, norm, year, tmdb, imdb, tvdb, trakt, letterboxd, jellyfin, show, season, episode, series, series_ids)
     ON CONFLICT DO NOTHING
     RETURNING id`,
    [
      userId,
      ids,
      rows.map((r) => r.media.kind),
      rows.map((r) => r.media.title.trim()),
      rows.map((r) => normalizeTitle(r.media.title)),
      rows.map((r) => r.media.year ?? null),
      ...MATCH_PROVIDERS.map((p) => rows.map((r) => idOf(r.media.externalIds, p))),
      rows.map((r) => r.showId),
      rows.map((r) => r.media.seasonNumber ?? null),
      rows.map((r) => r.media.episodeNumber ?? null),
      rows.map((r) => (partOf(r) ? r.media.seriesTitle?.trim() || null : null)),
      rows.map((r) => (partOf(r) && hasIds(r.media.seriesExternalIds) ? JSON.stringify(compactIds(r.media.seriesExternalIds)) : null)),
    ],
  );
  const made = new Set(created.map((c) => c.id));
  return ids.map((id) => (made.has(id) ? id : null));
}

/** The ids a description carries, trimmed, without the empty ones; null when none is left. */
export function compactIds(ids: ExternalIds | null | undefined): Record<string, string> | null {
  const entries = Object.entries(ids ?? {}).flatMap(([k, v]) => (v?.trim() ? [[k, v.trim()] as const] : []));
  return entries.length ? Object.fromEntries(entries) : null;
}
