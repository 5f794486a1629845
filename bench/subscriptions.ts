/**
 * Subscription fan-out: 1,000 graphql-ws clients follow one person's `importProgress` while a real import runs;
 * the delay from each publish to each delivery, beside a bare graphql-ws server replaying the same publishes.
 * Also the server's memory per idle connection and after they all disconnect.
 *
 *   npm run bench:subscriptions     (BENCH_SUBSCRIBERS=1000, BENCH_EVENTS=200000, BENCH_DATABASE_URL, BENCH_KEEP=1)
 *
 * The clients run in a process of their own (bench/ws-clients-process.ts); publish and arrival times are read
 * on the machine's clock in each process (performance.timeOrigin + now).
 */
import { fork } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { once, setMaxListeners } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createPubSub } from '@graphql-yoga/subscription';
import { buildSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { benchEnv, createBenchDatabase, dbUrl, dropBenchDatabase, fullGc, gql, KEEP, loadLine, recordResult, SIGN_UP } from './support.js';

process.env.NODE_ENV = 'production';
const { startApp } = await import('../src/server/app.js');
const { loadConfig } = await import('../src/config.js');

const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const EVENTS = Number(process.env.BENCH_EVENTS ?? 200_000);
const TARGET_P99_MS = 100;
const log = (line = '') => console.log(line);
const now = () => performance.timeOrigin + performance.now();
const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const FIELDS = 'status processedRows insertedCount errorCount';
const PROGRESS = `subscription ($batchId: ID!) { importProgress(batchId: $batchId) { ${FIELDS} } }`;
const START_IMPORT = `mutation ($input: StartImportInput!) { startImport(input: $input) { __typename ... on StartImportSuccess { batch { id } } ... on Error { code message } } }`;

interface ClientResults {
  keys: string[];
  deliveries: number[];
  clients: number;
  completed: number;
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
  return {
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
    const batchId = await startImport(app.url, signUp.token, csv);
    const t0 = performance.now();
    const klugClients = await spawnClients(wsUrl, PROGRESS, { batchId }, params);
    log(`${SUBSCRIBERS} clients subscribed ${((performance.now() - t0) / 1000).toFixed(1)} s after the import started`);
    await klugClients.finished;
    const klugResults = await klugClients.results();
    const klug = lags(klugResults, published);
    log(`Klug: ${klug.deliveries.toLocaleString('en-US')} deliveries (${published.size} states published), lag p50 ${klug.p50.toFixed(1)} ms, p99 ${klug.p99.toFixed(1)} ms, max ${klug.max.toFixed(1)} ms; ${loadLine()}`);

    // ── peer: a bare graphql-ws server, the same publishes at the same pace ──
    const bare = await bareServer();
    const peerPublished = new Map<string, number>();
    const peerClients = await spawnClients(bare.url, PROGRESS, { batchId: 'b' }, {});
    const replayed = sequence.filter((s) => published.has(`${String(s.view.status)}:${String(s.view.processedRows)}`));
    for (let i = 0; i < replayed.length; i++) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, replayed[i]!.at - replayed[i - 1]!.at));
      const { view } = replayed[i]!;
      peerPublished.set(`${String(view.status)}:${String(view.processedRows)}`, now());
      bare.publish('b', view);
    }
    await peerClients.finished;
    const peer = lags(await peerClients.results(), peerPublished);
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
    const missing = SUBSCRIBERS * (published.size - 1) - klug.deliveries;
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
