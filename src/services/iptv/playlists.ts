import type { Playlist, Prisma, PrismaClient } from '../../generated/prisma/client.js';
import type { RunQueue } from '../../jobs/run-queue.js';
import type { Logger } from '../../logger.js';
import { conflictOnUnique, NotFoundError, ValidationError } from '../errors.js';
import type { SecretBox } from '../secret-box.js';
import { budgetHost, normalizeServerUrl } from './urls.js';
import { XtreamClient } from './xtream-client.js';
import type { XtreamHttp } from './xtream-http.js';

export const PLAYLIST_SYNC_RUN = 'playlist-sync';

export interface AddPlaylistInput {
  name?: string | null;
  serverUrl: string;
  username: string;
  password: string;
}

/** The download engine's per-host connection budgets (HostBudget), as IPTV sets them. */
export interface HostLimits {
  setHostLimit(host: string, limit: number | null): void;
}

const ACTIVE_RUN = ['QUEUED', 'RUNNING', 'PAUSED'];

/**
 * A person's Xtream Codes playlists: the account checked before anything is saved, the password sealed by the
 * secret box and unsealed only to talk to the provider, the provider's max_connections made its host's download
 * budget, syncs queued as runs.
 */
export class PlaylistService {
  constructor(
    private readonly deps: { prisma: PrismaClient; secretBox: SecretBox; runs: RunQueue; http: XtreamHttp; budget: HostLimits; log: Logger },
  ) {}

  list(userId: string, query: Pick<Prisma.PlaylistFindManyArgs, 'select' | 'include'> = {}): Promise<Playlist[]> {
    return this.deps.prisma.playlist.findMany({ ...query, where: { userId }, orderBy: { createdAt: 'asc' } }) as Promise<Playlist[]>;
  }

  async require(userId: string, id: string): Promise<Playlist> {
    const playlist = await this.deps.prisma.playlist.findFirst({ where: { id, userId } });
    if (!playlist) throw new NotFoundError('No playlist with this id', ['id']);
    return playlist;
  }

  /**
   * Checks the account (credentials, status, expiry), then saves the playlist and queues its first sync. The same
   * server and username again updates the password and the account's details instead.
   */
  async add(userId: string, input: AddPlaylistInput): Promise<Playlist> {
    const serverUrl = normalizeServerUrl(input.serverUrl);
    const username = input.username.trim();
    const password = input.password;
    if (!username || username.length > 200 || /\s/.test(username)) throw new ValidationError('The username is empty, too long or has spaces', ['input', 'username']);
    if (!password || password.length > 200 || /[\r\n]/.test(password)) throw new ValidationError('The password is empty, too long or has line breaks', ['input', 'password']);
    const name = (input.name?.trim() || new URL(serverUrl).hostname).slice(0, 100);
    const account = await new XtreamClient(this.deps.http, serverUrl, username, password).account();
    const data = {
      name,
      password: this.deps.secretBox.encrypt(password),
      accountStatus: account.status,
      maxConnections: account.maxConnections,
      expiresAt: account.expiresAt,
      isTrial: account.isTrial,
    };
    const existing = await this.deps.prisma.playlist.findUnique({ where: { userId_serverUrl_username: { userId, serverUrl, username } } });
    const playlist = existing
      ? await this.deps.prisma.playlist.update({ where: { id: existing.id }, data })
      : await this.deps.prisma.playlist.create({ data: { userId, serverUrl, username, ...data } }).catch(conflictOnUnique('This playlist was added meanwhile', ['input', 'serverUrl']));
    this.deps.log.info({ playlist: playlist.id, host: new URL(serverUrl).host, maxConnections: account.maxConnections }, existing ? 'IPTV playlist updated' : 'IPTV playlist added');
    await this.applyBudget(serverUrl);
    await this.enqueue(playlist);
    return this.require(userId, playlist.id);
  }

