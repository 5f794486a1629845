/**
 * Subscription fan-out: 1,000 graphql-ws clients follow one person's `importProgress` while a real import runs;
 * the delay from each publish to each delivery, beside a bare graphql-ws server replaying the same publishes.
 * Also the server's memory per idle connection and after they all disconnect.
 *
 *   npm run bench:subscriptions     (BENCH_SUBSCRIBERS=1000, BENCH_EVENTS=1000000, BENCH_DATABASE_URL, BENCH_KEEP=1)
 *
 * The clients run in a process of their own (bench/ws-clients-process.ts); publish and arrival times are read
 * on the machine's clock in each process (performance.timeOrigin + now).
 */
import { fork } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { once, setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import WebSocket, { WebSocketServer } from 'ws';
import { benchEnv, createBenchDatabase, dbUrl, dropBenchDatabase, fullGc, gql, KEEP, loadLine, mb, recordResult, SIGN_UP } from './support.js';

process.env.NODE_ENV = 'production';
const { startApp } = await import('../src/server/app.js');
const { loadConfig } = await import('../src/config.js');

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
/** progress is published about once a second: a million events give ~30 states, so p99 is not one fan-out's tail */
const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
const TARGET_P99_MS = 100;
const log = (line = '') => console.log(line);
const now = () => performance.timeOrigin + performance.now();

const FIELDS = 'status processedRows insertedCount errorCount';
const PROGRESS = `subscription ($batchId: ID!) { importProgress(batchId: $batchId) { ${FIELDS} } }`;
const START_IMPORT = `mutation ($input: StartImportInput!) { startImport(input: $input) { __typename ... on StartImportSuccess { batch { id } } ... on Error { code message } } }`;

interface ClientResults {
  keys: string[];
  deliveries: number[];
  clients: number;
  completed: number;
  /** the clients' process's event-loop delay while the updates arrived, ms */
  loop: { p50: number; p99: number; max: number };
}

/** N clients in a child process; resolves once each has its first message. */
async function spawnClients(url: string, query: string, variables: object, params: object, count = SUBSCRIBERS) {
  const child = fork(fileURLToPath(new URL('./ws-clients-process.ts', import.meta.url)), [url, String(count), query, JSON.stringify(variables), JSON.stringify(params)], {
    execArgv: ['--import', 'tsx'],
    stdio: 'inherit',
  });
  let done: () => void = () => undefined;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const ready = new Promise<void>((resolve, reject) => {
    child.on('message', (message: { ready?: boolean; done?: boolean; error?: string }) => {
      if (message.ready) resolve();
      if (message.done) done();
      if (message.error) reject(new Error(`a client failed: ${message.error}`));
    });
    child.once('exit', (code) => reject(new Error(`the clients' process exited (${code})`)));
  });
  await ready;
  /**
   * The clients' clock minus this one (ms), from the IPC round trip with the shortest time: publish and arrival
   * are read in different processes, so a skew between their clocks would read as lag.
   */
  const clockOffset = async (samples = 20) => {
    let best = { rtt: Infinity, offset: 0 };
    for (let i = 0; i < samples; i++) {
      const sent = now();
      const reply = new Promise<number>((resolve) => {
        const listen = (message: { clock?: number; at?: number }) => {
          if (message.clock !== sent) return;
          child.off('message', listen);
          resolve(message.at!);
        };
        child.on('message', listen);
      });
      child.send({ clock: sent });
      const at = await reply;
      const back = now();
      if (back - sent < best.rtt) best = { rtt: back - sent, offset: at - (sent + back) / 2 };
    }
    return best;
  };
  return {
    clockOffset,
    /** every client saw its subscription complete */
    finished,
    results: async (): Promise<ClientResults> => {
      const [message] = (await Promise.all([once(child, 'message'), child.send('finish')]))[0] as [ClientResults];
      await once(child, 'exit').catch(() => undefined);
      return message;
    },
    kill: () => child.kill(),
  };
}

function lags(results: ClientResults, published: Map<string, number>) {
  const values: number[] = [];
  let unknown = 0;
  for (let i = 0; i < results.deliveries.length; i += 2) {
    const at = published.get(results.keys[results.deliveries[i]!]!);
    if (at === undefined) unknown++;
    else values.push(results.deliveries[i + 1]! - at);
  }
  values.sort((a, b) => a - b);
  const q = (p: number) => values[Math.min(values.length - 1, Math.floor(p * values.length))] ?? NaN;
  return { p50: q(0.5), p99: q(0.99), max: values.at(-1) ?? NaN, deliveries: values.length, unknown };
}

/**
 * When each server handed each update to `ws` (both servers' sockets are this module's WebSocket): the lag up to
 * there is the server's own; from there to arrival it is the wire and the clients' process.
 */
const sends: { key: string; at: number }[] = [];
let trackSends = false;
const originalSend = WebSocket.prototype.send;
WebSocket.prototype.send = function send(this: WebSocket, data: unknown, ...rest: unknown[]) {
  if (trackSends) {
    const text = typeof data === 'string' ? data : Buffer.isBuffer(data) ? data.toString('utf8', 0, Math.min(200, data.length)) : '';
    const match = /"status":"(\w+)","processedRows":(-?\d+)/.exec(text);
    if (match) sends.push({ key: `${match[1]}:${match[2]}`, at: now() });
  }
  return (originalSend as (...args: unknown[]) => void).call(this, data, ...rest);
} as typeof WebSocket.prototype.send;

function serverLags(published: Map<string, number>) {
  const values: number[] = [];
  const first = new Map<string, number>();
  const last = new Map<string, number>();
  for (const { key, at } of sends) {
    const from = published.get(key);
    if (from === undefined) continue;
    values.push(at - from);
    if (!first.has(key)) first.set(key, at);
    last.set(key, at);
  }
  values.sort((a, b) => a - b);
  const spreads = [...first].map(([key, at]) => last.get(key)! - at).sort((a, b) => a - b);
  const starts = [...first].map(([key, at]) => at - published.get(key)!).sort((a, b) => a - b);
  const q = (list: number[], p: number) => list[Math.min(list.length - 1, Math.floor(p * list.length))] ?? NaN;
  sends.length = 0;
  return { p50: q(values, 0.5), p99: q(values, 0.99), firstP50: q(starts, 0.5), firstMax: starts.at(-1) ?? NaN, spreadP50: q(spreads, 0.5), spreadMax: spreads.at(-1) ?? NaN };
}

/** This process's event-loop delay over a phase, ms. */
function loopMonitor() {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  histogram.enable();
  return () => {
    histogram.disable();
    return { p50: histogram.percentile(50) / 1e6, p99: histogram.percentile(99) / 1e6, max: histogram.max / 1e6 };
  };
}

/** BENCH_CPU_PROFILE=file: the server's CPU profile while Klug's clients follow the import (open in Chrome's DevTools). */
async function cpuProfile() {
  const file = process.env.BENCH_CPU_PROFILE;
  if (!file) return { stop: async () => undefined };
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 1000 });
  await session.post('Profiler.start');
  return {
    stop: async () => {
      const { profile } = await session.post('Profiler.stop');
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
      log(`CPU profile of the server while Klug's clients followed the import: ${file}`);
    },
  };
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
function breakdown(name: string, server: ReturnType<typeof serverLags>, loop: ReturnType<ReturnType<typeof loopMonitor>>, clients: ClientResults, clock: { rtt: number; offset: number }) {
  log(`  ${name}: publish → handed to ws p50 ${ms(server.p50)}, p99 ${ms(server.p99)} (publish → first send of one state: p50 ${ms(server.firstP50)}, max ${ms(server.firstMax)}; first to last send: p50 ${ms(server.spreadP50)}, max ${ms(server.spreadMax)}); ` +
    `server event-loop delay p50 ${ms(loop.p50)}, p99 ${ms(loop.p99)}, max ${ms(loop.max)}; ` +
    `clients' event-loop delay p50 ${ms(clients.loop.p50)}, p99 ${ms(clients.loop.p99)}, max ${ms(clients.loop.max)}; ` +
    `clients' clock ${clock.offset >= 0 ? '+' : ''}${clock.offset.toFixed(2)} ms (IPC round trip ${ms(clock.rtt)})`);
}

