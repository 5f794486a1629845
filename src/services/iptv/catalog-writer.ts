import { column } from '../../db/columns.js';
import type { RawSql } from '../../db/database.js';
import type { IptvSection } from '../../generated/prisma/client.js';
import type { CategoryRecord, LiveRecord, SeriesRecord, VodRecord } from './parse.js';

export type CatalogTable = 'LiveStream' | 'VodStream' | 'IptvSeries';
/** A row to write, with the fingerprint of its synced fields. */
export type Fingerprinted<Row> = Row & { fingerprint: number };

/** backdrops travel as one text per row (unnest flattens arrays of arrays), split again in SQL */
const LIST_SEPARATOR = '\n';

/**
 * Set-based writes of a playlist's catalog: each batch one `INSERT … SELECT FROM unnest(…) ON CONFLICT`,
 * rows the provider sends unchanged left untouched (a re-sync with nothing new writes nothing), rows that came
 * back un-gone; what a complete section no longer lists is marked gone, never deleted (favourites and tracking
 * keep pointing at it). Row ids derive from the playlist and the provider's id, so they are stable.
 */
export class CatalogWriter {
  constructor(
    private readonly sql: RawSql,
    private readonly playlistId: string,
    private readonly userId: string,
  ) {}

  async categories(section: IptvSection, rows: CategoryRecord[]): Promise<void> {
    await this.sql.query(
      `INSERT INTO "IptvCategory" (id, "playlistId", "userId", section, "categoryId", name, "parentId", position)
       SELECT md5($1::text || ':category:' || $3::text || ':' || c.cid)::uuid, $1::uuid, $2::uuid, $3::text::"IptvSection", c.cid, c.name, c.parent, c.pos::int
       FROM unnest($4::text[], $5::text[], $6::int[]) WITH ORDINALITY AS c(cid, name, parent, pos)
       ON CONFLICT ("playlistId", section, "categoryId") DO UPDATE SET name = EXCLUDED.name, "parentId" = EXCLUDED."parentId", position = EXCLUDED.position, "goneAt" = NULL
       WHERE ("IptvCategory".name, "IptvCategory"."parentId", "IptvCategory".position, "IptvCategory"."goneAt")
             IS DISTINCT FROM (EXCLUDED.name, EXCLUDED."parentId", EXCLUDED.position, NULL::timestamptz)`,
      [this.playlistId, this.userId, section, column(rows, 'categoryId'), column(rows, 'name'), column(rows, 'parentId')],
    );
    await this.sql.query(
      `UPDATE "IptvCategory" SET "goneAt" = now()
       WHERE "playlistId" = $1::uuid AND section = $2::text::"IptvSection" AND "goneAt" IS NULL AND "categoryId" <> ALL($3::text[])`,
      [this.playlistId, section, column(rows, 'categoryId')],
    );
  }

  async live(rows: Fingerprinted<LiveRecord>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.sql.query(
      `INSERT INTO "LiveStream" (id, "playlistId", "userId", "streamId", num, name, "searchName", "categoryId", "streamType", icon, "epgChannelId", "tvArchive", "tvArchiveDuration", added, fingerprint)
       SELECT md5($1::text || ':live:' || s.sid)::uuid, $1::uuid, $2::uuid, s.*
       FROM unnest($3::int[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bool[], $12::int[], $13::timestamptz[], $14::int[])
         AS s(sid, num, name, search, cat, type, icon, epg, archive, archive_days, added, fp)
       ON CONFLICT ("playlistId", "streamId") DO UPDATE SET num = EXCLUDED.num, name = EXCLUDED.name, "searchName" = EXCLUDED."searchName",
         "categoryId" = EXCLUDED."categoryId", "streamType" = EXCLUDED."streamType", icon = EXCLUDED.icon, "epgChannelId" = EXCLUDED."epgChannelId",
         "tvArchive" = EXCLUDED."tvArchive", "tvArchiveDuration" = EXCLUDED."tvArchiveDuration", added = EXCLUDED.added, fingerprint = EXCLUDED.fingerprint, "goneAt" = NULL, "updatedAt" = now()
       WHERE "LiveStream".fingerprint IS DISTINCT FROM EXCLUDED.fingerprint OR "LiveStream"."goneAt" IS NOT NULL`,
      [
        this.playlistId,
        this.userId,
        column(rows, 'streamId'),
        column(rows, 'num'),
        column(rows, 'name'),
        column(rows, 'searchName'),
        column(rows, 'categoryId'),
        column(rows, 'streamType'),
        column(rows, 'icon'),
        column(rows, 'epgChannelId'),
        column(rows, 'tvArchive'),
        column(rows, 'tvArchiveDuration'),
        column(rows, 'added'),
        column(rows, 'fingerprint'),
      ],
    );
  }

