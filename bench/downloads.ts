/**
 * Downloads benchmark: Klug's engine beside aria2c and curl, all fetching from one Node file server on
 * 127.0.0.1 (bench/file-server-process.ts, its own process), Klug as a real server process (src/main.ts,
 * embedded PGlite) driven over GraphQL. Prints one table of figures, ratios and targets:
 *   1. a 1 GiB file: Klug (16 chunks) vs `aria2c -x16 -s16` and vs curl          target ≥ 0.9× each
 *   2. each connection capped at 4 MB/s: Klug 16 chunks vs its own single stream  target ≥ 12×, aria2c beside
 *   3. RSS growth of the Klug process while it downloads a 2 GiB file             target < 100 MB
 *   4. 1,000 downloadProgress subscribers while 3 downloads run: p50/p99 lag from a change (Download.updatedAt)
 *      to its delivery
 * Every file is checked against the source's SHA-256. All files live in a temporary directory, removed at the end.
 *
 *   npm run bench:downloads     (BENCH_SIZE_MB=1024, BENCH_BIG_MB=2048, BENCH_SINGLE_MB=256, BENCH_SUBSCRIBERS=1000, BENCH_ROUNDS=3)
 * aria2c: `apt-get install -y aria2` (see bench/README.md); without it, Klug is compared with curl only.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { spawnScript, type Spawned } from '../test/support/process.js';
import { gql, recordResult, SERVER_NODE_FLAGS, SIGN_UP } from './support.js';

const MiB = 1024 * 1024;
const SIZE = Number(process.env.BENCH_SIZE_MB ?? 1024) * MiB;
const BIG = Number(process.env.BENCH_BIG_MB ?? 2048) * MiB;
const SINGLE = Number(process.env.BENCH_SINGLE_MB ?? 256) * MiB;
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
/** turns Klug and each peer take at the 1 GiB file */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CAP = 4_000_000; // bytes per second per connection
const SUB_FILE = 96 * MiB;
const WARM_UP = 64 * MiB;
/** which parts run: throughput, capped, rss, subscribers (all by default) */
const PARTS = new Set((process.env.BENCH_PARTS ?? 'throughput,capped,rss,subscribers').split(','));

const ENQUEUE = /* GraphQL */ `
  mutation BenchEnqueue($url: String!) {
    enqueueDownload(input: { url: $url }) {
      __typename
      ... on EnqueueDownloadSuccess { download { id } }
      ... on Error { code message }
    }
  }`;
const PROGRESS = /* GraphQL */ `
  subscription BenchProgress { downloadProgress { id status path bytesDone updatedAt errorMessage } }`;

interface Progress {
  id: string;
  status: string;
  path: string | null;
  bytesDone: number;
  updatedAt: string;
  errorMessage: string | null;
}

const dir = await mkdtemp(join(tmpdir(), 'klug-bench-downloads-'));
const children: { kill(signal?: NodeJS.Signals): unknown }[] = [];
const clients: Client[] = [];
const aria2c = spawnSync('aria2c', ['--version']).status === 0;
let warmUp = { url: '', sum: '' };
try {
  console.log(`load average ${loadAverage()} on 2 cores; aria2c ${aria2c ? 'present' : 'MISSING (apt-get install -y aria2): compared with curl only'}`);
  const source = join(dir, 'source.bin');
  const sums = await writeSource(source, BIG, [WARM_UP, SINGLE, SUB_FILE, SIZE, BIG]);
  console.log(`source: ${BIG / MiB} MiB written with the SHA-256 of each prefix`);
  const fast = await fileServer(source, 0);
  const capped = await fileServer(source, CAP);
  warmUp = { url: fast, sum: sums.get(WARM_UP)! };
  const rows: Row[] = [];
  const klug16 = await startKlug({ KLUG_DOWNLOAD_CHUNKS: '16' });
  if (PARTS.has('throughput')) rows.push(...(await throughput(klug16, `${fast}/head/${SIZE}`, sums.get(SIZE)!)));
  if (PARTS.has('capped')) rows.push(...(await cappedConnections(klug16, capped, sums)));
  if (PARTS.has('rss')) rows.push(await memory(klug16, `${fast}/head/${BIG}`, sums.get(BIG)!));
  klug16.stop();
  if (PARTS.has('subscribers')) rows.push(...(await subscribers(capped, sums.get(SUB_FILE)!)));
  console.table(rows);
  console.log(`load average ${loadAverage()} (2 cores; figures taken beside other work are noisy)`);
} finally {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  for (const child of children) child.kill('SIGKILL');
  await rm(dir, { recursive: true, force: true });
}

