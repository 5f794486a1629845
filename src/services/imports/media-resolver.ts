import { uuid7 } from '../../db/uuid7.js';
import type { RawSql } from '../../db/database.js';
import { normalizeTitle } from '../library/titles.js';
import type { ImportedMedia } from './records.js';

const PROVIDERS = ['tmdb', 'imdb', 'tvdb', 'trakt', 'letterboxd', 'jellyfin'] as const;

/** One key per distinct item within a batch: its strongest external id, else its title, year and numbering. */
export function mediaKey(media: ImportedMedia): string {
  const provider = PROVIDERS.find((p) => media.externalIds[p]);
  if (provider) return `${media.kind}|${provider}:${media.externalIds[provider]}`;
  const series = media.kind === 'EPISODE' ? `|${seriesKey(media)}|${media.seasonNumber ?? ''}x${media.episodeNumber ?? ''}` : '';
  return `${media.kind}|${normalizeTitle(media.title)}|${media.kind === 'EPISODE' ? '' : (media.year ?? '')}${series}`;
}

const seriesOf = (media: ImportedMedia): ImportedMedia => ({
  kind: 'SHOW',
  title: media.seriesTitle ?? media.title,
  year: media.seriesYear ?? null,
  externalIds: media.seriesExternalIds ?? {},
});
const seriesKey = (media: ImportedMedia) => mediaKey(seriesOf(media));

interface Row {
  media: ImportedMedia;
  showId: string | null;
}

/**
 * Finds the library items a batch's records mean, set-based: by any external id first, then by normalized
 * title, year and kind (episodes by their show and numbers), creating the missing ones unless `dryRun`.
 * Results are remembered for the whole batch, so each item is looked up once.
 */
export class MediaResolver {
  private readonly ids = new Map<string, string | null>();
  private created = 0;
  private analyzedAt = 0;

  constructor(
    private readonly userId: string,
    private readonly dryRun: boolean,
  ) {}

  idOf(media: ImportedMedia): string | null {
    return this.ids.get(mediaKey(media)) ?? null;
  }

  async resolve(sql: RawSql, media: ImportedMedia[]): Promise<void> {
    const episodes = media.filter((m) => m.kind === 'EPISODE');
    await this.resolveRows(sql, unique(episodes.map(seriesOf)).map((m) => ({ media: m, showId: null })));
    await this.resolveRows(sql, unique(media.filter((m) => m.kind !== 'EPISODE')).map((m) => ({ media: m, showId: null })));
    await this.resolveRows(
      sql,
      unique(episodes).map((m) => ({ media: m, showId: this.ids.get(seriesKey(m)) ?? null })),
    );
  }

  private async resolveRows(sql: RawSql, all: Row[]): Promise<void> {
    const rows = all.filter((r) => !this.ids.has(mediaKey(r.media)));
    if (rows.length === 0) return;
    const found = await this.match(sql, rows);
    const missing = rows.filter((_, i) => !found[i]);
    rows.forEach((r, i) => found[i] && this.ids.set(mediaKey(r.media), found[i]!));
    if (missing.length === 0) return;
    if (this.dryRun) {
      for (const r of missing) this.ids.set(mediaKey(r.media), null);
      return;
    }
    const created = await this.insert(sql, missing);
    const conflicted = missing.filter((r) => !created.has(mediaKey(r.media)));
    for (const [key, id] of created) this.ids.set(key, id);
    await this.keepStatistics(sql, created.size);
    // lost a race to another writer (or an id clash): whatever is there now is the item
    if (conflicted.length > 0) {
      const again = await this.match(sql, conflicted);
      conflicted.forEach((r, i) => this.ids.set(mediaKey(r.media), again[i] ?? null));
    }
  }

  /**
   * A first import grows "Media" from nothing faster than autovacuum notices; without statistics the planner
   * filters the whole library for every lookup (seconds per chunk). Analyzing as the table doubles keeps
   * the lookups on their indexes, at ~0.2 s per 50,000 rows.
   */
  private async keepStatistics(sql: RawSql, created: number): Promise<void> {
    this.created += created;
    if (this.created < 1000 || this.created < this.analyzedAt * 2) return;
    this.analyzedAt = this.created;
    await sql.query('ANALYZE "Media"');
  }

