import type { RawSql } from '../../db/database.js';
import type { MediaServer } from '../../generated/prisma/client.js';
import type { RunContext } from '../../jobs/run-context.js';
import type { Logger } from '../../logger.js';
import { UpstreamError } from '../errors.js';
import type { TmdbCatalog } from '../metadata/tmdb-catalog.js';
import { CacheWriter } from './cache.js';
import type { JellyfinClient, JellyfinUser } from './jellyfin.js';
import type { JellyseerrClient, SeerrRequest } from './jellyseerr.js';
import { recordPlays, type Play, type PlayCounts } from './plays.js';
import type { MediaDescription } from '../library/matching.js';
import { MediaResolver } from '../library/media-resolver.js';

export interface SyncDeps {
  sql: RawSql;
  log: Logger;
  /** TMDB's shared catalogue when TMDB is configured: request titles come from it first */
  tmdb: { enabled: boolean; catalog: TmdbCatalog };
  titleConcurrency: number;
}

/** A title looked up this long ago is looked up again; one still unreleased (or without a date) after a day. */
const TITLE_FRESH_MS = 30 * 86_400_000;
const UNRELEASED_FRESH_MS = 86_400_000;
const PLAYED_CHUNK = 5000;

/**
 * Jellyfin into the next generation of the cache: every movie, series and episode page by page, then each
 * user's played items, then the series' totals; swapped in at once; then the plays into the person's history.
 * Any failure before the swap leaves the last good cache as it was.
 */
export async function syncJellyfin(deps: SyncDeps, ctx: RunContext, server: MediaServer, client: JellyfinClient): Promise<Record<string, unknown>> {
  const cache = new CacheWriter(deps.sql);
  const generation = server.generation + 1;
  const counters = { phase: 'items', items: 0, itemsTotal: 0, users: 0, usersTotal: 0, played: 0, plays: 0, playsDuplicate: 0 };
  await cache.discardStaged(server.id);
  await ctx.progress(counters, { force: true });

  const started = performance.now();
  const took: Record<string, number> = {};
  const lap = (phase: string) => (took[phase] = Math.round(performance.now() - started - Object.values(took).reduce((a, b) => a + b, 0)));
  // the next page is asked for while this one is written: Jellyfin and the database work side by side
  let next = ahead(client.items(0, ctx.signal));
  for (let start = 0, total = 1; start < total; ) {
    const page = await next;
    if (page.received === 0 && start < page.total) throw new UpstreamError('UPSTREAM_BAD_RESPONSE', 'Jellyfin', `Jellyfin stopped answering items at ${start} of ${page.total}`);
    start += page.received;
    total = page.total;
    if (start < total) next = ahead(client.items(start, ctx.signal));
    await cache.writeItems(server, generation, page.items);
    counters.items += page.items.length;
    counters.itemsTotal = Math.max(total, counters.items);
    await ctx.progress(counters);
  }
  // a fresh generation is as large as the cache: without statistics, the updates and look-ups below scan it per row
  await deps.sql.query('ANALYZE "MediaServerItem"');
  lap('items');

  const users = await client.users(ctx.signal);
  counters.phase = 'played';
  counters.usersTotal = users.length;
  const byItem = new Map<string, { lastPlayedAt: Date | null; playedBy: string[]; playCount: number }>();
  const plays: { jellyfinId: string; user: string; at: Date }[] = [];
  const historyUsers = new Set(server.historyUsers.map((u) => u.toLowerCase()));
  for (const user of users) {
    await readPlayed(client, ctx, user, (play) => {
      const seen = byItem.get(play.jellyfinId) ?? { lastPlayedAt: null, playedBy: [], playCount: 0 };
      if (play.lastPlayedAt && (!seen.lastPlayedAt || play.lastPlayedAt > seen.lastPlayedAt)) seen.lastPlayedAt = play.lastPlayedAt;
      seen.playedBy.push(user.name);
      seen.playCount += play.playCount;
      byItem.set(play.jellyfinId, seen);
      const mine = historyUsers.size === 0 || historyUsers.has(user.name.toLowerCase()) || historyUsers.has(user.id);
      if (play.lastPlayedAt && mine) plays.push({ jellyfinId: play.jellyfinId, user: user.name, at: play.lastPlayedAt });
    });
    counters.users++;
    await ctx.progress(counters);
  }
  lap('played');
  const played = [...byItem].map(([jellyfinId, p]) => ({ jellyfinId, ...p }));
  for (let at = 0; at < played.length; at += PLAYED_CHUNK) await cache.writePlayed(server.id, generation, played.slice(at, at + PLAYED_CHUNK));
  counters.played = played.length;
  await cache.rollUpSeries(server.id, generation);

  // read before the swap drops the generation it compares with
  const fresh = server.historyGeneration === server.generation ? await unseenPlays(deps.sql, server, plays) : plays;
  ctx.throwIfStopped();
  if (!(await cache.swap(server.id, generation, 'MediaServerItem'))) throw new UpstreamError('UPSTREAM_BAD_RESPONSE', 'Jellyfin', 'another sync of this server finished first');
  lap('swap');
  counters.phase = 'history';
  await ctx.progress(counters, { force: true });
  const written = await playsIntoHistory(deps.sql, server, generation, fresh);
  await deps.sql.query(`UPDATE "MediaServer" SET "historyGeneration" = $2::int WHERE id = $1::uuid`, [server.id, generation]);
  lap('history');
  deps.log.info({ mediaServer: server.id, items: counters.items, plays: written.recorded, ms: took }, 'jellyfin synced');
  return { ...counters, phase: 'done', playsConsidered: fresh.length, plays: written.recorded, playsDuplicate: written.duplicates, playsUnmatched: written.unmatched };
}

