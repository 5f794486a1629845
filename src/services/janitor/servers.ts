import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { MediaServer, MediaServerKind, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import type { RunQueue } from '../../jobs/run-queue.js';
import type { Logger } from '../../logger.js';
import { conflictOnUnique, NotFoundError, ValidationError } from '../errors.js';
import type { SecretBox } from '../secret-box.js';
import { JellyfinClient } from './jellyfin.js';
import { JellyseerrClient } from './jellyseerr.js';
import type { UpstreamSettings } from './upstream.js';
import { normalizeServerUrl } from './urls.js';

export const SYNC_RUN = 'media-server-sync';

export interface ConnectInput {
  kind: MediaServerKind;
  url: string;
  apiKey: string;
  /** Jellyfin: the users whose plays become the person's history (names or ids); empty or absent: all */
  historyUsers?: string[] | null;
}

const MAX_HISTORY_USERS = 50;
const hashSecret = (secret: string) => createHash('sha256').update(secret).digest('hex');
const newSecret = () => `kjw_${randomBytes(24).toString('base64url')}`;

/**
 * A person's Jellyfin and Jellyseerr servers: checked before they are saved (reachable, the right product,
 * the key accepted), their keys sealed by the secret box and never handed back, their syncs queued as runs.
 */
export class MediaServerService {
  constructor(
    private readonly deps: { prisma: PrismaClient; secretBox: SecretBox; runs: RunQueue; settings: UpstreamSettings; log: Logger },
  ) {}

  /** The person's servers, oldest first; `query` is the caller's selection (Pothos's), when it has one. */
  list(userId: string, query: Pick<Prisma.MediaServerFindManyArgs, 'select' | 'include'> = {}): Promise<MediaServer[]> {
    return this.deps.prisma.mediaServer.findMany({ ...query, where: { userId }, orderBy: { createdAt: 'asc' } }) as Promise<MediaServer[]>;
  }

  async require(userId: string, id: string): Promise<MediaServer> {
    const server = await this.deps.prisma.mediaServer.findFirst({ where: { id, userId } });
    if (!server) throw new NotFoundError('No media server with this id', ['id']);
    return server;
  }

  /**
   * Checks the server, then saves it (the same address again updates its key). A new Jellyfin connection gets
   * a webhook secret, answered this once.
   */
  async connect(userId: string, input: ConnectInput): Promise<{ server: MediaServer; webhookSecret: string | null }> {
    const url = normalizeServerUrl(input.url, input.kind);
    const apiKey = input.apiKey.trim();
    if (!apiKey) throw new ValidationError('The API key is empty', ['input', 'apiKey']);
    if (apiKey.length > 512 || /[\r\n]/.test(apiKey)) throw new ValidationError('This is not an API key', ['input', 'apiKey']);
    const historyUsers = [...new Set((input.historyUsers ?? []).map((u) => u.trim()).filter(Boolean))];
    if (input.kind !== 'JELLYFIN' && historyUsers.length > 0) throw new ValidationError('Only Jellyfin has plays to bring into the history', ['input', 'historyUsers']);
    if (historyUsers.length > MAX_HISTORY_USERS || historyUsers.some((u) => u.length > 200)) throw new ValidationError(`At most ${MAX_HISTORY_USERS} user names`, ['input', 'historyUsers']);
    const info = await this.client(input.kind, url, apiKey).probe();
    const existing = await this.deps.prisma.mediaServer.findUnique({ where: { userId_kind_url: { userId, kind: input.kind, url } } });
    const sealed = this.deps.secretBox.encrypt(apiKey);
    if (existing) {
      const server = await this.deps.prisma.mediaServer.update({
        where: { id: existing.id },
        // other history users: their plays are read again from the start
        data: { apiKey: sealed, ...info, ...(input.historyUsers ? { historyUsers, historyGeneration: null } : {}), lastError: null, syncStatus: existing.syncStatus === 'ERROR' ? 'IDLE' : existing.syncStatus },
      });
      return { server, webhookSecret: null };
    }
    const webhookSecret = input.kind === 'JELLYFIN' ? newSecret() : null;
    const server = await this.deps.prisma.mediaServer
      .create({ data: { userId, kind: input.kind, url, apiKey: sealed, ...info, historyUsers, webhookSecretHash: webhookSecret ? hashSecret(webhookSecret) : null } })
      .catch(conflictOnUnique('This server was connected meanwhile', ['input', 'url']));
    this.deps.log.info({ mediaServer: server.id, kind: server.kind, version: server.version }, 'media server connected');
    return { server, webhookSecret };
  }

  /** Removes the server and its cache; a sync in progress is cancelled first. */
  async disconnect(userId: string, id: string): Promise<string> {
    const server = await this.require(userId, id);
    const run = await this.deps.runs.latestFor(SYNC_RUN, server.id);
    if (run && (run.status === 'QUEUED' || run.status === 'RUNNING' || run.status === 'PAUSED')) await this.deps.runs.cancel(run.id);
    await this.deps.prisma.mediaServer.deleteMany({ where: { id: server.id, userId } });
    return server.id;
  }

  /** A new webhook secret for a Jellyfin server, answered this once; the old one stops working. */
  async rotateWebhookSecret(userId: string, id: string): Promise<{ server: MediaServer; webhookSecret: string }> {
    const server = await this.require(userId, id);
    if (server.kind !== 'JELLYFIN') throw new ValidationError('Only Jellyfin servers send plays to a webhook', ['id']);
    const webhookSecret = newSecret();
    const updated = await this.deps.prisma.mediaServer.update({ where: { id: server.id }, data: { webhookSecretHash: hashSecret(webhookSecret) } });
    return { server: updated, webhookSecret };
  }

  /** The Jellyfin server a webhook call names, when its secret is that server's; null otherwise. */
  async webhookServer(id: string, secret: string): Promise<MediaServer | null> {
    const server = await this.deps.prisma.mediaServer.findUnique({ where: { id } });
    if (!server || server.kind !== 'JELLYFIN' || !server.webhookSecretHash) return null;
    const given = Buffer.from(hashSecret(secret), 'hex');
    const expected = Buffer.from(server.webhookSecretHash, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected) ? server : null;
  }

  /** Queues a sync of each of the person's servers (or of one); a server already syncing keeps its run. */
  async sync(userId: string, id?: string | null): Promise<MediaServer[]> {
    const servers = id ? [await this.require(userId, id)] : await this.list(userId);
    for (const server of servers) await this.enqueue(server);
    return this.deps.prisma.mediaServer.findMany({ where: { id: { in: servers.map((s) => s.id) } }, orderBy: { createdAt: 'asc' } });
  }

  /** The daily job: every server of every person. */
  async syncEveryone(): Promise<{ queued: number }> {
    const servers = await this.deps.prisma.mediaServer.findMany({ orderBy: { createdAt: 'asc' } });
    let queued = 0;
    for (const server of servers) if (await this.enqueue(server)) queued++;
    return { queued };
  }

  private async enqueue(server: MediaServer): Promise<boolean> {
    const latest = await this.deps.runs.latestFor(SYNC_RUN, server.id);
    if (latest && (latest.status === 'QUEUED' || latest.status === 'RUNNING')) return false;
    await this.deps.prisma.mediaServer.update({ where: { id: server.id }, data: { syncStatus: 'SYNCING', syncProgress: { phase: 'queued' } } });
    await this.deps.runs.enqueue({ kind: SYNC_RUN, userId: server.userId, subjectId: server.id });
    return true;
  }

  /** A client for a saved server, its key unsealed only here. */
  clientFor(server: MediaServer): JellyfinClient | JellyseerrClient {
    return this.client(server.kind, server.url, this.deps.secretBox.decrypt(server.apiKey));
  }

  private client(kind: MediaServerKind, url: string, apiKey: string): JellyfinClient | JellyseerrClient {
    return kind === 'JELLYFIN' ? new JellyfinClient(url, apiKey, this.deps.settings, this.deps.log) : new JellyseerrClient(url, apiKey, this.deps.settings, this.deps.log);
  }
}
