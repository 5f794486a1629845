import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { countingImportRows } from './imports/import-metrics.js';
import { ImportService } from './imports/imports.js';
import { ImportQueue } from './imports/queue.js';
import { AccountsService } from './accounts/accounts.js';
import { LoginThrottle } from './accounts/login-throttle.js';
import type { EventBus } from './events.js';
import { MediaService } from './library/media.js';
import { ShareLinkService } from './library/share-links.js';
import { ShowService } from './library/shows.js';
import { WatchEventService } from './library/watch-events.js';
import { Paginator } from './pagination.js';
import { SecretBox } from './secret-box.js';

export type Services = ReturnType<typeof createServices>;

export function createServices(db: Database, config: Config, events: EventBus, log: Logger, metrics: Metrics) {
  const { prisma } = db;
  const paginator = new Paginator(config.secretKey);
  const media = new MediaService(prisma, paginator);
  const importQueue: ImportQueue = new ImportQueue(
    { prisma, sql: db.sql, events: countingImportRows(events, metrics), log, uploadMaxBytes: config.uploadMaxBytes },
    () => imports,
  );
  const imports: ImportService = new ImportService({
    prisma,
    dataDir: config.dataDir,
    uploadMaxBytes: config.uploadMaxBytes,
    enqueue: (id) => importQueue.enqueue(id),
  });
  return {
    accounts: new AccountsService({
      prisma,
      events,
      throttle: new LoginThrottle(prisma, config.loginThrottle),
      sessionTtlMs: config.sessionTtlMs,
      allowSignUp: config.allowSignUp,
    }),
    secretBox: new SecretBox(config.secretKey),
    paginator,
    media,
    watchEvents: new WatchEventService(prisma, paginator, media),
    shows: new ShowService(prisma),
    shareLinks: new ShareLinkService(prisma),
    imports,
    importQueue,
    metrics,
  };
}
