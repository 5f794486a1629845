import type { IptvSettings } from '../../config.js';
import type { RawSql } from '../../db/database.js';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { Domain } from '../../jobs/domain.js';
import type { RunQueue } from '../../jobs/run-queue.js';
import type { Logger } from '../../logger.js';
import type { DownloadService } from '../downloads/downloads.js';
import type { SecretBox } from '../secret-box.js';
import { BrowseService } from './browse.js';
import { PlaylistService, type HostLimits } from './playlists.js';
import { SeriesDetailsService } from './series-details.js';
import { StreamDownloads } from './stream-downloads.js';
import { playlistSyncRunKind } from './sync-runs.js';
import { SeriesTrackingService } from './tracking.js';
import { XtreamHttp } from './xtream-http.js';

export interface IptvDeps {
  prisma: PrismaClient;
  sql: RawSql;
  secretBox: SecretBox;
  runs: RunQueue;
  /** the download engine's per-host budgets: a provider's max_connections becomes its host's */
  budget: HostLimits;
  /** where episodes and VOD streams are queued */
  downloads: DownloadService;
  settings: IptvSettings;
  log: Logger;
}

export type Iptv = ReturnType<typeof createIptv>;

/** IPTV (Xtream Codes) in one place: its services, and the domain (run kind, job, recovery, shutdown) the server loops over. */
export function createIptv(deps: IptvDeps) {
  const http = new XtreamHttp(deps.settings, deps.log);
  const playlists = new PlaylistService({ prisma: deps.prisma, secretBox: deps.secretBox, runs: deps.runs, http, budget: deps.budget, log: deps.log });
  const browse = new BrowseService(deps.prisma);
  const seriesDetails = new SeriesDetailsService({ prisma: deps.prisma, sql: deps.sql, playlists });
  const streams = new StreamDownloads({ prisma: deps.prisma, playlists, downloads: deps.downloads });
  const tracking = new SeriesTrackingService({ prisma: deps.prisma, sql: deps.sql, details: seriesDetails, streams, log: deps.log });
  const domain: Domain = {
    name: 'iptv',
    kinds: [playlistSyncRunKind({ prisma: deps.prisma, sql: deps.sql, log: deps.log, playlists, concurrency: deps.settings.concurrency })],
    jobs: [
      { name: 'sync-playlists', schedule: '7 */6 * * *', run: () => playlists.syncEveryone() },
      { name: 'check-tracked-series', schedule: '37 * * * *', run: () => tracking.checkAll() },
    ],
    recover: () => playlists.recover(),
    stop: () => http.close(),
  };
  return { playlists, browse, seriesDetails, streams, tracking, domain };
}