async function readPlayed(client: JellyfinClient, ctx: RunContext, user: JellyfinUser, each: (play: { jellyfinId: string; lastPlayedAt: Date | null; playCount: number }) => void): Promise<void> {
  let next = ahead(client.played(user.id, 0, ctx.signal));
  for (let start = 0, total = 1; start < total; ) {
    const page = await next;
    if (page.received === 0 && start < page.total) throw new UpstreamError('UPSTREAM_BAD_RESPONSE', 'Jellyfin', `Jellyfin stopped answering played items at ${start} of ${page.total}`);
    start += page.received;
    total = page.total;
    if (start < total) next = ahead(client.played(user.id, start, ctx.signal));
    page.items.forEach(each);
    ctx.throwIfStopped();
  }
}

/**
 * The plays the generation before this sync had not seen, when all of that generation's plays are in the
 * history already: a user's last play of an item no later than the item's last play then, by a user who had
 * played it then, was that user's last play then too. Clock-free: Jellyfin's dates are compared with Jellyfin's.
 */
async function unseenPlays<Play extends { jellyfinId: string; user: string; at: Date }>(sql: RawSql, server: MediaServer, plays: Play[]): Promise<Play[]> {
  const before = await sql.query<{ jellyfinId: string; lastPlayedAt: Date | null; playedBy: string[] | null }>(
    `SELECT "jellyfinId", "lastPlayedAt", "playedBy" FROM "MediaServerItem" WHERE "connectionId" = $1::uuid AND generation = $2::int AND played AND kind <> 'SERIES'`,
    [server.id, server.generation],
  );
  const seen = new Map(before.map((b) => [b.jellyfinId, b]));
  return plays.filter((play) => {
    const then = seen.get(play.jellyfinId);
    return !(then?.lastPlayedAt && play.at <= then.lastPlayedAt && (then.playedBy ?? []).includes(play.user.replaceAll(',', ' ')));
  });
}

/** A request started ahead of its turn: its failure is seen when it is awaited, never as an unhandled rejection. */
function ahead<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

type CachedItem = {
  jellyfinId: string;
  kind: 'MOVIE' | 'SERIES' | 'EPISODE';
  title: string;
  year: number | null;
  tmdbId: string | null;
  imdbId: string | null;
  tvdbId: string | null;
  seasonNumber: number | null;
  episodeNumber: number | null;
  seriesJellyfinId: string | null;
  seriesTitle: string | null;
  sTitle: string | null;
  sYear: number | null;
  sTmdb: string | null;
  sImdb: string | null;
  sTvdb: string | null;
};