function generateCsv(path: string): Promise<void> {
  const out = createWriteStream(path);
  out.write('title,watched_at,kind,year,rating,rewatch,tags,review,tmdb_id,imdb_id\n');
  const start = Date.UTC(2015, 0, 1);
  for (let i = 0; i < EVENTS; i++) {
    const film = i % 5000;
    out.write(`Film ${film},${new Date(start + i * 60_000).toISOString()},movie,${1950 + (film % 70)},,,,,${100000 + film},\n`);
  }
  out.end();
  return once(out, 'finish').then(() => undefined);
}

async function startImport(url: string, token: string, path: string): Promise<string> {
  const { openAsBlob } = await import('node:fs');
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: START_IMPORT, variables: { input: { source: 'KLUG_CSV', files: [null] } } }));
  form.append('map', JSON.stringify({ 0: ['variables.input.files.0'] }));
  form.append('0', await openAsBlob(path), 'events.csv');
  const response = await fetch(url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-graphql-yoga-csrf': '1' }, body: form });
  const body = (await response.json()) as { data?: { startImport: { __typename: string; batch?: { id: string }; message?: string } } };
  const result = body.data?.startImport;
  if (!result?.batch) throw new Error(`startImport refused: ${JSON.stringify(body).slice(0, 300)}`);
  return result.batch.id;
}

