/**
 * Authenticated requests against a bare Yoga server: autocannon (50 connections) sends `{ me { id } }` with
 * a bearer token to Klug, and the same query to a bare graphql-yoga server that answers it from memory,
 * started by this benchmark in the same process. Peer and Klug take turns (BENCH_ROUNDS rounds of
 * BENCH_SECONDS each), so a change in the machine's load hits both; prints the medians and the median of the
 * rounds' ratios beside the target, on PostgreSQL and on the embedded PGlite, credential cache on and off.
 *
 *   npm run bench:auth           (BENCH_DATABASE_URL, BENCH_SECONDS=5, BENCH_ROUNDS=3, BENCH_CONNECTIONS=50)
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { createSchema, createYoga } from 'graphql-yoga';
import { benchEnv, createBenchDatabase, dbUrl, dropBenchDatabase, gql, KEEP, SIGN_UP, recordResult } from './support.js';

process.env.NODE_ENV = 'production';
const { startApp } = await import('../src/server/app.js');
const { loadConfig } = await import('../src/config.js');

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const median = (values: number[]) => [...values].sort((x, y) => x - y)[Math.floor(values.length / 2)]!;
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const TARGETS = { postgres: 0.7, pglite: 0.5 };
const QUERY = JSON.stringify({ query: '{ me { id } }' });

async function rate(url: string, token?: string): Promise<number> {
  const headers = { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) };
  // a short warm-up, then the measured run
  await autocannon({ url, method: 'POST', body: QUERY, headers, connections: CONNECTIONS, duration: 2 });
  const result = await autocannon({ url, method: 'POST', body: QUERY, headers, connections: CONNECTIONS, duration: SECONDS });
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${url}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
  return result.requests.average;
}

async function bareYoga(): Promise<{ url: string; close(): void }> {
  const yoga = createYoga({
    schema: createSchema({ typeDefs: 'type Query { me: User } type User { id: ID! }', resolvers: { Query: { me: () => ({ id: '0193a0c1-0000-7000-8000-000000000001' }) } } }),
    logging: false,
    graphiql: false,
  });
  const server = createServer(yoga);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/graphql`, close: () => server.close() };
}

/** Rounds of the peer then Klug: the medians of each, and the median of the rounds' ratios. */
async function compare(env: Record<string, string>, peerUrl: string): Promise<{ klug: number; peer: number; ratio: number }> {
  const app = await startApp(loadConfig(env));
  try {
    const { signUp } = await gql<{ signUp: { token: string } }>(app.url, SIGN_UP, { email: `bench-${Date.now()}@example.com`, password: 'a long bench passphrase 1' });
    const rounds: { klug: number; peer: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) rounds.push({ peer: await rate(peerUrl), klug: await rate(app.url, signUp.token) });
    return { klug: median(rounds.map((r) => r.klug)), peer: median(rounds.map((r) => r.peer)), ratio: median(rounds.map((r) => r.klug / r.peer)) };
  } finally {
    await app.stop();
  }
}

const bare = await bareYoga();
const dataDir = await mkdtemp(join(tmpdir(), 'klug-bench-auth-'));
await createBenchDatabase();
try {
  const rows: [string, number, number, number, number][] = [];
  for (const [database, env] of [
    ['postgres', benchEnv({ KLUG_DATA_DIR: join(dataDir, 'pg') })],
    ['pglite', { ...benchEnv({ KLUG_DATA_DIR: join(dataDir, 'pglite') }), DATABASE_URL: '' }],
  ] as const) {
    for (const cacheSeconds of ['60', '0']) {
      const { klug, peer, ratio } = await compare({ ...env, KLUG_AUTH_CACHE_SECONDS: cacheSeconds }, bare.url);
      rows.push([`${database}, credential cache ${cacheSeconds === '0' ? 'off' : 'on'}`, klug, peer, ratio, TARGETS[database]]);
    }
  }
  console.log(`\n{ me { id } } with a bearer token, ${CONNECTIONS} connections, ${ROUNDS} rounds of ${SECONDS} s each (${dbUrl.replace(/\/\/[^@]*@/, '//')})`);
  console.log(`${''.padEnd(34)}${'Klug req/s'.padStart(12)}${'bare Yoga'.padStart(12)}${'ratio'.padStart(8)}   target`);
  for (const [name, klug, peer, ratio, target] of rows) {
    if (name.endsWith('on')) recordResult({ bench: 'auth', measure: `{ me { id } }, ${name}`, klug, peer, unit: 'req/s', ratio, target: `≥ ${target}×`, met: ratio >= target });
    console.log(`${name.padEnd(34)}${klug.toFixed(0).padStart(12)}${peer.toFixed(0).padStart(12)}${ratio.toFixed(2).padStart(8)}   ≥ ${target} ${name.endsWith('on') ? (ratio >= target ? 'ok' : 'MISSED') : '(before the cache)'}`);
  }
} finally {
  bare.close();
  if (!KEEP) {
    await dropBenchDatabase();
    await rm(dataDir, { recursive: true, force: true });
  }
}
