/**
 * IPTV benchmark: a fake Xtream Codes panel (bench/fake-xtream-process.ts, a process of its own) with 100,000
 * VOD, 20,000 series and 5,000 live streams. One person adds the playlist: the first sync is timed from the
 * mutation to its run being over (target < 20 s) with the process's RSS sampled against a baseline taken after a
 * full GC (growth target < 300 MB); a second sync with nothing changed is timed (target < 10 s); then
 * vodStreams(search:) is asked for 20 results, 5 warm-ups then 30 timed over HTTP, for a few words (median
 * target < 50 ms).
 *
 *   npm run bench:iptv                 # on PostgreSQL (BENCH_DATABASE_URL, default postgresql://postgres@127.0.0.1:5432/test)
 *   BENCH_DB=pglite npm run bench:iptv # on the embedded PGlite
 *
 * Environment: BENCH_VOD, BENCH_SERIES, BENCH_LIVE, BENCH_KEEP=1, BENCH_LOG_LEVEL.
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

const TARGETS = { firstSyncMs: 20_000, resyncMs: 10_000, rssGrowthMb: 300, searchMs: 50 };
const WARM_UPS = 5;
const RUNS = 30;
const PGLITE = process.env.BENCH_DB === 'pglite';


const ADD = /* GraphQL */ `
  mutation BenchAddPlaylist($input: AddPlaylistInput!) {
    addPlaylist(input: $input) { __typename ... on AddPlaylistSuccess { playlist { id } } ... on Error { code message } }
  }`;
const SYNC = /* GraphQL */ `mutation BenchSyncPlaylist($id: ID!) { syncPlaylist(id: $id) { __typename } }`;
const PLAYLISTS = /* GraphQL */ `query BenchPlaylists { playlists { syncStatus lastError liveCount vodCount seriesCount skippedCount } }`;
const SEARCH = /* GraphQL */ `
  query BenchSearch($playlistId: ID!, $search: String!) {
    vodStreams(playlistId: $playlistId, search: $search, first: 20) { edges { node { id streamId name rating url } } pageInfo { hasNextPage endCursor } }
  }`;
/** a rare word, a common one, two words, accents and capitals, nothing found */
const WORDS = ['number 99999', 'film', 'Number 4242 (19', 'FÍLM NÚMBER 7', 'no such film'];

const fake = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fake-xtream-process.ts')], { env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
const [line] = await createInterface({ input: fake.stdout! })[Symbol.asyncIterator]().next().then((r) => [r.value as string]);
const upstream = JSON.parse(line!) as { url: string; username: string; password: string };

const dataDir = await mkdtemp(join(tmpdir(), 'klug-bench-iptv-'));
const pgVersion = PGLITE ? null : await createBenchDatabase();
const env = benchEnv({ KLUG_DATA_DIR: dataDir });
if (PGLITE) delete env.DATABASE_URL;
const app = await startApp(loadConfig(env));

async function timed(work: () => Promise<unknown>): Promise<{ ms: number; peakRss: number }> {
  let peakRss = process.memoryUsage.rss();
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 100);
  const t0 = performance.now();
  try {
    await work();
    await app.runs.idle();
    return { ms: performance.now() - t0, peakRss: Math.max(peakRss, process.memoryUsage.rss()) };
  } finally {
    clearInterval(sampler);
  }
}

async function synced(token: string) {
  const [playlist] = (await gql<{ playlists: Record<string, unknown>[] }>(app.url, PLAYLISTS, {}, token)).playlists;
  if (playlist?.syncStatus !== 'IDLE') throw new Error(`sync did not complete: ${JSON.stringify(playlist)}`);
  return playlist;
}

