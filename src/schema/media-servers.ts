import type { MediaServer } from '../generated/prisma/client.js';
import {
  ConflictError,
  NotFoundError,
  UpstreamError,
  UpstreamTlsError,
  UpstreamUnreachableError,
  ValidationError,
  WrongProductError,
} from '../services/errors.js';
import { builder } from './builder.js';
import { ErrorInterface, resultUnion } from './errors.js';
import { asUuid, NO_MATCH } from './ids.js';
import { successPayload } from './payloads.js';

export const MediaServerKindEnum = builder.enumType('MediaServerKind', { values: ['JELLYFIN', 'JELLYSEERR'] as const });
export const MediaServerSyncStatusEnum = builder.enumType('MediaServerSyncStatus', {
  values: {
    IDLE: { description: 'the cache is as of lastSyncAt' },
    SYNCING: { description: 'a sync is queued or running; the last good cache is shown meanwhile' },
    ERROR: { description: 'the last sync failed (lastError says why); the last good cache is still shown' },
  } as const,
});

builder.objectType(UpstreamUnreachableError, {
  name: 'UpstreamUnreachableError',
  description: 'the server could not be reached: refused connection, unknown host, no answer in time',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof UpstreamUnreachableError,
  fields: (t) => ({ service: t.exposeString('service') }),
});

builder.objectType(WrongProductError, {
  name: 'WrongProductError',
  description: 'the address answers, but not as the kind of server asked for',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof WrongProductError,
  fields: (t) => ({
    service: t.exposeString('service', { description: 'the product expected' }),
    found: t.exposeString('found', { nullable: true, description: 'what the address says it is, when it says' }),
  }),
});

builder.objectType(UpstreamTlsError, {
  name: 'UpstreamTlsError',
  description: 'HTTPS could not be set up: an untrusted, expired or mismatched certificate, or https:// to a plain HTTP port',
  interfaces: [ErrorInterface],
  isTypeOf: (v) => v instanceof UpstreamTlsError,
  fields: (t) => ({ service: t.exposeString('service'), reason: t.exposeString('reason') }),
});

export interface SyncProgress {
  phase?: string;
  status?: string;
  items?: number;
  itemsTotal?: number;
  users?: number;
  usersTotal?: number;
  played?: number;
  plays?: number;
  requests?: number;
  requestsTotal?: number;
  titles?: number;
}

const SyncProgressType = builder.objectRef<SyncProgress>('MediaServerSyncProgress').implement({
  description: 'What the current (or last) sync has done; counters a phase has not reached are null',
  fields: (t) => ({
    phase: t.string({ nullable: true, description: 'queued, items, played, history, requests, titles or done', resolve: (p) => p.phase ?? null }),
    items: t.int({ nullable: true, description: 'Jellyfin items read', resolve: (p) => p.items ?? null }),
    itemsTotal: t.int({ nullable: true, resolve: (p) => p.itemsTotal ?? null }),
    users: t.int({ nullable: true, description: "Jellyfin users whose played state was read", resolve: (p) => p.users ?? null }),
    usersTotal: t.int({ nullable: true, resolve: (p) => p.usersTotal ?? null }),
    playedItems: t.int({ nullable: true, description: 'items someone has played', resolve: (p) => p.played ?? null }),
    playsRecorded: t.int({ nullable: true, description: 'plays that became watch events', resolve: (p) => (p.phase === 'done' ? (p.plays ?? null) : null) }),
    requests: t.int({ nullable: true, description: 'Jellyseerr requests read', resolve: (p) => p.requests ?? null }),
    requestsTotal: t.int({ nullable: true, resolve: (p) => p.requestsTotal ?? null }),
    titles: t.int({ nullable: true, description: 'request titles known', resolve: (p) => p.titles ?? null }),
  }),
});

const progressOf = (server: Pick<MediaServer, 'syncProgress'>) => (server.syncProgress ?? {}) as SyncProgress;

