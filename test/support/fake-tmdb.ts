import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { normalizeTitle } from '../../src/services/library/titles.js';

/**
 * TMDB v3 on 127.0.0.1, speaking the documented formats (UPSTREAMS.md §4): details with appended credits,
 * search, /find, seasons, the 401/404/429 bodies, plus an image host under /t/p. Faults on demand.
 */
export interface FakeMovie {
  id: number;
  title: string;
  original_title?: string;
  release_date: string;
  genres?: string[];
  runtime?: number;
  directors?: string[];
  cast?: string[];
  imdb_id?: string | null;
  poster_path?: string | null;
  backdrop_path?: string | null;
  overview?: string;
}

export interface FakeShow {
  id: number;
  name: string;
  original_name?: string;
  first_air_date: string;
  genres?: string[];
  created_by?: string[];
  cast?: string[];
  imdb_id?: string | null;
  poster_path?: string | null;
  seasons?: Record<number, { episode_number: number; name: string; air_date: string; runtime: number | null }[]>;
}

export interface FakeTmdbOptions {
  apiKey?: string;
  /** requests allowed in any one second; beyond it, 429 with Retry-After */
  perSecond?: number;
  /** every API answer is delayed by this much */
  latencyMs?: number;
  /** bytes served for any image path; null answers 404 */
  image?: Buffer | null;
}

export interface SeenRequest {
  path: string;
  query: Record<string, string>;
}

type Fault = { match: RegExp; remaining: number; respond: 'hang' | number; retryAfter?: string };

export class FakeTmdb {
  readonly movies = new Map<number, FakeMovie>();
  readonly shows = new Map<number, FakeShow>();
  readonly requests: SeenRequest[] = [];
  imageRequests = 0;
  rateLimited = 0;
  private readonly faults: Fault[] = [];
  private readonly gates: { match: RegExp; open: Promise<void>; waiting: number; arrived: () => void; arrival: Promise<void> }[] = [];
  private readonly recent: number[] = [];
  private server!: Server;
  url = '';
  imageUrl = '';

  constructor(readonly options: FakeTmdbOptions = {}) {}

  addMovie(movie: FakeMovie): this {
    this.movies.set(movie.id, movie);
    return this;
  }

  addShow(show: FakeShow): this {
    this.shows.set(show.id, show);
    return this;
  }

  /** The next `times` requests whose path matches answer `respond` (a status, or never). */
  fail(match: RegExp, times: number, respond: 'hang' | number, retryAfter?: string): void {
    this.faults.push({ match, remaining: times, respond, retryAfter });
  }

  /** Requests whose path matches wait until the returned function is called; `arrived` resolves when one waits. */
  gate(match: RegExp): { release: () => void; arrived: Promise<void> } {
    let release!: () => void;
    let arrived!: () => void;
    const arrival = new Promise<void>((resolve) => (arrived = resolve));
    const gate = { match, open: new Promise<void>((resolve) => (release = resolve)), waiting: 0, arrived, arrival };
    this.gates.push(gate);
    return {
      release: () => {
        this.gates.splice(this.gates.indexOf(gate), 1);
        release();
      },
      arrived: arrival,
    };
  }

  apiRequests(match?: RegExp): SeenRequest[] {
    return match ? this.requests.filter((r) => match.test(r.path)) : this.requests;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    const { port } = this.server.address() as AddressInfo;
    this.url = `http://127.0.0.1:${port}/3`;
    this.imageUrl = `http://127.0.0.1:${port}/t/p`;
    return this;
  }

