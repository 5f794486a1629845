import type { Context } from '../schema/context.js';

/**
 * A domain row now, then as each change of its runs leaves it (`run:changed` keyed by the row), until `over`
 * says it is done or a change carries no row (it was deleted). Listens before reading the current state, so no
 * change falls between the two.
 */
export function runChanges<View>(ctx: Context, subjectId: string, current: () => Promise<View>, over: (view: View) => boolean = () => false): AsyncGenerator<View> {
  const updates = ctx.pubsub.subscribe('run:changed', subjectId)[Symbol.asyncIterator]();
  const first = updates.next();
  return (async function* () {
    try {
      const now = await current();
      yield now;
      if (over(now)) return;
      for (let next = await first; !next.done; next = await updates.next()) {
        const view = next.value.view as View | null;
        if (!view) return;
        yield view;
        if (over(view)) return;
      }
    } finally {
      await updates.return?.();
    }
  })();
}
