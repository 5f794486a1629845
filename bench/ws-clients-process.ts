/**
 * Many graphql-ws clients in a process of their own (so their work does not share the server's event loop), each
 * subscribed to the same operation. Driven by its parent over IPC:
 *   argv: url, count, query, variables (JSON), connectionParams (JSON)
 *   → { ready }            once every client has its first message
 *   ← 'finish'             → { deliveries: [key, arrivalMs][]… per client flattened, clients, complete } then exits
 * A message's key is `status:processedRows` of its first field's value; arrival is on the machine's clock
 * (performance.timeOrigin + now, sub-millisecond), the same clock the publisher reads.
 */
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, countText, query, variablesText, paramsText] = process.argv.slice(2);
const count = Number(countText);
const variables = JSON.parse(variablesText!) as Record<string, unknown>;
const connectionParams = JSON.parse(paramsText!) as Record<string, unknown>;
const now = () => performance.timeOrigin + performance.now();

const keys: string[] = [];
const keyIndex = new Map<string, number>();
const deliveries: number[] = []; // flat: keyIndex, arrival
let readyCount = 0;
// this process's own event-loop delay: a starved client process shows as lag that is not the server's
const loopDelay = monitorEventLoopDelay({ resolution: 10 });
loopDelay.enable();
let completed = 0;
const clients = Array.from({ length: count }, () =>
  createClient({ url: url!, webSocketImpl: WebSocket, connectionParams, retryAttempts: 0, lazy: true }),
);
const disposers = clients.map((client) => {
  let first = true;
  return client.subscribe<Record<string, { status: string; processedRows: number }>>(
    { query: query!, variables },
    {
      next: (result) => {
        const at = now();
        if (first) {
          // the state at subscribe time was read, not published: only later messages have a lag
          first = false;
          if (++readyCount === count) {
            loopDelay.reset(); // from here on: while the updates arrive
            process.send!({ ready: true });
          }
          return;
        }
        const value = result.data ? Object.values(result.data)[0] : undefined;
        const key = value ? `${value.status}:${value.processedRows}` : 'error';
        let index = keyIndex.get(key);
        if (index === undefined) {
          index = keys.push(key) - 1;
          keyIndex.set(key, index);
        }
        deliveries.push(index, at);
      },
      error: (error) => process.send!({ error: String((error as Error)?.message ?? JSON.stringify(error)) }),
      complete: () => {
        if (++completed === count) process.send!({ done: true });
      },
    },
  );
});

process.on('message', (message: unknown) => {
  // the parent estimates the offset between the two clocks: it sends its time, this answers its own
  if (typeof message === 'object' && message !== null && 'clock' in message) {
    process.send!({ clock: (message as { clock: number }).clock, at: now() });
    return;
  }
  if (message !== 'finish') return;
  loopDelay.disable();
  const loop = { p50: loopDelay.percentile(50) / 1e6, p99: loopDelay.percentile(99) / 1e6, max: loopDelay.max / 1e6 };
  for (const dispose of disposers) dispose();
  void Promise.all(clients.map((c) => c.dispose())).then(() => {
    process.send!({ keys, deliveries, clients: count, completed, loop }, () => process.exit(0));
  });
});