/** Cached items (with their series) of one generation, read for matching. */
export async function cachedItems(sql: RawSql, connectionId: string, generation: number, jellyfinIds: string[]): Promise<Map<string, CachedItem>> {
  const rows = await sql.query<CachedItem>(
    `SELECT i."jellyfinId", i.kind, i.title, i.year, i."tmdbId", i."imdbId", i."tvdbId", i."seasonNumber", i."episodeNumber", i."seriesJellyfinId",
            i."seriesTitle", s.title AS "sTitle", s.year AS "sYear", s."tmdbId" AS "sTmdb", s."imdbId" AS "sImdb", s."tvdbId" AS "sTvdb"
     FROM "MediaServerItem" i
     LEFT JOIN "MediaServerItem" s ON s."connectionId" = i."connectionId" AND s.generation = i.generation AND s."jellyfinId" = i."seriesJellyfinId"
     WHERE i."connectionId" = $1::uuid AND i.generation = $2::int AND i."jellyfinId" = ANY($3::text[])`,
    [connectionId, generation, jellyfinIds],
  );
  return new Map(rows.map((r) => [r.jellyfinId, r]));
}

/** What the matching rule is given for a cached Jellyfin item. */
export function describeCached(item: CachedItem): MediaDescription {
  if (item.kind !== 'EPISODE') {
    return { kind: 'MOVIE', title: item.title, year: item.year, externalIds: { tmdb: item.tmdbId, imdb: item.imdbId, jellyfin: item.jellyfinId } };
  }
  return {
    kind: 'EPISODE',
    title: item.title,
    externalIds: { imdb: item.imdbId, tvdb: item.tvdbId, jellyfin: item.jellyfinId },
    seriesTitle: item.sTitle ?? item.seriesTitle,
    seriesYear: item.sYear,
    seriesExternalIds: { tmdb: item.sTmdb, imdb: item.sImdb, tvdb: item.sTvdb, jellyfin: item.seriesJellyfinId },
    seasonNumber: item.seasonNumber,
    episodeNumber: item.episodeNumber,
  };
}

async function playsIntoHistory(sql: RawSql, server: MediaServer, generation: number, plays: { jellyfinId: string; at: Date }[]): Promise<PlayCounts> {
  const total: PlayCounts = { recorded: 0, duplicates: 0, unmatched: 0 };
  const resolver = new MediaResolver(server.userId, false);
  for (let at = 0; at < plays.length; at += 1000) {
    const chunk = plays.slice(at, at + 1000);
    const items = await cachedItems(sql, server.id, generation, [...new Set(chunk.map((p) => p.jellyfinId))]);
    const described: Play[] = chunk.flatMap((p) => {
      const item = items.get(p.jellyfinId);
      return item && item.kind !== 'SERIES' ? [{ media: describeCached(item), watchedAt: p.at }] : [];
    });
    const counts = await recordPlays(sql, server.userId, described, resolver);
    total.recorded += counts.recorded;
    total.duplicates += counts.duplicates;
    total.unmatched += counts.unmatched + chunk.length - described.length;
  }
  return total;
}

/**
 * Jellyseerr into the next generation: every request page by page (take/skip), each distinct TMDB id's title
 * and release date looked up once and kept per person, then swapped in at once.
 */
export async function syncJellyseerr(deps: SyncDeps, ctx: RunContext, server: MediaServer, client: JellyseerrClient): Promise<Record<string, unknown>> {
  const cache = new CacheWriter(deps.sql);
  const generation = server.generation + 1;
  const counters = { phase: 'requests', requests: 0, requestsTotal: 0, titles: 0, titlesMissing: 0 };
  await cache.discardStaged(server.id);
  await ctx.progress(counters, { force: true });

  const requests = new Map<number, SeerrRequest>();
  for (let skip = 0, total = 1; skip < total; ) {
    const page = await client.requests(skip, ctx.signal);
    if (page.size === 0 && skip < page.total) throw new UpstreamError('UPSTREAM_BAD_RESPONSE', 'Jellyseerr', `Jellyseerr stopped answering requests at ${skip} of ${page.total}`);
    // newest first: a request made meanwhile shifts the pages, so some come twice; one is kept
    for (const request of page.requests) requests.set(request.requestId, request);
    skip += page.size;
    total = page.total;
    counters.requests = requests.size;
    counters.requestsTotal = Math.max(total, requests.size);
    await ctx.progress(counters);
  }

  counters.phase = 'titles';
  await lookUpTitles(deps, ctx, server.userId, client, [...requests.values()], counters);
  const all = [...requests.values()];
  for (let at = 0; at < all.length; at += 2000) await cache.writeRequests(server, generation, all.slice(at, at + 2000));
  await deps.sql.query('ANALYZE "MediaServerRequest"');
  ctx.throwIfStopped();
  if (!(await cache.swap(server.id, generation, 'MediaServerRequest'))) throw new UpstreamError('UPSTREAM_BAD_RESPONSE', 'Jellyseerr', 'another sync of this server finished first');
  return { ...counters, phase: 'done' };
}

