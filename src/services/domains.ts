import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Domain } from '../jobs/domain.js';
import { purgeExpired } from '../jobs/purge-expired.js';
import { importRunKind } from './imports/import-runs.js';
import type { Services } from './index.js';
import type { Logger } from '../logger.js';
import { enrichRunKind } from './metadata/enrich-runs.js';
import { syncRunKind } from './janitor/sync-runs.js';
import { downloadRunKind } from './downloads/download-runs.js';
import { mkdir } from 'node:fs/promises';

/** Every domain's run kinds, jobs, start-up recovery and shutdown, for the server to loop over. */
export function createDomains(db: Database, config: Config, services: Services, log: Logger): Domain[] {
  const { prisma, sql } = db;
  const { imports, enricher, metadata } = services;
  return [
    { name: 'accounts', stop: () => services.accounts.close() },
    {
      name: 'imports',
      kinds: [
        importRunKind({
          prisma,
          sql,
          uploadMaxBytes: config.uploadMaxBytes,
          concurrency: config.concurrency.import,
          hasStagedFiles: (batch) => imports.hasStagedFiles(batch),
          stagingDir: (id) => imports.stagingDir(id),
          metrics: services.metrics,
          log,
          enrichment: {
            get enabled() {
              return metadata.enabled;
            },
            enrichPending: (userId, { signal, onProgress }) => enricher.enrich({ userId, statuses: ['PENDING'] }, { signal, onProgress: (done) => onProgress(done) }),
          },
        }),
      ],
      recover: async () => void (await imports.failUnqueued()),
    },
    {
      name: 'metadata',
      kinds: [enrichRunKind(enricher)],
      jobs: [{ name: 'enrich-missing', schedule: '41 4 * * *', run: () => metadata.enrichMissing() }],
    },
    {
      name: 'janitor',
      kinds: [
        syncRunKind({
          sql,
          prisma,
          log,
          servers: services.mediaServers,
          tmdb: {
            get enabled() {
              return services.tmdb.enabled;
            },
            catalog: services.tmdbCatalog,
          },
          titleConcurrency: config.mediaServers.titleConcurrency,
          concurrency: 2,
        }),
      ],
      jobs: [{ name: 'sync-media-servers', schedule: '23 5 * * *', run: () => services.mediaServers.syncEveryone() }],
    },
    {
      name: 'artwork',
      jobs: [{ name: 'artwork-gc', schedule: '43 4 * * *', run: () => services.artwork.collectGarbage() }],
    },
    {
      name: 'downloads',
      kinds: [
        downloadRunKind({ prisma, http: services.downloadHttp, budget: services.hostBudget, settings: config.downloads, progressMs: config.runs.progressMs, log }),
      ],
      recover: async () => {
        await mkdir(config.downloads.dir, { recursive: true });
        await services.downloads.failUnqueued();
      },
      stop: () => services.downloadHttp.close(),
    },
    services.iptv.domain,
    {
      name: 'maintenance',
      jobs: [{ name: 'purge-expired', schedule: '17 3 * * *', run: () => purgeExpired(prisma, services) }],
    },
  ];
}
