import type { Config } from '../config.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import { AccountsService } from './accounts/accounts.js';
import { LoginThrottle } from './accounts/login-throttle.js';
import type { EventBus } from './events.js';
import { SecretBox } from './secret-box.js';

export type Services = ReturnType<typeof createServices>;

export function createServices(prisma: PrismaClient, config: Config, events: EventBus) {
  return {
    accounts: new AccountsService({
      prisma,
      events,
      throttle: new LoginThrottle(prisma, config.loginThrottle),
      sessionTtlMs: config.sessionTtlMs,
      allowSignUp: config.allowSignUp,
    }),
    secretBox: new SecretBox(config.secretKey),
  };
}