async function lookUpTitles(
  deps: SyncDeps,
  ctx: RunContext,
  userId: string,
  client: JellyseerrClient,
  requests: SeerrRequest[],
  counters: { titles: number; titlesMissing: number },
): Promise<void> {
  const wanted = [...new Map(requests.map((r) => [`${r.mediaType}:${r.tmdbId}`, { mediaType: r.mediaType, tmdbId: r.tmdbId }])).values()];
  const now = Date.now();
  const known = await deps.sql.query<{ mediaType: string; tmdbId: string }>(
    `SELECT t."mediaType", t."tmdbId" FROM "RequestTitle" t JOIN unnest($2::text[], $3::text[]) AS k(type, id) ON t."mediaType" = k.type AND t."tmdbId" = k.id
     WHERE t."userId" = $1::uuid AND t."fetchedAt" > $4::timestamptz
       AND (t."fetchedAt" > $5::timestamptz OR (t."releaseDate" IS NOT NULL AND t."releaseDate" <= $6::date))`,
    [userId, wanted.map((w) => w.mediaType), wanted.map((w) => w.tmdbId), new Date(now - TITLE_FRESH_MS), new Date(now - UNRELEASED_FRESH_MS), new Date(now).toISOString().slice(0, 10)],
  );
  const fresh = new Set(known.map((k) => `${k.mediaType}:${k.tmdbId}`));
  const missing = wanted.filter((w) => !fresh.has(`${w.mediaType}:${w.tmdbId}`));
  counters.titles = wanted.length - missing.length;
  const found: { mediaType: string; tmdbId: string; title: string | null; releaseDate: string | null }[] = [];
  let next = 0;
  const worker = async () => {
    while (next < missing.length) {
      const w = missing[next++]!;
      const title = await lookUpTitle(deps, client, w.mediaType, w.tmdbId, ctx.signal).catch((error: unknown) => {
        if (ctx.signal.aborted) throw error;
        return undefined; // the server is struggling: no title this time, asked again at the next sync
      });
      if (title === undefined) counters.titlesMissing++;
      else {
        found.push({ ...w, title: title?.title ?? null, releaseDate: title?.releaseDate ?? null });
        counters.titles++;
      }
      await ctx.progress(counters);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, deps.titleConcurrency) }, worker));
  if (found.length === 0) return;
  await deps.sql.query(
    `INSERT INTO "RequestTitle" ("userId", "mediaType", "tmdbId", title, "releaseDate", "fetchedAt")
     SELECT $1::uuid, i.type, i.id, i.title, i.released, now() FROM unnest($2::text[], $3::text[], $4::text[], $5::date[]) AS i(type, id, title, released)
     ON CONFLICT ("userId", "mediaType", "tmdbId") DO UPDATE SET title = coalesce(EXCLUDED.title, "RequestTitle".title),
       "releaseDate" = coalesce(EXCLUDED."releaseDate", "RequestTitle"."releaseDate"), "fetchedAt" = now()`,
    [userId, found.map((f) => f.mediaType), found.map((f) => f.tmdbId), found.map((f) => f.title), found.map((f) => f.releaseDate)],
  );
}

/** TMDB's shared cache when configured (one request per id for the whole server), else Jellyseerr's own proxy. */
async function lookUpTitle(deps: SyncDeps, client: JellyseerrClient, mediaType: 'movie' | 'tv', tmdbId: string, signal: AbortSignal) {
  if (deps.tmdb.enabled) {
    const cached = await deps.tmdb.catalog.title(mediaType, tmdbId, { signal }).catch((error: unknown) => {
      if (signal.aborted) throw error;
      deps.log.warn({ err: error, tmdbId }, 'TMDB title look-up failed; asking Jellyseerr');
      return undefined;
    });
    if (cached) return { title: cached.record.title, releaseDate: cached.record.releaseDate };
    if (cached === null) return null;
  }
  return client.title(mediaType, tmdbId, signal);
}
