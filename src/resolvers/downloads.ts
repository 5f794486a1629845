import type { Download } from '../generated/prisma/client.js';
import { builder } from '../schema/builder.js';
import { decodeId } from '../schema/ids.js';
import { DownloadResult, DownloadStatusEnum, DownloadType, EnqueueDownloadInput, EnqueueDownloadResult } from '../schema/downloads.js';
import { DOWNLOAD_RUN } from '../services/downloads/download-runs.js';
import type { DownloadService } from '../services/downloads/downloads.js';
import { runChanges, sharedState, userRunChanges } from './run-changes.js';
import { requireViewer } from './viewer.js';

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

/** pauseDownload, resumeDownload, cancelDownload and retryDownload: one download of the viewer's, changed by the service. */
function downloadChange(name: string, description: string, act: (downloads: DownloadService, userId: string, id: string) => Promise<Download>) {
  builder.mutationField(name, (t) =>
    t.field({
      type: DownloadResult,
      description,
      args: { id: t.arg.id({ required: true }) },
      resolve: async (_root, args, ctx) => {
        const download = await act(ctx.services.downloads, requireViewer(ctx).user.id, decodeId(String(args.id), 'Download'));
        return { downloadId: download.id };
      },
    }),
  );
}

downloadChange('pauseDownload', 'stops a queued or running download where it is', (d, userId, id) => d.pause(userId, id));
downloadChange('resumeDownload', 'goes on with a paused download from where it stopped', (d, userId, id) => d.resume(userId, id));
downloadChange('cancelDownload', 'stops a download for good and removes its .part file', (d, userId, id) => d.cancel(userId, id));
downloadChange('retryDownload', 'queues a failed download again (it resumes) or a cancelled one (it starts over)', (d, userId, id) => d.retry(userId, id));

builder.mutationField('enqueueDownload', (t) =>
  t.field({
    type: EnqueueDownloadResult,
    description: 'records a download of an http(s) URL, a VOD stream or an episode and queues it; follow it with downloadProgress or downloads',
    args: { input: t.arg({ type: EnqueueDownloadInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const { vodStreamId, episodeId, ...rest } = input;
      const download = await ctx.services.iptv.streams.enqueue(requireViewer(ctx).user.id, {
        ...rest,
        vodStreamId: vodStreamId == null ? null : decodeId(String(vodStreamId), 'VodStream', 'vodStreamId'),
        episodeId: episodeId == null ? null : decodeId(String(episodeId), 'IptvEpisode', 'episodeId'),
      });
      return { downloadId: download.id };
    },
  }),
);

builder.queryField('downloads', (t) =>
  t.prismaConnection(
    {
      type: 'Download',
      cursor: 'id',
      description: 'newest first',
      args: { status: t.arg({ type: [DownloadStatusEnum] }) },
      resolve: (query, _root, args, ctx) => ctx.services.downloads.list(requireViewer(ctx).user.id, { status: args.status }, query),
    },
    // the names API.md gives them
    { name: 'DownloadConnection' },
    { name: 'DownloadEdge' },
  ),
);

builder.subscriptionField('downloadProgress', (t) =>
  t.field({
    extensions: sharedState('status', 'id'),
    type: DownloadType,
    description:
      'one download (ending with it) or, without id, every download of the viewer (those going first): the state now, then at once on every state change and about once a second while it downloads',
    args: { id: t.arg.id() },
    subscribe: (_root, args, ctx) => {
      const userId = requireViewer(ctx).user.id;
      const { downloads } = ctx.services;
      if (args.id != null) {
        const id = decodeId(String(args.id), 'Download');
        return runChanges(ctx, id, () => downloads.require(userId, id), (d: Download) => TERMINAL.has(d.status));
      }
      // every download of the viewer: those going first, then each change
      return userRunChanges<Download>(ctx, userId, () => downloads.active(userId), (change) => change.run.kind === DOWNLOAD_RUN);
    },
    resolve: (download) => download,
  }),
);
