import { setTimeout as sleep } from 'node:timers/promises';

/** Slack on the window: requests sent N to a second can still arrive N+1 to a second after network jitter. */
const WINDOW_SLACK = 1.05;

/**
 * Paces requests to one upstream for the whole process: starts evenly spaced at `perSecond`, and never more
 * than that many within any (slightly widened) second, even when timers fire late after the event loop was
 * busy; at most `concurrency` in flight; and all held back while the upstream asked us to wait (429).
 */
export class RequestLimiter {
  private nextStart = 0;
  private resumeAt = 0;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  /** start times of the last `burst` requests */
  private readonly starts: number[] = [];
  private readonly burst: number;
  private readonly windowMs: number;

  constructor(
    private readonly perSecond: number,
    private readonly concurrency: number,
  ) {
    this.burst = Math.max(1, Math.floor(perSecond));
    this.windowMs = ((1000 * this.burst) / perSecond) * WINDOW_SLACK;
  }

  /** Runs `work` in its turn. */
  async run<T>(work: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    await this.slot();
    try {
      const planned = Math.max(Date.now(), this.nextStart);
      this.nextStart = planned + 1000 / this.perSecond;
      for (let now = Date.now(), at = Math.max(planned, this.earliestStart()); at > now; now = Date.now(), at = this.earliestStart()) {
        await sleep(at - now, undefined, { signal });
      }
      this.starts.push(Date.now());
      if (this.starts.length > this.burst) this.starts.shift();
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

  private earliestStart(): number {
    const windowOpens = this.starts.length < this.burst ? 0 : this.starts[this.starts.length - this.burst]! + this.windowMs;
    return Math.max(this.resumeAt, windowOpens);
  }

  private async slot(): Promise<void> {
    while (this.inFlight >= this.concurrency) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.inFlight++;
  }
}
