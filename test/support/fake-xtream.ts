import type { ServerResponse } from 'node:http';
import { FakeUpstream, sendJson, type SeenRequest } from './fake-upstream.js';

/** How the panel answers bad credentials: classic XC panels with 200 `{"user_info":{"auth":0}}`, XC_VM with a 404 page. */
export type PanelStyle = 'classic' | 'xcvm';

export interface FakeAccount {
  username: string;
  password: string;
  status: string;
  /** unix seconds as a string, or null (no expiry): as captured */
  exp_date: string | null;
  max_connections: string;
}

export interface Catalog {
  liveCategories: unknown[];
  vodCategories: unknown[];
  seriesCategories: unknown[];
  live: unknown[];
  vod: unknown[];
  series: unknown[];
  /** get_series_info answers by series_id */
  seriesInfo: Map<number, unknown>;
}

const NOT_FOUND_PAGE =
  '<html>\r\n<head><title>404 Not Found</title></head>\r\n<body>\r\n<center><h1>404 Not Found</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n';

const ACTIONS: Record<string, keyof Omit<Catalog, 'seriesInfo'>> = {
  get_live_categories: 'liveCategories',
  get_vod_categories: 'vodCategories',
  get_series_categories: 'seriesCategories',
  get_live_streams: 'live',
  get_vod_streams: 'vod',
  get_series: 'series',
};

/**
 * An Xtream Codes panel on 127.0.0.1 answering player_api.php in the captured formats (UPSTREAMS.md §3): the
 * account, the six lists, get_series_info. Bad credentials answer in the panel's style; `rateLimit` answers 429
 * with a Retry-After; faults, gates and hangs come from FakeUpstream. Lists are served as they are in `catalog`
 * at each request, so a test drops or changes entries between two syncs.
 */
export class FakeXtream extends FakeUpstream {
  style: PanelStyle = 'classic';
  account: FakeAccount = { username: 'alice', password: 's3cret-Pa55', status: 'Active', exp_date: null, max_connections: '2' };
  catalog: Catalog = emptyCatalog();
  /** where `/movie|series|live/{user}/{password}/{id}.{ext}` redirects (a fake file server), when set */
  files: string | null = null;
  private limits: { match: RegExp; remaining: number; retryAfter: string }[] = [];
  private cache = new Map<string, { source: unknown[]; length: number; text: string }>();

  /** The next `times` requests matching answer 429 with this Retry-After. */
  rateLimit(match: RegExp, times: number, retryAfter = '0'): this {
    this.limits.push({ match, remaining: times, retryAfter });
    return this;
  }

  protected answer(req: SeenRequest, res: ServerResponse): void {
    const stream = /^\/(movie|series|live)\/([^/]+)\/([^/]+)\/([^/]+)$/.exec(req.path);
    if (stream && this.files) {
      const [, kind, user, pass, file] = stream;
      if (decodeURIComponent(user!) !== this.account.username || decodeURIComponent(pass!) !== this.account.password) return notFound(res);
      return void res.writeHead(302, { location: `${this.files}/${kind}/${file}` }).end();
    }
    if (req.path !== '/player_api.php') return notFound(res);
    const target = `${req.path}?${req.query.toString()}`;
    const limit = this.limits.find((l) => l.remaining > 0 && l.match.test(target));
    if (limit) {
      limit.remaining--;
      return void res.writeHead(429, { 'retry-after': limit.retryAfter, 'content-type': 'text/plain' }).end('Too Many Requests');
    }
    const { username, password } = this.account;
    if (req.query.get('username') !== username || req.query.get('password') !== password) {
      return this.style === 'classic' ? sendJson(res, 200, { user_info: { auth: 0 } }) : notFound(res);
    }
    const action = req.query.get('action');
    if (!action) return sendJson(res, 200, this.accountBody());
    if (action === 'get_series_info') return sendJson(res, 200, this.catalog.seriesInfo.get(Number(req.query.get('series_id'))) ?? { seasons: [], info: [], episodes: [] });
    const list = ACTIONS[action];
    if (!list) return sendJson(res, 200, []);
    const text = this.serialized(list);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) }).end(text);
  }

  private accountBody() {
    const { username, password, status, exp_date, max_connections } = this.account;
    return {
      user_info: { username, password, message: '', auth: 1, status, exp_date, is_trial: '0', active_cons: '0', created_at: '1519083710', max_connections, allowed_output_formats: ['m3u8', 'ts', 'rtmp'] },
      server_info: { url: '127.0.0.1', port: '8080', https_port: '25463', server_protocol: 'http', rtmp_port: '25462', timezone: 'Europe/London', timestamp_now: 1535230020, time_now: '2018-08-25 21:47:00', process: false },
    };
  }

  /** A list's JSON, written again only when the list changed (a 100,000-entry list is tens of MB). */
  private serialized(list: keyof Omit<Catalog, 'seriesInfo'>): string {
    const source = this.catalog[list];
    const kept = this.cache.get(list);
    if (kept && kept.source === source && kept.length === source.length) return kept.text;
    const text = JSON.stringify(source);
    this.cache.set(list, { source, length: source.length, text });
    return text;
  }
}

