import type { RawSql } from '../../db/database.js';
import type { JellyfinItem } from './jellyfin.js';
import type { SeerrRequest } from './jellyseerr.js';

/** Separates the languages of one row in a text column unnest can carry (it flattens arrays of arrays). */
const SEPARATOR = ',';
const joined = (codes: string[]) => codes.join(SEPARATOR);
const split = (column: string) => `CASE WHEN ${column} = '' THEN '{}'::text[] ELSE string_to_array(${column}, '${SEPARATOR}') END`;

/**
 * The cache a sync writes: rows of the next generation, invisible until `swap` makes it the server's own in
 * one statement; a sync that fails leaves its rows behind for `discardStaged`, and the last good cache stands.
 * Every write is set-based. Row ids are derived from the server and the upstream id, so they survive syncs.
 */
export class CacheWriter {
  constructor(private readonly sql: RawSql) {}

  /** Rows of any generation but the current one: what an earlier sync left when it failed or was cut short. */
  async discardStaged(connectionId: string): Promise<void> {
    const keep = `(SELECT generation FROM "MediaServer" WHERE id = $1::uuid)`;
    await this.sql.query(`DELETE FROM "MediaServerItem" WHERE "connectionId" = $1::uuid AND generation <> ${keep}`, [connectionId]);
    await this.sql.query(`DELETE FROM "MediaServerRequest" WHERE "connectionId" = $1::uuid AND generation <> ${keep}`, [connectionId]);
  }

  async writeItems(server: { id: string; userId: string }, generation: number, items: JellyfinItem[]): Promise<void> {
    if (items.length === 0) return;
    await this.sql.query(
      `INSERT INTO "MediaServerItem" ("connectionId", generation, id, "userId", "jellyfinId", kind, title, year, "seriesJellyfinId", "seriesTitle",
         "seasonNumber", "episodeNumber", "tmdbId", "imdbId", "tvdbId", "addedAt", "sizeBytes", versions, "audioLanguages", "subtitleLanguages",
         "unknownAudioTracks", "unknownSubtitleTracks", "sortTitle")
       SELECT $1::uuid, $2::int, md5($1::text || ':' || i.jid)::uuid, $3::uuid, i.jid, i.kind::"MediaServerItemKind", i.title, i.year, i.series, i.series_title,
         i.season, i.episode, i.tmdb, i.imdb, i.tvdb, i.added, i.size, i.versions, ${split('i.audio')}, ${split('i.subs')}, i.unknown_audio, i.unknown_subs,
         lower(coalesce(i.series_title, i.title)) || chr(1) || lpad(coalesce(i.season, 0)::text, 4, '0') || lpad(coalesce(i.episode, 0)::text, 4, '0') || chr(1) || lower(i.title)
       FROM unnest($4::text[], $5::text[], $6::text[], $7::int[], $8::text[], $9::text[], $10::int[], $11::int[], $12::text[], $13::text[], $14::text[],
                   $15::timestamptz[], $16::int8[], $17::int[], $18::text[], $19::text[], $20::int[], $21::int[])
         AS i(jid, kind, title, year, series, series_title, season, episode, tmdb, imdb, tvdb, added, size, versions, audio, subs, unknown_audio, unknown_subs)
       ON CONFLICT DO NOTHING`,
      [
        server.id,
        generation,
        server.userId,
        items.map((i) => i.jellyfinId),
        items.map((i) => i.kind),
        items.map((i) => i.title),
        items.map((i) => i.year),
        items.map((i) => i.seriesJellyfinId),
        items.map((i) => i.seriesTitle),
        items.map((i) => i.seasonNumber),
        items.map((i) => i.episodeNumber),
        items.map((i) => i.tmdbId),
        items.map((i) => i.imdbId),
        items.map((i) => i.tvdbId),
        items.map((i) => i.addedAt?.toISOString() ?? null),
        items.map((i) => String(Math.round(i.sizeBytes))),
        items.map((i) => i.versions),
        items.map((i) => joined(i.audioLanguages)),
        items.map((i) => joined(i.subtitleLanguages)),
        items.map((i) => i.unknownAudioTracks),
        items.map((i) => i.unknownSubtitleTracks),
      ],
    );
  }

  /** Played state over every Jellyfin user: an item is played when anyone played it. */
  async writePlayed(connectionId: string, generation: number, played: { jellyfinId: string; lastPlayedAt: Date | null; playedBy: string[]; playCount: number }[]): Promise<void> {
    if (played.length === 0) return;
    await this.sql.query(
      `UPDATE "MediaServerItem" m SET played = true, "lastPlayedAt" = i.last, "playedBy" = ${split('i.names')}, "playCount" = i.plays
       FROM unnest($3::text[], $4::timestamptz[], $5::text[], $6::int[]) AS i(jid, last, names, plays)
       WHERE m."connectionId" = $1::uuid AND m.generation = $2::int AND m."jellyfinId" = i.jid`,
      [
        connectionId,
        generation,
        played.map((p) => p.jellyfinId),
        played.map((p) => p.lastPlayedAt?.toISOString() ?? null),
        // a comma in a user name would split it: it becomes a space
        played.map((p) => p.playedBy.map((n) => n.replaceAll(SEPARATOR, ' ')).join(SEPARATOR)),
        played.map((p) => p.playCount),
      ],
    );
  }

