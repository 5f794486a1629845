import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub } from '@graphql-yoga/subscription';
import { Redis } from 'ioredis';
import type { ImportBatch } from '../generated/prisma/client.js';

export type AccountEventKind = 'LOGGED_IN' | 'LOGGED_OUT' | 'API_TOKEN_CREATED' | 'API_TOKEN_REVOKED';

export interface AccountEvent {
  kind: AccountEventKind;
  at: Date;
  /** the session or API token the event is about */
  subjectId: string;
}

/** Every event topic in Klug, keyed by the person it belongs to so one never hears another's. */
export type Events = {
  'account:event': [userId: string, event: AccountEvent];
  /** the batch's state after each change and about once a second while it runs */
  'import:progress': [batchId: string, batch: ImportBatch];
};

export interface EventBus {
  pubsub: PubSub<Events>;
  close(): Promise<void>;
}

/** In-process by default; through Redis when REDIS_URL is set, so replicas share events. */
export function createEventBus(redisUrl: string | undefined): EventBus {
  if (!redisUrl) return { pubsub: createPubSub<Events>(), close: async () => undefined };
  const publishClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const eventTarget = createRedisEventTarget({
    publishClient,
    subscribeClient,
    serializer: {
      stringify: JSON.stringify,
      parse: (text) => JSON.parse(text, (_key, value) => (isIsoDate(value) ? new Date(value) : value)),
    },
  });
  return {
    pubsub: createPubSub<Events>({ eventTarget }),
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}

const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const isIsoDate = (value: unknown): value is string => typeof value === 'string' && ISO_DATE.test(value);
