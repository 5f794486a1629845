/** connections a ranged download starts with */
export const RAMP_START = 4;
/** a doubling that raised the rate less than this much was not worth it */
const WORTHWHILE_GAIN = 1.3;

/**
 * How many connections a ranged download runs: a few at first, doubled while each doubling raises the
 * rate. A server that caps each connection gets them all; on a link where a few already fill what the
 * machine can write, more would only cost CPU and the server's patience.
 */
export class ConnectionRamp {
  count: number;
  private settled: boolean;
  private windows = 0;
  /** the rate of the window before the last doubling */
  private before: number | null = null;

  constructor(private readonly max: number) {
    this.count = Math.min(RAMP_START, max);
    this.settled = this.count >= max;
  }

  get growing(): boolean {
    return !this.settled;
  }

  /** The rate (bytes per second) of the window just ended; answers the count of connections to run from now on. */
  observe(rate: number): number {
    if (this.settled) return this.count;
    // the first window holds the connections' set-up and the server's first bytes: it says nothing yet
    if (++this.windows === 1) return this.count;
    if (this.before !== null && rate < this.before * WORTHWHILE_GAIN) {
      this.settled = true;
      return this.count;
    }
    this.before = rate;
    this.count = Math.min(this.max, this.count * 2);
    this.settled = this.count >= this.max;
    return this.count;
  }
}

/**
 * Every `windowMs`, tells the ramp the rate at which bytes were written and opens the connections it adds,
 * until it settles or there is nothing left to hand a new connection. Returns what stops it.
 */
export function driveRamp(ramp: ConnectionRamp, windowMs: number, written: () => number, open: () => void, nothingLeft: () => boolean): () => void {
  if (!ramp.growing) return () => undefined;
  let from = { at: performance.now(), written: written() };
  const timer = setInterval(() => {
    const now = { at: performance.now(), written: written() };
    const rate = ((now.written - from.written) * 1000) / (now.at - from.at);
    from = now;
    if (nothingLeft()) return clearInterval(timer);
    const before = ramp.count;
    for (let n = ramp.observe(rate) - before; n > 0; n--) open();
    if (!ramp.growing) clearInterval(timer);
  }, windowMs);
  return () => clearInterval(timer);
}