  async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://fake');
    if (url.pathname.startsWith('/t/p/')) return this.serveImage(res);
    // for a fake in another process (the benchmark): what it has seen
    if (url.pathname === '/__stats') return send(res, 200, { requests: this.requests.length, rateLimited: this.rateLimited });
    const query = Object.fromEntries(url.searchParams);
    const { api_key: apiKey, ...rest } = query;
    this.requests.push({ path: url.pathname, query: rest });
    const expected = this.options.apiKey ?? 'test-key';
    const bearer = req.headers.authorization?.replace(/^Bearer /, '');
    if (apiKey !== expected && bearer !== expected) {
      return send(res, 401, { status_code: 7, status_message: 'Invalid API key: You must be granted a valid key.', success: false });
    }
    if (this.options.perSecond) {
      const now = Date.now();
      while (this.recent.length && this.recent[0]! <= now - 1000) this.recent.shift();
      if (this.recent.length >= this.options.perSecond) {
        this.rateLimited++;
        return send(res, 429, { status_code: 25, status_message: `Your request count (#) is over the allowed limit of (${this.options.perSecond}).`, success: false }, { 'retry-after': '1' });
      }
      this.recent.push(now);
    }
    const fault = this.faults.find((f) => f.remaining > 0 && f.match.test(url.pathname));
    if (fault) {
      fault.remaining--;
      if (fault.respond === 'hang') return; // the client's timeout ends it
      const body = fault.respond === 429 ? { status_code: 25, status_message: 'Your request count (#) is over the allowed limit of (40).', success: false } : { status_code: 11, status_message: 'Internal error: Something went wrong, contact TMDB.', success: false };
      return send(res, fault.respond, body, fault.retryAfter === undefined ? {} : { 'retry-after': fault.retryAfter });
    }
    const gate = this.gates.find((g) => g.match.test(url.pathname));
    if (gate) {
      gate.arrived();
      await gate.open;
      if (res.destroyed) return;
    }
    if (this.options.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
    const body = this.answer(url.pathname.replace(/^\/3/, ''), url.searchParams);
    if (body === null) return send(res, 404, { success: false, status_code: 34, status_message: 'The resource you requested could not be found.' });
    send(res, 200, body);
  }

  private answer(path: string, params: URLSearchParams): unknown {
    let m: RegExpMatchArray | null;
    if ((m = path.match(/^\/movie\/(\d+)$/))) {
      const movie = this.movies.get(Number(m[1]));
      return movie ? movieDetails(movie, params.get('append_to_response') ?? '') : null;
    }
    if ((m = path.match(/^\/tv\/(\d+)$/))) {
      const show = this.shows.get(Number(m[1]));
      return show ? showDetails(show, params.get('append_to_response') ?? '') : null;
    }
    if ((m = path.match(/^\/tv\/(\d+)\/season\/(\d+)$/))) {
      const episodes = this.shows.get(Number(m[1]))?.seasons?.[Number(m[2])];
      return episodes
        ? { _id: 'x', air_date: episodes[0]?.air_date ?? '', name: `Season ${m[2]}`, overview: '', id: Number(m[1]) * 100 + Number(m[2]), season_number: Number(m[2]), episodes: episodes.map((e, i) => ({ ...e, id: Number(m![1]) * 10_000 + Number(m![2]) * 100 + i, overview: '', season_number: Number(m![2]), still_path: null, vote_average: 7.1 })) }
        : null;
    }
    if (path === '/search/movie') {
      const year = params.get('primary_release_year');
      const results = [...this.movies.values()].filter((mv) => titleHit(params.get('query'), mv.title, mv.original_title) && (!year || mv.release_date.startsWith(year)));
      return page(results.map(movieResult));
    }
    if (path === '/search/tv') {
      const year = params.get('first_air_date_year');
      const results = [...this.shows.values()].filter((s) => titleHit(params.get('query'), s.name, s.original_name) && (!year || s.first_air_date.startsWith(year)));
      return page(results.map((s) => ({ id: s.id, name: s.name, original_name: s.original_name ?? s.name, first_air_date: s.first_air_date, poster_path: s.poster_path ?? null, genre_ids: [], origin_country: ['US'], original_language: 'en', overview: '', popularity: 1, vote_average: 8, vote_count: 10, backdrop_path: null })));
    }
    if ((m = path.match(/^\/find\/(tt\d+)$/))) {
      return {
        movie_results: [...this.movies.values()].filter((mv) => mv.imdb_id === m![1]).map(movieResult),
        person_results: [],
        tv_results: [...this.shows.values()].filter((s) => s.imdb_id === m![1]).map((s) => ({ id: s.id, name: s.name, original_name: s.original_name ?? s.name, first_air_date: s.first_air_date })),
        tv_episode_results: [],
        tv_season_results: [],
      };
    }
    return null;
  }

