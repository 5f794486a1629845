import type { RunChange } from './events.js';

/**
 * What the change streams of one server hold right now and have done: `/metrics` shows them and tests assert on
 * them (a stream left open after its socket closed is a leak; a queue that grows is a slow reader not coalesced).
 */
export class StreamStats {
  /** streams open now (each a subscription following runs) */
  active = 0;
  /** streams ever opened */
  opened = 0;
  /** changes read from the pub/sub */
  received = 0;
  /** progress changes dropped because a newer one of the same run and status replaced them before delivery */
  superseded = 0;
  /** changes waiting for their reader now, over every stream */
  queued = 0;
}

/**
 * A subscription's changes, read from the pub/sub as soon as they are published, so the pub/sub never queues for
 * a slow reader (its queue is unbounded up to 1,024 and then throws inside the publisher). Delivery is paced by the
 * reader: graphql-ws sends the next message once `ws` reports the previous one written (the socket's
 * `bufferedAmount` holds at most one frame of each subscription), and until then changes wait here. A progress
 * change replaces the one still waiting for the same run in the same status (it is a newer snapshot of the same
 * thing); a change of status is always kept, in order. So what waits is bounded by the runs followed and their
 * states, not by how fast they publish.
 *
 * `close()` ends the stream and its pub/sub listener even when nobody ever read from it: graphql-ws closes
 * operations whose socket went away while they were being subscribed, and a generator that never started ignores
 * `return()`, its `finally` included (the listener then stayed forever).
 */
export class ChangeStream {
  private readonly waiting: RunChange[] = [];
  private wake: (() => void) | null = null;
  private done = false;

  constructor(
    private readonly source: AsyncIterator<RunChange>,
    private readonly stats: StreamStats,
  ) {
    stats.active += 1;
    stats.opened += 1;
    void this.pump();
  }

  /** The next change, or null once the stream is over. */
  async next(): Promise<RunChange | null> {
    while (this.waiting.length === 0) {
      if (this.done) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
    this.stats.queued -= 1;
    return this.waiting.shift()!;
  }

  close(): Promise<unknown> {
    this.end();
    return Promise.resolve(this.source.return?.()).catch(() => undefined);
  }

  private async pump(): Promise<void> {
    try {
      for (let next = await this.source.next(); !next.done && !this.done; next = await this.source.next()) {
        this.stats.received += 1;
        this.add(next.value);
      }
    } catch {
      // the pub/sub ended the stream: the reader sees its end
    }
    this.end();
  }

  private add(change: RunChange): void {
    let last = -1;
    for (let i = this.waiting.length - 1; i >= 0; i--) {
      if (this.waiting[i]!.run.id === change.run.id) {
        last = i;
        break;
      }
    }
    if (last >= 0 && this.waiting[last]!.run.status === change.run.status) {
      this.waiting[last] = change;
      this.stats.superseded += 1;
    } else {
      this.waiting.push(change);
      this.stats.queued += 1;
    }
    this.wakeReader();
  }

  private end(): void {
    if (this.done) return;
    this.done = true;
    this.stats.active -= 1;
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
