import type { ArgBuilder } from '@pothos/core';
import { queryFromInfo } from '@pothos/plugin-prisma';
import type { GraphQLResolveInfo } from 'graphql';
import type { BuilderTypes } from '../schema/builder.js';
import type { Context } from '../schema/context.js';
import { toConnection } from '../schema/connections.js';
import { decodeId, MEDIA_TYPENAMES } from '../schema/ids.js';
import { WatchEventFilter, WatchEventOrderEnum } from '../schema/library-inputs.js';
import { StatsBucketEnum } from '../schema/stats.js';
import type { WatchEventOrder } from '../services/library/watch-events.js';
import type { PageArgs } from '../services/pagination.js';
import type { WatchEventFilter as WatchEventFilterInput } from '../services/library/types.js';

// The viewer's own history and a share link's are the same fields: the same arguments, the same resolvers.

/** Arguments of every `watchEvents` field: a page, a filter and an order. */
export const watchEventsArgs = (arg: ArgBuilder<BuilderTypes>) => ({
  ...arg.connectionArgs(),
  filter: arg({ type: WatchEventFilter }),
  orderBy: arg({ type: WatchEventOrderEnum, defaultValue: 'WATCHED_AT_DESC' }),
});

/** Arguments of every `watchStats` field: the period and its buckets. */
export const watchStatsArgs = (arg: ArgBuilder<BuilderTypes>) => ({
  from: arg({ type: 'DateTime' }),
  to: arg({ type: 'DateTime' }),
  bucket: arg({ type: StatsBucketEnum }),
});

/** A person's watch history as a connection: for the viewer's own `watchEvents` and a share link's. */
export async function watchEventsOf(
  ownerId: string,
  args: PageArgs & { filter?: (Omit<WatchEventFilterInput, 'mediaId'> & { mediaId?: string | number | null }) | null; orderBy?: WatchEventOrder | null },
  ctx: Context,
  info: GraphQLResolveInfo,
) {
  const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'], typeName: 'WatchEvent' });
  const mediaId = args.filter?.mediaId == null ? null : decodeId(String(args.filter.mediaId), MEDIA_TYPENAMES, 'filter.mediaId');
  const page = await ctx.services.watchEvents.list(ownerId, { ...args.filter, mediaId }, args.orderBy ?? 'WATCHED_AT_DESC', args, query);
  return toConnection(page);
}