/**
 * 1. The file from an uncapped server. Klug syncs the file to disk as it goes and before it moves it into
 * place; aria2c and curl do not: each peer is compared as it is with Klug told not to sync either
 * (KLUG_DOWNLOAD_FSYNC=false), and with `sync --data` of its file after it with Klug as it ships.
 * On loopback every byte costs CPU on the same 2 cores, and the kernel writing back an earlier run's pages
 * slows whoever runs beside it: each run starts after a `sync`, and Klug and its peers take ROUNDS turns
 * in alternation, each figure their median.
 */
async function throughput(klug: Klug, url: string, sum: string): Promise<Row[]> {
  const unsyncedKlug = await startKlug({ KLUG_DOWNLOAD_CHUNKS: '16', KLUG_DOWNLOAD_FSYNC: 'false' });
  const peers: [label: string, command: string, args: string[], output: string][] = [
    ['curl (one stream)', 'curl', ['-sS', '-o', join(dir, 'curl.bin'), url], join(dir, 'curl.bin')],
    // no target: what Node's own streams reach on this machine, for scale
    ['node pipeline (one stream)', process.execPath, ['bench/node-download.mjs', url, join(dir, 'node.bin')], join(dir, 'node.bin')],
  ];
  if (aria2c) peers.unshift(['aria2c -x16 -s16', 'aria2c', aria2Args(url, 'aria.bin'), join(dir, 'aria.bin')]);
  const klugRuns: { seconds: number }[] = [];
  const unsyncedRuns: { seconds: number }[] = [];
  const peerRuns = peers.map(() => [] as { seconds: number; syncSeconds: number }[]);
  for (let round = 0; round < ROUNDS; round++) {
    klugRuns.push(await afterSync(() => klugDownload(klug, url, sum)));
    unsyncedRuns.push(await afterSync(() => klugDownload(unsyncedKlug, url, sum)));
    for (const [i, [, command, args, output]] of peers.entries()) peerRuns[i]!.push(await afterSync(() => timed(command, args, output, sum)));
  }
  unsyncedKlug.stop();
  const klugRun = medianRun(klugRuns);
  const unsynced = medianRun(unsyncedRuns);
  const rows = [row(`${SIZE / MiB} MiB, 127.0.0.1: Klug 16 chunks (synced)`, SIZE, klugRun), row('  Klug 16 chunks, KLUG_DOWNLOAD_FSYNC=false', SIZE, unsynced)];
  for (const [i, [label, command]] of peers.entries()) {
    const run = medianRun(peerRuns[i]!);
    if (command === process.execPath) {
      rows.push(row(`  ${label}`, SIZE, run, unsynced, null, 'Klug (no sync) beside it, for scale'));
      const rate = (seconds: number) => SIZE / MiB / seconds;
      recordResult({ bench: 'downloads', measure: `${SIZE / MiB} MiB vs ${label}, no sync, median of ${ROUNDS}`, klug: rate(unsynced.seconds), peer: rate(run.seconds), unit: 'MiB/s', ratio: run.seconds / unsynced.seconds, target: 'for scale', met: null });
      continue;
    }
    const synced = medianRun(peerRuns[i]!.map((r) => ({ seconds: r.seconds + r.syncSeconds })));
    rows.push(row(`  ${label}`, SIZE, run, unsynced, 0.9, `Klug (no sync) ≥ 0.9× ${command}`));
    rows.push(row(`  ${label} + sync --data`, SIZE, synced, klugRun, 0.9, `Klug ≥ 0.9× ${command}, both synced`));
    recordThroughput(`${SIZE / MiB} MiB vs ${label}, no sync, median of ${ROUNDS}`, unsynced.seconds, run.seconds);
    recordThroughput(`${SIZE / MiB} MiB vs ${label}, both synced, median of ${ROUNDS}`, klugRun.seconds, synced.seconds);
  }
  console.log(`${SIZE / MiB} MiB runs, seconds: Klug ${fmt(klugRuns)}; Klug no sync ${fmt(unsyncedRuns)}; ${peers.map(([label], i) => `${label} ${fmt(peerRuns[i]!)}`).join('; ')}`);
  return rows;
}

