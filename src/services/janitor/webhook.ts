import type { RawSql } from '../../db/database.js';
import type { MediaServer } from '../../generated/prisma/client.js';
import { CLOCK_SKEW_MS } from '../library/watch-events.js';
import type { MediaDescription } from '../library/matching.js';
import { jellyfinDate, jellyfinGuid } from './jellyfin.js';
import { recordPlays } from './plays.js';
import { cachedItems, describeCached } from './sync.js';

export interface WebhookOutcome {
  recorded: boolean;
  /** why nothing was recorded, in words; null when a play was */
  reason: string | null;
}

/** The plugin's data object is a case-insensitive dictionary: keys are read whatever their case. */
function reader(payload: Record<string, unknown>) {
  const keys = new Map(Object.keys(payload).map((k) => [k.toLowerCase(), k]));
  const get = (name: string): unknown => {
    const key = keys.get(name.toLowerCase());
    return key === undefined ? undefined : payload[key];
  };
  const text = (name: string): string | null => {
    const value = get(name);
    // Escape() backslash-escapes quotes for templates, so "Send All Properties" doubles them
    return typeof value === 'string' && value.trim() ? value.trim().replace(/\\"/g, '"') : typeof value === 'number' ? String(value) : null;
  };
  const int = (name: string): number | null => {
    const value = get(name);
    const n = typeof value === 'string' && value.trim() ? Number(value) : value;
    return typeof n === 'number' && Number.isInteger(n) ? n : null;
  };
  return { get, text, int };
}

/**
 * A PlaybackStop from the Jellyfin Webhook plugin (UPSTREAMS.md §1.6): a movie or episode played to the end
 * by one of the server's history users becomes a watch event, exactly as the sync would record it, matched
 * through the cache when the item is there and through the payload's own ids and names otherwise.
 */
export async function recordWebhookPlay(sql: RawSql, server: MediaServer, payload: unknown, now = new Date()): Promise<WebhookOutcome> {
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) return { recorded: false, reason: 'the body is not a JSON object' };
  const { get, text, int } = reader(payload as Record<string, unknown>);
  const type = text('NotificationType');
  if (type !== 'PlaybackStop') return { recorded: false, reason: `${type ?? 'an unnamed notification'} is not a PlaybackStop` };
  if (get('PlayedToCompletion') !== true && get('PlayedToCompletion') !== 'true') return { recorded: false, reason: 'not played to completion' };
  const itemType = text('ItemType');
  if (itemType !== 'Movie' && itemType !== 'Episode') return { recorded: false, reason: `${itemType ?? 'an item'} is not a movie or an episode` };
  const users = new Set(server.historyUsers.map((u) => u.toLowerCase()));
  const userName = text('NotificationUsername')?.toLowerCase();
  const userId = jellyfinGuid(get('UserId'));
  if (users.size > 0 && !(userName && users.has(userName)) && !(userId && users.has(userId))) return { recorded: false, reason: "not one of this server's history users" };
  const itemId = jellyfinGuid(get('ItemId'));
  const at = jellyfinDate(get('UtcTimestamp')) ?? jellyfinDate(get('Timestamp')) ?? now;
  const watchedAt = at.getTime() > now.getTime() + CLOCK_SKEW_MS ? now : at;
  const cached = itemId ? (await cachedItems(sql, server.id, server.generation, [itemId])).get(itemId) : undefined;
  const media: MediaDescription = cached
    ? describeCached(cached)
    : itemType === 'Movie'
      ? { kind: 'MOVIE', title: text('Name') ?? '', year: int('Year'), externalIds: { tmdb: text('Provider_tmdb'), imdb: text('Provider_imdb'), jellyfin: itemId } }
      : {
          kind: 'EPISODE',
          title: text('Name') ?? '',
          externalIds: { imdb: text('Provider_imdb'), tvdb: text('Provider_tvdb'), jellyfin: itemId },
          seriesTitle: text('SeriesName'),
          // Year is the series' own for an episode
          seriesYear: int('Year'),
          seriesExternalIds: { jellyfin: jellyfinGuid(get('SeriesId')) },
          seasonNumber: int('SeasonNumber'),
          episodeNumber: int('EpisodeNumber'),
        };
  const counts = await recordPlays(sql, server.userId, [{ media, watchedAt }]);
  if (counts.recorded) return { recorded: true, reason: null };
  return { recorded: false, reason: counts.unmatched ? 'the item could not be matched or added to the library' : 'already in the history for that day' };
}
