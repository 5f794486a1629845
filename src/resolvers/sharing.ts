import { builder } from '../schema/builder.js';
import { decodeId } from '../schema/ids.js';
import { WatchEventConnection } from '../schema/library.js';
import { CreateShareLinkResult, RevokeShareLinkResult, SharedHistoryType } from '../schema/sharing.js';
import { WatchStatsType } from '../schema/stats.js';
import { watchEventsArgs, watchEventsOf, watchStatsArgs } from './history-fields.js';
import { requireViewer } from './viewer.js';

// what a share link shows: the same history and stats fields as the viewer's own
builder.objectFields(SharedHistoryType, (t) => ({
  watchStats: t.field({
    type: WatchStatsType,
    args: watchStatsArgs(t.arg),
    resolve: (shared, args, ctx) => ctx.services.stats.watchStats(shared.userId, args),
  }),
  watchEvents: t.field({
    type: WatchEventConnection,
    args: watchEventsArgs(t.arg),
    resolve: (shared, args, ctx, info) => watchEventsOf(shared.userId, args, ctx, info),
  }),
}));

builder.queryField('sharedHistory', (t) =>
  t.field({
    type: SharedHistoryType,
    nullable: true,
    skipTypeScopes: true,
    description: "anyone with a share link's token may read that person's history and stats; null when the link is gone",
    args: { token: t.arg.string({ required: true }) },
    resolve: (_root, args, ctx) => ctx.services.shareLinks.resolve(args.token),
  }),
);

builder.prismaObjectField('User', 'shareLinks', (t) =>
  t.relatedConnection('shareLinks', {
    cursor: 'id',
    description: 'live links, newest first',
    query: () => ({ where: { revokedAt: null, expiresAt: { gt: new Date() } }, orderBy: { id: 'desc' } }),
  }),
);

builder.mutationFields((t) => ({
  createShareLink: t.field({
    type: CreateShareLinkResult,
    description: 'a read-only link to your watch history and stats; lives 30 days from its last use unless told otherwise',
    args: { expiresInDays: t.arg.int() },
    resolve: async (_root, args, ctx) => {
      const { link, token } = await ctx.services.shareLinks.create(requireViewer(ctx).user.id, args.expiresInDays);
      return { link, token, url: `${ctx.publicOrigin}/share/${token}` };
    },
  }),
  revokeShareLink: t.field({
    type: RevokeShareLinkResult,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const link = await ctx.services.shareLinks.revoke(requireViewer(ctx).user.id, decodeId(String(args.id), 'ShareLink'));
      return { id: link.id };
    },
  }),
}));