/** Runs after every dirty page of the runs before it is on disk, so their writeback does not land on this one. */
async function afterSync<T>(run: () => Promise<T>): Promise<T> {
  spawnSync('sync');
  return run();
}

function medianRun<T extends { seconds: number }>(runs: T[]): T {
  return [...runs].sort((a, b) => a.seconds - b.seconds)[Math.floor(runs.length / 2)]!;
}

function fmt(runs: { seconds: number }[]): string {
  return runs.map((r) => r.seconds.toFixed(2)).join(' ');
}

/** 2. Each connection capped at 4 MB/s: 16 chunks against Klug's own single stream, aria2c beside. */
async function cappedConnections(klug16: Klug, capped: string, sums: Map<number, string>): Promise<Row[]> {
  const many = await klugDownload(klug16, `${capped}/head/${SIZE}`, sums.get(SIZE)!);
  const aria = aria2c ? await timed('aria2c', aria2Args(`${capped}/head/${SIZE}`, 'aria-capped.bin'), join(dir, 'aria-capped.bin'), sums.get(SIZE)!) : null;
  const klug1 = await startKlug({ KLUG_DOWNLOAD_CHUNKS: '1' });
  // a capped single stream runs at the cap whatever the size: a smaller file measures it as well
  const single = await klugDownload(klug1, `${capped}/head/${SINGLE}`, sums.get(SINGLE)!);
  klug1.stop();
  const rows = [
    row(`4 MB/s per connection: Klug single stream (${SINGLE / MiB} MiB)`, SINGLE, single),
    row(`  Klug 16 chunks (${SIZE / MiB} MiB)`, SIZE, many, single, 12, 'Klug 16 ≥ 12× its single stream', true),
  ];
  if (aria) rows.push(row(`  aria2c -x16 -s16 (${SIZE / MiB} MiB)`, SIZE, aria, single, null, 'beside Klug 16 (× Klug single)', true));
  const speedUp = (SIZE / many.seconds) / (SINGLE / single.seconds);
  recordResult({ bench: 'downloads', measure: '4 MB/s per connection: 16 chunks ÷ own single stream', klug: speedUp, unit: '×', target: '≥ 12×', met: speedUp >= 12 });
  if (aria) recordResult({ bench: 'downloads', measure: '4 MB/s per connection: 16 chunks vs aria2c -x16 -s16', klug: SIZE / MiB / many.seconds, peer: SIZE / MiB / aria.seconds, unit: 'MiB/s', ratio: aria.seconds / many.seconds, target: 'beside', met: true });
  return rows;
}

/** 3. RSS of the Klug process while it downloads the big file, above what it had before. */
async function memory(klug: Klug, url: string, sum: string): Promise<Row> {
  const run = await klugDownload(klug, url, sum, true);
  const growth = run.rssGrowth!;
  recordResult({ bench: 'downloads', measure: `RSS growth downloading ${BIG / MiB} MiB`, klug: growth / 1e6, unit: 'MB', target: '< 100 MB', met: growth < 100e6 });
  return { what: `${BIG / MiB} MiB: Klug RSS growth`, seconds: round(run.seconds), 'MB/s': mbps(BIG, run.seconds), ratio: `${(growth / 1e6).toFixed(1)} MB`, target: '< 100 MB', met: growth < 100e6 ? 'yes' : 'NO' };
}

