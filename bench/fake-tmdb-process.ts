/**
 * The fake TMDB in a process of its own, as the real one is: Klug's busy moments must not delay the fake's
 * clock, or requests sent well spaced would be counted as a burst. Prints `{ url, imageUrl }` on one line.
 *   BENCH_FILMS films with ids 100000…, FAKE_RATE requests/s, FAKE_LATENCY_MS per answer.
 */
import { FakeTmdb } from '../test/support/fake-tmdb.js';

const films = Number(process.env.BENCH_FILMS ?? 2000);
const tmdb = new FakeTmdb({ perSecond: Number(process.env.FAKE_RATE ?? 40), latencyMs: Number(process.env.FAKE_LATENCY_MS ?? 20) });
for (let i = 0; i < films; i++) {
  tmdb.addMovie({ id: 100_000 + i, title: `Bench Film ${i}`, release_date: `${1950 + (i % 70)}-06-01`, genres: ['Drama', i % 3 ? 'Comedy' : 'Thriller'], runtime: 80 + (i % 70), directors: [`Director ${i % 300}`], cast: [`Actor ${i % 500}`, `Actor ${(i * 7) % 500}`] });
}
await tmdb.start();
console.log(JSON.stringify({ url: tmdb.url, imageUrl: tmdb.imageUrl }));
process.on('SIGTERM', () => void tmdb.stop().then(() => process.exit(0)));
