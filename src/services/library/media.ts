import { Prisma, type Media, type MediaKind, type PrismaClient } from '../../generated/prisma/client.js';
import { conflictOnUnique, NotFoundError, ValidationError } from '../errors.js';
import { withSortKey, type Ordering, type PageArgs, type Paginator } from '../pagination.js';
import { MAX_EXTERNAL_ID_LENGTH, MAX_TITLE_LENGTH } from './limits.js';
import { checkRating } from './ratings.js';
import { canCreate, compactIds, isShowPart, matchMedia, prismaSql, seriesOf } from './matching.js';
import { normalizeTitle } from './titles.js';
import { EXTERNAL_PROVIDERS, externalIdColumn, type ExternalIds, type MediaFilter, type MediaInput } from './types.js';

type Db = PrismaClient | Prisma.TransactionClient;
type MediaQuery = { select?: Prisma.MediaSelect; include?: Prisma.MediaInclude };

export type MediaOrder = 'TITLE_ASC' | 'TITLE_DESC' | 'YEAR_DESC' | 'YEAR_ASC' | 'ADDED_DESC' | 'ADDED_ASC' | 'RATING_DESC' | 'RATING_ASC';

const ordering = (
  name: MediaOrder,
  field: 'title' | 'year' | 'id' | 'rating',
  direction: 'asc' | 'desc',
): Ordering<Media> => ({
  name,
  field,
  direction,
  kind: field === 'title' || field === 'id' ? 'string' : 'number',
  nullable: field === 'year' || field === 'rating',
  valueOf: (row) => row[field],
});

export const MEDIA_ORDERINGS: Record<MediaOrder, Ordering<Media>> = {
  TITLE_ASC: ordering('TITLE_ASC', 'title', 'asc'),
  TITLE_DESC: ordering('TITLE_DESC', 'title', 'desc'),
  YEAR_DESC: ordering('YEAR_DESC', 'year', 'desc'),
  YEAR_ASC: ordering('YEAR_ASC', 'year', 'asc'),
  // ids are UUIDv7: their order is the order they were added
  ADDED_DESC: ordering('ADDED_DESC', 'id', 'desc'),
  ADDED_ASC: ordering('ADDED_ASC', 'id', 'asc'),
  RATING_DESC: ordering('RATING_DESC', 'rating', 'desc'),
  RATING_ASC: ordering('RATING_ASC', 'rating', 'asc'),
};

