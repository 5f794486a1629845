import { createRedisEventTarget } from '@graphql-yoga/redis-event-target';
import { createPubSub, type PubSub } from '@graphql-yoga/subscription';
import { Redis } from 'ioredis';
import { setMaxListeners } from 'node:events';
import { StreamStats } from './change-stream.js';

export type AccountEventKind = 'LOGGED_IN' | 'LOGGED_OUT' | 'API_TOKEN_CREATED' | 'API_TOKEN_REVOKED';

export interface AccountEvent {
  kind: AccountEventKind;
  at: Date;
  /** the session or API token the event is about */
  subjectId: string;
}

export interface RunChange {
  run: { id: string; kind: string; status: string; userId: string | null; progress: Record<string, unknown> };
  view: unknown;
}

/** Every event topic in Klug, keyed by the person it belongs to so one never hears another's. */
export type Events = {
  'account:event': [userId: string, event: AccountEvent];
  /**
   * a run after each change and about once a second while it works, keyed by the domain row it works on
   * (an import batch…); `view` is that row as the domain shows it
   */
  'run:changed': [subjectId: string, change: RunChange];
  /** the same changes of every run that belongs to a person, keyed by that person (all of one's downloads…) */
  'run:changed:user': [userId: string, change: RunChange];
  /** a session logged out or an API token revoked: every replica drops it from its credential cache */
  'credential:ended': [ended: { credentialId: string }];
  /** a run was queued somewhere: wakes the workers of every replica */
  'run:queued': [queued: { kind: string }];
};

export interface EventBus {
  pubsub: PubSub<Events>;
  /** what the subscriptions following runs hold (see ChangeStream) */
  streams: StreamStats;
  close(): Promise<void>;
}

/** In-process by default; through Redis when REDIS_URL is set, so replicas share events. */
export function createEventBus(redisUrl: string | undefined): EventBus {
  if (!redisUrl) {
    const eventTarget = new EventTarget();
    // a thousand people's clients may follow one import: many listeners on one topic is the design, not a leak
    // (Node warns past 10); leaks show as StreamStats.active (klug_subscription_streams) staying up instead
    setMaxListeners(0, eventTarget);
    return { pubsub: createPubSub<Events>({ eventTarget }), streams: new StreamStats(), close: async () => undefined };
  }
  const publishClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const subscribeClient = new Redis(redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 });
  const eventTarget = createRedisEventTarget({
    publishClient,
    subscribeClient,
    serializer: {
      // byte counts are bigints in rows (downloads): JSON has no bigint, so they travel as numbers
      stringify: (value) => JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)),
      parse: (text) => JSON.parse(text, (_key, value) => (isIsoDate(value) ? new Date(value) : value)),
    },
  });
  return {
    pubsub: createPubSub<Events>({ eventTarget }),
    streams: new StreamStats(),
    close: async () => {
      publishClient.disconnect();
      subscribeClient.disconnect();
    },
  };
}

const ISO_DATE = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;
const isIsoDate = (value: unknown): value is string => typeof value === 'string' && ISO_DATE.test(value);