  private async match(sql: RawSql, rows: Row[]): Promise<(string | null)[]> {
    // one index lookup per provider and row (LATERAL), never a scan: the planner may not know yet how large
    // "Media" has grown during this very import
    const byId = PROVIDERS.map(
      (p) => `LEFT JOIN LATERAL (SELECT m.id FROM "Media" m WHERE i.${p} IS NOT NULL AND m."userId" = $1::uuid
               AND m.kind = i.kind::"MediaKind" AND m."${p}Id" = i.${p} LIMIT 1) AS by_${p} ON true`,
    );
    const result = await sql.query<{ idx: number; id: string | null }>(
      `SELECT i.idx, coalesce(${PROVIDERS.map((p) => `by_${p}.id`).join(', ')}, by_numbers.id, by_title.id) AS id
       FROM unnest($2::int[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[], $8::text[], $9::text[],
                   $10::text[], $11::text[], $12::uuid[], $13::int[], $14::int[])
         AS i(idx, kind, norm, year, tmdb, imdb, tvdb, trakt, letterboxd, jellyfin, show, season, episode)
       ${byId.join('\n       ')}
       LEFT JOIN LATERAL (SELECT m.id FROM "Media" m
           WHERE i.kind = 'EPISODE' AND m."showId" = i.show AND m."userId" = $1::uuid AND m.kind = 'EPISODE'
             AND m."seasonNumber" IS NOT DISTINCT FROM i.season AND m."episodeNumber" = i.episode
           ORDER BY m.id LIMIT 1) AS by_numbers ON true
       LEFT JOIN LATERAL (SELECT m.id FROM "Media" m
           WHERE i.kind <> 'EPISODE' AND m."userId" = $1::uuid AND m.kind = i.kind::"MediaKind" AND m."normalizedTitle" = i.norm
             AND (i.year IS NULL OR m.year IS NULL OR m.year = i.year)
           ORDER BY (m.year IS NOT DISTINCT FROM i.year) DESC, m.id LIMIT 1) AS by_title ON true`,
      [
        this.userId,
        rows.map((_, i) => i),
        rows.map((r) => r.media.kind),
        rows.map((r) => normalizeTitle(r.media.title)),
        rows.map((r) => r.media.year ?? null),
        ...PROVIDERS.map((p) => rows.map((r) => r.media.externalIds[p] ?? null)),
        rows.map((r) => r.showId),
        rows.map((r) => r.media.seasonNumber ?? null),
        rows.map((r) => r.media.episodeNumber ?? null),
      ],
    );
    const ids: (string | null)[] = rows.map(() => null);
    for (const row of result) ids[row.idx] = row.id;
    return ids;
  }

  private async insert(sql: RawSql, rows: Row[]): Promise<Map<string, string>> {
    const keyed = rows.map((r) => ({ ...r, id: uuid7(), key: mediaKey(r.media) }));
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
        this.userId,
        keyed.map((r) => r.id),
        keyed.map((r) => r.media.kind),
        keyed.map((r) => r.media.title),
        keyed.map((r) => normalizeTitle(r.media.title)),
        keyed.map((r) => r.media.year ?? null),
        ...PROVIDERS.map((p) => keyed.map((r) => r.media.externalIds[p] ?? null)),
        keyed.map((r) => r.showId),
        keyed.map((r) => r.media.seasonNumber ?? null),
        keyed.map((r) => r.media.episodeNumber ?? null),
        keyed.map((r) => (r.media.kind === 'EPISODE' ? (r.media.seriesTitle ?? null) : null)),
        keyed.map((r) => (r.media.kind === 'EPISODE' && hasIds(r.media.seriesExternalIds) ? JSON.stringify(compact(r.media.seriesExternalIds!)) : null)),
      ],
    );
    const made = new Set(created.map((c) => c.id));
    return new Map(keyed.filter((r) => made.has(r.id)).map((r) => [r.key, r.id]));
  }
}

function unique(media: ImportedMedia[]): ImportedMedia[] {
  const seen = new Map<string, ImportedMedia>();
  for (const m of media) if (!seen.has(mediaKey(m))) seen.set(mediaKey(m), m);
  return [...seen.values()];
}

const hasIds = (ids: ImportedMedia['externalIds'] | null | undefined) => Object.values(ids ?? {}).some(Boolean);
const compact = (ids: ImportedMedia['externalIds']) => Object.fromEntries(Object.entries(ids).filter(([, v]) => v));
