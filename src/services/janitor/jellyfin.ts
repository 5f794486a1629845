import type { Logger } from '../../logger.js';
import { UpstreamError, WrongProductError } from '../errors.js';
import { normalizeLanguage } from './languages.js';
import { UpstreamHttp, type UpstreamSettings } from './upstream.js';

/** A Jellyfin movie, series or episode as the cache keeps it (UPSTREAMS.md §1.5). */
export interface JellyfinItem {
  jellyfinId: string;
  kind: 'MOVIE' | 'SERIES' | 'EPISODE';
  title: string;
  year: number | null;
  seriesJellyfinId: string | null;
  seriesTitle: string | null;
  seasonNumber: number | null;
  episodeNumber: number | null;
  tmdbId: string | null;
  imdbId: string | null;
  tvdbId: string | null;
  addedAt: Date | null;
  sizeBytes: number;
  versions: number;
  audioLanguages: string[];
  subtitleLanguages: string[];
  unknownAudioTracks: number;
  unknownSubtitleTracks: number;
}

/** One user's played state of one item. */
export interface JellyfinPlay {
  jellyfinId: string;
  lastPlayedAt: Date | null;
  playCount: number;
}

export interface JellyfinUser {
  id: string;
  name: string;
}

export interface JellyfinPage<T> {
  items: T[];
  /** items the page held, read or not: where the next page starts */
  received: number;
  total: number;
}

const KINDS: Record<string, JellyfinItem['kind']> = { Movie: 'MOVIE', Series: 'SERIES', Episode: 'EPISODE' };

/** Jellyfin writes GUIDs without dashes (`N`), its webhook templates with them (`D`): one form, lower-case N. */
export function jellyfinGuid(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  const hex = value.replace(/-/g, '').toLowerCase();
  return /^[0-9a-f]{32}$/.test(hex) && !/^0+$/.test(hex) ? hex : null;
}

/** ISO 8601 with 1–7 fractional digits; .NET's DateTime.MinValue (year 1) and nonsense are unknown. */
export function jellyfinDate(value: unknown): Date | null {
  if (typeof value !== 'string' || value === '') return null;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) || date.getUTCFullYear() < 1900 ? null : date;
}

const str = (value: unknown): string | null => (typeof value === 'string' && value.trim() !== '' ? value.trim() : null);
const int = (value: unknown): number | null => {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isInteger(n) ? n : null;
};

/** Provider ids: PascalCase keys in the API (`Tmdb`), any case elsewhere; values are strings. */
function providerId(ids: unknown, name: string): string | null {
  if (!ids || typeof ids !== 'object') return null;
  for (const [key, value] of Object.entries(ids)) if (key.toLowerCase() === name) return str(typeof value === 'number' ? String(value) : value);
  return null;
}

type Stream = { Type?: unknown; Language?: unknown };

/** Reads one BaseItemDto; null for what the cache does not keep (another type, no id). */
export function parseItem(raw: unknown): JellyfinItem | null {
  if (!raw || typeof raw !== 'object') return null;
  const dto = raw as Record<string, unknown>;
  const kind = KINDS[String(dto.Type)];
  const jellyfinId = jellyfinGuid(dto.Id);
  if (!kind || !jellyfinId) return null;
  const sources = Array.isArray(dto.MediaSources) ? (dto.MediaSources as Record<string, unknown>[]) : [];
  // each version's streams; the top-level list copies the first version's, for servers that leave sources out
  const streamLists: Stream[][] = sources.map((s) => (Array.isArray(s?.MediaStreams) ? (s.MediaStreams as Stream[]) : []));
  if (streamLists.every((l) => l.length === 0) && Array.isArray(dto.MediaStreams)) streamLists.splice(0, streamLists.length, dto.MediaStreams as Stream[]);
  const audio = new Set<string>();
  const subtitles = new Set<string>();
  let unknownAudio = 0;
  let unknownSubtitles = 0;
  for (const stream of streamLists.flat()) {
    if (!stream || typeof stream !== 'object') continue;
    const language = normalizeLanguage(typeof stream.Language === 'string' ? stream.Language : null);
    if (stream.Type === 'Audio') language ? audio.add(language) : unknownAudio++;
    else if (stream.Type === 'Subtitle') language ? subtitles.add(language) : unknownSubtitles++;
  }
  const paths = new Set<string>();
  let sizeBytes = 0;
  for (const source of sources) {
    const size = typeof source?.Size === 'number' && source.Size > 0 ? source.Size : 0;
    const key = str(source?.Path) ?? str(source?.Id) ?? String(paths.size);
    if (paths.has(key)) continue;
    paths.add(key);
    sizeBytes += size;
  }
  const episode = kind === 'EPISODE';
  return {
    jellyfinId,
    kind,
    title: str(dto.Name) ?? '(untitled)',
    year: int(dto.ProductionYear),
    seriesJellyfinId: episode ? jellyfinGuid(dto.SeriesId) : null,
    seriesTitle: episode ? str(dto.SeriesName) : null,
    seasonNumber: episode ? int(dto.ParentIndexNumber) : null,
    episodeNumber: episode ? int(dto.IndexNumber) : null,
    tmdbId: providerId(dto.ProviderIds, 'tmdb'),
    imdbId: providerId(dto.ProviderIds, 'imdb'),
    tvdbId: providerId(dto.ProviderIds, 'tvdb'),
    addedAt: jellyfinDate(dto.DateCreated),
    sizeBytes,
    versions: paths.size,
    audioLanguages: [...audio].sort(),
    subtitleLanguages: [...subtitles].sort(),
    unknownAudioTracks: unknownAudio,
    unknownSubtitleTracks: unknownSubtitles,
  };
}

