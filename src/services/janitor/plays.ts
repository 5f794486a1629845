import type { RawSql } from '../../db/database.js';
import { uuid7 } from '../../db/uuid7.js';
import type { MediaDescription } from '../library/matching.js';
import { MediaResolver } from '../library/media-resolver.js';

/** A play on a media server: what was played, as the server describes it, and when. */
export interface Play {
  media: MediaDescription;
  watchedAt: Date;
}

export interface PlayCounts {
  recorded: number;
  /** already in the history: the same item on the same day (UTC), from this server or another source */
  duplicates: number;
  /** nothing in the library could be matched or made from the description */
  unmatched: number;
}

const CHUNK = 1000;

/**
 * Plays become watch events (source JELLYFIN) of the person, matched to their library by the one matching
 * rule (items missing are created, as imports do). An item already watched that day, by any source, is not
 * watched again: re-syncs, the webhook and an imported diary never double a viewing. One person's plays are
 * written one writer at a time (a transaction-scoped advisory lock), so the sync and the webhook cannot race.
 * A sync passes one resolver for all its chunks: each item is looked up once, and the library's statistics
 * are refreshed as it grows (see MediaResolver).
 */
export async function recordPlays(sql: RawSql, userId: string, plays: Play[], resolver = new MediaResolver(userId, false)): Promise<PlayCounts> {
  const counts: PlayCounts = { recorded: 0, duplicates: 0, unmatched: 0 };
  for (let at = 0; at < plays.length; at += CHUNK) {
    const chunk = plays.slice(at, at + CHUNK);
    await sql.transaction(async (tx) => {
      await tx.query(`SELECT pg_advisory_xact_lock(hashtext('klug-plays:' || $1::text))`, [userId]);
      await resolver.resolve(tx, chunk.map((p) => p.media));
      const rows = chunk.flatMap((p) => {
        const mediaId = resolver.idOf(p.media);
        return mediaId ? [{ mediaId, at: p.watchedAt }] : [];
      });
      counts.unmatched += chunk.length - rows.length;
      if (rows.length === 0) return;
      const [result] = await tx.query<{ recorded: number }>(
        `WITH input AS (
           SELECT DISTINCT ON (i.media, date_trunc('day', i.at, 'UTC')) i.id, i.media, i.at
           FROM unnest($2::uuid[], $3::uuid[], $4::timestamptz[]) AS i(id, media, at)
           ORDER BY i.media, date_trunc('day', i.at, 'UTC'), i.at
         ), written AS (
           INSERT INTO "WatchEvent" (id, "userId", "mediaId", "watchedAt", source, rewatch)
           SELECT i.id, $1::uuid, i.media, i.at, 'JELLYFIN',
                  EXISTS (SELECT 1 FROM "WatchEvent" e WHERE e."userId" = $1::uuid AND e."mediaId" = i.media AND e."watchedAt" < i.at)
           FROM input i
           WHERE NOT EXISTS (SELECT 1 FROM "WatchEvent" e WHERE e."userId" = $1::uuid AND e."mediaId" = i.media
                               AND e."watchedAt" >= date_trunc('day', i.at, 'UTC') AND e."watchedAt" < date_trunc('day', i.at, 'UTC') + interval '1 day')
           ON CONFLICT ("userId", "mediaId", "watchedAt") DO NOTHING
           RETURNING 1
         )
         SELECT count(*)::int AS recorded FROM written`,
        [userId, rows.map(() => uuid7()), rows.map((r) => r.mediaId), rows.map((r) => r.at.toISOString())],
      );
      counts.recorded += result?.recorded ?? 0;
      counts.duplicates += rows.length - (result?.recorded ?? 0);
    });
  }
  return counts;
}
