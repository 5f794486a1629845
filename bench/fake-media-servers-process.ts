/**
 * The fake Jellyfin and Jellyseerr of the janitor benchmark in a process of their own, as real servers are:
 * building 50,000 items' JSON must not queue behind Klug's work, nor Klug's behind it. Prints
 * `{ jellyfin, jellyfinKey, jellyseerr, jellyseerrKey, items, users, requests }` on one line.
 *   BENCH_ITEMS (50000), BENCH_USERS (5), BENCH_REQUESTS (2000), BENCH_PLAYED_PERCENT (8) per user.
 * Everything is generated from integer hashes: the same library every run.
 */
import { FakeJellyfin, dotnetDate, guid, type FakeItem, type FakeStream } from '../test/support/fake-jellyfin.js';
import { FakeJellyseerr } from '../test/support/fake-jellyseerr.js';

const ITEMS = Number(process.env.BENCH_ITEMS ?? 50_000);
const USERS = Number(process.env.BENCH_USERS ?? 5);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 2000);
const PLAYED_PERCENT = Number(process.env.BENCH_PLAYED_PERCENT ?? 8);

/** 0..1, from an integer and a salt */
const rand = (n: number, salt: number) => {
  let x = (n * 2654435761 + salt * 40503) >>> 0;
  x ^= x >>> 16;
  x = Math.imul(x, 0x45d9f3b) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return x / 0x1_0000_0000;
};
const pick = <T>(list: readonly T[], n: number, salt: number) => list[Math.floor(rand(n, salt) * list.length)]!;
const AUDIO = [['eng', 'fre'], ['eng'], ['fra', 'en'], ['fre'], ['eng', 'fre', 'jpn'], ['jpn'], ['ger', 'und'], ['eng', 'fre']] as const;
const SUBS = [['fre'], ['eng', 'fre'], [], ['fr'], ['eng'], ['fre', 'und']] as const;
const START = Date.parse('2019-01-01T00:00:00Z');
const SPAN = Date.parse('2025-11-01T00:00:00Z') - START;

function streams(n: number): FakeStream[] {
  return [{ type: 'Video' }, ...pick(AUDIO, n, 3).map((language) => ({ type: 'Audio' as const, language })), ...pick(SUBS, n, 4).map((language) => ({ type: 'Subtitle' as const, language, external: rand(n, 5) < 0.3 }))];
}

const jellyfin = new FakeJellyfin();
const episodesPerSeries = 60;
const seriesCount = Math.round((ITEMS * 0.6) / (episodesPerSeries + 1));
const movies = ITEMS - seriesCount * (episodesPerSeries + 1);
const added = (n: number) => (rand(n, 6) < 0.01 ? undefined : dotnetDate(new Date(START + Math.floor(rand(n, 7) * SPAN))));
const items: FakeItem[] = [];
for (let i = 0; i < movies; i++) {
  const size = Math.round(1e9 + rand(i, 8) * 29e9);
  items.push({ id: guid(i, 11), type: 'Movie', name: `Bench Film ${i}`, year: 1950 + (i % 75), dateCreated: added(i), providerIds: { Tmdb: String(100_000 + i), Imdb: `tt${2_000_000 + i}` }, sources: [{ size, streams: streams(i) }] });
}
for (let s = 0; s < seriesCount; s++) {
  const seriesId = guid(s, 12);
  items.push({ id: seriesId, type: 'Series', name: `Bench Show ${s}`, year: 1990 + (s % 35), dateCreated: added(movies + s), providerIds: { Tvdb: String(300_000 + s), Tmdb: String(900_000 + s) } });
  for (let e = 0; e < episodesPerSeries; e++) {
    const n = s * episodesPerSeries + e;
    items.push({ id: guid(n, 13), type: 'Episode', name: `Episode ${e + 1}`, seriesId, seriesName: `Bench Show ${s}`, season: 1 + Math.floor(e / 10), episode: 1 + (e % 10), dateCreated: added(ITEMS + n), providerIds: { Tvdb: String(5_000_000 + n) }, sources: [{ size: Math.round(3e8 + rand(n, 9) * 27e8), streams: streams(ITEMS + n) }] });
  }
}
jellyfin.add(...items);
for (let u = 0; u < USERS; u++) {
  const id = guid(u, 14);
  jellyfin.addUser({ id, name: `user${u + 1}` });
  items.forEach((item, i) => {
    if (item.type !== 'Series' && rand(i, 20 + u) * 100 < PLAYED_PERCENT) jellyfin.play(id, item.id, new Date(START + Math.floor(rand(i, 30 + u) * SPAN)), 1 + Math.floor(rand(i, 40 + u) * 3));
  });
}

const seerr = new FakeJellyseerr();
for (let r = 1; r <= REQUESTS; r++) {
  const movie = rand(r, 50) < 0.7;
  const tmdbId = movie ? 100_000 + Math.floor(rand(r, 51) * movies * 1.5) : 900_000 + Math.floor(rand(r, 52) * seriesCount * 1.5);
  const media = pick([1, 2, 3, 3, 4, 5, 5, 5, 6, 7], r, 53);
  const created = START + Math.floor(rand(r, 54) * SPAN);
  // a fifth of the available ones arrived in the last ten days (of the machine's clock), for recentlyAvailable
  const addedAt = media === 5 && rand(r, 57) < 0.2 ? Date.now() - Math.floor(rand(r, 58) * 10 * 86_400_000) : created + 86_400_000 * 3;
  seerr.addRequest(
    { id: r, type: movie ? 'movie' : 'tv', tmdbId, status: media === 5 ? 5 : pick([1, 2, 2, 3, 4], r, 55), mediaStatus: media, createdAt: new Date(created).toISOString(), mediaAddedAt: new Date(addedAt).toISOString(), requestedBy: { displayName: `user${1 + (r % USERS)}` } },
    { title: `Requested ${r}`, releaseDate: new Date(created - Math.floor(rand(r, 56) * 3e10)).toISOString().slice(0, 10) },
  );
}
await Promise.all([jellyfin.start(), seerr.start()]);
console.log(JSON.stringify({ jellyfin: jellyfin.url, jellyfinKey: jellyfin.apiKey, jellyseerr: seerr.url, jellyseerrKey: seerr.apiKey, items: items.length, users: USERS, requests: REQUESTS }));
process.on('SIGTERM', () => void Promise.all([jellyfin.stop(), seerr.stop()]).then(() => process.exit(0)));
