/**
 * Janitor benchmark: a fake Jellyfin with 50,000 items (movies, series and episodes, with streams and sizes)
 * and 5 users who each played about 8% of them, plus a fake Jellyseerr with 2,000 requests, both in a process
 * of their own (bench/fake-media-servers-process.ts). One person connects both and syncs: the full sync is
 * timed from the mutation to both runs over (target < 30 s) and the process's RSS sampled after a full GC
 * (growth target < 300 MB); then each insight's first page (20 edges with reasons and totalCount) is asked
 * 5 times to warm up and 30 times timed over HTTP (median target < 100 ms). A second sync (nothing new) is
 * timed for scale.
 *
 *   npm run bench:janitor
 *
 * Environment: BENCH_DATABASE_URL (admin URL, default postgresql://postgres@127.0.0.1:5432/test), BENCH_ITEMS,
 * BENCH_USERS, BENCH_REQUESTS, BENCH_KEEP=1, BENCH_LOG_LEVEL.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { createInterface } from 'node:readline';
import { benchEnv, createBenchDatabase, dbName, dropBenchDatabase, fullGc, gql, KEEP, mb, quantile, recordResult, seconds as s, SIGN_UP } from './support.js';

process.env.NODE_ENV = 'production';
const { startApp } = await import('../src/server/app.js');
const { loadConfig } = await import('../src/config.js');

const TARGETS = { syncMs: 30_000, rssGrowthMb: 300, firstPageMs: 100 };
const WARM_UPS = 5;
const RUNS = 30;


const CONNECT = /* GraphQL */ `
  mutation BenchConnect($input: ConnectMediaServerInput!) {
    connectMediaServer(input: $input) { __typename ... on ConnectMediaServerSuccess { mediaServer { id } } ... on Error { code message } }
  }`;
const SYNC = /* GraphQL */ `mutation BenchSync { syncMediaServers { __typename } }`;
const SERVERS = /* GraphQL */ `
  query BenchServers { mediaServers { kind syncStatus lastError itemCount requestCount progress { items users playedItems playsRecorded requests titles } } }`;
const EDGE_ITEM = `edges { reasons node { id title kind sizeBytes lastPlayedAt addedAt audioLanguages subtitleLanguages } } pageInfo { hasNextPage endCursor }`;
const EDGE_REQUEST = `edges { reasons node { id title requestId status mediaStatus requestedAt availableAt } } pageInfo { hasNextPage endCursor }`;
const INSIGHTS: Record<string, string> = {
  oldUnwatched: `query BenchOld { insights { oldUnwatched(first: 20) { totalCount unknownDateCount ${EDGE_ITEM} } } }`,
  largeMovies: `query BenchLarge { insights { largeMovies(first: 20) { totalCount ${EDGE_ITEM} } } }`,
  languageIssues: `query BenchLanguages { insights { languageIssues(first: 20) { totalCount ${EDGE_ITEM} } } }`,
  unavailableRequests: `query BenchUnavailable { insights { unavailableRequests(first: 20) { totalCount ${EDGE_REQUEST} } } }`,
  recentlyAvailable: `query BenchRecent { insights { recentlyAvailable(first: 20) { totalCount ${EDGE_REQUEST} } } }`,
};

// the fakes run in their own process, so building their answers never waits on Klug's work (nor Klug's on theirs)
const fake = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fake-media-servers-process.ts')], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = await createInterface({ input: fake.stdout! })[Symbol.asyncIterator]().next().then((r) => [r.value as string]);
const upstream = JSON.parse(line!) as { jellyfin: string; jellyfinKey: string; jellyseerr: string; jellyseerrKey: string; items: number; users: number; requests: number };

const dataDir = await mkdtemp(join(tmpdir(), 'klug-bench-janitor-'));
const pgVersion = await createBenchDatabase();
const app = await startApp(loadConfig(benchEnv({ KLUG_DATA_DIR: dataDir })));

async function syncTimed(token: string): Promise<{ ms: number; peakRss: number }> {
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 200);
  const t0 = performance.now();
  try {
    await gql(app.url, SYNC, {}, token);
    await app.runs.idle();
    return { ms: performance.now() - t0, peakRss: Math.max(peakRss, process.memoryUsage.rss()) };
  } finally {
    clearInterval(sampler);
  }
}