function notFound(res: ServerResponse): void {
  res.writeHead(404, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(NOT_FOUND_PAGE) }).end(NOT_FOUND_PAGE);
}

export function emptyCatalog(): Catalog {
  return { liveCategories: [], vodCategories: [], seriesCategories: [], live: [], vod: [], series: [], seriesInfo: new Map() };
}

export interface CatalogSize {
  live: number;
  vod: number;
  series: number;
  /** series with a get_series_info answer (the first ones) */
  seriesWithInfo?: number;
  categories?: number;
}

/**
 * A catalog in the captured shapes, the types varying as real panels vary them: ids as numbers on most entries
 * and strings on some, ratings as strings, "" or numbers, dates as epoch strings, null categories on some series.
 */
export function generateCatalog(size: CatalogSize): Catalog {
  const categories = size.categories ?? 20;
  const category = (section: string, i: number) => ({ category_id: String(i + 1), category_name: `${section} category ${i + 1}`, parent_id: 0 });
  const catalog = emptyCatalog();
  catalog.liveCategories = Array.from({ length: categories }, (_, i) => category('Live', i));
  catalog.vodCategories = Array.from({ length: categories }, (_, i) => category('Movies', i));
  catalog.seriesCategories = Array.from({ length: categories }, (_, i) => category('Series', i));
  for (let i = 0; i < size.live; i++) {
    catalog.live.push({
      num: i + 1, name: `UK: Channel ${i} (HD)`, stream_type: 'live', stream_id: i % 7 === 0 ? String(10_000 + i) : 10_000 + i, stream_icon: i % 2 ? '' : `http://img.example/l${i}.png`,
      epg_channel_id: i % 3 ? `ch${i}.uk` : null, added: String(1_498_323_601 + i), category_id: String((i % categories) + 1), custom_sid: '', tv_archive: i % 5 === 0 ? '1' : 0, direct_source: '', tv_archive_duration: 0,
    });
  }
  for (let i = 0; i < size.vod; i++) {
    catalog.vod.push({
      num: i + 1, name: `Film number ${i} (${1950 + (i % 70)})`, stream_type: 'movie', stream_id: i % 9 === 0 ? String(200_000 + i) : 200_000 + i,
      stream_icon: `http://img.example/v${i}.jpg`, rating: i % 4 === 0 ? '' : i % 4 === 1 ? '6.3' : i % 4 === 2 ? 7 : '7', rating_5based: 3.2, added: String(1_535_126_376 + i),
      category_id: String((i % categories) + 1), container_extension: i % 2 ? 'mkv' : 'mp4', custom_sid: '', direct_source: '',
    });
  }
  for (let i = 0; i < size.series; i++) {
    catalog.series.push({
      num: i + 1, name: `Series number ${i}`, stream_type: null, series_id: i % 11 === 0 ? String(500_000 + i) : 500_000 + i, cover: `http://img.example/s${i}.jpg`,
      plot: `The plot of series ${i}, which goes on for a while to look like a real synopsis of a television series.`,
      cast: `Actor ${i % 500}, Actor ${(i * 7) % 500}, Actor ${(i * 13) % 500}`, director: `Director ${i % 300}`, genre: 'Crime / Drama / Mystery', releaseDate: '2005-09-22',
      last_modified: String(1_530_461_599 + i), rating: i % 3 ? '7' : '', rating_5based: 3.5, backdrop_path: i % 2 ? [`http://img.example/b${i}.jpg`] : '', youtube_trailer: '', episode_run_time: '42',
      category_id: i % 17 === 0 ? null : String((i % categories) + 1),
    });
  }
  for (let i = 0; i < Math.min(size.seriesWithInfo ?? 0, size.series); i++) catalog.seriesInfo.set(500_000 + i, seriesInfoFor(500_000 + i, 2, 3));
  return catalog;
}

/** A get_series_info answer: `seasons` seasons of `episodes` episodes, episode ids `<series>-<season>-<n>`. */
export function seriesInfoFor(seriesId: number, seasons: number, episodes: number) {
  const byseason: Record<string, unknown[]> = {};
  for (let s = 1; s <= seasons; s++) {
    byseason[String(s)] = Array.from({ length: episodes }, (_, e) => ({
      id: `${seriesId}${s}${String(e + 1).padStart(2, '0')}`, episode_num: e + 1, title: `S${s}E${e + 1}`, container_extension: 'mkv',
      info: e === 1 ? [] : { duration_secs: 2580, duration: '00:43:00', plot: 'An episode', movie_image: 'http://img.example/e.jpg' },
      custom_sid: '', added: String(1_530_461_599 + e), season: s, direct_source: '',
    }));
  }
  return {
    seasons: Array.from({ length: seasons }, (_, s) => ({ air_date: '2005-09-22', episode_count: episodes, id: s, name: `Season ${s + 1}`, overview: '', season_number: s + 1, cover: '', cover_big: '' })),
    info: { name: `Series ${seriesId}`, cast: 'Joe Mantegna', category_id: '1' },
    episodes: byseason,
  };
}
