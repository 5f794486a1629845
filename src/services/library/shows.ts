import type { PrismaClient } from '../../generated/prisma/client.js';
import { backfillShows, type BackfillReport } from './backfill.js';

export interface ShowProgress {
  showId: string;
  watched: number;
  total: number;
  /** 0..100, one decimal */
  percent: number;
  lastWatchedAt: Date | null;
  nextEpisodeId: string | null;
}

interface EpisodeRow {
  id: string;
  showId: string;
  seasonNumber: number | null;
  episodeNumber: number | null;
  lastWatchedAt: Date | null;
}

/** Specials (season 0) are extras: they neither count towards progress nor come up as next. */
const isSpecial = (e: EpisodeRow) => e.seasonNumber === 0;

const byAiring = (a: EpisodeRow, b: EpisodeRow) =>
  (a.seasonNumber ?? 0) - (b.seasonNumber ?? 0) || (a.episodeNumber ?? 0) - (b.episodeNumber ?? 0);

export class ShowService {
  constructor(private readonly prisma: PrismaClient) {}

  /** Links the person's episodes and seasons that have no show to it (see backfillShows); a dry run writes nothing. */
  backfill(userId: string, dryRun: boolean): Promise<BackfillReport> {
    return backfillShows(this.prisma, userId, dryRun);
  }

  /** Progress of many shows in one statement, for a page of shows (no query per show). */
  /** `showIds` come from rows already scoped to one person, so they need no second owner check here. */
  async progress(showIds: readonly string[]): Promise<ShowProgress[]> {
    const rows = await this.prisma.$queryRaw<EpisodeRow[]>`
      SELECT e.id, e."showId", e."seasonNumber", e."episodeNumber", max(w."watchedAt") AS "lastWatchedAt"
      FROM "Media" e
      LEFT JOIN "WatchEvent" w ON w."userId" = e."userId" AND w."mediaId" = e.id
      WHERE e.kind = 'EPISODE' AND e."showId" = ANY(${[...showIds]}::uuid[])
      GROUP BY e.id`;
    const byShow = new Map<string, EpisodeRow[]>();
    for (const row of rows) byShow.set(row.showId, [...(byShow.get(row.showId) ?? []), row]);
    return showIds.map((showId) => summarize(showId, byShow.get(showId) ?? []));
  }
}

function summarize(showId: string, all: EpisodeRow[]): ShowProgress {
  const episodes = all.filter((e) => !isSpecial(e)).sort(byAiring);
  const watched = episodes.filter((e) => e.lastWatchedAt !== null);
  const furthest = watched.at(-1);
  const unwatched = episodes.filter((e) => e.lastWatchedAt === null);
  const next = (furthest && unwatched.find((e) => byAiring(e, furthest) > 0)) ?? unwatched[0] ?? null;
  const lastWatchedAt = all.reduce<Date | null>(
    (latest, e) => (e.lastWatchedAt && (!latest || e.lastWatchedAt > latest) ? e.lastWatchedAt : latest),
    null,
  );
  const total = episodes.length;
  return {
    showId,
    watched: watched.length,
    total,
    percent: total === 0 ? 0 : Math.round((watched.length / total) * 1000) / 10,
    lastWatchedAt,
    nextEpisodeId: next?.id ?? null,
  };
}
