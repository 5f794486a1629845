import type { Logger } from '../../logger.js';
import { UpstreamError, WrongProductError } from '../errors.js';
import { jellyfinGuid } from './jellyfin.js';
import { UpstreamHttp, type UpstreamSettings } from './upstream.js';

/** A Jellyseerr (or Overseerr) request as the cache keeps it (UPSTREAMS.md §2.3). */
export interface SeerrRequest {
  requestId: number;
  tmdbId: string;
  mediaType: 'movie' | 'tv';
  is4k: boolean;
  status: number;
  /** the media's status that applies to this request: `status4k` for a 4K request */
  mediaStatus: number | null;
  requestedBy: string | null;
  requestedAt: Date;
  updatedAt: Date | null;
  availableAt: Date | null;
  jellyfinMediaId: string | null;
}

export interface SeerrTitle {
  title: string | null;
  releaseDate: string | null;
}

/** MediaStatus: 5 AVAILABLE in every version; 6 BLACKLISTED (2.0+), 7 DELETED (2.6+). */
export const MEDIA_AVAILABLE = 5;

const date = (value: unknown): Date | null => {
  if (typeof value !== 'string') return null;
  const d = new Date(value);
  return Number.isNaN(d.getTime()) ? null : d;
};

export function parseRequest(raw: unknown): SeerrRequest | null {
  const r = raw as Record<string, unknown> | null;
  const media = (r?.media ?? null) as Record<string, unknown> | null;
  const requestId = typeof r?.id === 'number' ? r.id : null;
  const tmdbId = typeof media?.tmdbId === 'number' || typeof media?.tmdbId === 'string' ? String(media.tmdbId) : null;
  const type = r?.type ?? media?.mediaType;
  const requestedAt = date(r?.createdAt);
  if (requestId === null || !tmdbId || (type !== 'movie' && type !== 'tv') || !requestedAt || typeof r?.status !== 'number') return null;
  const is4k = r.is4k === true;
  const mediaStatus = (is4k ? media?.status4k : media?.status) as unknown;
  const status = typeof mediaStatus === 'number' ? mediaStatus : null;
  const by = (r.requestedBy ?? null) as Record<string, unknown> | null;
  const requester = [by?.displayName, by?.username, by?.jellyfinUsername, by?.plexUsername, by?.email].find((v) => typeof v === 'string' && v.trim() !== '') as string | undefined;
  const added = date(media?.mediaAddedAt);
  const mediaUpdated = date(media?.updatedAt);
  return {
    requestId,
    tmdbId,
    mediaType: type,
    is4k,
    status: r.status,
    mediaStatus: status,
    requestedBy: requester ?? null,
    requestedAt,
    updatedAt: date(r.updatedAt),
    // Jellyseerr stamps mediaAddedAt when the server finds the media; older rows carry the request's own date
    availableAt: status === MEDIA_AVAILABLE ? (added && added >= requestedAt ? added : (mediaUpdated ?? date(r.updatedAt) ?? added)) : null,
    jellyfinMediaId: jellyfinGuid(is4k ? media?.jellyfinMediaId4k : media?.jellyfinMediaId),
  };
}

/** Jellyseerr, Overseerr and Seerr API v1: `X-Api-Key`, 403 (not 401) for a bad key, take/skip paging. */
export class JellyseerrClient {
  readonly http: UpstreamHttp;

  constructor(baseUrl: string, apiKey: string, private readonly settings: UpstreamSettings, log: Logger) {
    this.http = new UpstreamHttp('Jellyseerr', `${baseUrl}/api/v1`, { 'x-api-key': apiKey }, settings, log);
  }

  /** Before saving: reachable and Jellyseerr (/status needs no key), then the key accepted by /request. */
  async probe(): Promise<{ serverName: string | null; version: string | null; upstreamId: string | null }> {
    const status = await this.http.answer('/status', {}, { auth: false });
    if (status.kind === 'network') throw this.http.unreachable(status);
    const body = status.kind === 'json' && status.status === 200 ? (status.body as Record<string, unknown>) : null;
    if (!body || typeof body.version !== 'string' || !('commitTag' in body)) {
      throw new WrongProductError('Jellyseerr', null, 'This address does not answer as Jellyseerr or Overseerr (no /api/v1/status)', ['input', 'url']);
    }
    const probe = await this.http.answer('/request', { take: 1, skip: 0 });
    if (probe.kind === 'network') throw this.http.unreachable(probe);
    if (probe.status === 401 || probe.status === 403) {
      throw new UpstreamError('UPSTREAM_KEY_REFUSED', 'Jellyseerr', 'Jellyseerr refused this API key (Settings → General → API Key)', 'apiKey');
    }
    if (probe.kind !== 'json' || probe.status !== 200) throw new UpstreamError('UPSTREAM_BAD_RESPONSE', 'Jellyseerr', `Jellyseerr answered HTTP ${probe.status} to /api/v1/request`);
    return { serverName: null, version: body.version, upstreamId: null };
  }

  /** One page of every request (`filter=all`), newest first as Jellyseerr sorts them. */
  async requests(skip: number, signal?: AbortSignal): Promise<{ requests: SeerrRequest[]; total: number; size: number }> {
    const body = await this.http.json<{ pageInfo?: { results?: unknown }; results?: unknown }>(
      '/request',
      { take: this.settings.requestPageSize, skip, filter: 'all', sort: 'added' },
      signal,
    );
    if (!body || !Array.isArray(body.results) || typeof body.pageInfo?.results !== 'number') {
      throw new UpstreamError('UPSTREAM_BAD_RESPONSE', 'Jellyseerr', 'Jellyseerr answered /request without pageInfo and results');
    }
    return { requests: body.results.map(parseRequest).filter((r): r is SeerrRequest => r !== null), total: body.pageInfo.results, size: body.results.length };
  }

  /**
   * A title and release date from Jellyseerr's own TMDB proxy (TV says name/firstAirDate). Null when
   * Jellyseerr cannot say (it answers 500 for an id TMDB does not know); throws when the server is failing.
   */
  async title(mediaType: 'movie' | 'tv', tmdbId: string, signal?: AbortSignal): Promise<SeerrTitle | null> {
    const answer = await this.http.answer(`/${mediaType}/${encodeURIComponent(tmdbId)}`, {}, { signal });
    if (answer.kind === 'json' && answer.status === 200) {
      const body = answer.body as Record<string, unknown>;
      const title = mediaType === 'movie' ? body.title : body.name;
      const released = mediaType === 'movie' ? body.releaseDate : body.firstAirDate;
      return { title: typeof title === 'string' && title ? title : null, releaseDate: typeof released === 'string' && /^\d{4}-\d\d-\d\d$/.test(released) ? released : null };
    }
    if (answer.kind === 'json' && (answer.status === 500 || answer.status === 404)) return null;
    throw new UpstreamError('UPSTREAM_UNAVAILABLE', 'Jellyseerr', `Jellyseerr did not answer a title look-up (${answer.kind === 'network' ? answer.reason : `HTTP ${answer.status}`})`);
  }
}
