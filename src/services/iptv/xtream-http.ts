import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, errors, request, type Dispatcher } from 'undici';
import type { IptvSettings } from '../../config.js';
import { backoffMs } from '../../jobs/backoff.js';
import type { Logger } from '../../logger.js';
import { UpstreamError, UpstreamUnreachableError } from '../errors.js';

export const SERVICE = 'Xtream Codes';

export type Body = Dispatcher.ResponseData['body'];

/** An answer whose status and headers came: the body is still to be read (or dropped). */
export interface Opened {
  status: number;
  contentType: string;
  /** the Retry-After header of a 429 or 503 */
  retryAfter: string | null;
  body: Body;
}

/** A request that never got an answer: a refused connection, an unknown host, no headers in time. */
export class NoAnswer extends Error {
  override name = 'NoAnswer';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * HTTP to Xtream Codes panels for the whole process, on undici: headers and each piece of a body within
 * `timeoutMs` (so a hanging panel is bounded while a 30 MB list may take its time), 429 and 5xx waited out
 * (Retry-After, else backoff with jitter) and tried again, as are timeouts and dropped connections.
 * URLs carry the account in their query: none is ever logged or put in an error.
 */
export class XtreamHttp {
  private readonly agent: Agent;

  constructor(
    readonly settings: IptvSettings,
    private readonly log: Logger,
  ) {
    this.agent = new Agent({ headersTimeout: settings.timeoutMs, bodyTimeout: settings.timeoutMs, connectTimeout: settings.timeoutMs, keepAliveTimeout: 4_000 });
  }

  /** One GET, without retries: the status came (any status), or NoAnswer. */
  async once(url: URL, signal?: AbortSignal): Promise<Opened> {
    try {
      const response = await request(url, { dispatcher: this.agent, method: 'GET', headers: { accept: 'application/json, */*' }, signal, maxRedirections: 3 });
      const header = (name: string) => {
        const value = response.headers[name];
        return Array.isArray(value) ? (value[0] ?? null) : (value ?? null);
      };
      return { status: response.statusCode, contentType: header('content-type') ?? '', retryAfter: header('retry-after'), body: response.body };
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new NoAnswer(reasonOf(error, this.settings.timeoutMs));
    }
  }

  /**
   * GETs until an answer that is not a 429 or a 5xx comes (within `tries`), and answers it with its body unread.
   * `what` names the request in logs and errors (an action, never the URL).
   */
  async open(url: URL, what: string, signal?: AbortSignal, tries = this.settings.tries): Promise<Opened> {
    const where = `${SERVICE} at ${url.origin}`;
    for (let attempt = 1; ; attempt++) {
      let failure: string;
      let answered = true;
      let waitMs: number | null = null;
      try {
        const opened = await this.once(url, signal);
        if (opened.status !== 429 && opened.status < 500) return opened;
        drop(opened.body);
        failure = `HTTP ${opened.status}`;
        if (opened.status === 429 || opened.status === 503) waitMs = retryAfterMs(opened, this.settings.maxRetryAfterMs);
      } catch (error) {
        if (!(error instanceof NoAnswer)) throw error;
        failure = error.reason;
        answered = false;
      }
      if (attempt >= tries) {
        const message = `${where} did not answer ${what} (${failure})${attempt > 1 ? ` after ${attempt} tries` : ''}`;
        throw answered ? new UpstreamError('UPSTREAM_UNAVAILABLE', SERVICE, message) : new UpstreamUnreachableError(SERVICE, message);
      }
      const wait = waitMs ?? backoffMs(attempt, this.settings.retryBaseMs, this.settings.retryBaseMs * 16);
      this.log.warn({ upstream: SERVICE, host: url.host, action: what, failure, try: attempt, waitMs: wait }, 'IPTV provider request failed; trying again');
      await sleep(wait, undefined, { signal });
    }
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Drops a body unread; an abort reported as an error is of no interest. */
export function drop(body: Body): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** Retry-After in seconds or as an HTTP date, at most `max`; null when absent or unreadable. */
function retryAfterMs(opened: Opened, max: number): number | null {
  if (!opened.retryAfter) return null;
  const seconds = Number(opened.retryAfter);
  const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(opened.retryAfter) - Date.now();
  return Number.isFinite(ms) ? Math.min(Math.max(ms, 0), max) : null;
}

function reasonOf(error: unknown, timeoutMs: number): string {
  if (error instanceof errors.HeadersTimeoutError || error instanceof errors.ConnectTimeoutError || error instanceof errors.BodyTimeoutError) {
    return `no answer within ${Math.round(timeoutMs / 100) / 10} s`;
  }
  for (let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0; e && depth < 5; e = e.cause as typeof e, depth++) {
    if (typeof e.code === 'string' && e.code !== 'UND_ERR_SOCKET') return e.code;
  }
  return error instanceof Error ? error.name : 'unknown';
}