try {
  console.log(
    `janitor bench: fake Jellyfin with ${upstream.items.toLocaleString('en-US')} items and ${upstream.users} users, fake Jellyseerr with ${upstream.requests.toLocaleString('en-US')} requests; ` +
      `PostgreSQL ${pgVersion} (${dbName}); load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`,
  );
  const auth = await gql<{ signUp: { token: string } }>(app.url, SIGN_UP, { email: 'janitor@bench.test', password: 'a long bench passphrase 1' });
  const token = auth.signUp.token;
  for (const [kind, url, apiKey] of [['JELLYFIN', upstream.jellyfin, upstream.jellyfinKey], ['JELLYSEERR', upstream.jellyseerr, upstream.jellyseerrKey]] as const) {
    const connected = await gql<{ connectMediaServer: { __typename: string; message?: string } }>(app.url, CONNECT, { input: { kind, url, apiKey } }, token);
    if (connected.connectMediaServer.__typename !== 'ConnectMediaServerSuccess') throw new Error(`connect ${kind}: ${connected.connectMediaServer.message}`);
  }

  fullGc();
  fullGc();
  const baseline = process.memoryUsage.rss();
  const first = await syncTimed(token);
  const servers = (await gql<{ mediaServers: Record<string, unknown>[] }>(app.url, SERVERS, {}, token)).mediaServers;
  for (const server of servers) if (server.syncStatus !== 'IDLE') throw new Error(`sync did not complete: ${JSON.stringify(server)}`);
  const runs = await app.db.sql.query<{ kind: string; seconds: number }>(
    `SELECT (SELECT kind::text FROM "MediaServer" m WHERE m.id = r."subjectId") AS kind, extract(epoch FROM r."finishedAt" - r."startedAt")::float8 AS seconds
     FROM "Run" r WHERE r.kind = 'media-server-sync' ORDER BY r."createdAt"`,
  );
  console.log(`first sync: ${s(first.ms)} (${runs.map((r) => `${r.kind} run ${r.seconds.toFixed(2)} s`).join(', ')}); RSS baseline ${mb(baseline)}, peak ${mb(first.peakRss)}`);
  console.log(`servers: ${JSON.stringify(servers)}`);
  const second = await syncTimed(token);
  console.log(`second sync (nothing new): ${s(second.ms)}`);

  const timings: [string, { median: number; p95: number; total: number }][] = [];
  for (const [name, query] of Object.entries(INSIGHTS)) {
    for (let i = 0; i < WARM_UPS; i++) await gql(app.url, query, {}, token);
    const samples: number[] = [];
    let total = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const data = await gql<{ insights: Record<string, { totalCount: number }> }>(app.url, query, {}, token);
      samples.push(performance.now() - t0);
      total = data.insights[name]!.totalCount;
    }
    samples.sort((a, b) => a - b);
    timings.push([name, { median: quantile(samples, 0.5), p95: quantile(samples, 0.95), total }]);
  }

  const growth = first.peakRss - baseline;
  const rows: string[][] = [
    ['measurement', 'Klug', 'target', 'result'],
    ['full sync (50k items, 5 users, 2k requests)', s(first.ms), `< ${TARGETS.syncMs / 1000} s`, first.ms < TARGETS.syncMs ? 'ok' : 'MISSED'],
    ['RSS growth during the sync', `${mb(growth)} (peak ${mb(first.peakRss)})`, `< ${TARGETS.rssGrowthMb} MB`, growth < TARGETS.rssGrowthMb * 1024 * 1024 ? 'ok' : 'MISSED'],
    ['second sync, nothing new', s(second.ms), '', ''],
    ...timings.map(([name, t]) => [`${name}: first page of 20 (of ${t.total.toLocaleString('en-US')})`, `median ${t.median.toFixed(1)} ms, p95 ${t.p95.toFixed(1)} ms`, `< ${TARGETS.firstPageMs} ms median`, t.median < TARGETS.firstPageMs ? 'ok' : 'MISSED']),
  ];
  recordResult({ bench: 'janitor', measure: `full sync: ${process.env.BENCH_ITEMS ?? 50_000} Jellyfin items, ${process.env.BENCH_USERS ?? 5} users, ${process.env.BENCH_REQUESTS ?? 2000} requests`, klug: first.ms / 1000, unit: 's', target: `< ${TARGETS.syncMs / 1000} s`, met: first.ms < TARGETS.syncMs });
  recordResult({ bench: 'janitor', measure: 'RSS growth during the sync', klug: growth / 1024 / 1024, unit: 'MB', target: `< ${TARGETS.rssGrowthMb} MB`, met: growth < TARGETS.rssGrowthMb * 1024 * 1024 });
  for (const [name, t] of timings) {
    recordResult({ bench: 'janitor', measure: `${name}, first page of 20, median`, klug: t.median, unit: 'ms', target: `< ${TARGETS.firstPageMs} ms`, met: t.median < TARGETS.firstPageMs });
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log();
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  await app.stop();
  fake.kill('SIGTERM');
  if (!KEEP) {
    await dropBenchDatabase();
    await rm(dataDir, { recursive: true, force: true });
  }
}
