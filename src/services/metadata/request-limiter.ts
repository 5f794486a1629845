import { setTimeout as sleep } from 'node:timers/promises';

/**
 * Paces requests to one upstream for the whole process: at most `perSecond` start per second, evenly spaced
 * (no burst, so a server counting per second never sees more), at most `concurrency` in flight, and all of
 * them held back while the upstream asked us to wait (429 Retry-After).
 */
export class RequestLimiter {
  private nextStart = 0;
  private resumeAt = 0;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly perSecond: number,
    private readonly concurrency: number,
  ) {}

  /** Runs `work` in its turn. */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.slot();
    try {
      const now = Date.now();
      const start = Math.max(now, this.nextStart, this.resumeAt);
      // 2% under the allowed rate: requests spaced exactly can still arrive 41 to a second after network jitter
      this.nextStart = start + 1020 / this.perSecond;
      if (start > now) await sleep(start - now, undefined, { signal });
      return await work();
    } finally {
      this.inFlight--;
      this.waiting.shift()?.();
    }
  }

  /** Nothing starts before `ms` from now. */
  holdFor(ms: number): void {
    this.resumeAt = Math.max(this.resumeAt, Date.now() + ms);
  }

  private async slot(): Promise<void> {
    while (this.inFlight >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
  }
}