  private serveImage(res: ServerResponse): void {
    this.imageRequests++;
    if (!this.options.image) return void res.writeHead(404, { 'content-type': 'text/html' }).end('<html>Not found</html>');
    res.writeHead(200, { 'content-type': 'image/png', 'content-length': this.options.image.length }).end(this.options.image);
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'content-length': Buffer.byteLength(text), ...headers }).end(text);
}

function titleHit(query: string | null, ...titles: (string | undefined)[]): boolean {
  const q = normalizeTitle(query ?? '');
  return q !== '' && titles.some((t) => t !== undefined && normalizeTitle(t).includes(q));
}

const page = (results: unknown[]) => ({ page: 1, results: results.slice(0, 20), total_pages: 1, total_results: results.length });

function movieResult(m: FakeMovie) {
  return { adult: false, backdrop_path: m.backdrop_path ?? null, genre_ids: [28], id: m.id, original_language: 'en', original_title: m.original_title ?? m.title, overview: m.overview ?? '', popularity: 10.5, poster_path: m.poster_path ?? null, release_date: m.release_date, title: m.title, video: false, vote_average: 7.9, vote_count: 1000 };
}

function movieDetails(m: FakeMovie, append: string) {
  return {
    adult: false,
    backdrop_path: m.backdrop_path ?? null,
    belongs_to_collection: null,
    budget: 0,
    genres: (m.genres ?? []).map((name, i) => ({ id: i + 1, name })),
    homepage: '',
    id: m.id,
    imdb_id: m.imdb_id ?? null,
    origin_country: ['US'],
    original_language: 'en',
    original_title: m.original_title ?? m.title,
    overview: m.overview ?? '',
    popularity: 10.5,
    poster_path: m.poster_path ?? null,
    production_companies: [],
    production_countries: [],
    release_date: m.release_date,
    revenue: 0,
    runtime: m.runtime ?? 0,
    spoken_languages: [{ english_name: 'English', iso_639_1: 'en', name: 'English' }],
    status: 'Released',
    tagline: '',
    title: m.title,
    video: false,
    vote_average: 7.9,
    vote_count: 1000,
    ...(append.split(',').includes('credits')
      ? {
          credits: {
            cast: (m.cast ?? []).map((name, order) => ({ adult: false, gender: 2, id: 1000 + order, known_for_department: 'Acting', name, original_name: name, popularity: 1, profile_path: null, cast_id: order, character: 'X', credit_id: `c${order}`, order })),
            crew: (m.directors ?? []).map((name, i) => ({ adult: false, gender: 2, id: 500 + i, known_for_department: 'Directing', name, original_name: name, popularity: 1, profile_path: null, credit_id: `d${i}`, department: 'Directing', job: 'Director' })),
          },
        }
      : {}),
  };
}

function showDetails(s: FakeShow, append: string) {
  const parts = append.split(',');
  return {
    backdrop_path: null,
    created_by: (s.created_by ?? []).map((name, i) => ({ id: 700 + i, credit_id: `cb${i}`, name, gender: 2, profile_path: null })),
    episode_run_time: [],
    first_air_date: s.first_air_date,
    genres: (s.genres ?? []).map((name, i) => ({ id: 100 + i, name })),
    id: s.id,
    name: s.name,
    number_of_seasons: Object.keys(s.seasons ?? {}).length,
    original_language: 'en',
    original_name: s.original_name ?? s.name,
    overview: '',
    poster_path: s.poster_path ?? null,
    vote_average: 8.1,
    ...(parts.includes('credits') ? { credits: { cast: (s.cast ?? []).map((name, order) => ({ id: 900 + order, name, original_name: name, character: 'Y', order })), crew: [] } } : {}),
    ...(parts.includes('external_ids') ? { external_ids: { imdb_id: s.imdb_id ?? null, tvdb_id: 81189, id: s.id } } : {}),
  };
}
