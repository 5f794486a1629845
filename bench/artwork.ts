/**
 * Artwork benchmark: 500 distinct posters (1000×1500 JPEGs, each its own colour and noise) stored through
 * `storeFromUrl` from an image host on loopback, as enrichment stores TMDB's, then each requested once at
 * width 342 over HTTP from the real server (the WebP thumbnail made on that first request), then all again
 * (served from disk). Beside it, the peer: bare sharp making the same 500 thumbnails from the same files with
 * the same settings and as many pipelines at once as the server allows itself. Prints images/s of each, the
 * ratio, and the server process's RSS growth while thumbnailing (target < 200 MB).
 *
 *   npx tsx bench/artwork.ts    (BENCH_DATABASE_URL, BENCH_POSTERS=500, BENCH_CONCURRENCY=8, BENCH_KEEP=1)
 */
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import sharp from 'sharp';
import { loadConfig } from '../src/config.js';
import { createLogger } from '../src/logger.js';
import { startApp } from '../src/server/app.js';
import { THUMBNAIL_CONCURRENCY } from '../src/services/artwork/artwork.js';
import { benchEnv, createBenchDatabase, dbName, dropBenchDatabase, KEEP, recordResult } from './support.js';

const POSTERS = Number(process.env.BENCH_POSTERS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const WIDTH = 342;
const TARGET_RSS_MB = 200;
const MB = 1024 * 1024;

/** Runs `work` over the items with at most `limit` in flight. */
async function pool<T>(items: T[], limit: number, work: (item: T, index: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) {
        const index = next++;
        await work(items[index]!, index);
      }
    }),
  );
}

/** A full collection before a baseline is read, so what came before does not count. */
const gc: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return () => undefined;
  }
})();

/** RSS sampled every 100 ms from `start()` until `stop()`: the baseline and the peak. */
function rssSampler() {
  let peak = 0;
  let timer: NodeJS.Timeout | undefined;
  let baseline = 0;
  return {
    start() {
      gc();
      baseline = process.memoryUsage().rss;
      peak = baseline;
      timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
    },
    stop() {
      clearInterval(timer);
      peak = Math.max(peak, process.memoryUsage().rss);
      return { baselineMb: baseline / MB, peakMb: peak / MB, growthMb: (peak - baseline) / MB };
    },
  };
}