  /**
   * A series takes its episodes' totals: size on disk, the latest play and who played, the latest addition
   * (a series that got a new episode last week is not old), and how many episodes it has.
   */
  async rollUpSeries(connectionId: string, generation: number): Promise<void> {
    await this.sql.query(
      `UPDATE "MediaServerItem" s SET "sizeBytes" = e.size, "episodeCount" = e.episodes,
         "lastPlayedAt" = CASE WHEN s."lastPlayedAt" IS NULL OR e.last > s."lastPlayedAt" THEN e.last ELSE s."lastPlayedAt" END,
         played = s.played OR e.played, "playCount" = s."playCount" + e.plays,
         "playedBy" = ARRAY(SELECT DISTINCT unnest(s."playedBy" || e.names) ORDER BY 1),
         "addedAt" = CASE WHEN s."addedAt" IS NULL OR e.added > s."addedAt" THEN e.added ELSE s."addedAt" END
       FROM (SELECT "seriesJellyfinId" AS series, sum("sizeBytes")::int8 AS size, count(*)::int AS episodes, max("lastPlayedAt") AS last,
                    bool_or(played) AS played, sum("playCount")::int AS plays, max("addedAt") AS added,
                    coalesce(array_agg(DISTINCT n) FILTER (WHERE n IS NOT NULL), '{}') AS names
             FROM "MediaServerItem" LEFT JOIN LATERAL unnest("playedBy") AS n ON true
             WHERE "connectionId" = $1::uuid AND generation = $2::int AND kind = 'EPISODE' AND "seriesJellyfinId" IS NOT NULL
             GROUP BY "seriesJellyfinId") e
       WHERE s."connectionId" = $1::uuid AND s.generation = $2::int AND s.kind = 'SERIES' AND s."jellyfinId" = e.series`,
      [connectionId, generation],
    );
  }

  async writeRequests(server: { id: string; userId: string }, generation: number, requests: SeerrRequest[]): Promise<void> {
    if (requests.length === 0) return;
    await this.sql.query(
      `INSERT INTO "MediaServerRequest" ("connectionId", generation, id, "userId", "requestId", "tmdbId", "mediaType", "is4k", status, "mediaStatus",
         "requestedBy", "requestedAt", "updatedAt", "availableAt", "jellyfinMediaId", title, "releaseDate")
       SELECT $1::uuid, $2::int, md5($1::text || ':request:' || i.rid)::uuid, $3::uuid, i.rid, i.tmdb, i.type, i.is4k, i.status, i.media_status,
         i.requested_by, i.requested_at, i.updated_at, i.available_at, i.jellyfin, t.title, t."releaseDate"
       FROM unnest($4::int[], $5::text[], $6::text[], $7::bool[], $8::int[], $9::int[], $10::text[], $11::timestamptz[], $12::timestamptz[],
                   $13::timestamptz[], $14::text[])
         AS i(rid, tmdb, type, is4k, status, media_status, requested_by, requested_at, updated_at, available_at, jellyfin)
       LEFT JOIN "RequestTitle" t ON t."userId" = $3::uuid AND t."mediaType" = i.type AND t."tmdbId" = i.tmdb
       ON CONFLICT DO NOTHING`,
      [
        server.id,
        generation,
        server.userId,
        requests.map((r) => r.requestId),
        requests.map((r) => r.tmdbId),
        requests.map((r) => r.mediaType),
        requests.map((r) => r.is4k),
        requests.map((r) => r.status),
        requests.map((r) => r.mediaStatus),
        requests.map((r) => r.requestedBy),
        requests.map((r) => r.requestedAt.toISOString()),
        requests.map((r) => r.updatedAt?.toISOString() ?? null),
        requests.map((r) => r.availableAt?.toISOString() ?? null),
        requests.map((r) => r.jellyfinMediaId),
      ],
    );
  }

  /**
   * Makes `generation` the server's cache in one statement, then drops the generation it replaced and vacuums
   * the table, so the insights read no dead rows and can use their indexes alone. Refused (false) when another
   * sync swapped first.
   */
  async swap(connectionId: string, generation: number, table: 'MediaServerItem' | 'MediaServerRequest'): Promise<boolean> {
    const swapped = await this.sql.query(
      `UPDATE "MediaServer" SET generation = $2::int, "lastSyncAt" = now(), "updatedAt" = now(),
         "itemCount" = (SELECT count(*)::int FROM "MediaServerItem" WHERE "connectionId" = $1::uuid AND generation = $2::int),
         "requestCount" = (SELECT count(*)::int FROM "MediaServerRequest" WHERE "connectionId" = $1::uuid AND generation = $2::int)
       WHERE id = $1::uuid AND generation = $2::int - 1 RETURNING id`,
      [connectionId, generation],
    );
    if (swapped.length === 0) return false;
    await this.discardStaged(connectionId);
    await this.sql.query(`VACUUM (ANALYZE) "${table}"`);
    return true;
  }
}
