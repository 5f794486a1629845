/**
 * The fake Xtream Codes panel in a process of its own, as a real provider is: building a 30 MB answer never
 * waits on Klug's work, nor Klug's on it. Prints `{ url, username, password }` on one line.
 *   BENCH_VOD, BENCH_SERIES, BENCH_LIVE entries (100,000 / 20,000 / 5,000).
 */
import { FakeXtream, generateCatalog } from '../test/support/fake-xtream.js';

const xtream = new FakeXtream();
xtream.catalog = generateCatalog({
  vod: Number(process.env.BENCH_VOD ?? 100_000),
  series: Number(process.env.BENCH_SERIES ?? 20_000),
  live: Number(process.env.BENCH_LIVE ?? 5_000),
  categories: 200,
});
await xtream.start();
console.log(JSON.stringify({ url: xtream.url, username: xtream.account.username, password: xtream.account.password }));
process.on('SIGTERM', () => void xtream.stop().then(() => process.exit(0)));
