import type { Context } from '../schema/context.js';
import { ChangeStream } from '../services/change-stream.js';
import type { RunChange } from '../services/events.js';

/**
 * The field's `extensions` for a subscription of one row's states (runChanges): identical subscriptions of one
 * viewer then share one execution over WebSocket (src/server/shared-subscriptions.ts). `status` names the row's
 * status field (a newer state in the same status replaces one a slow reader has not read yet); `requires`, an
 * argument without which the field follows more than one row.
 */
export const sharedState = (status: string, requires?: string) => ({ sharedState: { status, ...(requires ? { requires } : {}) } });

/**
 * A domain row now, then as each change of its runs leaves it (`run:changed` keyed by the row), until `over`
 * says it is done or a change carries no row (it was deleted). Listens before reading the current state, so no
 * change falls between the two. A slow reader gets the newest progress, never a backlog (see ChangeStream).
 */
export function runChanges<View>(ctx: Context, subjectId: string, current: () => Promise<View>, over: (view: View) => boolean = () => false): AsyncGenerator<View> {
  const stream = new ChangeStream(ctx.pubsub.subscribe('run:changed', subjectId)[Symbol.asyncIterator](), ctx.streams);
  return closing(
    stream,
    (async function* () {
      try {
        const now = await current();
        yield now;
        if (over(now)) return;
        for (let change = await stream.next(); change; change = await stream.next()) {
          const view = change.view as View | null;
          if (!view) return;
          yield view;
          if (over(view)) return;
        }
      } finally {
        await stream.close();
      }
    })(),
  );
}

/**
 * Every change of a person's runs that `accept` lets through (`run:changed:user`), after the rows `current`
 * reads; listens before reading them.
 */
export function userRunChanges<View>(ctx: Context, userId: string, current: () => Promise<View[]>, accept: (change: RunChange) => boolean): AsyncGenerator<View> {
  const stream = new ChangeStream(ctx.pubsub.subscribe('run:changed:user', userId)[Symbol.asyncIterator](), ctx.streams);
  return closing(
    stream,
    (async function* () {
      try {
        yield* await current();
        for (let change = await stream.next(); change; change = await stream.next()) {
          if (accept(change) && change.view) yield change.view as View;
        }
      } finally {
        await stream.close();
      }
    })(),
  );
}

/**
 * The generator, except that `return()` and `throw()` close its stream first: a generator that never started
 * skips its `finally`, and graphql-ws returns operations whose socket closed while they were being subscribed
 * without ever reading them.
 */
function closing<T>(stream: ChangeStream, inner: AsyncGenerator<T>): AsyncGenerator<T> {
  const outer = {
    next: (...args: [] | [unknown]) => inner.next(...args),
    return: async (value?: unknown) => {
      await stream.close();
      return inner.return(value as T);
    },
    throw: async (error?: unknown) => {
      await stream.close();
      return inner.throw(error);
    },
    [Symbol.asyncIterator]: () => outer,
  };
  return outer as unknown as AsyncGenerator<T>;
}
