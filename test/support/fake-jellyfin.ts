import type { ServerResponse } from 'node:http';
import { FakeUpstream, param, sendJson, type SeenRequest } from './fake-upstream.js';

/**
 * Jellyfin 10.8–10.10 on 127.0.0.1 as UPSTREAMS.md §1 describes it: PascalCase JSON with nulls left out,
 * N-format GUIDs, .NET dates (7 fractional digits when whole seconds, trimmed otherwise), the `MediaBrowser`
 * authorization scheme (Bearer is not understood: 401 with an empty body), ProductName only on
 * /System/Info/Public, Fields honoured, UserData only with a userId (10.8 leaves ItemId out, 10.10 zeros it).
 */
export interface FakeStream {
  type: 'Video' | 'Audio' | 'Subtitle';
  language?: string;
  external?: boolean;
}

export interface FakeSource {
  size?: number;
  path?: string;
  streams: FakeStream[];
}

export interface FakeItem {
  id: string;
  type: 'Movie' | 'Series' | 'Episode';
  name: string;
  year?: number;
  /** as Jellyfin writes it; absent: left out of the answer (an unknown date) */
  dateCreated?: string;
  providerIds?: Record<string, string>;
  seriesId?: string;
  seriesName?: string;
  season?: number;
  episode?: number;
  sources?: FakeSource[];
}

export interface FakeUser {
  id: string;
  name: string;
}

export interface FakeJellyfinOptions {
  apiKey?: string;
  version?: '10.8.13' | '10.10.7';
  /** what /System/Info/Public says it is (Emby says "Emby Server") */
  productName?: string;
}

/** A .NET DateTime as Jellyfin writes it. */
export function dotnetDate(date: Date | string): string {
  const iso = typeof date === 'string' ? new Date(date).toISOString() : date.toISOString();
  const [whole, fraction] = iso.slice(0, -1).split('.');
  const trimmed = (fraction ?? '').replace(/0+$/, '');
  return trimmed ? `${whole}.${trimmed}Z` : `${whole}.0000000Z`;
}

/** A deterministic N-format GUID from a number and a salt, for fixtures. */
export function guid(n: number, salt = 1): string {
  const hex = (x: number) => (x >>> 0).toString(16).padStart(8, '0');
  return `${hex(salt * 2654435761)}${hex(n)}${hex(n * 40503 + salt)}${hex(n ^ 0x5bd1e995)}`;
}

export class FakeJellyfin extends FakeUpstream {
  readonly items = new Map<string, FakeItem>();
  readonly users: FakeUser[] = [];
  /** userId → itemId → played state */
  readonly plays = new Map<string, Map<string, { lastPlayedDate?: string; playCount: number }>>();
  private sorted: FakeItem[] | null = null;
  private readonly json = new Map<string, Map<string, string>>();

  constructor(readonly options: FakeJellyfinOptions = {}) {
    super();
  }

  get apiKey(): string {
    return this.options.apiKey ?? 'jellyfin-test-key-0123456789abcdef';
  }

  add(...items: FakeItem[]): this {
    for (const item of items) this.items.set(item.id, item);
    this.sorted = null;
    this.json.clear();
    return this;
  }

  remove(id: string): this {
    this.items.delete(id);
    this.sorted = null;
    this.json.clear();
    return this;
  }

  addUser(user: FakeUser): this {
    this.users.push(user);
    return this;
  }

  play(userId: string, itemId: string, lastPlayedDate?: Date | string, playCount = 1): this {
    const mine = this.plays.get(userId) ?? new Map();
    mine.set(itemId, { ...(lastPlayedDate ? { lastPlayedDate: dotnetDate(lastPlayedDate) } : {}), playCount });
    this.plays.set(userId, mine);
    return this;
  }

