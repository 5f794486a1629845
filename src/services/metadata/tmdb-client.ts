import { setTimeout as sleep } from 'node:timers/promises';
import ky, { TimeoutError } from 'ky';
import type { Config } from '../../config.js';
import { backoffMs } from '../../jobs/backoff.js';
import type { Logger } from '../../logger.js';
import { UpstreamError } from '../errors.js';
import { RequestLimiter } from './request-limiter.js';

export type TmdbSettings = Config['tmdb'];

/** 429s in a row one request waits through before it gives up */
const MAX_RATE_LIMITED = 10;

/**
 * TMDB's v3 API for the whole process: one pace (KLUG_TMDB_RPS) and one concurrency over all work, 429s
 * waited out for everyone (Retry-After, 1 s when missing or 0), 5xx and timeouts retried with backoff, and a
 * refused key remembered so that no further request goes out until the process restarts with another.
 */
export class TmdbClient {
  /** requests sent, for the benchmark and tests */
  requests = 0;
  private refused: UpstreamError | null = null;
  private keyAccepted = false;
  private keyCheck: Promise<void> | null = null;
  private readonly limiter: RequestLimiter;

  constructor(
    private readonly settings: TmdbSettings,
    private readonly log: Logger,
  ) {
    this.limiter = new RequestLimiter(settings.requestsPerSecond, settings.concurrency);
  }

  get enabled(): boolean {
    return Boolean(this.settings.apiKey || this.settings.token);
  }

  /** The setting whose value TMDB checks, for error messages. */
  get keySetting(): string {
    return this.settings.token ? 'KLUG_TMDB_TOKEN' : 'KLUG_TMDB_API_KEY';
  }

  /** GETs `path` (e.g. `/movie/27205`); null when TMDB has no such resource (404). */
  async get<T>(path: string, params: Record<string, string | number | undefined> = {}, signal?: AbortSignal): Promise<T | null> {
    if (!this.enabled) throw new UpstreamError('UPSTREAM_KEY_REFUSED', 'TMDB', 'TMDB is not configured: set KLUG_TMDB_API_KEY or KLUG_TMDB_TOKEN', 'KLUG_TMDB_API_KEY');
    let failures = 0;
    let rateLimited = 0;
    for (;;) {
      if (this.refused) throw this.refused;
      const outcome = await this.oneAtFirst(() => this.limiter.run(() => this.send(path, params, signal), signal));
      if (outcome.kind === 'ok') return outcome.body as T;
      if (outcome.kind === 'missing') return null;
      if (outcome.kind === 'refused') {
        this.refused ??= new UpstreamError('UPSTREAM_KEY_REFUSED', 'TMDB', `TMDB refused the key: check ${this.keySetting}`, this.keySetting);
        this.log.error({ upstream: 'TMDB', status: 401, setting: this.keySetting }, 'TMDB refused the key; enrichment stops until it is fixed');
        throw this.refused;
      }
      if (outcome.kind === 'rate-limited') {
        this.limiter.holdFor(outcome.waitMs);
        if (++rateLimited > MAX_RATE_LIMITED) throw new UpstreamError('UPSTREAM_UNAVAILABLE', 'TMDB', 'TMDB kept answering 429 (too many requests)');
        continue;
      }
      failures++;
      this.log.warn({ upstream: 'TMDB', path: pathPattern(path), failure: outcome.reason, try: failures }, 'TMDB request failed');
      if (failures >= this.settings.tries) throw new UpstreamError('UPSTREAM_UNAVAILABLE', 'TMDB', `TMDB did not answer (${outcome.reason}) after ${failures} tries`);
      await sleep(backoffMs(failures, this.settings.retryBaseMs, this.settings.retryBaseMs * 8), undefined, { signal });
    }
  }

  /**
   * Until TMDB has accepted the key once, requests go one at a time: a wrong key costs one refused request,
   * not one per item in flight.
   */
  private async oneAtFirst(request: () => Promise<Outcome>): Promise<Outcome> {
    while (!this.keyAccepted && this.keyCheck) await this.keyCheck;
    if (this.keyAccepted || this.refused) return request();
    let done!: () => void;
    this.keyCheck = new Promise<void>((resolve) => (done = resolve));
    try {
      const outcome = await request();
      if (outcome.kind === 'ok' || outcome.kind === 'missing') this.keyAccepted = true;
      return outcome;
    } finally {
      this.keyCheck = null;
      done();
    }
  }

  private async send(path: string, params: Record<string, string | number | undefined>, signal?: AbortSignal): Promise<Outcome> {
    const searchParams: Record<string, string> = {};
    for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== '') searchParams[name] = String(value);
    if (!this.settings.token && this.settings.apiKey) searchParams.api_key = this.settings.apiKey;
    this.requests++;
    try {
      const response = await ky.get(`${this.settings.url}${path}`, {
        searchParams,
        headers: { accept: 'application/json', ...(this.settings.token ? { authorization: `Bearer ${this.settings.token}` } : {}) },
        timeout: this.settings.timeoutMs,
        retry: 0,
        throwHttpErrors: false,
        signal,
      });
      const text = await response.text();
      const body = parseJson(text);
      const statusCode = (body as { status_code?: unknown } | null)?.status_code;
      if (response.status === 429 || statusCode === 25) return { kind: 'rate-limited', waitMs: retryAfterMs(response.headers.get('retry-after')) };
      if (response.status === 401) return { kind: 'refused' };
      if (response.status === 404) return { kind: 'missing' };
      if (response.status >= 500) return { kind: 'failed', reason: `HTTP ${response.status}` };
      if (!response.ok || body === null || typeof body !== 'object') return { kind: 'failed', reason: `HTTP ${response.status}, ${body === null ? 'not JSON' : 'unexpected body'}` };
      return { kind: 'ok', body };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      return { kind: 'failed', reason: error instanceof TimeoutError ? 'timeout' : ((error as { code?: string }).code ?? (error as Error).name) };
    }
  }
}

type Outcome =
  | { kind: 'ok'; body: unknown }
  | { kind: 'missing' }
  | { kind: 'refused' }
  | { kind: 'rate-limited'; waitMs: number }
  | { kind: 'failed'; reason: string };

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

/** Retry-After in seconds (TMDB sometimes says 0) or as an HTTP date; 1 s when absent or useless. */
function retryAfterMs(header: string | null): number {
  if (!header) return 1000;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.min(Math.max(seconds, 1), 120) * 1000;
  const at = Date.parse(header);
  return Number.isFinite(at) ? Math.min(Math.max(at - Date.now(), 1000), 120_000) : 1000;
}

/** `/movie/27205` → `/movie/:id`: ids are fine in logs, but one shape per kind reads better */
function pathPattern(path: string): string {
  return path.replace(/\/\d+/g, '/:id').replace(/\/tt\d+/g, '/:imdb');
}
