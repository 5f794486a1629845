import type { Prisma, PrismaClient, WatchEvent, WatchSource } from '../../generated/prisma/client.js';
import { conflictOnUnique, NotFoundError, ValidationError } from '../errors.js';
import { withSortKey, type Ordering, type PageArgs, type Paginator } from '../pagination.js';
import type { MediaService } from './media.js';
import { MAX_REVIEW_LENGTH, MAX_TAG_LENGTH, MAX_TAGS } from './limits.js';
import { checkRating } from './ratings.js';
import { normalizeTitle } from './titles.js';
import type { MediaInput, WatchEventFilter } from './types.js';

type EventQuery = { select?: Prisma.WatchEventSelect; include?: Prisma.WatchEventInclude };

export type WatchEventOrder = 'WATCHED_AT_DESC' | 'WATCHED_AT_ASC' | 'RATING_DESC' | 'RATING_ASC';

const ordering = (name: WatchEventOrder, field: 'watchedAt' | 'rating', direction: 'asc' | 'desc'): Ordering<WatchEvent> => ({
  name,
  field,
  direction,
  kind: field === 'watchedAt' ? 'date' : 'number',
  nullable: field === 'rating',
  valueOf: (row) => row[field],
});

export const WATCH_EVENT_ORDERINGS: Record<WatchEventOrder, Ordering<WatchEvent>> = {
  WATCHED_AT_DESC: ordering('WATCHED_AT_DESC', 'watchedAt', 'desc'),
  WATCHED_AT_ASC: ordering('WATCHED_AT_ASC', 'watchedAt', 'asc'),
  RATING_DESC: ordering('RATING_DESC', 'rating', 'desc'),
  RATING_ASC: ordering('RATING_ASC', 'rating', 'asc'),
};

/** Clocks drift: a watch a few minutes "in the future" is allowed, anything later is a mistake. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;
const EARLIEST = Date.UTC(1870, 0, 1);

export interface RecordWatchInput {
  mediaId?: string | null;
  media?: MediaInput | null;
  watchedAt?: Date | null;
  source?: WatchSource | null;
  rating?: number | null;
  rewatch?: boolean | null;
  tags?: string[] | null;
  review?: string | null;
}

export class WatchEventService {
  constructor(
    private readonly prisma: PrismaClient,
    private readonly paginator: Paginator,
    private readonly media: MediaService,
  ) {}

  async list(userId: string, filter: WatchEventFilter, order: WatchEventOrder, page: PageArgs, query: EventQuery = {}) {
    const base = watchEventWhere(userId, filter);
    const ordering = WATCH_EVENT_ORDERINGS[order];
    const selection = withSortKey(query, ordering);
    // one statement: the media and its show come joined (LATERAL), not as a query per relation
    return this.paginator.page(page, ordering, (where, orderBy, take) =>
      this.prisma.watchEvent.findMany({
        ...selection,
        relationLoadStrategy: 'join',
        where: { AND: [base, where] },
        orderBy,
        take,
      }) as Promise<WatchEvent[]>,
    );
  }

  /** Records one viewing of an existing item, or of one described inline (matched to the library first). */
  async record(userId: string, input: RecordWatchInput, now = new Date()): Promise<WatchEvent> {
    if (Boolean(input.mediaId) === Boolean(input.media)) {
      throw new ValidationError('Give either mediaId or media, not both', ['mediaId']);
    }
    const watchedAt = input.watchedAt ?? now;
    if (watchedAt.getTime() > now.getTime() + CLOCK_SKEW_MS) {
      throw new ValidationError('watchedAt is in the future', ['watchedAt']);
    }
    if (watchedAt.getTime() < EARLIEST) throw new ValidationError('watchedAt is before 1870', ['watchedAt']);
    const rating = checkRating(input.rating);
    const tags = checkTags(input.tags);
    if (input.review && input.review.length > MAX_REVIEW_LENGTH) {
      throw new ValidationError(`A review is at most ${MAX_REVIEW_LENGTH} characters`, ['review']);
    }
    return this.prisma.$transaction(async (tx) => {
      const media = input.mediaId
        ? await this.media.require(userId, input.mediaId, tx, 'mediaId')
        : await this.media.findOrCreate(userId, input.media!, tx);
      const earlier = await tx.watchEvent.count({ where: { userId, mediaId: media.id, watchedAt: { lt: watchedAt } } });
      const event = await tx.watchEvent
        .create({
          data: {
            userId,
            mediaId: media.id,
            watchedAt,
            source: input.source ?? 'MANUAL',
            rating,
            rewatch: input.rewatch ?? earlier > 0,
            tags,
            review: input.review?.trim() || null,
          },
        })
        .catch(conflictOnUnique('This item already has a watch at that instant', ['watchedAt']));
      // the newest rated watch is the person's current opinion of the item
      if (rating !== null && (!media.ratedAt || media.ratedAt <= watchedAt)) {
        await tx.media.update({ where: { id: media.id }, data: { rating, ratedAt: watchedAt } });
      }
      return event;
    });
  }

  async delete(userId: string, id: string): Promise<string> {
    const { count } = await this.prisma.watchEvent.deleteMany({ where: { id, userId } });
    if (count === 0) throw new NotFoundError('No watch event with this id', ['id']);
    return id;
  }
}

export function watchEventWhere(userId: string, filter: WatchEventFilter): Prisma.WatchEventWhereInput {
  if (filter.ratingMin != null) checkRating(filter.ratingMin, ['filter', 'ratingMin']);
  if (filter.ratingMax != null) checkRating(filter.ratingMax, ['filter', 'ratingMax']);
  const search = filter.search?.trim() ? normalizeTitle(filter.search) : null;
  const media: Prisma.MediaWhereInput = {
    ...(filter.kinds?.length ? { kind: { in: filter.kinds } } : {}),
    ...(filter.genre ? { genres: { has: filter.genre } } : {}),
    ...(search ? { OR: [{ normalizedTitle: { contains: search } }, { show: { normalizedTitle: { contains: search } } }] } : {}),
  };
  return {
    userId,
    ...(filter.from || filter.to
      ? { watchedAt: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } }
      : {}),
    ...(filter.sources?.length ? { source: { in: filter.sources } } : {}),
    ...(filter.ratingMin != null || filter.ratingMax != null
      ? { rating: { ...(filter.ratingMin != null ? { gte: filter.ratingMin } : {}), ...(filter.ratingMax != null ? { lte: filter.ratingMax } : {}) } }
      : {}),
    ...(filter.rewatch != null ? { rewatch: filter.rewatch } : {}),
    ...(filter.mediaId ? { mediaId: filter.mediaId } : {}),
    ...(Object.keys(media).length ? { media } : {}),
  };
}

function checkTags(tags: string[] | null | undefined): string[] {
  const cleaned = [...new Set((tags ?? []).map((t) => t.trim()).filter(Boolean))];
  if (cleaned.length > MAX_TAGS) throw new ValidationError(`At most ${MAX_TAGS} tags`, ['tags']);
  if (cleaned.some((t) => t.length > MAX_TAG_LENGTH)) {
    throw new ValidationError(`A tag is at most ${MAX_TAG_LENGTH} characters`, ['tags']);
  }
  return cleaned;
}