export class MediaService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly paginator: Paginator,
  ) {}

  async list(userId: string, filter: MediaFilter, order: MediaOrder, page: PageArgs, query: MediaQuery = {}) {
    const base = mediaWhere(userId, filter);
    const ordering = MEDIA_ORDERINGS[order];
    const selection = withSortKey(query, ordering);
    return this.paginator.page(page, ordering, (where, orderBy, take) =>
      this.prisma.media.findMany({ ...selection, where: { AND: [base, where] }, orderBy, take }) as Promise<Media[]>,
    );
  }

  async require(userId: string, id: string, db: Db = this.prisma, field = 'id'): Promise<Media> {
    const media = await db.media.findFirst({ where: { id, userId } });
    if (!media) throw new NotFoundError('No media with this id', [field]);
    return media;
  }

  async create(userId: string, input: MediaInput, db: Db = this.prisma): Promise<Media> {
    const data = await this.toData(userId, input, db);
    return db.media.create({ data: { ...data, userId } as Prisma.MediaUncheckedCreateInput }).catch(conflictOnExternalId);
  }

  async update(userId: string, id: string, patch: Partial<MediaInput>): Promise<Media> {
    const current = await this.require(userId, id);
    const merged: MediaInput = {
      ...current,
      ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)),
      externalIds: { ...externalIdsOf(current), ...patch.externalIds },
      seriesExternalIds: { ...(current.seriesIds as ExternalIds | null), ...patch.seriesExternalIds },
    } as MediaInput;
    const data = await this.toData(userId, merged, this.prisma);
    return this.prisma.media.update({ where: { id }, data }).catch(conflictOnExternalId);
  }

  async delete(userId: string, id: string): Promise<string> {
    await this.require(userId, id);
    await this.prisma.media.delete({ where: { id } });
    return id;
  }

  async rate(userId: string, id: string, rating: number | null): Promise<Media> {
    const value = checkRating(rating);
    await this.require(userId, id, this.prisma, 'mediaId');
    return this.prisma.media.update({ where: { id }, data: { rating: value, ratedAt: value === null ? null : new Date() } });
  }

  /**
   * The item `input` describes, by the matching rule; created when missing. A season or an episode joins its
   * show, which is created from the series title when the library lacks it, as imports do.
   */
  async findOrCreate(userId: string, input: MediaInput, db: Db = this.prisma): Promise<Media> {
    checkInput(input);
    const showId = isShowPart(input.kind) ? (input.showId ?? (await this.showOf(userId, input, db))) : null;
    const [id] = await matchMedia(prismaSql(db), userId, [{ media: input, showId }]);
    return (await this.byId(db, id)) ?? this.create(userId, { ...input, showId }, db);
  }

  private async showOf(userId: string, input: MediaInput, db: Db): Promise<string | null> {
    const found = await this.findShow(userId, input, db);
    const series = seriesOf(input);
    if (found || !series || !canCreate(series)) return found?.id ?? null;
    return (await this.create(userId, { kind: 'SHOW', title: series.title, externalIds: series.externalIds }, db)).id;
  }

  /** The SHOW a season or episode belongs to, by the matching rule applied to its series. */
  private async findShow(userId: string, input: MediaInput, db: Db): Promise<Media | null> {
    const series = seriesOf(input);
    if (!series) return null;
    return this.byId(db, (await matchMedia(prismaSql(db), userId, [{ media: series, showId: null }]))[0]);
  }

  private byId(db: Db, id: string | null | undefined): Promise<Media | null> {
    return id ? db.media.findUnique({ where: { id } }) : Promise.resolve(null);
  }

  /**
   * Folds `duplicateId` into `survivorId`: its events (except those at an instant the survivor already has),
   * its rating when the survivor has none, its external ids and its episodes move over; then it is deleted.
   */
  async merge(userId: string, survivorId: string, duplicateId: string): Promise<Media> {
    if (survivorId === duplicateId) throw new ValidationError('A media cannot be merged into itself', ['duplicateId']);
    return this.prisma.$transaction(async (tx) => {
      const survivor = await this.require(userId, survivorId, tx, 'survivorId');
      const duplicate = await this.require(userId, duplicateId, tx, 'duplicateId');
      if (survivor.kind !== duplicate.kind) {
        throw new ValidationError(`Cannot merge a ${duplicate.kind} into a ${survivor.kind}`, ['duplicateId']);
      }
      await tx.$executeRaw`
        DELETE FROM "WatchEvent" d USING "WatchEvent" s
        WHERE d."userId" = ${userId}::uuid AND d."mediaId" = ${duplicateId}::uuid
          AND s."userId" = ${userId}::uuid AND s."mediaId" = ${survivorId}::uuid AND s."watchedAt" = d."watchedAt"`;
      await tx.watchEvent.updateMany({ where: { userId, mediaId: duplicateId }, data: { mediaId: survivorId } });
      await tx.media.updateMany({ where: { showId: duplicateId }, data: { showId: survivorId } });
      await tx.media.updateMany({ where: { seasonId: duplicateId }, data: { seasonId: survivorId } });
      await tx.media.delete({ where: { id: duplicateId } });
      const filled: Prisma.MediaUncheckedUpdateInput = {};
      for (const provider of EXTERNAL_PROVIDERS) {
        const column = externalIdColumn(provider);
        if (!survivor[column] && duplicate[column]) filled[column] = duplicate[column];
      }
      if (survivor.rating === null && duplicate.rating !== null) {
        filled.rating = duplicate.rating;
        filled.ratedAt = duplicate.ratedAt;
      }
      if (survivor.year === null && duplicate.year !== null) filled.year = duplicate.year;
      return tx.media.update({ where: { id: survivorId }, data: filled });
    });
  }

  private async toData(userId: string, input: MediaInput, db: Db) {
    const title = checkInput(input);
    const parts = await this.showParts(userId, input, db);
    const externalIds: Record<string, string | null> = {};
    for (const provider of EXTERNAL_PROVIDERS) {
      const value = input.externalIds?.[provider]?.trim();
      externalIds[externalIdColumn(provider)] = value ? value : null;
    }
    return {
      kind: input.kind,
      title,
      normalizedTitle: normalizeTitle(title),
      year: input.year ?? null,
      ...parts,
      seasonNumber: input.seasonNumber ?? null,
      episodeNumber: input.episodeNumber ?? null,
      ...externalIds,
      genres: cleanList(input.genres),
      runtimeMinutes: input.runtimeMinutes ?? null,
      directors: cleanList(input.directors),
      cast: cleanList(input.cast),
      overview: input.overview ?? null,
      posterUrl: input.posterUrl ?? null,
      releaseDate: input.releaseDate ?? null,
    };
  }

  /** Seasons and episodes hang off their show (and episodes off their season, when it exists). */
  private async showParts(userId: string, input: MediaInput, db: Db) {
    const seriesTitle = input.seriesTitle?.trim() || null;
    const seriesIds = compactIds(input.seriesExternalIds);
    if (input.kind === 'MOVIE' || input.kind === 'SHOW') {
      return { showId: null, seasonId: null, seriesTitle: null, seriesIds: Prisma.DbNull };
    }
    const show = input.showId
      ? await db.media.findFirst({ where: { id: input.showId, userId, kind: 'SHOW' } })
      : await this.findShow(userId, input, db);
    if (input.showId && !show) throw new NotFoundError('No show with this id', ['showId']);
    if (!show) return { showId: null, seasonId: null, seriesTitle, seriesIds: seriesIds ?? Prisma.DbNull };
    const season =
      input.kind === 'EPISODE' && input.seasonNumber != null
        ? await db.media.findFirst({ where: { userId, kind: 'SEASON', showId: show.id, seasonNumber: input.seasonNumber } })
        : null;
    return { showId: show.id, seasonId: season?.id ?? null, seriesTitle: seriesTitle ?? show.title, seriesIds: seriesIds ?? Prisma.DbNull };
  }
}

