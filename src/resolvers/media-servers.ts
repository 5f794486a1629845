import type { MediaServer } from '../generated/prisma/client.js';
import { builder } from '../schema/builder.js';
import { DeleteResult } from '../schema/errors.js';
import { decodeId } from '../schema/ids.js';
import { ConnectMediaServerInput, ConnectMediaServerResult, MediaServerType, RotateWebhookSecretResult, SyncResult } from '../schema/media-servers.js';
import { runChanges, sharedState } from './run-changes.js';
import { requireViewer } from './viewer.js';

builder.queryField('mediaServers', (t) =>
  t.prismaField({
    type: ['MediaServer'],
    description: 'your Jellyfin and Jellyseerr servers, oldest first',
    resolve: (query, _root, _args, ctx) => ctx.services.mediaServers.list(requireViewer(ctx).user.id, query),
  }),
);

builder.mutationFields((t) => ({
  connectMediaServer: t.field({
    type: ConnectMediaServerResult,
    description: 'checks the server (reachable, the right product, the key accepted) and saves it; the same address again replaces its key',
    args: { input: t.arg({ type: ConnectMediaServerInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { server, webhookSecret } = await ctx.services.mediaServers.connect(requireViewer(ctx).user.id, input);
      return { serverId: server.id, webhookSecret };
    },
  }),
  disconnectMediaServer: t.field({
    type: DeleteResult,
    description: 'forgets the server, its key and its cache (your watch history keeps its plays)',
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => ({
      deletedId: await ctx.services.mediaServers.disconnect(requireViewer(ctx).user.id, decodeId(String(args.id), 'MediaServer')),
    }),
  }),
  syncMediaServers: t.field({
    type: SyncResult,
    description: 'refreshes the cache of each of your servers (or of one) now; follow it with mediaServerSyncProgress',
    args: { id: t.arg.id({ description: 'only this server' }) },
    resolve: async (_root, args, ctx) => {
      const id = args.id == null ? null : decodeId(String(args.id), 'MediaServer');
      const servers = await ctx.services.mediaServers.sync(requireViewer(ctx).user.id, id);
      return { serverIds: servers.map((s) => s.id) };
    },
  }),
  rotateWebhookSecret: t.field({
    type: RotateWebhookSecretResult,
    description: "a new secret for a Jellyfin server's webhook, shown once; the old one stops working",
    args: { id: t.arg.id({ required: true }) },
    resolve: async (_root, args, ctx) => {
      const { server, webhookSecret } = await ctx.services.mediaServers.rotateWebhookSecret(requireViewer(ctx).user.id, decodeId(String(args.id), 'MediaServer'));
      return { serverId: server.id, webhookSecret };
    },
  }),
}));

builder.subscriptionField('mediaServerSyncProgress', (t) =>
  t.field({
    extensions: sharedState('syncStatus'),
    type: MediaServerType,
    description: 'the server now, then on every change of its syncs and about once a second while one runs',
    args: { id: t.arg.id({ required: true }) },
    subscribe: (_root, args, ctx) => {
      const userId = requireViewer(ctx).user.id;
      const id = decodeId(String(args.id), 'MediaServer');
      // open-ended: a server syncs again and again; a disconnected one ends it
      return runChanges<MediaServer>(ctx, id, () => ctx.services.mediaServers.require(userId, id));
    },
    resolve: (server) => server,
  }),
);