/** The server's memory after a full collection (the clients live in another process). */
function memory() {
  fullGc();
  const { rss, heapUsed, external } = process.memoryUsage();
  return { rss, heap: heapUsed + external };
}

/** The peer: a bare graphql-ws server on ws with the same field, fed by replaying Klug's publishes. */
async function bareServer() {
  const eventTarget = new EventTarget();
  setMaxListeners(0, eventTarget); // a thousand listeners on one topic, as in Klug's bus
  const pubsub = createPubSub<{ progress: [batchId: string, view: Record<string, unknown>] }>({ eventTarget });
  const schema = buildSchema(`type Batch { ${FIELDS.split(' ').map((f) => `${f}: ${f === 'status' ? 'String' : 'Int'}`).join(' ')} }
    type Query { ok: Boolean } type Subscription { importProgress(batchId: ID!): Batch }`);
  const roots = {
    subscription: {
      importProgress: async function* ({ batchId }: { batchId: string }) {
        yield { status: 'PROCESSING', processedRows: -1, insertedCount: 0, errorCount: 0 }; // "the state now"
        for await (const view of pubsub.subscribe('progress', batchId)) {
          yield view;
          if (['COMPLETED', 'FAILED', 'CANCELLED'].includes(String(view.status))) return;
        }
      },
    },
  };
  // graphql-js resolves a root field's subscribe from rootValue: wrap each to yield { importProgress: view }
  const rootValue = {
    importProgress: (args: { batchId: string }) =>
      (async function* () {
        for await (const view of roots.subscription.importProgress(args)) yield { importProgress: view };
      })(),
  };
  const http = createServer();
  const wss = new WebSocketServer({ server: http, path: '/graphql' });
  const disposable = useServer({ schema, roots: { subscription: rootValue } as never }, wss);
  http.listen(0, '127.0.0.1');
  await once(http, 'listening');
  const { port } = http.address() as AddressInfo;
  return {
    url: `ws://127.0.0.1:${port}/graphql`,
    publish: (batchId: string, view: Record<string, unknown>) => pubsub.publish('progress', batchId, view),
    close: async () => {
      await disposable.dispose();
      http.close();
    },
  };
}