try {
  console.log(`iptv bench: fake panel with ${process.env.BENCH_VOD ?? '100,000'} VOD, ${process.env.BENCH_SERIES ?? '20,000'} series, ${process.env.BENCH_LIVE ?? '5,000'} live; ` +
    `${PGLITE ? 'PGlite (embedded)' : `PostgreSQL ${pgVersion} (${dbName})`}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  const token = (await gql<{ signUp: { token: string } }>(app.url, SIGN_UP, { email: 'iptv@bench.test', password: 'a long bench passphrase 1' })).signUp.token;

  fullGc();
  fullGc();
  const baseline = process.memoryUsage.rss();
  let playlistId = '';
  const first = await timed(async () => {
    const added = await gql<{ addPlaylist: { __typename: string; message?: string; playlist?: { id: string } } }>(
      app.url, ADD, { input: { name: 'Bench', serverUrl: upstream.url, username: upstream.username, password: upstream.password } }, token);
    if (!added.addPlaylist.playlist) throw new Error(`addPlaylist: ${added.addPlaylist.message}`);
    playlistId = added.addPlaylist.playlist.id;
  });
  console.log(`first sync: ${s(first.ms)}; ${JSON.stringify(await synced(token))}; RSS baseline ${mb(baseline)}, peak ${mb(first.peakRss)}`);
  const second = await timed(() => gql(app.url, SYNC, { id: playlistId }, token));
  await synced(token);
  console.log(`second sync (nothing changed): ${s(second.ms)}, RSS peak ${mb(second.peakRss)}`);

  const searches: [string, { median: number; p95: number; found: number }][] = [];
  for (const search of WORDS) {
    for (let i = 0; i < WARM_UPS; i++) await gql(app.url, SEARCH, { playlistId, search }, token);
    const samples: number[] = [];
    let found = 0;
    for (let i = 0; i < RUNS; i++) {
      const t0 = performance.now();
      const data = await gql<{ vodStreams: { edges: unknown[] } }>(app.url, SEARCH, { playlistId, search }, token);
      samples.push(performance.now() - t0);
      found = data.vodStreams.edges.length;
    }
    samples.sort((a, b) => a - b);
    searches.push([search, { median: quantile(samples, 0.5), p95: quantile(samples, 0.95), found }]);
  }

  const growth = Math.max(first.peakRss, second.peakRss) - baseline;
  const rows: string[][] = [
    ['measurement', 'Klug', 'target', 'result'],
    ['first sync (125k entries)', s(first.ms), `< ${TARGETS.firstSyncMs / 1000} s`, first.ms < TARGETS.firstSyncMs ? 'ok' : 'MISSED'],
    ['re-sync, nothing changed', s(second.ms), `< ${TARGETS.resyncMs / 1000} s`, second.ms < TARGETS.resyncMs ? 'ok' : 'MISSED'],
    ['RSS growth over both syncs', `${mb(growth)} (peak ${mb(Math.max(first.peakRss, second.peakRss))})`, `< ${TARGETS.rssGrowthMb} MB`, growth < TARGETS.rssGrowthMb * 1024 * 1024 ? 'ok' : 'MISSED'],
    ...searches.map(([word, t]) => [`vodStreams(search: "${word}", first: 20) → ${t.found}`, `median ${t.median.toFixed(1)} ms, p95 ${t.p95.toFixed(1)} ms`, `< ${TARGETS.searchMs} ms median`, t.median < TARGETS.searchMs ? 'ok' : 'MISSED']),
  ];
  const on = PGLITE ? 'PGlite' : 'PostgreSQL';
  recordResult({ bench: 'iptv', measure: `first sync, 125k entries (${on})`, klug: first.ms / 1000, unit: 's', target: `< ${TARGETS.firstSyncMs / 1000} s`, met: first.ms < TARGETS.firstSyncMs });
  recordResult({ bench: 'iptv', measure: `re-sync, nothing changed (${on})`, klug: second.ms / 1000, unit: 's', target: `< ${TARGETS.resyncMs / 1000} s`, met: second.ms < TARGETS.resyncMs });
  recordResult({ bench: 'iptv', measure: `RSS growth over both syncs (${on})`, klug: growth / 1024 / 1024, unit: 'MB', target: `< ${TARGETS.rssGrowthMb} MB`, met: growth < TARGETS.rssGrowthMb * 1024 * 1024 });
  for (const [word, t] of searches) {
    recordResult({ bench: 'iptv', measure: `vodStreams(search: "${word}"), median (${on})`, klug: t.median, unit: 'ms', target: `< ${TARGETS.searchMs} ms`, met: t.median < TARGETS.searchMs });
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log();
  for (const row of rows) console.log(row.map((cell, c) => cell.padEnd(widths[c]!)).join('  '));
  console.log(`\nload average after: ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
} finally {
  await app.stop();
  fake.kill('SIGTERM');
  if (!KEEP) {
    if (!PGLITE) await dropBenchDatabase();
    await rm(dataDir, { recursive: true, force: true });
  }
}
