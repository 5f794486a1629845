import { CoalescingQueue, type Coalescing, type QueueStats } from './coalescing-queue.js';
import type { RunChange } from './events.js';

/**
 * What the change streams of one server hold right now and have done: `/metrics` shows them and tests assert on
 * them (a stream left open after its socket closed is a leak; a queue that grows is a slow reader not coalesced).
 */
export class StreamStats implements QueueStats {
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
 * `bufferedAmount` holds at most one frame of each subscription), and until then changes wait here, coalesced
 * (CoalescingQueue): a progress change replaces the one still waiting for the same run in the same status.
 *
 * `close()` ends the stream and its pub/sub listener even when nobody ever read from it: graphql-ws closes
 * operations whose socket went away while they were being subscribed, and a generator that never started ignores
 * `return()`, its `finally` included (the listener then stayed forever).
 */
export class ChangeStream {
  private readonly queue: CoalescingQueue<RunChange>;

  constructor(
    private readonly source: AsyncIterator<RunChange>,
    private readonly stats: StreamStats,
  ) {
    this.queue = new CoalescingQueue(stats, SAME_RUN_STATE);
    stats.active += 1;
    stats.opened += 1;
    void this.pump();
  }

  /** The next change, or null once the stream is over. */
  next(): Promise<RunChange | null> {
    return this.queue.next();
  }

  close(): Promise<unknown> {
    this.end();
    return Promise.resolve(this.source.return?.()).catch(() => undefined);
  }

  private async pump(): Promise<void> {
    try {
      for (let next = await this.source.next(); !next.done && !this.queue.closed; next = await this.source.next()) {
        this.stats.received += 1;
        this.queue.push(next.value);
      }
    } catch {
      // the pub/sub ended the stream: the reader sees its end
    }
    this.end();
  }

  private end(): void {
    if (this.queue.closed) return;
    this.stats.active -= 1;
    this.queue.close();
  }
}

/** A progress change is a newer snapshot of its run while the run's status stays. */
const SAME_RUN_STATE: Coalescing<RunChange> = {
  sameThing: (waiting, next) => waiting.run.id === next.run.id,
  sameState: (waiting, next) => waiting.run.status === next.run.status,
};
