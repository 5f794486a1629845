import type { PubSub } from '@graphql-yoga/subscription';
import type { Config } from '../config.js';
import type { PrismaClient } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import type { Events } from '../services/events.js';
import type { StreamStats } from '../services/change-stream.js';
import type { Services } from '../services/index.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { ClientInfo } from '../services/accounts/accounts.js';
import type { Viewer } from '../services/viewer.js';

/** What every resolver receives, built once per HTTP request or WebSocket operation. */
export interface Context {
  requestId: string;
  log: Logger;
  config: Config;
  prisma: PrismaClient;
  services: Services;
  /** scheduled and manual jobs (src/jobs) */
  jobs: Scheduler;
  pubsub: PubSub<Events>;
  /** what this server's run subscriptions hold (resolvers/run-changes.ts) */
  streams: StreamStats;
  viewer: Viewer | null;
  /** a bearer token was sent but is unknown, expired or revoked */
  credentialsRejected: boolean;
  client: ClientInfo;
  /** scheme, host and port clients reach this server at (KLUG_PUBLIC_URL, else the request's own) */
  publicOrigin: string;
  /** Session cookie handling; a no-op over WebSocket, where clients keep the token themselves. */
  sessionCookie: { set(token: string, expiresAt: Date): Promise<void>; clear(): Promise<void> };
}
