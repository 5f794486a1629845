import type { RawSql } from '../../db/database.js';
import type { IptvSection } from '../../generated/prisma/client.js';
import type { CategoryRecord, LiveRecord, SeriesRecord, VodRecord } from './parse.js';

const column = <T, K extends keyof T>(rows: T[], key: K) => rows.map((row) => row[key] ?? null);
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

  async live(rows: LiveRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.sql.query(
      `INSERT INTO "LiveStream" (id, "playlistId", "userId", "streamId", num, name, "searchName", "categoryId", "streamType", icon, "epgChannelId", "tvArchive", "tvArchiveDuration", added)
       SELECT md5($1::text || ':live:' || s.sid)::uuid, $1::uuid, $2::uuid, s.*
       FROM unnest($3::int[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::bool[], $12::int[], $13::timestamptz[])
         AS s(sid, num, name, search, cat, type, icon, epg, archive, archive_days, added)
       ON CONFLICT ("playlistId", "streamId") DO UPDATE SET num = EXCLUDED.num, name = EXCLUDED.name, "searchName" = EXCLUDED."searchName",
         "categoryId" = EXCLUDED."categoryId", "streamType" = EXCLUDED."streamType", icon = EXCLUDED.icon, "epgChannelId" = EXCLUDED."epgChannelId",
         "tvArchive" = EXCLUDED."tvArchive", "tvArchiveDuration" = EXCLUDED."tvArchiveDuration", added = EXCLUDED.added, "goneAt" = NULL, "updatedAt" = now()
       WHERE ("LiveStream".num, "LiveStream".name, "LiveStream"."categoryId", "LiveStream"."streamType", "LiveStream".icon, "LiveStream"."epgChannelId",
              "LiveStream"."tvArchive", "LiveStream"."tvArchiveDuration", "LiveStream".added, "LiveStream"."goneAt")
             IS DISTINCT FROM (EXCLUDED.num, EXCLUDED.name, EXCLUDED."categoryId", EXCLUDED."streamType", EXCLUDED.icon, EXCLUDED."epgChannelId",
              EXCLUDED."tvArchive", EXCLUDED."tvArchiveDuration", EXCLUDED.added, NULL::timestamptz)`,
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
      ],
    );
  }

  async vod(rows: VodRecord[]): Promise<void> {
    if (rows.length === 0) return;
    await this.sql.query(
      `INSERT INTO "VodStream" (id, "playlistId", "userId", "streamId", num, name, "searchName", "categoryId", icon, rating, rating5, "containerExtension", added)
       SELECT md5($1::text || ':vod:' || s.sid)::uuid, $1::uuid, $2::uuid, s.*
       FROM unnest($3::int[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::float8[], $10::float8[], $11::text[], $12::timestamptz[])
         AS s(sid, num, name, search, cat, icon, rating, rating5, ext, added)
       ON CONFLICT ("playlistId", "streamId") DO UPDATE SET num = EXCLUDED.num, name = EXCLUDED.name, "searchName" = EXCLUDED."searchName",
         "categoryId" = EXCLUDED."categoryId", icon = EXCLUDED.icon, rating = EXCLUDED.rating, rating5 = EXCLUDED.rating5,
         "containerExtension" = EXCLUDED."containerExtension", added = EXCLUDED.added, "goneAt" = NULL, "updatedAt" = now()
       WHERE ("VodStream".num, "VodStream".name, "VodStream"."categoryId", "VodStream".icon, "VodStream".rating, "VodStream".rating5,
              "VodStream"."containerExtension", "VodStream".added, "VodStream"."goneAt")
             IS DISTINCT FROM (EXCLUDED.num, EXCLUDED.name, EXCLUDED."categoryId", EXCLUDED.icon, EXCLUDED.rating, EXCLUDED.rating5,
              EXCLUDED."containerExtension", EXCLUDED.added, NULL::timestamptz)`,
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
      ],
    );
  }

  async series(rows: SeriesRecord[]): Promise<void> {
    if (rows.length === 0) return;
    const fields = ['num', 'name', 'searchName', 'categoryId', 'cover', 'plot', 'cast', 'castSearch', 'director', 'genre', 'releaseDate', 'rating', 'rating5', 'episodeRunTime', 'backdrops', 'youtubeTrailer', 'lastModified'];
    const quoted = fields.map((f) => `"${f}"`);
    await this.sql.query(
      `INSERT INTO "IptvSeries" (id, "playlistId", "userId", "seriesId", ${quoted.join(', ')})
       SELECT md5($1::text || ':series:' || s.sid)::uuid, $1::uuid, $2::uuid, s.sid, s.num, s.name, s.search, s.cat, s.cover, s.plot, s.cast_, s.cast_search,
         s.director, s.genre, s.released, s.rating, s.rating5, s.run_time,
         CASE WHEN s.backdrops IS NULL THEN '{}'::text[] ELSE string_to_array(s.backdrops, E'\\n') END, s.trailer, s.modified
       FROM unnest($3::int[], $4::int[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[],
                   $14::text[], $15::float8[], $16::float8[], $17::int[], $18::text[], $19::text[], $20::timestamptz[])
         AS s(sid, num, name, search, cat, cover, plot, cast_, cast_search, director, genre, released, rating, rating5, run_time, backdrops, trailer, modified)
       ON CONFLICT ("playlistId", "seriesId") DO UPDATE SET ${quoted.map((q) => `${q} = EXCLUDED.${q}`).join(', ')}, "goneAt" = NULL, "updatedAt" = now()
       WHERE (${quoted.map((q) => `"IptvSeries".${q}`).join(', ')}, "IptvSeries"."goneAt")
             IS DISTINCT FROM (${quoted.map((q) => `EXCLUDED.${q}`).join(', ')}, NULL::timestamptz)`,
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
      ],
    );
  }

  /**
   * After a section came whole: what it did not list is marked gone (ids compared in a hashed anti-join, not
   * row by row), and the section's count of present rows is answered.
   */
  async markGone(table: 'LiveStream' | 'VodStream' | 'IptvSeries', idColumn: 'streamId' | 'seriesId', seen: number[]): Promise<number> {
    await this.sql.query(
      `UPDATE "${table}" SET "goneAt" = now(), "updatedAt" = now()
       WHERE "playlistId" = $1::uuid AND "goneAt" IS NULL AND "${idColumn}" NOT IN (SELECT unnest($2::int[]))`,
      [this.playlistId, seen],
    );
    const [row] = await this.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${table}" WHERE "playlistId" = $1::uuid AND "goneAt" IS NULL`, [this.playlistId]);
    return row?.n ?? 0;
  }
}
