import type { Media, PrismaClient } from '../../generated/prisma/client.js';
import { canCreate, insertMedia, matchMedia, prismaSql, seriesOf, type MediaDescription } from './matching.js';
import { normalizeTitle } from './titles.js';
import type { ExternalIds } from './types.js';

export interface BackfillChange {
  episodeId: string;
  episodeTitle: string;
  showTitle: string;
  /** the show did not exist and is (or would be) created from the series title */
  createsShow: boolean;
}

export interface BackfillReport {
  dryRun: boolean;
  examined: number;
  linked: number;
  showsCreated: number;
  unmatched: number;
  changes: BackfillChange[];
}

/**
 * Links episodes and seasons that arrived without their show (before recordWatch created shows) to it, by
 * the one matching rule applied to their series: an existing SHOW with one of the series' external ids, else
 * with the same normalized title, else one created from the series title. Episodes with neither a show nor a
 * series title are reported as unmatched. A dry run reports the same and writes nothing.
 */
export async function backfillShows(prisma: PrismaClient, userId: string, dryRun: boolean): Promise<BackfillReport> {
  const orphans = await prisma.media.findMany({ where: { userId, kind: { in: ['EPISODE', 'SEASON'] }, showId: null }, orderBy: { id: 'asc' } });
  const series = orphans.map((o) =>
    seriesOf({ kind: o.kind, title: o.title, seriesTitle: o.seriesTitle, seriesExternalIds: o.seriesIds as ExternalIds | null }),
  );
  const asked = series.flatMap((s, i) => (s ? [{ index: i, media: s }] : []));
  const found = await matchMedia(prismaSql(prisma), userId, asked.map((a) => ({ media: a.media, showId: null })));
  const matched = new Map(asked.map((a, i) => [a.index, found[i]]));
  const shows = new Map((await prisma.media.findMany({ where: { id: { in: found.filter((id) => id !== null) } } })).map((s) => [s.id, s]));

  // episodes of one series not in the library yet share the show made for them, known by its normalized title
  const planned = new Map<string, { show: Media | undefined; series: MediaDescription; episodes: Media[] }>();
  let unmatched = 0;
  orphans.forEach((episode, i) => {
    const wanted = series[i];
    const show = shows.get(matched.get(i) ?? '');
    const key = show?.id ?? (wanted && canCreate(wanted) ? normalizeTitle(wanted.title) : '');
    if (!wanted || !key) {
      unmatched++;
      return;
    }
    const plan = planned.get(key) ?? { show, series: wanted, episodes: [] };
    plan.series = { ...plan.series, externalIds: { ...wanted.externalIds, ...plan.series.externalIds } };
    plan.episodes.push(episode);
    planned.set(key, plan);
  });
  const changes: BackfillChange[] = [];
  let showsCreated = 0;
  for (const { show: existing, series: wanted, episodes } of planned.values()) {
    if (!existing) showsCreated++;
    const showTitle = existing?.title ?? wanted.title;
    for (const episode of episodes) {
      changes.push({ episodeId: episode.id, episodeTitle: episode.title, showTitle, createsShow: !existing });
    }
    if (dryRun) continue;
    await prisma.$transaction(async (tx) => {
      const showId = existing?.id ?? (await createShow(tx, userId, wanted));
      await tx.media.updateMany({ where: { id: { in: episodes.map((e) => e.id) } }, data: { showId } });
      // episodes whose season exists under that show hang off it too
      await tx.$executeRaw`
        UPDATE "Media" e SET "seasonId" = s.id
        FROM "Media" s
        WHERE e."showId" = ${showId}::uuid AND e.kind = 'EPISODE' AND e."seasonId" IS NULL
          AND s."showId" = ${showId}::uuid AND s.kind = 'SEASON' AND s."seasonNumber" = e."seasonNumber"`;
    });
  }
  return { dryRun, examined: orphans.length, linked: changes.length, showsCreated, unmatched, changes };
}

/** The show as bulk writers create it; when one appeared meanwhile (or holds one of its ids), that one. */
async function createShow(db: Parameters<typeof prismaSql>[0], userId: string, series: MediaDescription): Promise<string> {
  const sql = prismaSql(db);
  const candidate = [{ media: series, showId: null }];
  const [id] = await insertMedia(sql, userId, candidate);
  const showId = id ?? (await matchMedia(sql, userId, candidate))[0];
  if (!showId) throw new Error('A show neither created nor found');
  return showId;
}
