import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { startTestServer, type TestServer } from './support/server.js';

const STATS = graphql(`
  query StatsDashboard($from: DateTime, $to: DateTime, $bucket: StatsBucket) {
    watchStats(from: $from, to: $to, bucket: $bucket) {
      from
      to
      bucket
      totals {
        events
        hours
        distinctMedia
        movies
        episodes
        rewatches
        ratedEvents
        averageRating
      }
      series {
        start
        events
        hours
      }
      topGenres {
        name
        events
        hours
      }
      topDirectors {
        name
        events
      }
      topRated {
        rating
        watches
        media {
          title
        }
      }
      ratingHistogram {
        rating
        count
      }
      bySource {
        source
        events
      }
    }
  }
`);

let server: TestServer;
let person: { email: string; token: string };
beforeAll(async () => {
  server = await startTestServer();
  person = await server.newPerson();
  const { prisma } = server.app.db;
  const user = await prisma.user.findUniqueOrThrow({ where: { email: person.email } });
  const make = (data: Record<string, unknown>) =>
    prisma.media.create({ data: { userId: user.id, normalizedTitle: String(data.title).toLowerCase(), ...data } as never });
  const heat = await make({ kind: 'MOVIE', title: 'Heat', genres: ['Crime', 'Drama'], directors: ['Michael Mann'], runtimeMinutes: 170, rating: 5 });
  const ran = await make({ kind: 'MOVIE', title: 'Ran', genres: ['Drama'], directors: ['Akira Kurosawa'], runtimeMinutes: 162 });
  const show = await make({ kind: 'SHOW', title: 'The Wire', genres: ['Crime'], directors: [] });
  const pilot = await make({ kind: 'EPISODE', title: 'The Target', showId: show.id, seasonNumber: 1, episodeNumber: 1, runtimeMinutes: 60 });
  const events = [
    { mediaId: heat.id, watchedAt: '2024-01-05T21:00:00Z', rating: 4.5, source: 'LETTERBOXD' },
    { mediaId: heat.id, watchedAt: '2024-03-10T21:00:00Z', rating: 5, rewatch: true, source: 'MANUAL' },
    { mediaId: ran.id, watchedAt: '2024-01-20T21:00:00Z', rating: 4, source: 'LETTERBOXD' },
    { mediaId: pilot.id, watchedAt: '2024-01-21T20:00:00Z', source: 'TRAKT' },
    // outside the period asked for
    { mediaId: ran.id, watchedAt: '2023-06-01T21:00:00Z', rating: 1, source: 'MANUAL' },
  ];
  await prisma.watchEvent.createMany({
    data: events.map((e) => ({ userId: user.id, ...e, watchedAt: new Date(e.watchedAt), source: e.source as never })),
  });
});
afterAll(() => server?.stop());

const PERIOD = { from: '2024-01-01T00:00:00Z', to: '2024-04-01T00:00:00Z' };

describe('watchStats', () => {
  it('totals the period', async () => {
    const { watchStats } = await server.gql(STATS, { ...PERIOD, bucket: 'MONTH' }, { token: person.token });
    expect(watchStats.totals).toEqual({
      events: 4,
      hours: (170 + 170 + 162 + 60) / 60,
      distinctMedia: 3,
      movies: 3,
      episodes: 1,
      rewatches: 1,
      ratedEvents: 3,
      averageRating: 4.5,
    });
  });

  it('draws one point per bucket, empty buckets included, in UTC', async () => {
    const { watchStats } = await server.gql(STATS, { ...PERIOD, bucket: 'MONTH' }, { token: person.token });
    expect(watchStats.series).toEqual([
      { start: '2024-01-01T00:00:00.000Z', events: 3, hours: (170 + 162 + 60) / 60 },
      { start: '2024-02-01T00:00:00.000Z', events: 0, hours: 0 },
      { start: '2024-03-01T00:00:00.000Z', events: 1, hours: 170 / 60 },
    ]);
    const weekly = await server.gql(STATS, { ...PERIOD, from: '2024-01-03T00:00:00Z', bucket: 'WEEK' }, { token: person.token });
    expect(weekly.watchStats.series[0]!.start).toBe('2024-01-01T00:00:00.000Z'); // weeks start on Monday
    expect(weekly.watchStats.series.reduce((sum, p) => sum + p.events, 0)).toBe(4);
  });

  it('ranks genres (episodes take their show’s), directors and rated titles', async () => {
    const { watchStats } = await server.gql(STATS, PERIOD, { token: person.token });
    expect(watchStats.topGenres).toEqual([
      { name: 'Crime', events: 3, hours: (170 + 170 + 60) / 60 },
      { name: 'Drama', events: 3, hours: (170 + 170 + 162) / 60 },
    ]);
    expect(watchStats.topDirectors).toEqual([
      { name: 'Michael Mann', events: 2 },
      { name: 'Akira Kurosawa', events: 1 },
    ]);
    expect(watchStats.topRated.map((r) => [r.media.title, r.rating, r.watches])).toEqual([
      ['Heat', 5, 2],
      ['Ran', 4, 1],
    ]);
  });

  it('counts ratings on the half-step grid and events by source', async () => {
    const { watchStats } = await server.gql(STATS, PERIOD, { token: person.token });
    expect(watchStats.ratingHistogram).toHaveLength(10);
    expect(watchStats.ratingHistogram.filter((r) => r.count > 0)).toEqual([
      { rating: 4, count: 1 },
      { rating: 4.5, count: 1 },
      { rating: 5, count: 1 },
    ]);
    expect(watchStats.bySource).toEqual([
      { source: 'LETTERBOXD', events: 2 },
      { source: 'MANUAL', events: 1 },
      { source: 'TRAKT', events: 1 },
    ]);
  });

  it('defaults to the year up to now, bucketed by week', async () => {
    const { watchStats } = await server.gql(STATS, {}, { token: person.token });
    expect(watchStats.bucket).toBe('WEEK');
    expect(Date.parse(watchStats.to) - Date.parse(watchStats.from)).toBeGreaterThan(364 * 86_400_000);
  });

  it('refuses a reversed range and a range with too many buckets', async () => {
    const reversed = await server.request(STATS, { from: PERIOD.to, to: PERIOD.from }, { token: person.token });
    expect(reversed.body.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    const tooFine = await server.request(
      STATS,
      { from: '2000-01-01T00:00:00Z', to: '2024-01-01T00:00:00Z', bucket: 'DAY' },
      { token: person.token },
    );
    expect(tooFine.body.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });

  it("shows nothing of another person's history", async () => {
    const other = await server.newPerson();
    const { watchStats } = await server.gql(STATS, PERIOD, { token: other.token });
    expect(watchStats.totals.events).toBe(0);
    expect(watchStats.topRated).toEqual([]);
  });
});
