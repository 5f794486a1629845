import type { Media, PrismaClient } from '../../generated/prisma/client.js';
import { normalizeTitle } from './titles.js';
import { externalIdColumn, type ExternalIds } from './types.js';

const SERIES_PROVIDERS = ['tmdb', 'tvdb', 'imdb', 'trakt'] as const;

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
 * Links episodes that arrived without their show (imports that knew only the series) to that show: an
 * existing SHOW with one of the series' external ids, else with the same normalized title, else one created. Episodes with neither
 * a show nor a series title are reported as unmatched. A dry run reports the same and writes nothing.
 */
export async function backfillShows(prisma: PrismaClient, userId: string, dryRun: boolean): Promise<BackfillReport> {
  const orphans = await prisma.media.findMany({ where: { userId, kind: { in: ['EPISODE', 'SEASON'] }, showId: null } });
  const shows = await prisma.media.findMany({ where: { userId, kind: 'SHOW' } });
  const showsByTitle = new Map(shows.map((s) => [s.normalizedTitle, s]));
  const showsById = new Map<string, Media>();
  for (const show of shows) {
    for (const provider of SERIES_PROVIDERS) {
      const value = show[externalIdColumn(provider)];
      if (value) showsById.set(`${provider}:${value}`, show);
    }
  }
  const planned = new Map<string, { show: Media | undefined; title: string; ids: ExternalIds; episodes: Media[] }>();
  let unmatched = 0;
  for (const episode of orphans) {
    const ids = (episode.seriesIds ?? {}) as ExternalIds;
    const byId = SERIES_PROVIDERS.map((p) => ids[p] && showsById.get(`${p}:${ids[p]}`)).find(Boolean) || undefined;
    const titleKey = episode.seriesTitle ? normalizeTitle(episode.seriesTitle) : '';
    const show = byId ?? (titleKey ? showsByTitle.get(titleKey) : undefined);
    const key = show?.id ?? titleKey;
    if (!key) {
      unmatched++;
      continue;
    }
    const plan = planned.get(key) ?? { show, title: show?.title ?? episode.seriesTitle!.trim(), ids: {}, episodes: [] };
    plan.ids = { ...ids, ...plan.ids };
    plan.episodes.push(episode);
    planned.set(key, plan);
  }
  const changes: BackfillChange[] = [];
  let showsCreated = 0;
  for (const { show: existing, title: showTitle, ids, episodes } of planned.values()) {
    if (!existing) showsCreated++;
    for (const episode of episodes) {
      changes.push({ episodeId: episode.id, episodeTitle: episode.title, showTitle, createsShow: !existing });
    }
    if (dryRun) continue;
    await prisma.$transaction(async (tx) => {
      const show =
        existing ??
        (await tx.media.create({
          data: {
            userId,
            kind: 'SHOW',
            title: showTitle,
            normalizedTitle: normalizeTitle(showTitle),
            ...Object.fromEntries(SERIES_PROVIDERS.filter((p) => ids[p]).map((p) => [externalIdColumn(p), ids[p]])),
          },
        }));
      await tx.media.updateMany({ where: { id: { in: episodes.map((e) => e.id) } }, data: { showId: show.id } });
      // episodes whose season exists under that show hang off it too
      await tx.$executeRaw`
        UPDATE "Media" e SET "seasonId" = s.id
        FROM "Media" s
        WHERE e."showId" = ${show.id}::uuid AND e.kind = 'EPISODE' AND e."seasonId" IS NULL
          AND s."showId" = ${show.id}::uuid AND s.kind = 'SEASON' AND s."seasonNumber" = e."seasonNumber"`;
    });
  }
  return { dryRun, examined: orphans.length, linked: changes.length, showsCreated, unmatched, changes };
}
