/** Counts the queues of one server share: `/metrics` shows them and tests assert on them. */
export interface QueueStats {
  /** items dropped because a newer state of the same thing replaced them before delivery */
  superseded: number;
  /** items waiting for their reader now, over every queue */
  queued: number;
}

/** How a queue tells states apart: items about the same thing, and whether two of them are in the same state. */
export interface Coalescing<T> {
  sameThing(waiting: T, next: T): boolean;
  sameState(waiting: T, next: T): boolean;
}

/**
 * What waits for one reader that paces delivery (graphql-ws takes the next message once `ws` has written the
 * previous one). An item replaces the last one still waiting about the same thing in the same state (a newer
 * snapshot of it); a change of state is always kept, in order. So what waits is bounded by the things followed
 * and their states, not by how fast they change.
 */
export class CoalescingQueue<T> {
  private readonly waiting: T[] = [];
  private wake: (() => void) | null = null;
  private over = false;
  private failure: { error: unknown } | null = null;

  constructor(
    private readonly stats: QueueStats,
    private readonly rule: Coalescing<T>,
  ) {}

  get closed(): boolean {
    return this.over;
  }

  push(item: T): void {
    if (this.over) return;
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      const waiting = this.waiting[i]!;
      if (!this.rule.sameThing(waiting, item)) continue;
      if (this.rule.sameState(waiting, item)) {
        this.waiting[i] = item;
        this.stats.superseded += 1;
        this.wakeReader();
        return;
      }
      break;
    }
    this.waiting.push(item);
    this.stats.queued += 1;
    this.wakeReader();
  }

  /** The next item; null once the queue is over and what waited was read (or dropped); throws a `fail`ure last. */
  async next(): Promise<T | null> {
    while (this.waiting.length === 0) {
      if (this.failure) throw this.failure.error;
      if (this.over) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    this.stats.queued -= 1;
    return this.waiting.shift()!;
  }

  /** Nothing more comes: the reader gets what waits, then the end. */
  finish(): void {
    this.over = true;
    this.wakeReader();
  }

  /** Nothing more comes, and the reader gets what waits, then `error`. */
  fail(error: unknown): void {
    this.failure = { error };
    this.finish();
  }

  /** Over now: what waits is dropped. */
  close(): void {
    this.over = true;
    this.failure = null;
    this.stats.queued -= this.waiting.length;
    this.waiting.length = 0;
    this.wakeReader();
  }

  private wakeReader(): void {
    const wake = this.wake;
    this.wake = null;
    wake?.();
  }
}
