import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import type { Client } from 'graphql-ws';

/** Subscribes and hands back an iterator of results; `next()` waits for the next event, no timers involved. */
export function subscribe<T, V extends Record<string, unknown>>(
  client: Client,
  document: TypedDocumentNode<T, V>,
  variables?: V,
): AsyncIterableIterator<ExecutionResult<T>> {
  return client.iterate({ query: print(document), variables }) as AsyncIterableIterator<ExecutionResult<T>>;
}

/** Resolves once the socket is acknowledged, so events published afterwards are sure to be heard. */
export function connected(client: Client): Promise<void> {
  return new Promise((resolve, reject) => {
    const offConnected = client.on('connected', () => {
      offConnected();
      offClosed();
      resolve();
    });
    const offClosed = client.on('closed', (event) => {
      offConnected();
      offClosed();
      reject(Object.assign(new Error('socket closed'), { event }));
    });
  });
}

/**
 * Waits for the subscription's next result while repeating `trigger` (an awaited request, never a timer):
 * the server registers a subscription a moment after the client sends it, so one early event may pass unseen.
 */
export async function nextWhileTriggering<T>(
  iterator: AsyncIterator<T>,
  trigger: () => Promise<unknown>,
  maxRounds = 200,
): Promise<T> {
  let settled = false;
  const next = iterator.next().finally(() => {
    settled = true;
  });
  for (let round = 0; round < maxRounds && !settled; round++) await trigger();
  const result = await next;
  if (result.done) throw new Error('subscription ended before an event arrived');
  return result.value;
}
