import type { ServerResponse } from 'node:http';
import { FakeUpstream, param, sendJson, type SeenRequest } from './fake-upstream.js';

/**
 * Jellyseerr on 127.0.0.1 as UPSTREAMS.md §2 describes it: `X-Api-Key`, 403 (not 401) with its body for a bad
 * key, /api/v1/status without a key, take/skip paging with a computed page, newest first, the default filter
 * leaving out blocklisted media (6), request objects without titles, /movie and /tv (name, firstAirDate) with
 * HTTP 500 for an id TMDB does not know. Version 1.9 has no request status 5 nor media status 7.
 */
export interface FakeRequest {
  id: number;
  type: 'movie' | 'tv';
  tmdbId: number;
  status: number;
  mediaStatus: number;
  is4k?: boolean;
  status4k?: number;
  createdAt: string;
  updatedAt?: string;
  mediaAddedAt?: string;
  mediaUpdatedAt?: string;
  requestedBy?: { displayName?: string; username?: string | null; jellyfinUsername?: string | null; email?: string };
  jellyfinMediaId?: string;
}

export interface FakeJellyseerrOptions {
  apiKey?: string;
  version?: '2.7.3' | '1.9.2';
}

export class FakeJellyseerr extends FakeUpstream {
  readonly requestList: FakeRequest[] = [];
  readonly titles = new Map<string, { title: string; releaseDate: string }>();

  constructor(readonly options: FakeJellyseerrOptions = {}) {
    super();
  }

  get apiKey(): string {
    return this.options.apiKey ?? 'jellyseerr-test-key-MTY4Nzk0';
  }

  addRequest(request: FakeRequest, title?: { title: string; releaseDate: string }): this {
    this.requestList.push(request);
    if (title) this.titles.set(`${request.type}:${request.tmdbId}`, title);
    return this;
  }

  protected answer(req: SeenRequest, res: ServerResponse): void {
    if (req.path === '/api/v1/status') {
      return sendJson(res, 200, { version: this.options.version ?? '2.7.3', commitTag: 'v2.7.3', updateAvailable: false, commitsBehind: 0, restartRequired: false });
    }
    if (!req.path.startsWith('/api/v1/')) return void res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Jellyseerr</title>');
    if (req.headers['x-api-key'] !== this.apiKey) return sendJson(res, 403, { status: 403, error: 'You do not have permission to access this endpoint' });
    if (req.path === '/api/v1/request') return this.serveRequests(req, res);
    const title = /^\/api\/v1\/(movie|tv)\/(\d+)$/.exec(req.path);
    if (title) {
      const known = this.titles.get(`${title[1]}:${title[2]}`);
      if (!known) return sendJson(res, 500, { message: `Unable to retrieve ${title[1] === 'movie' ? 'movie' : 'series'}.` });
      return sendJson(res, 200, title[1] === 'movie' ? { id: Number(title[2]), title: known.title, releaseDate: known.releaseDate, runtime: 100 } : { id: Number(title[2]), name: known.title, firstAirDate: known.releaseDate, numberOfSeasons: 1 });
    }
    sendJson(res, 404, { message: 'Not Found' });
  }

  private serveRequests(req: SeenRequest, res: ServerResponse): void {
    const take = Number(param(req.query, 'take') ?? 10);
    const skip = Number(param(req.query, 'skip') ?? 0);
    const visible = this.requestList.filter((r) => ((r.is4k ? r.status4k : r.mediaStatus) ?? 1) !== 6).sort((a, b) => b.id - a.id);
    const page = visible.slice(skip, skip + take);
    sendJson(res, 200, {
      pageInfo: { pages: Math.ceil(visible.length / take), pageSize: take, results: visible.length, page: Math.ceil(skip / take) + 1 },
      results: page.map((r) => this.requestObject(r)),
    });
  }

  private requestObject(r: FakeRequest) {
    const requester = { permissions: 160, warnings: [], id: 3, email: r.requestedBy?.email ?? 'two@email.com', plexUsername: null, jellyfinUsername: r.requestedBy?.jellyfinUsername ?? null, username: r.requestedBy?.username ?? null, userType: 3, displayName: r.requestedBy?.displayName ?? r.requestedBy?.username ?? r.requestedBy?.jellyfinUsername ?? r.requestedBy?.email ?? 'two@email.com', createdAt: '2025-09-11T20:41:53.000Z', updatedAt: '2025-09-11T20:41:53.000Z', requestCount: 9 };
    return {
      id: r.id,
      status: r.status,
      createdAt: r.createdAt,
      updatedAt: r.updatedAt ?? r.createdAt,
      type: r.type,
      is4k: Boolean(r.is4k),
      serverId: null,
      profileId: null,
      rootFolder: null,
      languageProfileId: null,
      tags: null,
      isAutoRequest: false,
      media: {
        downloadStatus: [],
        downloadStatus4k: [],
        id: 100 + r.id,
        mediaType: r.type,
        tmdbId: r.tmdbId,
        tvdbId: r.type === 'tv' ? 392076 : null,
        imdbId: null,
        status: r.mediaStatus,
        status4k: r.status4k ?? 1,
        createdAt: r.createdAt,
        updatedAt: r.mediaUpdatedAt ?? r.updatedAt ?? r.createdAt,
        lastSeasonChange: r.createdAt,
        mediaAddedAt: r.mediaAddedAt ?? r.createdAt,
        serviceId: 0,
        externalServiceId: 107,
        ratingKey: null,
        ...(this.options.version === '1.9.2' ? {} : { jellyfinMediaId: r.jellyfinMediaId ?? null, jellyfinMediaId4k: null }),
      },
      seasons: r.type === 'tv' ? [{ id: 16, seasonNumber: 1, status: r.status, createdAt: r.createdAt, updatedAt: r.createdAt }] : [],
      modifiedBy: null,
      requestedBy: requester,
      seasonCount: r.type === 'tv' ? 1 : 0,
      canRemove: true,
    };
  }
}
