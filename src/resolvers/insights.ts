import { builder } from '../schema/builder.js';
import { DeleteResult } from '../schema/errors.js';
import { decodeId } from '../schema/ids.js';
import {
  AllowlistEntryInput,
  AllowlistEntryResult,
  AllowlistKindEnum,
  InsightsType,
  JanitorSettingsInput,
  JanitorSettingsResult,
  JanitorSettingsType,
} from '../schema/insights.js';
import { requireViewer } from './viewer.js';

builder.queryFields((t) => ({
  insights: t.field({
    type: InsightsType,
    description: 'clean-up and language insights over your synced Jellyfin and Jellyseerr servers',
    resolve: (_root, _args, ctx) => ({ userId: requireViewer(ctx).user.id }),
  }),
  allowlist: t.prismaConnection(
    {
      type: 'AllowlistEntry',
      cursor: 'id',
      description: 'newest first; expired entries stay listed (active: false) until removed',
      args: { kind: t.arg({ type: AllowlistKindEnum }) },
      resolve: (query, _root, args, ctx) => ctx.services.allowlist.list(requireViewer(ctx).user.id, args.kind, query),
    },
    { name: 'AllowlistEntryConnection' },
    { name: 'AllowlistEntryEdge' },
  ),
  janitorSettings: t.field({
    type: JanitorSettingsType,
    description: 'your thresholds and required languages (the defaults until you change them)',
    resolve: (_root, _args, ctx) => ctx.services.janitorSettings.get(requireViewer(ctx).user.id),
  }),
}));

builder.mutationFields((t) => ({
  addAllowlistEntry: t.field({
    type: AllowlistEntryResult,
    description: 'keeps an item out of clean-up (CONTENT) or changes its language rule; the same kind for the same item again updates it',
    args: { input: t.arg({ type: AllowlistEntryInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const itemId = decodeId(String(input.itemId), ['MediaServerItem', 'MediaRequest'], 'itemId');
      const entry = await ctx.services.allowlist.add(requireViewer(ctx).user.id, { ...input, itemId }, ctx.services.insights.clock());
      return { entryId: entry.id };
    },
  }),
  removeAllowlistEntry: t.field({
    type: DeleteResult,
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => ({
      deletedId: await ctx.services.allowlist.remove(requireViewer(ctx).user.id, decodeId(String(args.id), 'AllowlistEntry')),
    }),
  }),
  updateJanitorSettings: t.field({
    type: JanitorSettingsResult,
    args: { input: t.arg({ type: JanitorSettingsInput, required: true }) },
    resolve: (_root, { input }, ctx) => ctx.services.janitorSettings.update(requireViewer(ctx).user.id, input),
  }),
}));