/** 4. SUBSCRIBERS sockets following one person's downloads while 3 of them run. */
async function subscribers(capped: string, sum: string): Promise<Row[]> {
  const lag = await subscriberLag(capped, sum);
  recordResult({ bench: 'downloads', measure: `${SUBSCRIBERS} downloadProgress subscribers, 3 downloads: lag p50`, klug: lag.p50, unit: 'ms', target: 'printed', met: lag.missed === 0 });
  recordResult({ bench: 'downloads', measure: `${SUBSCRIBERS} downloadProgress subscribers, 3 downloads: lag p99`, klug: lag.p99, unit: 'ms', target: 'printed', met: lag.missed === 0 });
  return [
    { what: `${SUBSCRIBERS} subscribers, 3 downloads: lag p50`, seconds: '', 'MB/s': '', ratio: `${lag.p50} ms`, target: `${lag.deliveries} deliveries`, met: lag.missed === 0 ? 'all delivered' : `${lag.missed} missing` },
    { what: '  lag p99', seconds: '', 'MB/s': '', ratio: `${lag.p99} ms`, target: `max ${lag.max} ms`, met: '' },
  ];
}

type Row = Record<string, string | number>;

function recordThroughput(measure: string, klugSeconds: number, peerSeconds: number): void {
  const rate = (seconds: number) => SIZE / MiB / seconds;
  const ratio = peerSeconds / klugSeconds;
  recordResult({ bench: 'downloads', measure, klug: rate(klugSeconds), peer: rate(peerSeconds), unit: 'MiB/s', ratio, target: '≥ 0.9×', met: ratio >= 0.9 });
}

function row(what: string, bytes: number, run: { seconds: number }, against?: { seconds: number }, target?: number | null, label?: string, byRate = false): Row {
  // ratio: Klug's throughput over the peer's (or, byRate, this one's over the single stream's)
  const rate = bytes / run.seconds;
  let ratio = '';
  let met = '';
  if (against) {
    const value = byRate ? rate / (SINGLE / against.seconds) : (SIZE / against.seconds) / rate;
    ratio = `${value.toFixed(2)}×`;
    if (target) met = value >= target ? 'yes' : 'NO';
  }
  return { what, seconds: round(run.seconds), 'MB/s': mbps(bytes, run.seconds), ratio, target: label ?? '', met };
}

function round(s: number): number {
  return Number(s.toFixed(2));
}
function mbps(bytes: number, seconds: number): number {
  return Number((bytes / 1e6 / seconds).toFixed(1));
}
function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** 64 KiB blocks of random bytes, each stamped with its index (a misplaced block changes the hash). */
async function writeSource(path: string, size: number, prefixes: number[]): Promise<Map<number, string>> {
  const hashes = prefixes.map((n) => ({ n, hash: createHash('sha256') }));
  const out = createWriteStream(path);
  const base = randomBytes(64 * 1024);
  for (let at = 0, index = 0; at < size; at += base.length, index++) {
    const block = Buffer.from(base.subarray(0, Math.min(base.length, size - at)));
    block.writeUInt32LE(index, 0);
    for (const h of hashes) if (at < h.n) h.hash.update(block.subarray(0, Math.min(block.length, h.n - at)));
    if (!out.write(block)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return new Map(hashes.map((h) => [h.n, h.hash.digest('hex')]));
}

async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 4 * MiB })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function fileServer(file: string, rate: number): Promise<string> {
  const child = spawnScript('bench/file-server-process.ts', { BENCH_FILE: file, BENCH_RATE: String(rate), NODE_ENV: 'production' });
  children.push(child.child);
  return (JSON.parse(await child.waitFor(/"url"/)) as { url: string }).url;
}