function parsePlay(raw: unknown): JellyfinPlay | null {
  const dto = raw as { Id?: unknown; UserData?: { Played?: unknown; LastPlayedDate?: unknown; PlayCount?: unknown } } | null;
  const jellyfinId = jellyfinGuid(dto?.Id);
  if (!jellyfinId || dto?.UserData?.Played !== true) return null;
  return { jellyfinId, lastPlayedAt: jellyfinDate(dto.UserData.LastPlayedDate), playCount: int(dto.UserData.PlayCount) ?? 0 };
}

function page<T>(body: unknown, parse: (raw: unknown) => T | null, path: string): JellyfinPage<T> {
  const result = body as { Items?: unknown; TotalRecordCount?: unknown } | null;
  if (!result || !Array.isArray(result.Items) || typeof result.TotalRecordCount !== 'number') {
    throw new UpstreamError('UPSTREAM_BAD_RESPONSE', 'Jellyfin', `Jellyfin answered ${path} without Items and TotalRecordCount`);
  }
  return { items: result.Items.map(parse).filter((x): x is T => x !== null), received: result.Items.length, total: result.TotalRecordCount };
}

const CLIENT = 'Client="Klug", Device="server", DeviceId="klug-janitor", Version="1.0.0"';

/**
 * Jellyfin 10.8–10.11 through its API key: the `MediaBrowser` authorization scheme (a Bearer token is not
 * understood), PascalCase JSON, N-format GUIDs, played state only with a userId.
 */
export class JellyfinClient {
  readonly http: UpstreamHttp;

  constructor(baseUrl: string, apiKey: string, private readonly settings: UpstreamSettings, log: Logger) {
    this.http = new UpstreamHttp('Jellyfin', baseUrl, { authorization: `MediaBrowser ${CLIENT}, Token="${apiKey.replace(/"/g, '')}"` }, settings, log);
  }

  /**
   * Before saving: reachable (/System/Info/Public, no key), Jellyfin (only that route says ProductName), the key
   * accepted (/System/Info). Answers the server's name, version and id.
   */
  async probe(): Promise<{ serverName: string | null; version: string | null; upstreamId: string | null }> {
    const open = await this.http.answer('/System/Info/Public', {}, { auth: false });
    if (open.kind === 'network') throw this.http.unreachable(open);
    const info = open.kind === 'json' && open.status === 200 ? (open.body as Record<string, unknown>) : null;
    const product = str(info?.ProductName);
    if (!info || product !== 'Jellyfin Server') {
      throw new WrongProductError('Jellyfin', product, product ? `This address is ${product}, not Jellyfin` : 'This address does not answer as a Jellyfin server (no /System/Info/Public)', ['input', 'url']);
    }
    const full = await this.http.answer('/System/Info');
    if (full.kind === 'network') throw this.http.unreachable(full);
    if (full.kind === 'json' && full.status === 200) {
      const body = full.body as Record<string, unknown>;
      return { serverName: str(body.ServerName) ?? str(info.ServerName), version: str(body.Version) ?? str(info.Version), upstreamId: jellyfinGuid(body.Id ?? info.Id) };
    }
    if (full.status === 401 || full.status === 403) throw new UpstreamError('UPSTREAM_KEY_REFUSED', 'Jellyfin', 'Jellyfin refused this API key (create one under Dashboard → API Keys)', 'apiKey');
    throw new UpstreamError('UPSTREAM_BAD_RESPONSE', 'Jellyfin', `Jellyfin answered HTTP ${full.status} to /System/Info`);
  }

  async users(signal?: AbortSignal): Promise<JellyfinUser[]> {
    const body = await this.http.json<unknown>('/Users', {}, signal);
    if (!Array.isArray(body)) throw new UpstreamError('UPSTREAM_BAD_RESPONSE', 'Jellyfin', 'Jellyfin answered /Users with something other than a list');
    return body.flatMap((u: { Id?: unknown; Name?: unknown }) => {
      const id = jellyfinGuid(u?.Id);
      return id ? [{ id, name: str(u.Name) ?? id }] : [];
    });
  }

  /**
   * One page of every movie, series and episode with sizes, streams, dates and provider ids. Sorted by when
   * they were added, so items added while a sync pages go to the end instead of shifting the pages.
   */
  async items(startIndex: number, signal?: AbortSignal): Promise<JellyfinPage<JellyfinItem>> {
    const body = await this.http.json<unknown>(
      '/Items',
      {
        Recursive: true,
        IncludeItemTypes: 'Movie,Series,Episode',
        Fields: 'MediaSources,MediaStreams,Path,DateCreated,ProviderIds',
        IsMissing: false,
        SortBy: 'DateCreated,SortName',
        SortOrder: 'Ascending',
        EnableImages: false,
        EnableUserData: false,
        EnableTotalRecordCount: true,
        StartIndex: startIndex,
        Limit: this.settings.itemPageSize,
      },
      signal,
    );
    return page(body, parseItem, '/Items');
  }

  /** One page of the movies and episodes one user has played, with when they last played each. */
  async played(userId: string, startIndex: number, signal?: AbortSignal): Promise<JellyfinPage<JellyfinPlay>> {
    const body = await this.http.json<unknown>(
      '/Items',
      {
        userId,
        Recursive: true,
        IncludeItemTypes: 'Movie,Episode',
        IsPlayed: true,
        IsMissing: false,
        SortBy: 'DateCreated,SortName',
        SortOrder: 'Ascending',
        EnableImages: false,
        EnableUserData: true,
        EnableTotalRecordCount: true,
        StartIndex: startIndex,
        Limit: this.settings.playedPageSize,
      },
      signal,
    );
    return page(body, parsePlay, '/Items');
  }
}
