import { column } from '../../db/columns.js';
import type { RawSql } from '../../db/database.js';
import type { IptvSeries, Playlist, PrismaClient } from '../../generated/prisma/client.js';
import { NotFoundError } from '../errors.js';
import type { PlaylistService } from './playlists.js';
import { parseSeriesInfo, type EpisodeRecord, type SeasonRecord } from './series-info.js';


/**
 * A series' seasons and episodes, read from get_series_info the first time someone opens it and kept: later
 * opens answer from the database. `refresh` reads them again (tracking does, every hour) and answers the
 * episodes seen for the first time. Episodes the provider dropped are marked gone, never deleted.
 */
export class SeriesDetailsService {
  constructor(private readonly deps: { prisma: PrismaClient; sql: RawSql; playlists: PlaylistService }) {}

  /** The series, its details fetched first when they never were. */
  async open(userId: string, seriesId: string): Promise<IptvSeries> {
    const series = await this.deps.prisma.iptvSeries.findFirst({ where: { id: seriesId, userId }, include: { playlist: true } });
    if (!series) throw new NotFoundError('No series with this id', ['id']);
    if (series.detailsFetchedAt) return series;
    await this.refresh(series);
    return this.deps.prisma.iptvSeries.findUniqueOrThrow({ where: { id: series.id } });
  }

  /** Reads get_series_info again and writes seasons and episodes; answers the ids of episodes new to Klug. */
  async refresh(series: IptvSeries & { playlist: Playlist }, signal?: AbortSignal): Promise<{ newEpisodeIds: string[]; skipped: number }> {
    const details = parseSeriesInfo(await this.deps.playlists.clientFor(series.playlist).seriesInfo(series.seriesId, signal));
    const newEpisodeIds = await this.deps.sql.transaction(async (conn) => {
      await writeSeasons(conn, series.id, details.seasons);
      const fresh = await writeEpisodes(conn, series, details.episodes);
      await conn.query(
        `UPDATE "IptvEpisode" SET "goneAt" = now() WHERE "seriesId" = $1::uuid AND "goneAt" IS NULL AND "episodeId" <> ALL($2::text[])`,
        [series.id, column(details.episodes, 'episodeId')],
      );
      await conn.query(`UPDATE "IptvSeries" SET "detailsFetchedAt" = now() WHERE id = $1::uuid`, [series.id]);
      return fresh;
    });
    return { newEpisodeIds, skipped: details.skipped };
  }
}

async function writeSeasons(conn: RawSql, seriesId: string, seasons: SeasonRecord[]): Promise<void> {
  if (seasons.length === 0) return;
  await conn.query(
    `INSERT INTO "IptvSeason" (id, "seriesId", "seasonNumber", name, "airDate", "episodeCount", cover, overview)
     SELECT md5($1::text || ':season:' || s.n)::uuid, $1::uuid, s.*
     FROM unnest($2::int[], $3::text[], $4::text[], $5::int[], $6::text[], $7::text[]) AS s(n, name, air, count, cover, overview)
     ON CONFLICT ("seriesId", "seasonNumber") DO UPDATE SET name = EXCLUDED.name, "airDate" = EXCLUDED."airDate",
       "episodeCount" = EXCLUDED."episodeCount", cover = EXCLUDED.cover, overview = EXCLUDED.overview`,
    [seriesId, column(seasons, 'seasonNumber'), column(seasons, 'name'), column(seasons, 'airDate'), column(seasons, 'episodeCount'), column(seasons, 'cover'), column(seasons, 'overview')],
  );
}

/** Upserts the episodes; answers the row ids of those inserted now (xmax = 0: not an update). */
async function writeEpisodes(conn: RawSql, series: IptvSeries, episodes: EpisodeRecord[]): Promise<string[]> {
  if (episodes.length === 0) return [];
  const rows = await conn.query<{ id: string }>(
    `INSERT INTO "IptvEpisode" (id, "seriesId", "userId", "episodeId", season, "episodeNum", title, "containerExtension", "durationSecs", plot, image, added)
     SELECT md5($1::text || ':episode:' || e.eid)::uuid, $1::uuid, $2::uuid, e.*
     FROM unnest($3::text[], $4::int[], $5::int[], $6::text[], $7::text[], $8::int[], $9::text[], $10::text[], $11::timestamptz[])
       AS e(eid, season, num, title, ext, secs, plot, image, added)
     ON CONFLICT ("seriesId", "episodeId") DO UPDATE SET season = EXCLUDED.season, "episodeNum" = EXCLUDED."episodeNum", title = EXCLUDED.title,
       "containerExtension" = EXCLUDED."containerExtension", "durationSecs" = EXCLUDED."durationSecs", plot = EXCLUDED.plot, image = EXCLUDED.image,
       added = EXCLUDED.added, "goneAt" = NULL
     RETURNING id, (xmax = 0) AS inserted`,
    [
      series.id,
      series.userId,
      column(episodes, 'episodeId'),
      column(episodes, 'season'),
      column(episodes, 'episodeNum'),
      column(episodes, 'title'),
      column(episodes, 'containerExtension'),
      column(episodes, 'durationSecs'),
      column(episodes, 'plot'),
      column(episodes, 'image'),
      column(episodes, 'added'),
    ],
  );
  return (rows as { id: string; inserted: boolean }[]).filter((r) => r.inserted).map((r) => r.id);
}
