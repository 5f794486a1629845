/**
 * Bytes per second smoothed over the last seconds (an exponentially weighted moving average of one
 * sample per report), so one slow second does not make the ETA jump.
 */
export class SpeedMeter {
  private last: { at: number; bytes: number } | null = null;
  private smoothed: number | null = null;

  constructor(
    private readonly weight = 0.3,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Feeds the bytes done so far; answers the smoothed speed. */
  sample(bytes: number): number | null {
    const at = this.now();
    if (this.last && at - this.last.at >= 50) {
      const instant = (Math.max(0, bytes - this.last.bytes) * 1000) / (at - this.last.at);
      this.smoothed = this.smoothed === null ? instant : this.weight * instant + (1 - this.weight) * this.smoothed;
      this.last = { at, bytes };
    } else if (!this.last) {
      this.last = { at, bytes };
    }
    return this.smoothed === null ? null : Math.round(this.smoothed);
  }

  /** Seconds left at the smoothed speed; null when unknown. */
  eta(bytesLeft: number | null): number | null {
    if (bytesLeft === null || this.smoothed === null || this.smoothed <= 0) return null;
    return Math.ceil(bytesLeft / this.smoothed);
  }
}