async function main() {
  log(`Klug subscriptions benchmark — ${new Date().toISOString()}; ${SUBSCRIBERS} clients, an import of ${EVENTS.toLocaleString('en-US')} events`);
  const dataDir = mkdtempSync(join(tmpdir(), 'klug-bench-subs-'));
  await createBenchDatabase();
  const app = await startApp(loadConfig(benchEnv({ KLUG_DATA_DIR: dataDir, KLUG_IMPORT_UPLOAD_MAX_MB: '200' })));
  const wsUrl = app.url.replace(/^http/, 'ws');
  try {
    const signUp = (await gql<{ signUp: { token: string } }>(app.url, SIGN_UP, { email: 'subs@bench.klug.test', password: 'a long bench passphrase 1' })).signUp;
    const params = { authorization: `Bearer ${signUp.token}` };
    const csv = join(dataDir, 'events.csv');
    await generateCsv(csv);

    // ── memory: idle connections, then all gone (twice, to see whether anything stays) ──
    // idle: each follows a queued batch nobody works on (the state now, then nothing)
    const user = await app.db.prisma.user.findUniqueOrThrow({ where: { email: 'subs@bench.klug.test' } });
    const quiet = await app.db.prisma.importBatch.create({ data: { userId: user.id, source: 'KLUG_CSV', mode: 'APPEND' } });
    const idleVariables = { batchId: Buffer.from(`ImportBatch:${quiet.id}`).toString('base64') };
    const before = memory();
    const idle = await spawnClients(wsUrl, PROGRESS, idleVariables, params);
    const connected = memory();
    const perConnection = (connected.rss - before.rss) / SUBSCRIBERS;
    const perConnectionHeap = (connected.heap - before.heap) / SUBSCRIBERS;
    await idle.results();
    while (app.websocketStats().clients > 0) await new Promise((resolve) => setImmediate(resolve));
    const after1 = memory();
    const again = await spawnClients(wsUrl, PROGRESS, idleVariables, params);
    await again.results();
    while (app.websocketStats().clients > 0) await new Promise((resolve) => setImmediate(resolve));
    const after2 = memory();
    log(`memory: ${(perConnection / 1024).toFixed(1)} KB RSS (${(perConnectionHeap / 1024).toFixed(1)} KB heap) per idle connection; ` +
      `after all disconnect: heap ${mb(after1.heap - before.heap)} over the start, after a second round ${mb(after2.heap - after1.heap)} more; ` +
      `subscriptions open: ${app.events.streams.active}`);

    // ── Klug: 1,000 clients follow a running import ──
    const published = new Map<string, number>();
    const sequence: { at: number; view: Record<string, unknown> }[] = [];
    const publish = app.events.pubsub.publish.bind(app.events.pubsub);
    (app.events.pubsub as { publish: (...args: unknown[]) => void }).publish = (...args: unknown[]) => {
      if (args[0] === 'run:changed') {
        const view = (args[2] as { view?: Record<string, unknown> } | undefined)?.view;
        if (view && 'processedRows' in view) {
          const key = `${String(view.status)}:${String(view.processedRows)}`;
          if (!published.has(key)) {
            published.set(key, now());
            sequence.push({ at: now(), view: Object.fromEntries(FIELDS.split(' ').map((f) => [f, view[f]])) });
          }
        }
      }
      return (publish as (...a: unknown[]) => void)(...args);
    };
    log(`\n${loadLine()}`);
    // the import is queued but not claimed until every client follows it (subscribing 1,000 beside a running
    // import took longer than the import itself on a loaded machine, and then the lag measured only its end)
    const runs = app.runs as unknown as { wake: () => void };
    runs.wake = () => undefined;
    const batchId = await startImport(app.url, signUp.token, csv);
    const t0 = performance.now();
    const klugClients = await spawnClients(wsUrl, PROGRESS, { batchId }, params);
    const { sources, subscribers } = app.websocketStats().subscriptions;
    log(`${SUBSCRIBERS} clients subscribed in ${((performance.now() - t0) / 1000).toFixed(1)} s (${subscribers} subscribers of ${sources} shared execution${sources === 1 ? '' : 's'}); the import starts now`);
    delete (runs as { wake?: unknown }).wake;
    runs.wake();
    const klugClock = await klugClients.clockOffset();
    trackSends = true;
    const klugLoop = loopMonitor();
    const profiler = await cpuProfile();
    await klugClients.finished;
    const klugLoopDelay = klugLoop();
    await profiler.stop();
    trackSends = false;
    const klugResults = await klugClients.results();
    const klug = lags(klugResults, published);
    breakdown('Klug', serverLags(published), klugLoopDelay, klugResults, klugClock);
    log(`Klug: ${klug.deliveries.toLocaleString('en-US')} deliveries (${published.size} states published), lag p50 ${klug.p50.toFixed(1)} ms, p99 ${klug.p99.toFixed(1)} ms, max ${klug.max.toFixed(1)} ms; ${loadLine()}`);

    // ── peer: a bare graphql-ws server, the same publishes at the same pace ──
    const bare = await bareServer();
    const peerPublished = new Map<string, number>();
    const peerClients = await spawnClients(bare.url, PROGRESS, { batchId: 'b' }, {});
    const peerClock = await peerClients.clockOffset();
    trackSends = true;
    const peerLoop = loopMonitor();
    const replayed = sequence.filter((s) => published.has(`${String(s.view.status)}:${String(s.view.processedRows)}`));
    for (let i = 0; i < replayed.length; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, replayed[i]!.at - replayed[i - 1]!.at));
      const { view } = replayed[i]!;
      peerPublished.set(`${String(view.status)}:${String(view.processedRows)}`, now());
      bare.publish('b', view);
    }
    await peerClients.finished;
    const peerLoopDelay = peerLoop();
    trackSends = false;
    const peerResults = await peerClients.results();
    const peer = lags(peerResults, peerPublished);
    breakdown('bare graphql-ws', serverLags(peerPublished), peerLoopDelay, peerResults, peerClock);
    await bare.close();
    log(`bare graphql-ws: ${peer.deliveries.toLocaleString('en-US')} deliveries, lag p50 ${peer.p50.toFixed(1)} ms, p99 ${peer.p99.toFixed(1)} ms, max ${peer.max.toFixed(1)} ms; ${loadLine()}`);

    const rows = [
      { measure: `${SUBSCRIBERS} subscribers: lag p50`, klug: klug.p50, peer: peer.p50, target: '', met: true },
      { measure: `${SUBSCRIBERS} subscribers: lag p99`, klug: klug.p99, peer: peer.p99, target: `< ${TARGET_P99_MS} ms`, met: klug.p99 < TARGET_P99_MS },
    ];
    for (const row of rows) {
      recordResult({ bench: 'subscriptions', measure: row.measure, klug: row.klug, peer: row.peer, unit: 'ms', ratio: row.peer / row.klug, target: row.target, met: row.met });
    }
    const leftAfter = after2.heap - before.heap;
    recordResult({ bench: 'subscriptions', measure: 'memory per idle connection', klug: perConnection / 1024, unit: 'KB RSS', target: '', met: true });
    recordResult({ bench: 'subscriptions', measure: 'heap left after 2×1,000 disconnected', klug: leftAfter / 1024 / 1024, unit: 'MB', target: '< 5 MB, no stream open', met: leftAfter < 5 * 1024 * 1024 && app.events.streams.active === 0 });
    const missing = SUBSCRIBERS * published.size - klug.deliveries; // every state is published after they subscribed
    log(`\n| measure | Klug | bare graphql-ws | target | met |\n|---|---|---|---|---|`);
    for (const row of rows) log(`| ${row.measure} | ${row.klug.toFixed(1)} ms | ${row.peer.toFixed(1)} ms | ${row.target} | ${row.met ? 'yes' : 'no'} |`);
    log(`| memory per idle connection | ${(perConnection / 1024).toFixed(1)} KB RSS | | | |`);
    log(`| heap after 2 rounds of ${SUBSCRIBERS} connect + disconnect | ${mb(leftAfter)} | | < 5 MB | ${leftAfter < 5 * 1024 * 1024 ? 'yes' : 'no'} |`);
    log(`deliveries short of every state to every client: ${missing} (progress a slow client had not read yet is replaced by newer)`);
  } finally {
    await app.stop();
    if (KEEP) log(`BENCH_KEEP=1: kept ${dbUrl} and ${dataDir}`);
    else {
      await dropBenchDatabase();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => void (KEEP ? Promise.resolve() : dropBenchDatabase()).finally(() => process.exit(130)));
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
}
