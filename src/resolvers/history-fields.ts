import { queryFromInfo } from '@pothos/plugin-prisma';
import type { GraphQLResolveInfo } from 'graphql';
import type { Context } from '../schema/context.js';
import { toConnection } from '../schema/connections.js';
import { decodeId, MEDIA_TYPENAMES } from '../schema/ids.js';
import type { WatchEventOrder } from '../services/library/watch-events.js';
import type { PageArgs } from '../services/pagination.js';
import type { WatchEventFilter } from '../services/library/types.js';

/** A person's watch history as a connection: for the viewer's own `watchEvents` and a share link's. */
export async function watchEventsOf(
  ownerId: string,
  args: PageArgs & { filter?: (Omit<WatchEventFilter, 'mediaId'> & { mediaId?: string | number | null }) | null; orderBy?: WatchEventOrder | null },
  ctx: Context,
  info: GraphQLResolveInfo,
) {
  const query = queryFromInfo({ context: ctx, info, path: ['edges', 'node'], typeName: 'WatchEvent' });
  const mediaId = args.filter?.mediaId == null ? null : decodeId(String(args.filter.mediaId), MEDIA_TYPENAMES, 'filter.mediaId');
  const page = await ctx.services.watchEvents.list(ownerId, { ...args.filter, mediaId }, args.orderBy ?? 'WATCHED_AT_DESC', args, query);
  return toConnection(page);
}