  /** The token a request carries, by Jellyfin's rules (§1.1); null when there is none it understands. */
  private token(req: SeenRequest): string | null {
    const header = (req.headers['x-emby-authorization'] as string | undefined) ?? req.headers.authorization;
    if (header) {
      const [scheme, ...rest] = header.split(' ');
      if (/^(mediabrowser|emby)$/i.test(scheme ?? '')) {
        const token = /Token="?([^",]*)"?/i.exec(rest.join(' '));
        if (token) return decodeURIComponent(token[1]!);
      }
    }
    const direct = req.headers['x-emby-token'] ?? req.headers['x-mediabrowser-token'];
    if (typeof direct === 'string') return direct;
    return param(req.query, 'ApiKey') ?? param(req.query, 'api_key');
  }

  protected answer(req: SeenRequest, res: ServerResponse): void {
    const info = { LocalAddress: this.url, ServerName: 'nas', Version: this.options.version ?? '10.10.7', Id: '8f2b6c1d0e4a4b7f9c3d2e1f0a9b8c7d' };
    if (req.path === '/System/Info/Public') {
      return sendJson(res, 200, { ...info, ProductName: this.options.productName ?? 'Jellyfin Server', OperatingSystem: '', StartupWizardCompleted: true });
    }
    if (this.token(req) !== this.apiKey) return void res.writeHead(401, { 'content-length': 0 }).end();
    if (req.path === '/System/Info') {
      // no ProductName here, in any version
      return sendJson(res, 200, { ...info, OperatingSystem: this.options.version === '10.8.13' ? 'Linux' : '', HasPendingRestart: false, IsShuttingDown: false, SupportsLibraryMonitor: true, WebSocketPortNumber: 8096, CompletedInstallations: [], CanSelfRestart: true, CanLaunchWebBrowser: false, HasUpdateAvailable: false, EncoderLocation: 'System', SystemArchitecture: 'X64' });
    }
    if (req.path === '/Users') {
      return sendJson(res, 200, this.users.map((u) => ({ Name: u.name, ServerId: info.Id, Id: u.id, HasPassword: true, HasConfiguredPassword: true, EnableAutoLogin: false, Policy: { IsAdministrator: false, IsHidden: false, IsDisabled: false } })));
    }
    if (req.path === '/Items') return this.serveItems(req, res);
    sendJson(res, 404, { message: 'not found' });
  }

  private serveItems(req: SeenRequest, res: ServerResponse): void {
    const userId = param(req.query, 'userId');
    if (userId && !this.users.some((u) => u.id === userId)) return sendJson(res, 400, { message: 'Error processing request.' });
    const types = new Set((param(req.query, 'IncludeItemTypes') ?? 'Movie,Series,Episode').split(','));
    const fields = new Set((param(req.query, 'Fields') ?? '').split(',').filter(Boolean));
    const isPlayed = param(req.query, 'IsPlayed');
    const plays = userId ? this.plays.get(userId) : undefined;
    this.sorted ??= [...this.items.values()].sort((a, b) => (a.dateCreated ?? '').localeCompare(b.dateCreated ?? '') || a.name.localeCompare(b.name) || a.id.localeCompare(b.id));
    let matching = this.sorted.filter((i) => types.has(i.type));
    if (userId && isPlayed !== null) matching = matching.filter((i) => Boolean(plays?.has(i.id)) === (isPlayed === 'true'));
    const start = Number(param(req.query, 'StartIndex') ?? 0);
    const limit = param(req.query, 'Limit');
    const page = matching.slice(start, limit === null ? undefined : start + Number(limit));
    // each item's JSON is made once per set of fields (without user data); 50,000 items page quickly
    const key = [...fields].sort().join(',');
    const cache = this.json.get(key) ?? new Map<string, string>();
    this.json.set(key, cache);
    const items = page.map((item) => {
      if (userId) return JSON.stringify(this.dto(item, fields, plays?.get(item.id) ?? null));
      let text = cache.get(item.id);
      if (text === undefined) cache.set(item.id, (text = JSON.stringify(this.dto(item, fields, undefined))));
      return text;
    });
    const body = `{"Items":[${items.join(',')}],"TotalRecordCount":${matching.length},"StartIndex":${start}}`;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
  }

  private dto(item: FakeItem, fields: Set<string>, play: { lastPlayedDate?: string; playCount: number } | null | undefined): Record<string, unknown> {
    const streams = (source: FakeSource) =>
      source.streams.map((s, index) => ({
        Codec: s.type === 'Video' ? 'h264' : s.type === 'Audio' ? 'ac3' : 'subrip',
        ...(s.language !== undefined ? { Language: s.language } : {}),
        Type: s.type,
        Index: index,
        IsDefault: index < 2,
        IsForced: false,
        IsExternal: Boolean(s.external),
        DisplayTitle: `${s.language ?? 'Unknown'} - ${s.type}`,
      }));
    const sources = item.type === 'Series' ? undefined : (item.sources ?? []).map((source, i) => ({
      Protocol: 'File',
      Id: i === 0 ? item.id : `${item.id.slice(0, 30)}${String(i).padStart(2, '0')}`,
      Path: source.path ?? `/media/${item.id}/${i}.mkv`,
      Type: 'Default',
      Container: 'mkv',
      ...(source.size !== undefined ? { Size: source.size } : {}),
      Name: item.name,
      IsRemote: false,
      MediaStreams: fields.has('MediaStreams') || fields.has('MediaSources') ? streams(source) : undefined,
      Bitrate: 13172000,
    }));
    const userData =
      play === undefined
        ? undefined
        : {
            PlaybackPositionTicks: 0,
            PlayCount: play?.playCount ?? 0,
            IsFavorite: false,
            ...(play?.lastPlayedDate ? { LastPlayedDate: play.lastPlayedDate } : {}),
            Played: Boolean(play),
            Key: item.providerIds?.Tmdb ?? item.id,
            ...(this.options.version === '10.8.13' ? {} : { ItemId: '00000000000000000000000000000000' }),
          };
    const dto: Record<string, unknown> = {
      Name: item.name,
      ServerId: '8f2b6c1d0e4a4b7f9c3d2e1f0a9b8c7d',
      Id: item.id,
      ...(fields.has('DateCreated') && item.dateCreated ? { DateCreated: item.dateCreated } : {}),
      ...(fields.has('MediaSources') && sources ? { MediaSources: sources } : {}),
      ...(fields.has('Path') ? { Path: `/media/${item.id}` } : {}),
      ...(item.year ? { ProductionYear: item.year, PremiereDate: `${item.year}-06-01T00:00:00.0000000Z` } : {}),
      ...(item.type === 'Episode' ? { IndexNumber: item.episode, ParentIndexNumber: item.season, SeriesName: item.seriesName, SeriesId: item.seriesId } : {}),
      ...(fields.has('ProviderIds') ? { ProviderIds: item.providerIds ?? {} } : {}),
      IsFolder: item.type === 'Series',
      Type: item.type,
      ...(userData ? { UserData: userData } : {}),
      ...(fields.has('MediaStreams') && sources?.[0] ? { MediaStreams: sources[0].MediaStreams } : {}),
      LocationType: 'FileSystem',
      MediaType: item.type === 'Series' ? 'Unknown' : 'Video',
    };
    return dto; // undefined values are left out when it is written
  }
}
