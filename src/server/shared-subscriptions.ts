import type { ExecutionResult } from 'graphql';
import { CoalescingQueue, type QueueStats } from '../services/coalescing-queue.js';

type Result = ExecutionResult;
type Started = AsyncIterable<Result> | Result;

/**
 * What a subscription field says of itself to be shared (its `extensions.sharedState`, see
 * src/resolvers/run-changes.ts): it answers the states of one object (the object now, then newer ones), with
 * `status` naming its status field; `requires`, an argument without which it follows more than one.
 */
export interface SharedState {
  status: string;
  requires?: string;
}

/**
 * Identical subscriptions share one execution. A thousand clients of one person following one import used to run
 * a thousand copies of everything per update (a pub/sub listener, a change stream, GraphQL's execution, Yoga's
 * result hooks): per update, the last client was served after all of it, and that work grew with the clients.
 * Subscriptions with the same key (the caller's: document, variables, operation name, and who asks) now read one
 * source; each update is executed once and handed to every subscriber. Only fields that answer the states of one
 * object are shared (SharedState): a subscriber that joins a running source gets its newest result first (what a
 * new subscription would get as "the object now"), then what follows. Event streams are never shared: an event
 * is not a state to replay.
 *
 * Each subscriber is paced by its own socket (graphql-ws asks for the next result once the previous one is
 * written); until then results wait in its own queue, coalesced as ChangeStream does: a result replaces the one
 * still waiting in the same status, and a change of status is always kept, in order. The source closes when its
 * last subscriber leaves; a source that ended is never joined.
 */
export class SharedSubscriptions {
  private readonly sources = new Map<string, Source>();
  /** subscribers ever attached (tests wait on it) */
  opened = 0;

  constructor(private readonly stats: QueueStats) {}

  /** Sources open now and the subscribers reading them. */
  counts(): { sources: number; subscribers: number; opened: number } {
    let subscribers = 0;
    for (const source of this.sources.values()) subscribers += source.subscribers.size;
    return { sources: this.sources.size, subscribers, opened: this.opened };
  }

  /**
   * A subscriber of the source of `key`, started with `start` when none runs. When the start answers a result
   * rather than a stream (it was refused), every subscriber waiting on it gets that result.
   */
  async subscribe(key: string, statusOf: (result: Result) => unknown, start: () => Promise<Started>): Promise<Started> {
    for (;;) {
      let source = this.sources.get(key);
      if (!source) {
        source = new Source(this.stats, statusOf, () => this.sources.get(key) === source && this.sources.delete(key));
        this.sources.set(key, source);
        void source.start(start);
      }
      const refused = await source.ready;
      if (refused) return refused;
      if (source.live) {
        this.opened += 1;
        return source.attach();
      }
      // it ended or closed meanwhile: a new one
    }
  }
}

class Source {
  readonly subscribers = new Set<Subscriber>();
  /** resolves once started: with the result when it was refused, else with nothing */
  readonly ready: Promise<Result | undefined>;
  private settle: (refused: Result | undefined) => void = () => undefined;
  private iterator: AsyncIterator<Result> | null = null;
  private last: Result | undefined;
  live = true;

  constructor(
    private readonly stats: QueueStats,
    private readonly statusOf: (result: Result) => unknown,
    private readonly forget: () => void,
  ) {
    this.ready = new Promise((resolve) => (this.settle = resolve));
  }

  async start(start: () => Promise<Started>): Promise<void> {
    let started: Started;
    try {
      started = await start();
    } catch (error) {
      started = { errors: [error as never] };
    }
    if (!isAsyncIterable(started)) {
      this.end();
      this.settle(started);
      return;
    }
    this.iterator = started[Symbol.asyncIterator]();
    this.settle(undefined);
    void this.pump();
  }

  attach(): Subscriber {
    const subscriber = new Subscriber(this.stats, this.statusOf, () => this.detach(subscriber));
    this.subscribers.add(subscriber);
    if (this.last) subscriber.push(this.last);
    return subscriber;
  }

  private detach(subscriber: Subscriber): void {
    this.subscribers.delete(subscriber);
    if (this.subscribers.size === 0 && this.live) {
      // nobody reads it any more: end it (its change stream and pub/sub listener with it)
      this.end();
      void Promise.resolve(this.iterator?.return?.()).catch(() => undefined);
    }
  }

  private async pump(): Promise<void> {
    const iterator = this.iterator!;
    try {
      for (let next = await iterator.next(); !next.done && this.live; next = await iterator.next()) {
        this.last = next.value;
        for (const subscriber of this.subscribers) subscriber.push(next.value);
      }
      this.end();
      for (const subscriber of this.subscribers) subscriber.finish();
    } catch (error) {
      this.end();
      for (const subscriber of this.subscribers) subscriber.fail(error);
    }
  }

  private end(): void {
    this.live = false;
    this.forget();
  }
}

/** One operation's view of a shared source: an async generator for graphql-ws, paced by its reader. */
class Subscriber implements AsyncGenerator<Result> {
  private readonly queue: CoalescingQueue<Result>;

  constructor(
    stats: QueueStats,
    statusOf: (result: Result) => unknown,
    private readonly leave: () => void,
  ) {
    // every result is a state of the one object the source follows
    this.queue = new CoalescingQueue(stats, {
      sameThing: () => true,
      sameState: (waiting, next) => !waiting.errors && !next.errors && statusOf(waiting) === statusOf(next),
    });
  }

  push(result: Result): void {
    this.queue.push(result);
  }

  finish(): void {
    this.queue.finish();
  }

  fail(error: unknown): void {
    this.queue.fail(error);
  }

  async next(): Promise<IteratorResult<Result>> {
    const result = await this.queue.next();
    return result === null ? { done: true, value: undefined } : { done: false, value: result };
  }

  async return(): Promise<IteratorResult<Result>> {
    this.close();
    return { done: true, value: undefined };
  }

  async throw(error?: unknown): Promise<IteratorResult<Result>> {
    this.close();
    throw error;
  }

  [Symbol.asyncIterator](): this {
    return this;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.close();
  }

  private close(): void {
    if (!this.queue.closed) this.leave();
    this.queue.close();
  }
}

function isAsyncIterable(value: unknown): value is AsyncIterable<Result> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown } | null)?.[Symbol.asyncIterator] === 'function';
}