function aria2Args(url: string, name: string): string[] {
  return ['-x16', '-s16', '--file-allocation=falloc', '--allow-overwrite=true', '--auto-file-renaming=false', '--summary-interval=0', '--console-log-level=warn', '-q', '-d', dir, '-o', name, url];
}

/** Runs a peer to its end, then `sync --data` of its file (timed apart); checks the file; removes it. */
async function timed(command: string, args: string[], output: string, sum: string): Promise<{ seconds: number; syncSeconds: number }> {
  const started = performance.now();
  const code = await new Promise<number | null>((resolve) => spawn(command, args, { stdio: 'inherit' }).on('exit', resolve));
  const seconds = (performance.now() - started) / 1000;
  if (code !== 0) throw new Error(`${command} exited ${code}`);
  const syncStarted = performance.now();
  spawnSync('sync', ['--data', output]);
  const syncSeconds = (performance.now() - syncStarted) / 1000;
  if ((await sha256File(output)) !== sum) throw new Error(`${command}: the file differs from the source`);
  await rm(output, { force: true });
  return { seconds, syncSeconds };
}

interface Klug {
  url: string;
  token: string;
  pid: number;
  downloads: string;
  stop(): void;
}

async function startKlug(env: Record<string, string>): Promise<Klug> {
  const name = `klug-${children.length}`;
  const downloads = join(dir, name, 'downloads');
  await mkdir(downloads, { recursive: true });
  const server: Spawned = spawnScript('src/main.ts', {
    NODE_ENV: 'production',
    PORT: '0',
    HOST: '127.0.0.1',
    // info at least: the start-up line says where it serves
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'info',
    KLUG_DATA_DIR: join(dir, name),
    KLUG_DOWNLOAD_DIR: downloads,
    KLUG_DOWNLOAD_ALLOW_PRIVATE: 'true',
    KLUG_SECRET_KEY: 'bench-secret-key-of-at-least-32-characters',
    DATABASE_URL: '',
    ...env,
  }, SERVER_NODE_FLAGS);
  children.push(server.child);
  const line = await server.waitFor(/Klug is serving GraphQL/);
  const url = (JSON.parse(line) as { url: string }).url;
  const { signUp } = await gql<{ signUp: { token: string } }>(url, SIGN_UP, { email: `bench-${randomBytes(4).toString('hex')}@example.com`, password: 'a long and quiet bench password' });
  const klug = { url, token: signUp.token, pid: server.child.pid!, downloads, stop: () => server.child.kill('SIGTERM') };
  // a server runs warm: one download first, so the timings do not include its JIT's first minutes' work
  await klugDownload(klug, `${warmUp.url}/head/${WARM_UP}`, warmUp.sum);
  return klug;
}

function wsClient(klug: Klug): Client {
  const client = createClient({
    url: klug.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    retryAttempts: 0,
    lazy: false,
    onNonLazyError: () => undefined,
    connectionParams: { authorization: `Bearer ${klug.token}` },
  });
  clients.push(client);
  return client;
}

function onConnected(client: Client): Promise<void> {
  return new Promise((resolve) => {
    const off = client.on('connected', () => {
      off();
      resolve();
    });
  });
}