const hsl = (hue: number) => {
  const f = (n: number) => {
    const k = (n + hue / 30) % 12;
    return Math.round(255 * (0.5 - 0.3 * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return { r: f(0), g: f(8), b: f(4) };
};

const work = await mkdtemp(join(tmpdir(), 'klug-bench-artwork-'));
const sources = join(work, 'sources');
const dataDir = join(work, 'data');
console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}; sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}`);

// 1. the posters, written to disk so neither the host nor the server holds them all in memory
let started = performance.now();
await mkdir(sources, { recursive: true });
let sourceBytes = 0;
await pool(
  Array.from({ length: POSTERS }, (_, i) => i),
  2,
  async (i) => {
    // noise at a tenth of the size, scaled up: blotches of colour, as distinct as photographs and as quick to make
    const blotches = await sharp({
      create: { width: 100, height: 150, channels: 3, background: hsl((i * 360) / POSTERS), noise: { type: 'gaussian', mean: 128, sigma: 40 } },
    })
      .png()
      .toBuffer();
    const bytes = await sharp(blotches).resize({ width: 1000, height: 1500, kernel: 'cubic' }).jpeg({ quality: 85 }).toBuffer();
    sourceBytes += bytes.length;
    await writeFile(join(sources, `${i}.jpg`), bytes);
  },
);
console.log(`generated ${POSTERS} posters, 1000×1500 JPEG, ${(sourceBytes / MB).toFixed(0)} MB, in ${((performance.now() - started) / 1000).toFixed(1)} s`);

// 2. an image host on loopback, as TMDB's
const host = createServer(async (req, res) => {
  const name = /^\/original\/(\d+)\.jpg$/.exec(req.url ?? '')?.[1];
  const bytes = name === undefined ? null : await readFile(join(sources, `${name}.jpg`)).catch(() => null);
  if (!bytes) return res.writeHead(404).end();
  res.writeHead(200, { 'content-type': 'image/jpeg', 'content-length': bytes.length }).end(bytes);
});
await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
const hostUrl = `http://127.0.0.1:${(host.address() as AddressInfo).port}`;

const version = await createBenchDatabase();
console.log(`PostgreSQL ${version}, database ${dbName}; ${CONCURRENCY} requests in flight`);
const config = loadConfig(benchEnv({ KLUG_DATA_DIR: dataDir, KLUG_TMDB_IMAGE_URL: hostUrl }));
const app = await startApp(config, createLogger(config.logLevel));
const origin = new URL(app.url).origin;
let failed = false;
try {
  // 3. stored as enrichment stores them
  const whole = rssSampler();
  whole.start();
  started = performance.now();
  const hashes: string[] = new Array(POSTERS);
  await pool(
    Array.from({ length: POSTERS }, (_, i) => i),
    4,
    async (i) => {
      const hash = await app.services.artwork.storeFromUrl(`${config.tmdb.imageUrl}/original/${i}.jpg`);
      if (!hash) throw new Error(`poster ${i} was not stored`);
      hashes[i] = hash;
    },
  );
  const storeSeconds = (performance.now() - started) / 1000;
  if (new Set(hashes).size !== POSTERS) throw new Error('the posters are not distinct');

  // 4. each requested once at width 342: made on this first request
  const loadBeforeFirst = loadavg()[0]!;
  const rss = rssSampler();
  rss.start();
  started = performance.now();
  let thumbnailBytes = 0;
  await pool(hashes, CONCURRENCY, async (hash) => {
    const response = await fetch(`${origin}/artwork/${hash}?width=${WIDTH}`);
    const body = Buffer.from(await response.arrayBuffer());
    if (response.status !== 200 || response.headers.get('content-type') !== 'image/webp') {
      throw new Error(`GET /artwork/${hash}?width=${WIDTH}: ${response.status}`);
    }
    thumbnailBytes += body.length;
  });
  const firstSeconds = (performance.now() - started) / 1000;
  const memory = rss.stop();
  const overall = whole.stop();
  const check = await sharp(await readFile(join(config.artwork.dir, hashes[0]!.slice(0, 2), `${hashes[0]}.w${WIDTH}.webp`))).metadata();
  if (check.format !== 'webp' || check.width !== WIDTH) throw new Error(`the kept thumbnail is ${check.format} ${check.width} wide`);

  // 5. all again: kept on disk
  started = performance.now();
  await pool(hashes, CONCURRENCY, async (hash) => {
    const response = await fetch(`${origin}/artwork/${hash}?width=${WIDTH}`);
    await response.arrayBuffer();
    if (response.status !== 200) throw new Error(`second GET: ${response.status}`);
  });
  const keptSeconds = (performance.now() - started) / 1000;

  // 6. the peer: bare sharp, same originals, same settings, as many pipelines at once as the server runs
  const loadBeforePeer = loadavg()[0]!;
  const originals = hashes.map((hash) => join(config.artwork.dir, hash.slice(0, 2), hash));
  started = performance.now();
  await pool(originals, THUMBNAIL_CONCURRENCY, async (path) => {
    const bytes = await readFile(path);
    await sharp(bytes, { failOn: 'truncated', limitInputPixels: config.artwork.maxPixels }).rotate().resize({ width: WIDTH, withoutEnlargement: true }).webp({ quality: 80 }).toBuffer();
  });
  const peerSeconds = (performance.now() - started) / 1000;

  const rate = POSTERS / firstSeconds;
  const peerRate = POSTERS / peerSeconds;
  console.table([
    { what: 'storeFromUrl (fetch, verify by decoding, store)', 'images/s': +(POSTERS / storeSeconds).toFixed(1) },
    { what: `GET /artwork/<hash>?width=${WIDTH}, first (made)`, 'images/s': +rate.toFixed(1) },
    { what: `GET /artwork/<hash>?width=${WIDTH}, again (kept)`, 'images/s': +(POSTERS / keptSeconds).toFixed(1) },
    { what: 'bare sharp, same thumbnails (peer)', 'images/s': +peerRate.toFixed(1) },
  ]);
  console.log(
    `thumbnails: ${(thumbnailBytes / POSTERS / 1024).toFixed(1)} KB each on average; ` +
      `ratio ${(rate / peerRate).toFixed(2)}× bare sharp (both ${THUMBNAIL_CONCURRENCY} sharp pipelines at once; the server adds HTTP, ` +
      `a row lookup, reading the original and writing the thumbnail); 1-minute load average ${loadBeforeFirst.toFixed(1)} before the server's pass, ` +
      `${loadBeforePeer.toFixed(1)} before the peer's`,
  );
  const met = memory.growthMb < TARGET_RSS_MB;
  console.log(
    `RSS while thumbnailing: ${memory.baselineMb.toFixed(0)} MB → peak ${memory.peakMb.toFixed(0)} MB, growth ${memory.growthMb.toFixed(0)} MB ` +
      `(target < ${TARGET_RSS_MB} MB: ${met ? 'met' : 'NOT met'})`,
  );
  console.log(
    `RSS from before storing to the end of thumbnailing: ${overall.baselineMb.toFixed(0)} MB → peak ${overall.peakMb.toFixed(0)} MB, growth ${overall.growthMb.toFixed(0)} MB`,
  );
  console.log(`load average ${loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  recordResult({ bench: 'artwork', measure: `${POSTERS} posters thumbnailed at width ${WIDTH}, first requests`, klug: rate, peer: peerRate, unit: 'images/s', ratio: rate / peerRate, target: 'printed', met: true });
  recordResult({ bench: 'artwork', measure: 'RSS growth while thumbnailing', klug: memory.growthMb, unit: 'MB', target: `< ${TARGET_RSS_MB} MB`, met });
} catch (error) {
  failed = true;
  console.error(error);
} finally {
  await app.stop();
  await new Promise((resolve) => host.close(resolve));
  if (KEEP) console.log(`kept ${work} and database ${dbName}`);
  else {
    await dropBenchDatabase();
    await rm(work, { recursive: true, force: true });
  }
}
process.exit(failed ? 1 : 0);