  /** Removes the playlist and everything synced from it; a sync in progress is cancelled first. */
  async delete(userId: string, id: string): Promise<string> {
    const playlist = await this.require(userId, id);
    const run = await this.deps.runs.latestFor(PLAYLIST_SYNC_RUN, playlist.id);
    if (run && ACTIVE_RUN.includes(run.status)) await this.deps.runs.cancel(run.id);
    await this.deps.prisma.playlist.deleteMany({ where: { id: playlist.id, userId } });
    await this.applyBudget(playlist.serverUrl);
    return playlist.id;
  }

  /** Queues a sync of the playlist; one already queued or going keeps its run. */
  async sync(userId: string, id: string): Promise<Playlist> {
    await this.enqueue(await this.require(userId, id));
    return this.require(userId, id);
  }

  /** The six-hourly job: every playlist of every person. */
  async syncEveryone(): Promise<{ queued: number }> {
    let queued = 0;
    for (const playlist of await this.deps.prisma.playlist.findMany({ orderBy: { createdAt: 'asc' } })) if (await this.enqueue(playlist)) queued++;
    return { queued };
  }

  /** A client for a saved playlist, its password unsealed only here. */
  clientFor(playlist: Pick<Playlist, 'serverUrl' | 'username' | 'password'>): XtreamClient {
    return new XtreamClient(this.deps.http, playlist.serverUrl, playlist.username, this.deps.secretBox.decrypt(playlist.password));
  }

  /** The account of a saved playlist with its password in clear, for stream URLs built server-side (never returned). */
  credentials(playlist: Pick<Playlist, 'serverUrl' | 'username' | 'password'>): { serverUrl: string; username: string; password: string } {
    return { serverUrl: playlist.serverUrl, username: playlist.username, password: this.deps.secretBox.decrypt(playlist.password) };
  }

  /**
   * At start-up: every host's download budget from its playlists, and no playlist left SYNCING without a run
   * to finish it (a run cut short by a restart is taken over by the runs mechanism and ends one way or the other).
   */
  async recover(): Promise<void> {
    await this.deps.prisma.$executeRaw`
      UPDATE "Playlist" p SET "syncStatus" = CASE WHEN p."lastError" IS NULL THEN 'IDLE' ELSE 'ERROR' END::"PlaylistSyncStatus", "updatedAt" = now()
      WHERE p."syncStatus" = 'SYNCING'
        AND NOT EXISTS (SELECT 1 FROM "Run" r WHERE r."subjectId" = p.id AND r.kind = ${PLAYLIST_SYNC_RUN} AND r.status::text IN ('QUEUED', 'RUNNING', 'PAUSED'))`;
    const hosts = new Set((await this.deps.prisma.playlist.findMany({ select: { serverUrl: true } })).map((p) => p.serverUrl));
    for (const serverUrl of hosts) await this.applyBudget(serverUrl);
  }

  /**
   * A host's download budget: the sum of max_connections over the accounts on it (each account brings its own
   * connections); none left, or one without a limit, gives the host back the default.
   */
  private async applyBudget(serverUrl: string): Promise<void> {
    const host = budgetHost(serverUrl);
    const playlists = await this.deps.prisma.playlist.findMany({ select: { serverUrl: true, maxConnections: true } });
    const onHost = playlists.filter((p) => budgetHost(p.serverUrl) === host);
    const limit = onHost.length === 0 || onHost.some((p) => p.maxConnections === null) ? null : onHost.reduce((sum, p) => sum + p.maxConnections!, 0);
    this.deps.budget.setHostLimit(host, limit);
  }

  private async enqueue(playlist: Playlist): Promise<boolean> {
    const latest = await this.deps.runs.latestFor(PLAYLIST_SYNC_RUN, playlist.id);
    if (latest && (latest.status === 'QUEUED' || latest.status === 'RUNNING')) return false;
    await this.deps.prisma.playlist.update({ where: { id: playlist.id }, data: { syncStatus: 'SYNCING', syncProgress: { phase: 'queued' } } });
    await this.deps.runs.enqueue({ kind: PLAYLIST_SYNC_RUN, userId: playlist.userId, subjectId: playlist.id });
    return true;
  }
}