export function externalIdsOf(media: Media): ExternalIds {
  return Object.fromEntries(EXTERNAL_PROVIDERS.map((p) => [p, media[externalIdColumn(p)]]));
}

export function mediaWhere(userId: string, filter: MediaFilter): Prisma.MediaWhereInput {
  const search = filter.search?.trim() ? normalizeTitle(filter.search) : null;
  return {
    userId,
    ...(filter.kinds?.length ? { kind: { in: filter.kinds as MediaKind[] } } : {}),
    ...(search ? { normalizedTitle: { contains: search } } : {}),
    ...(filter.genre ? { genres: { has: filter.genre } } : {}),
    ...(filter.yearFrom != null || filter.yearTo != null
      ? { year: { ...(filter.yearFrom != null ? { gte: filter.yearFrom } : {}), ...(filter.yearTo != null ? { lte: filter.yearTo } : {}) } }
      : {}),
    ...(filter.ratingMin != null || filter.ratingMax != null
      ? { rating: { ...(filter.ratingMin != null ? { gte: filter.ratingMin } : {}), ...(filter.ratingMax != null ? { lte: filter.ratingMax } : {}) } }
      : {}),
    ...(filter.watched != null ? { watchEvents: filter.watched ? { some: {} } : { none: {} } } : {}),
    ...(filter.showId ? { showId: filter.showId } : {}),
  };
}

/** The limits every item's fields keep, checked before anything is written; answers the trimmed title. */
function checkInput(input: MediaInput): string {
  const title = input.title?.trim();
  if (!title) throw new ValidationError('Title is empty', ['title']);
  if (title.length > MAX_TITLE_LENGTH) throw new ValidationError(`Title is longer than ${MAX_TITLE_LENGTH} characters`, ['title']);
  if ((input.seriesTitle?.trim().length ?? 0) > MAX_TITLE_LENGTH) {
    throw new ValidationError(`seriesTitle is longer than ${MAX_TITLE_LENGTH} characters`, ['seriesTitle']);
  }
  for (const field of ['externalIds', 'seriesExternalIds'] as const) {
    if (Object.values(input[field] ?? {}).some((id) => (id?.trim().length ?? 0) > MAX_EXTERNAL_ID_LENGTH)) {
      throw new ValidationError(`An external id is at most ${MAX_EXTERNAL_ID_LENGTH} characters`, [field]);
    }
  }
  if (input.year != null && (input.year < 1870 || input.year > 2100)) {
    throw new ValidationError('Year must be between 1870 and 2100', ['year']);
  }
  for (const field of ['seasonNumber', 'episodeNumber', 'runtimeMinutes'] as const) {
    const value = input[field];
    if (value != null && (!Number.isInteger(value) || value < 0 || value > 100_000)) {
      throw new ValidationError(`${field} must be a whole number from 0`, [field]);
    }
  }
  return title;
}

function cleanList(values: string[] | null | undefined): string[] {
  return [...new Set((values ?? []).map((v) => v.trim()).filter(Boolean))];
}

const conflictOnExternalId = conflictOnUnique('Another item of yours already has this external id', ['externalIds']);
