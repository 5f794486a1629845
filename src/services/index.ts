import type { Config } from '../config.js';
import type { PrismaClient } from '../generated/prisma/client.js';
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

export function createServices(prisma: PrismaClient, config: Config, events: EventBus) {
  const paginator = new Paginator(config.secretKey);
  const media = new MediaService(prisma, paginator);
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
  };
}