export const MediaServerType = builder.prismaNode('MediaServer', {
  nullable: true,
  id: { field: 'id' },
  findUnique: (id, ctx) => ({ id: asUuid(id), userId: ctx.viewer?.user.id ?? NO_MATCH }),
  fields: (t) => ({
    kind: t.expose('kind', { type: MediaServerKindEnum }),
    url: t.exposeString('url', { description: 'normalised' }),
    name: t.exposeString('serverName', { nullable: true, description: "the server's own name (Jellyfin)" }),
    version: t.exposeString('version', { nullable: true }),
    apiKeyConfigured: t.boolean({ select: { apiKey: true }, description: 'the key itself is never returned', resolve: (s) => Boolean(s.apiKey) }),
    syncStatus: t.expose('syncStatus', { type: MediaServerSyncStatusEnum }),
    lastSyncAt: t.expose('lastSyncAt', { type: 'DateTime', nullable: true, description: 'when the cache shown was written' }),
    lastError: t.exposeString('lastError', { nullable: true, description: 'why the last sync failed' }),
    progress: t.field({ type: SyncProgressType, select: { syncProgress: true }, resolve: progressOf }),
    itemCount: t.exposeInt('itemCount', { description: 'Jellyfin movies, series and episodes in the cache' }),
    requestCount: t.exposeInt('requestCount', { description: 'Jellyseerr requests in the cache' }),
    historyUsers: t.exposeStringList('historyUsers', { description: 'Jellyfin users whose plays go into your history; empty: all' }),
    webhookConfigured: t.boolean({ select: { webhookSecretHash: true }, resolve: (s) => Boolean(s.webhookSecretHash) }),
    webhookUrl: t.string({
      nullable: true,
      select: { id: true, kind: true },
      description: "Jellyfin: where the Webhook plugin's generic destination posts PlaybackStop (send the secret as X-Klug-Secret)",
      resolve: (s, _args, ctx) => (s.kind === 'JELLYFIN' ? `${ctx.publicOrigin}/webhooks/jellyfin/${s.id}` : null),
    }),
    createdAt: t.expose('createdAt', { type: 'DateTime' }),
  }),
});

export const ConnectMediaServerInput = builder.inputType('ConnectMediaServerInput', {
  fields: (t) => ({
    kind: t.field({ type: MediaServerKindEnum, required: true }),
    url: t.string({ required: true, description: 'e.g. http://jellyfin.lan:8096 or https://example.com/jellyseerr' }),
    apiKey: t.string({ required: true, description: 'Jellyfin: Dashboard → API Keys; Jellyseerr: Settings → General. Encrypted at rest, never returned' }),
    historyUsers: t.stringList({ description: 'Jellyfin users (names or ids) whose plays go into your history; all when omitted' }),
  }),
});

const ServerSecretSuccess = (name: string) =>
  successPayload(name, {
    field: 'mediaServer',
    model: 'MediaServer',
    id: (result: { serverId: string; webhookSecret: string | null }) => result.serverId,
    fields: (t) => ({
      webhookSecret: t.exposeString('webhookSecret', {
        nullable: true,
        description: 'Jellyfin: the webhook secret, shown this once (stored hashed); null when the server was connected before',
      }),
    }),
  });

export const ConnectMediaServerResult = resultUnion('ConnectMediaServerResult', ServerSecretSuccess('ConnectMediaServerSuccess'), [
  ValidationError,
  ConflictError,
  UpstreamUnreachableError,
  WrongProductError,
  UpstreamTlsError,
  UpstreamError,
]);
export const RotateWebhookSecretResult = resultUnion('RotateWebhookSecretResult', ServerSecretSuccess('RotateWebhookSecretSuccess'), [NotFoundError, ValidationError]);

/** A sync queued: of media servers (syncMediaServers) or of a playlist (syncPlaylist, whose field is in iptv.ts). */
export const SyncSuccess = builder.objectRef<{ serverIds: string[]; playlistIds?: string[] }>('SyncSuccess').implement({
  fields: (t) => ({
    mediaServers: t.prismaField({
      type: ['MediaServer'],
      description: 'the servers whose sync was queued (or already going)',
      resolve: (query, result, _args, ctx) => ctx.prisma.mediaServer.findMany({ ...query, where: { id: { in: result.serverIds } }, orderBy: { createdAt: 'asc' } }),
    }),
  }),
});

export const SyncResult = resultUnion('SyncResult', SyncSuccess, [NotFoundError]);
