import type { Services } from '../services/index.js';

const RECENT = 50;

/** `GET /share/<token>`: the read-only summary a share link opens, as JSON, for anyone holding the link. */
export async function sharedSummary(token: string, services: Services) {
  const owner = await services.shareLinks.resolve(token);
  if (!owner) return null;
  const [stats, recent] = await Promise.all([
    services.stats.watchStats(owner.userId, {}),
    services.watchEvents.list(owner.userId, {}, 'WATCHED_AT_DESC', { first: RECENT }, {
      include: { media: { include: { show: { select: { title: true } } } } },
    }),
  ]);
  return {
    displayName: owner.displayName,
    stats,
    recent: recent.rows.map((event) => {
      const { media } = event as typeof event & { media: { title: string; kind: string; year: number | null; show: { title: string } | null } };
      return {
        watchedAt: event.watchedAt,
        title: media.title,
        kind: media.kind,
        year: media.year,
        show: media.show?.title ?? null,
        rating: event.rating,
        rewatch: event.rewatch,
      };
    }),
  };
}