  async vod(rows: Fingerprinted<VodRecord>[]): Promise<void> {
    if (rows.length === 0) return;
    await this.sql.query(
      `INSERT INTO "VodStream" (id, "playlistId", "userId", "streamId", num, name, "searchName", "categoryId", icon, rating, rating5, "containerExtension", added, fingerprint)
       SELECT md5($1::text || ':vod:' || s.sid)::uuid, $1::uuid, $2::uuid, s.*
       FROM unnest($3::int[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::float8[], $11::text[], $12::timestamptz[], $13::int[])
         AS s(sid, num, name, search, cat, icon, rating, rating5, ext, added, fp)
       ON CONFLICT ("playlistId", "streamId") DO UPDATE SET num = EXCLUDED.num, name = EXCLUDED.name, "searchName" = EXCLUDED."searchName",
         "categoryId" = EXCLUDED."categoryId", icon = EXCLUDED.icon, rating = EXCLUDED.rating, rating5 = EXCLUDED.rating5,
         "containerExtension" = EXCLUDED."containerExtension", added = EXCLUDED.added, fingerprint = EXCLUDED.fingerprint, "goneAt" = NULL, "updatedAt" = now()
       WHERE "VodStream".fingerprint IS DISTINCT FROM EXCLUDED.fingerprint OR "VodStream"."goneAt" IS NOT NULL`,
      [
        this.playlistId,
        this.userId,
        column(rows, 'streamId'),
        column(rows, 'num'),
        column(rows, 'name'),
        column(rows, 'searchName'),
        column(rows, 'categoryId'),
        column(rows, 'icon'),
        column(rows, 'rating'),
        column(rows, 'rating5'),
        column(rows, 'containerExtension'),
        column(rows, 'added'),
        column(rows, 'fingerprint'),
      ],
    );
  }

  async series(rows: Fingerprinted<SeriesRecord>[]): Promise<void> {
    if (rows.length === 0) return;
    const fields = ['num', 'name', 'searchName', 'categoryId', 'cover', 'plot', 'cast', 'castSearch', 'director', 'genre', 'releaseDate', 'rating', 'rating5', 'episodeRunTime', 'backdrops', 'youtubeTrailer', 'lastModified', 'fingerprint'];
    const quoted = fields.map((f) => `"${f}"`);
    await this.sql.query(
      `INSERT INTO "IptvSeries" (id, "playlistId", "userId", "seriesId", ${quoted.join(', ')})
       SELECT md5($1::text || ':series:' || s.sid)::uuid, $1::uuid, $2::uuid, s.sid, s.num, s.name, s.search, s.cat, s.cover, s.plot, s.cast_, s.cast_search,
         s.director, s.genre, s.released, s.rating, s.rating5, s.run_time,
         CASE WHEN s.backdrops IS NULL THEN '{}'::text[] ELSE string_to_array(s.backdrops, E'\\n') END, s.trailer, s.modified, s.fp
       FROM unnest($3::int[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
                   $14::text[], $15::float8[], $16::float8[], $17::int[], $18::text[], $19::text[], $20::timestamptz[], $21::int[])
         AS s(sid, num, name, search, cat, cover, plot, cast_, cast_search, director, genre, released, rating, rating5, run_time, backdrops, trailer, modified, fp)
       ON CONFLICT ("playlistId", "seriesId") DO UPDATE SET ${quoted.map((q) => `${q} = EXCLUDED.${q}`).join(', ')}, "goneAt" = NULL, "updatedAt" = now()
       WHERE "IptvSeries".fingerprint IS DISTINCT FROM EXCLUDED.fingerprint OR "IptvSeries"."goneAt" IS NOT NULL`,
      [
        this.playlistId,
        this.userId,
        column(rows, 'seriesId'),
        column(rows, 'num'),
        column(rows, 'name'),
        column(rows, 'searchName'),
        column(rows, 'categoryId'),
        column(rows, 'cover'),
        column(rows, 'plot'),
        column(rows, 'cast'),
        column(rows, 'castSearch'),
        column(rows, 'director'),
        column(rows, 'genre'),
        column(rows, 'releaseDate'),
        column(rows, 'rating'),
        column(rows, 'rating5'),
        column(rows, 'episodeRunTime'),
        rows.map((r) => (r.backdrops.length > 0 ? r.backdrops.join(LIST_SEPARATOR) : null)),
        column(rows, 'youtubeTrailer'),
        column(rows, 'lastModified'),
        column(rows, 'fingerprint'),
      ],
    );
  }

  /**
   * Refreshes the planner's statistics of a table a sync has just filled: before autovacuum comes by, it would
   * believe the playlist has a handful of rows and search by scanning instead of through its indexes.
   */
  async analyze(table: CatalogTable): Promise<void> {
    await this.sql.query(`ANALYZE "${table}"`);
  }

  /** The rows of a section as last synced: the provider's id → the fingerprint of its fields, and whether it is gone. */
  async known(table: CatalogTable, idColumn: 'streamId' | 'seriesId'): Promise<Map<number, { fingerprint: number | null; gone: boolean }>> {
    const rows = await this.sql.query<{ id: number; fp: number | null; gone: boolean }>(
      `SELECT "${idColumn}" AS id, fingerprint AS fp, "goneAt" IS NOT NULL AS gone FROM "${table}" WHERE "playlistId" = $1::uuid`,
      [this.playlistId],
    );
    return new Map(rows.map((r) => [r.id, { fingerprint: r.fp, gone: r.gone }]));
  }

  /**
   * After a section came whole: what it did not list is marked gone (ids compared in a hashed anti-join, not
   * row by row), and the section's count of present rows is answered.
   */
  async markGone(table: CatalogTable, idColumn: 'streamId' | 'seriesId', seen: number[]): Promise<number> {
    await this.sql.query(
      `UPDATE "${table}" SET "goneAt" = now(), "updatedAt" = now()
       WHERE "playlistId" = $1::uuid AND "goneAt" IS NULL AND "${idColumn}" NOT IN (SELECT unnest($2::int[]))`,
      [this.playlistId, seen],
    );
    const [row] = await this.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}" WHERE "playlistId" = $1::uuid AND "goneAt" IS NULL`, [this.playlistId]);
    return row?.n ?? 0;
  }
}
