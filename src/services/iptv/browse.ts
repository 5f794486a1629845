import type { IptvCategory, IptvSection, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import { NotFoundError } from '../errors.js';
import { searchable } from './parse.js';

export interface StreamFilter {
  playlistId: string;
  /** the category row's id (IptvCategory.id) */
  categoryId?: string | null;
  search?: string | null;
  /** series only: a name in the cast */
  actor?: string | null;
}

/** The page and selection GraphQL's connection adds; the service owns where and order. */
type PageQuery = object;

export type FavoriteKind = 'LiveStream' | 'VodStream' | 'IptvSeries';

const ORDER = [{ name: 'asc' as const }, { id: 'asc' as const }];

/**
 * Browsing a person's catalogs: streams and series by category, by name (case and accents ignored: the
 * normalised name contains the normalised words) and, for series, by actor; streams the provider dropped
 * are left out of lists but stay reachable (favourites, tracking). Everything is filtered on the owner, so a
 * playlist of someone else's reads as empty.
 */
export class BrowseService {
  constructor(private readonly prisma: PrismaClient) {}

  async liveStreams(userId: string, filter: StreamFilter, query: PageQuery) {
    return this.prisma.liveStream.findMany({ ...query, where: { userId, playlistId: filter.playlistId, goneAt: null, ...(await this.common(userId, filter)) }, orderBy: ORDER });
  }

  async vodStreams(userId: string, filter: StreamFilter, query: PageQuery) {
    return this.prisma.vodStream.findMany({ ...query, where: { userId, playlistId: filter.playlistId, goneAt: null, ...(await this.common(userId, filter)) }, orderBy: ORDER });
  }

  async series(userId: string, filter: StreamFilter, query: PageQuery) {
    const actor = filter.actor ? searchable(filter.actor) : '';
    const where: Prisma.IptvSeriesWhereInput = { userId, playlistId: filter.playlistId, goneAt: null, ...(await this.common(userId, filter)) };
    if (actor) where.castSearch = { contains: actor };
    return this.prisma.iptvSeries.findMany({ ...query, where, orderBy: ORDER });
  }

  /** A playlist's categories of one section, in the provider's order; gone ones left out. */
  categories(userId: string, playlistId: string, section: IptvSection): Promise<IptvCategory[]> {
    return this.prisma.iptvCategory.findMany({ where: { userId, playlistId, section, goneAt: null }, orderBy: [{ position: 'asc' }, { id: 'asc' }] });
  }

  /** Marks or unmarks a stream or series as a favourite (gone ones too); answers its kind. */
  async setFavorite(userId: string, kind: FavoriteKind, id: string, favorite: boolean): Promise<void> {
    const data = { favoritedAt: favorite ? new Date() : null };
    // favouriting again keeps the first time
    const where = { id, userId, ...(favorite ? { favoritedAt: null } : {}) };
    const delegate = kind === 'LiveStream' ? this.prisma.liveStream : kind === 'VodStream' ? this.prisma.vodStream : this.prisma.iptvSeries;
    const { count } = await (delegate as typeof this.prisma.liveStream).updateMany({ where, data });
    if (count === 0 && !(await (delegate as typeof this.prisma.liveStream).findFirst({ where: { id, userId }, select: { id: true } }))) {
      throw new NotFoundError('No stream or series with this id', ['streamId']);
    }
  }

  /**
   * The person's favourites, newest first, over live, VOD and series (of one playlist or all): keyset pages on
   * (favoritedAt, id), so a page deep in the list costs what the first does.
   */
  async favorites(userId: string, playlistId: string | null, page: { take: number; after: { at: Date; id: string } | null }) {
    const rows = await this.prisma.$queryRawUnsafe<{ kind: FavoriteKind; id: string; at: Date }[]>(
      `SELECT kind, id, at FROM (
         SELECT 'LiveStream' AS kind, id, "favoritedAt" AS at, "playlistId" FROM "LiveStream" WHERE "userId" = $1::uuid AND "favoritedAt" IS NOT NULL
         UNION ALL SELECT 'VodStream', id, "favoritedAt", "playlistId" FROM "VodStream" WHERE "userId" = $1::uuid AND "favoritedAt" IS NOT NULL
         UNION ALL SELECT 'IptvSeries', id, "favoritedAt", "playlistId" FROM "IptvSeries" WHERE "userId" = $1::uuid AND "favoritedAt" IS NOT NULL
       ) f
       WHERE ($2::uuid IS NULL OR f."playlistId" = $2::uuid) AND ($3::timestamptz IS NULL OR (f.at, f.id) < ($3::timestamptz, $4::uuid))
       ORDER BY f.at DESC, f.id DESC LIMIT $5`,
      userId,
      playlistId,
      page.after?.at ?? null,
      page.after?.id ?? null,
      page.take,
    );
    const byKind = (kind: FavoriteKind) => rows.filter((r) => r.kind === kind).map((r) => r.id);
    const [live, vod, series] = await Promise.all([
      this.prisma.liveStream.findMany({ where: { id: { in: byKind('LiveStream') } } }),
      this.prisma.vodStream.findMany({ where: { id: { in: byKind('VodStream') } } }),
      this.prisma.iptvSeries.findMany({ where: { id: { in: byKind('IptvSeries') } } }),
    ]);
    const found = new Map<string, object>([...live, ...vod, ...series].map((row) => [row.id, row]));
    return rows.map((r) => ({ kind: r.kind, at: new Date(r.at), id: r.id, row: found.get(r.id)! })).filter((r) => r.row);
  }

  /** Filters lists share: category (looked up, owner-checked) and search. */
  private async common(userId: string, filter: StreamFilter): Promise<{ categoryId?: string; searchName?: { contains: string } }> {
    const out: { categoryId?: string; searchName?: { contains: string } } = {};
    if (filter.categoryId) {
      const category = await this.prisma.iptvCategory.findFirst({ where: { id: filter.categoryId, userId, playlistId: filter.playlistId }, select: { categoryId: true } });
      // a category of another playlist or person matches nothing
      out.categoryId = category?.categoryId ?? '\u0000none';
    }
    const search = filter.search ? searchable(filter.search) : '';
    if (search) out.searchName = { contains: search };
    return out;
  }
}
