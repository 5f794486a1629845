import { setTimeout as sleep } from 'node:timers/promises';
import { backoffMs } from '../../jobs/backoff.js';
import { DomainError } from '../errors.js';

/** The file upstream is no longer the one being fetched: start again from a fresh probe, never mix the two. */
export class FileChangedError extends Error {
  override name = 'FileChangedError';
}

/** The server failed in a way worth another try (a 5xx, a 429), after `waitMs` when it said so (Retry-After). */
export class ServerBusyError extends Error {
  override name = 'ServerBusyError';
  constructor(
    readonly status: number,
    readonly waitMs: number | null,
  ) {
    super(`the server answered ${status}`);
  }
}

/** The connection ended before the bytes it promised. */
export class CutShortError extends Error {
  override name = 'CutShortError';
  constructor() {
    super('the connection ended before its range did');
  }
}

export interface RetryPolicy {
  tries: number;
  retryBaseMs: number;
  retryMaxMs: number;
  maxRetryAfterMs: number;
}

/** Whether another try may help: network and server failures yes; refusals, changed files and stops no. */
export function worthRetrying(error: unknown, signal: AbortSignal): boolean {
  return !signal.aborted && !(error instanceof DomainError) && !(error instanceof FileChangedError);
}

/**
 * Tries `attempt` until it succeeds, with backoff and jitter between tries (or the server's Retry-After).
 * `progressed` tells when a try moved the work on: the count of failures starts again then, so a long
 * download over a flaky link is not failed by drops spread over hours.
 */
export async function withRetries<T>(
  attempt: () => Promise<T>,
  policy: RetryPolicy,
  signal: AbortSignal,
  progressed: () => number = () => 0,
): Promise<T> {
  for (let failures = 0; ; ) {
    const before = progressed();
    try {
      return await attempt();
    } catch (error) {
      if (!worthRetrying(error, signal)) throw error;
      failures = progressed() > before ? 1 : failures + 1;
      if (failures >= policy.tries) throw error;
      const asked = error instanceof ServerBusyError ? error.waitMs : null;
      const wait = asked !== null ? Math.min(asked, policy.maxRetryAfterMs) : backoffMs(failures, policy.retryBaseMs, policy.retryMaxMs);
      await sleep(wait, undefined, { signal });
    }
  }
}

/** Retry-After as seconds or an HTTP date, in milliseconds from now; null when absent or unreadable. */
export function retryAfterMs(value: string | undefined, now = Date.now()): number | null {
  if (!value) return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - now);
}
