import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { RunQueue } from '../jobs/run-queue.js';
import type { Metrics } from '../metrics.js';
import { ArtworkService } from './artwork/artwork.js';
import { DiskArtworkStore } from './artwork/store.js';
import { IMPORT_RUN } from './imports/import-runs.js';
import { ImportService } from './imports/imports.js';
import { AccountsService } from './accounts/accounts.js';
import { LoginThrottle } from './accounts/login-throttle.js';
import type { EventBus } from './events.js';
import { MediaService } from './library/media.js';
import { ShareLinkService } from './library/share-links.js';
import { ShowService } from './library/shows.js';
import { StatsService } from './library/stats.js';
import { WatchEventService } from './library/watch-events.js';
import { Paginator } from './pagination.js';
import { SecretBox } from './secret-box.js';
import type { Logger } from '../logger.js';
import { Enricher } from './metadata/enricher.js';
import { MetadataService } from './metadata/metadata.js';
import { TmdbCatalog } from './metadata/tmdb-catalog.js';
import { TmdbClient } from './metadata/tmdb-client.js';
import { AllowlistService } from './janitor/allowlist.js';
import { InsightsService } from './janitor/insights.js';
import { MediaServerService } from './janitor/servers.js';
import { JanitorSettingsService } from './janitor/settings.js';
import { addressPolicy } from './downloads/address-policy.js';
import { DownloadService } from './downloads/downloads.js';
import { HostBudget } from './downloads/host-budget.js';
import { HttpClient } from './downloads/http-client.js';
import { createIptv } from './iptv/index.js';

export type Services = ReturnType<typeof createServices>;

export function createServices(db: Database, config: Config, events: EventBus, runs: RunQueue, metrics: Metrics, log: Logger) {
  const { prisma, sql } = db;
  const paginator = new Paginator(config.secretKey);
  const media = new MediaService(prisma, paginator);
  const imports = new ImportService({
    prisma,
    dataDir: config.dataDir,
    uploadMaxBytes: config.uploadMaxBytes,
    runs: {
      enqueue: async (batch) => void (await runs.enqueue({ kind: IMPORT_RUN, userId: batch.userId, subjectId: batch.id, node: runs.node })),
      cancel: async (batchId) => {
        const run = await runs.latestFor(IMPORT_RUN, batchId);
        if (run) await runs.cancel(run.id);
      },
    },
  });
  const tmdb = new TmdbClient(config.tmdb, log);
  const artwork = new ArtworkService({ prisma, sql, store: new DiskArtworkStore(config.artwork.dir), settings: config.artwork, log });
  const tmdbCatalog = new TmdbCatalog(tmdb, sql, config.tmdb.cacheMs);
  const enricher = new Enricher({ sql, catalog: tmdbCatalog, artwork, imageUrl: config.tmdb.imageUrl, log });
  const secretBox = new SecretBox(config.secretKey);
  const janitorSettings = new JanitorSettingsService(prisma);
  const allowlist = new AllowlistService({ prisma, sql });
  const refuses = addressPolicy(config.downloads.allowPrivate);
  /** connections per host, shared by every download of this process */
  const hostBudget = new HostBudget(config.downloads.hostConnections);
  const downloadHttp = new HttpClient({ refuses, idleTimeoutMs: config.downloads.idleTimeoutMs, socketsPerHost: (host) => hostBudget.limitOf(host) });
  const downloads = new DownloadService({ prisma, runs, budget: hostBudget, refuses });
  return {
    accounts: new AccountsService({
      prisma,
      events,
      throttle: new LoginThrottle(prisma, config.loginThrottle),
      sessionTtlMs: config.sessionTtlMs,
      allowSignUp: config.allowSignUp,
      credentialCacheMs: config.credentialCacheMs,
    }),
    secretBox,
    paginator,
    media,
    watchEvents: new WatchEventService(prisma, paginator, media),
    shows: new ShowService(prisma),
    stats: new StatsService(prisma),
    shareLinks: new ShareLinkService(prisma),
    imports,
    artwork,
    metrics,
    tmdb,
    tmdbCatalog,
    enricher,
    mediaServers: new MediaServerService({ prisma, secretBox, runs, settings: config.mediaServers, log }),
    janitorSettings,
    allowlist,
    insights: new InsightsService({ sql, paginator, settings: janitorSettings, allowlist }),
    hostBudget,
    downloadHttp,
    downloads,
    metadata: new MetadataService({ prisma, sql, tmdb, enricher, runs, cacheMs: config.tmdb.cacheMs }),
    iptv: createIptv({ prisma, sql, secretBox, runs, budget: hostBudget, downloads, settings: config.iptv, log }),
  };
}
