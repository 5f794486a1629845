import { setTimeout as sleep } from 'node:timers/promises';
import ky, { TimeoutError } from 'ky';
import type { Config } from '../../config.js';
import { backoffMs } from '../../jobs/backoff.js';
import type { Logger } from '../../logger.js';
import { UpstreamError, UpstreamTlsError, UpstreamUnreachableError } from '../errors.js';

export type UpstreamSettings = Config['mediaServers'];
export type ServiceName = 'Jellyfin' | 'Jellyseerr';

/** What one request came back with, before anyone decides what it means. */
export type Answer =
  | { kind: 'json'; status: number; body: unknown }
  | { kind: 'text'; status: number; contentType: string }
  | { kind: 'network'; reason: string; tls: boolean };

const TLS_CODE = /^(ERR_TLS_|ERR_SSL_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|ERR_OSSL|HOSTNAME_MISMATCH|EPROTO$)/;

/** The code of the first error in a cause chain that has one (fetch wraps the socket's error). */
function networkCode(error: unknown): { code: string; tls: boolean } {
  for (let e = error as { code?: unknown; cause?: unknown; message?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && e.code !== 'UND_ERR_SOCKET') return { code: e.code, tls: TLS_CODE.test(e.code) || /ssl|tls/i.test(String(e.message ?? '')) };
    if (typeof e.message === 'string' && /ssl|tls|certificate/i.test(e.message) && depth > 0) return { code: 'TLS', tls: true };
  }
  return { code: error instanceof Error ? error.name : 'unknown', tls: false };
}

/** An address for logs and messages: its origin and path, never a query (nothing secret goes there anyway). */
export function maskedUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname === '/' ? '' : u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * HTTP to one Jellyfin or Jellyseerr server: its key in a header (never in the URL, so no log line or proxy
 * sees it), a timeout per request, retries with backoff for 5xx, timeouts and dropped connections.
 */
export class UpstreamHttp {
  constructor(
    readonly service: ServiceName,
    readonly baseUrl: string,
    private readonly headers: Record<string, string>,
    private readonly settings: UpstreamSettings,
    private readonly log: Logger,
  ) {}

  /** One GET, answered as it came: JSON, other text, or a network failure. */
  async answer(path: string, params: Record<string, string | number | boolean | undefined> = {}, options: { signal?: AbortSignal; auth?: boolean } = {}): Promise<Answer> {
    const searchParams: Record<string, string> = {};
    for (const [name, value] of Object.entries(params)) if (value !== undefined) searchParams[name] = String(value);
    try {
      const response = await ky.get(`${this.baseUrl}${path}`, {
        searchParams,
        headers: { accept: 'application/json', ...(options.auth === false ? {} : this.headers) },
        timeout: this.settings.timeoutMs,
        retry: 0,
        throwHttpErrors: false,
        redirect: 'follow',
        signal: options.signal,
      });
      const contentType = response.headers.get('content-type') ?? '';
      const text = await response.text();
      if (text.trim() === '') return { kind: 'text', status: response.status, contentType };
      try {
        return { kind: 'json', status: response.status, body: JSON.parse(text) };
      } catch {
        return { kind: 'text', status: response.status, contentType };
      }
    } catch (error) {
      if (options.signal?.aborted) throw options.signal.reason;
      if (error instanceof TimeoutError) return { kind: 'network', reason: `no answer within ${Math.round(this.settings.timeoutMs / 1000)} s`, tls: false };
      const { code, tls } = networkCode(error);
      return { kind: 'network', reason: code, tls };
    }
  }

  /**
   * GETs JSON for a sync: 5xx, timeouts, dropped connections and unreadable bodies are tried again with backoff
   * (`tries` in all); a refused key fails at once. Every failure is an UpstreamError naming the service.
   */
  async json<T>(path: string, params: Record<string, string | number | boolean | undefined>, signal?: AbortSignal): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const answer = await this.answer(path, params, { signal });
      if (answer.kind === 'json' && answer.status >= 200 && answer.status < 300) return answer.body as T;
      const failure = this.failure(path, answer);
      if (failure.final || attempt >= this.settings.tries) throw failure.error;
      this.log.warn({ upstream: this.service, url: maskedUrl(`${this.baseUrl}${path}`), failure: failure.error.message, try: attempt }, 'media server request failed; trying again');
      await sleep(backoffMs(attempt, this.settings.retryBaseMs, this.settings.retryBaseMs * 8), undefined, { signal });
    }
  }

  private failure(path: string, answer: Answer): { error: Error; final: boolean } {
    const where = `${this.service} at ${maskedUrl(this.baseUrl)}`;
    if (answer.kind === 'network') {
      if (answer.tls) return { final: true, error: new UpstreamTlsError(this.service, answer.reason, `${where}: HTTPS failed (${answer.reason})`) };
      return { final: false, error: new UpstreamError('UPSTREAM_UNAVAILABLE', this.service, `${where} did not answer ${path} (${answer.reason})`) };
    }
    if (answer.status === 401 || answer.status === 403) {
      return { final: true, error: new UpstreamError('UPSTREAM_KEY_REFUSED', this.service, `${where} refused the API key (HTTP ${answer.status}); connect the server again with a valid key`, 'apiKey') };
    }
    if (answer.status >= 500 || answer.status === 429) return { final: false, error: new UpstreamError('UPSTREAM_UNAVAILABLE', this.service, `${where} answered HTTP ${answer.status} to ${path}`) };
    if (answer.kind === 'text' && answer.status < 300) return { final: false, error: new UpstreamError('UPSTREAM_BAD_RESPONSE', this.service, `${where} answered ${path} with something that is not JSON`) };
    return { final: true, error: new UpstreamError('UPSTREAM_BAD_RESPONSE', this.service, `${where} answered HTTP ${answer.status} to ${path}`) };
  }

  /** A connection failure as the typed error connectMediaServer returns. */
  unreachable(answer: Extract<Answer, { kind: 'network' }>): Error {
    const where = `${this.service} at ${maskedUrl(this.baseUrl)}`;
    if (answer.tls) return new UpstreamTlsError(this.service, answer.reason, `${where}: HTTPS failed (${answer.reason}); check the certificate or use http://`, ['input', 'url']);
    return new UpstreamUnreachableError(this.service, `${where} could not be reached (${answer.reason})`, ['input', 'url']);
  }
}