/** Queues the URL in Klug and waits for COMPLETED over a subscription opened first; checks and removes the file. */
async function klugDownload(klug: Klug, url: string, sum: string, sampleRss = false): Promise<{ seconds: number; rssGrowth?: number }> {
  const client = wsClient(klug);
  const connected = onConnected(client);
  const events = client.iterate<{ downloadProgress: Progress }>({ query: PROGRESS });
  const first = events.next();
  await connected;
  const baseline = rss(klug.pid);
  let peak = baseline;
  const sampler = sampleRss ? setInterval(() => (peak = Math.max(peak, rss(klug.pid))), 100) : null;
  const started = performance.now();
  const enqueued = await gql<{ enqueueDownload: { download?: { id: string }; message?: string } }>(klug.url, ENQUEUE, { url }, klug.token);
  const id = enqueued.enqueueDownload.download?.id;
  if (!id) throw new Error(`enqueueDownload: ${enqueued.enqueueDownload.message}`);
  let end: Progress | undefined;
  for (let next = await first; !next.done; next = await events.next()) {
    const d = next.value.data!.downloadProgress;
    if (d.id === id && ['COMPLETED', 'FAILED', 'CANCELLED'].includes(d.status)) {
      end = d;
      break;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (sampler) clearInterval(sampler);
  await events.return?.();
  await client.dispose();
  if (end?.status !== 'COMPLETED') throw new Error(`Klug's download ended ${end?.status}: ${end?.errorMessage}`);
  const file = join(klug.downloads, end.path!);
  if ((await sha256File(file)) !== sum) throw new Error("Klug's file differs from the source");
  await rm(file, { force: true });
  return { seconds, rssGrowth: peak - baseline };
}

function rss(pid: number): number {
  const status = existsSync(`/proc/${pid}/status`) ? readFileSync(`/proc/${pid}/status`, 'utf8') : '';
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
}

/** SUBSCRIBERS sockets each following every download of one person while 3 capped downloads run. */
async function subscriberLag(base: string, sum: string): Promise<{ p50: number; p99: number; max: number; deliveries: number; missed: number }> {
  const klug = await startKlug({ KLUG_DOWNLOAD_CHUNKS: '16' });
  const lags: number[] = [];
  const seenBy = new Map<string, number>();
  const subscribers: Promise<void>[] = [];
  const ready: Promise<void>[] = [];
  let done = 0;
  const ids = new Set<string>();
  let finish!: () => void;
  const allDone = new Promise<void>((resolve) => (finish = resolve));
  for (let i = 0; i < SUBSCRIBERS; i++) {
    const client = wsClient(klug);
    ready.push(onConnected(client));
    const events = client.iterate<{ downloadProgress: Progress }>({ query: PROGRESS });
    subscribers.push(
      (async () => {
        for await (const result of events) {
          const d = result.data?.downloadProgress;
          if (!d) continue;
          lags.push(Date.now() - Date.parse(d.updatedAt));
          const key = `${d.id}@${d.updatedAt}`;
          seenBy.set(key, (seenBy.get(key) ?? 0) + 1);
          if (i === 0 && d.status === 'COMPLETED' && ids.has(d.id) && ++done === 3) finish();
        }
      })(),
    );
  }
  await Promise.all(ready);
  // a subscription is registered a moment after its socket is acknowledged (graphql-ws acknowledges none);
  // the bench gives them that moment rather than count the first events as missed
  await new Promise((resolve) => setTimeout(resolve, 2000));
  lags.length = 0;
  seenBy.clear();
  for (let n = 0; n < 3; n++) {
    const enqueued = await gql<{ enqueueDownload: { download: { id: string } } }>(klug.url, ENQUEUE, { url: `${base}/head/${SUB_FILE}` }, klug.token);
    ids.add(enqueued.enqueueDownload.download.id);
  }
  await allDone;
  // the last deliveries reach the other sockets a moment after the first
  await new Promise((resolve) => setTimeout(resolve, 1000));
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  await Promise.allSettled(subscribers);
  for (const name of await readdir(klug.downloads)) if ((await sha256File(join(klug.downloads, name))) !== sum) throw new Error('a subscribed download differs from the source');
  klug.stop();
  lags.sort((a, b) => a - b);
  const at = (q: number) => lags[Math.min(lags.length - 1, Math.floor(q * lags.length))] ?? NaN;
  const missed = [...seenBy.values()].filter((n) => n < SUBSCRIBERS).length;
  return { p50: at(0.5), p99: at(0.99), max: lags.at(-1) ?? NaN, deliveries: lags.length, missed };
}
