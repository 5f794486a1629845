import type { AllowlistEntry, AllowlistKind, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import type { RawSql } from '../../db/database.js';
import { NotFoundError, ValidationError } from '../errors.js';

export interface AllowlistInput {
  kind: AllowlistKind;
  /** a cached Jellyfin item (movie, series, episode) or Jellyseerr request, by its stable id */
  itemId: string;
  note?: string | null;
  expiresAt?: Date | null;
}

/** The active entries of a person, as id lists per kind that SQL can test with `= ANY(…)`. */
export interface ActiveAllowlist {
  jellyfinIds: Record<AllowlistKind, string[]>;
  movieTmdbIds: Record<AllowlistKind, string[]>;
  tvTmdbIds: Record<AllowlistKind, string[]>;
}

const KINDS: AllowlistKind[] = ['CONTENT', 'FRENCH_ONLY', 'FRENCH_SUBS_ONLY', 'LANGUAGE_EXEMPT'];
const LANGUAGE_KINDS = new Set<AllowlistKind>(['FRENCH_ONLY', 'FRENCH_SUBS_ONLY', 'LANGUAGE_EXEMPT']);
const MAX_NOTE = 500;

type Target = { targetKind: string; jellyfinId: string | null; tmdbId: string | null; mediaType: string | null; title: string };

/**
 * Allowlist entries name what they protect by upstream ids that survive syncs: the Jellyfin item (a series
 * covers its episodes) and, when known, the TMDB id (which also covers the Jellyseerr requests for it).
 * An entry past its `expiresAt` stays listed but protects nothing.
 */
export class AllowlistService {
  constructor(private readonly deps: { prisma: PrismaClient; sql: RawSql }) {}

  /** Adds an entry; the same kind for the same item again updates its note and expiry. */
  async add(userId: string, input: AllowlistInput, now = new Date()): Promise<AllowlistEntry> {
    if (input.expiresAt && input.expiresAt.getTime() <= now.getTime()) throw new ValidationError('expiresAt is in the past', ['input', 'expiresAt']);
    const note = input.note?.trim() || null;
    if (note && note.length > MAX_NOTE) throw new ValidationError(`A note is at most ${MAX_NOTE} characters`, ['input', 'note']);
    const target = await this.target(userId, input.itemId);
    if (LANGUAGE_KINDS.has(input.kind) && target.targetKind === 'REQUEST') {
      throw new ValidationError('Language rules apply to Jellyfin movies, series and episodes, not to requests', ['input', 'itemId']);
    }
    const same = await this.deps.prisma.allowlistEntry.findFirst({
      where: { userId, kind: input.kind, ...(target.jellyfinId ? { jellyfinId: target.jellyfinId } : { tmdbId: target.tmdbId, mediaType: target.mediaType }) },
    });
    const data = { ...target, note, expiresAt: input.expiresAt ?? null };
    return same
      ? this.deps.prisma.allowlistEntry.update({ where: { id: same.id }, data })
      : this.deps.prisma.allowlistEntry.create({ data: { userId, kind: input.kind, ...data } });
  }

  /** The person's entries (of one kind), newest first; `query` is the caller's selection and paging. */
  list(userId: string, kind: AllowlistKind | null | undefined, query: Pick<Prisma.AllowlistEntryFindManyArgs, 'select' | 'include' | 'take' | 'skip' | 'cursor'> = {}): Promise<AllowlistEntry[]> {
    return this.deps.prisma.allowlistEntry.findMany({ ...query, where: { userId, ...(kind ? { kind } : {}) }, orderBy: { id: 'desc' } }) as Promise<AllowlistEntry[]>;
  }

  async remove(userId: string, id: string): Promise<string> {
    const { count } = await this.deps.prisma.allowlistEntry.deleteMany({ where: { id, userId } });
    if (count === 0) throw new NotFoundError('No allowlist entry with this id', ['id']);
    return id;
  }

  async active(userId: string, now: Date): Promise<ActiveAllowlist> {
    const entries = await this.deps.prisma.allowlistEntry.findMany({
      where: { userId, OR: [{ expiresAt: null }, { expiresAt: { gt: now } }] },
      select: { kind: true, jellyfinId: true, tmdbId: true, mediaType: true },
    });
    const empty = () => Object.fromEntries(KINDS.map((k) => [k, [] as string[]])) as Record<AllowlistKind, string[]>;
    const active: ActiveAllowlist = { jellyfinIds: empty(), movieTmdbIds: empty(), tvTmdbIds: empty() };
    for (const e of entries) {
      if (e.jellyfinId) active.jellyfinIds[e.kind].push(e.jellyfinId);
      if (e.tmdbId && e.mediaType === 'movie') active.movieTmdbIds[e.kind].push(e.tmdbId);
      if (e.tmdbId && e.mediaType === 'tv') active.tvTmdbIds[e.kind].push(e.tmdbId);
    }
    return active;
  }

  /** What an item id names, from the person's current cache. */
  private async target(userId: string, itemId: string): Promise<Target> {
    const [item] = await this.deps.sql.query<{ kind: string; jellyfinId: string; tmdbId: string | null; title: string; seriesTitle: string | null; seasonNumber: number | null; episodeNumber: number | null }>(
      `SELECT i.kind, i."jellyfinId", i."tmdbId", i.title, i."seriesTitle", i."seasonNumber", i."episodeNumber"
       FROM "MediaServerItem" i JOIN "MediaServer" c ON c.id = i."connectionId" AND c.generation = i.generation
       WHERE i.id = $1::uuid AND i."userId" = $2::uuid AND c."userId" = $2::uuid LIMIT 1`,
      [itemId, userId],
    );
    if (item) {
      const episode = item.kind === 'EPISODE';
      const title = episode ? `${item.seriesTitle ?? '?'} S${String(item.seasonNumber ?? 0).padStart(2, '0')}E${String(item.episodeNumber ?? 0).padStart(2, '0')} ${item.title}` : item.title;
      return { targetKind: item.kind, jellyfinId: item.jellyfinId, tmdbId: episode ? null : item.tmdbId, mediaType: episode || !item.tmdbId ? null : item.kind === 'MOVIE' ? 'movie' : 'tv', title };
    }
    const [request] = await this.deps.sql.query<{ tmdbId: string; mediaType: string; title: string | null; jellyfinMediaId: string | null }>(
      `SELECT r."tmdbId", r."mediaType", r.title, r."jellyfinMediaId"
       FROM "MediaServerRequest" r JOIN "MediaServer" c ON c.id = r."connectionId" AND c.generation = r.generation
       WHERE r.id = $1::uuid AND r."userId" = $2::uuid AND c."userId" = $2::uuid LIMIT 1`,
      [itemId, userId],
    );
    if (!request) throw new NotFoundError('No synced item or request with this id', ['input', 'itemId']);
    return { targetKind: 'REQUEST', jellyfinId: request.jellyfinMediaId, tmdbId: request.tmdbId, mediaType: request.mediaType, title: request.title ?? `TMDB ${request.mediaType} ${request.tmdbId}` };
  }
}
