import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { FakeTmdb } from './support/fake-tmdb.js';
import { importAndWait, startImport } from './support/imports.js';
import { createTestDatabase } from './support/database.js';
import { BATCH } from './support/imports.js';
import { startTestServer, type TestServer } from './support/server.js';
import { connected, subscribe } from './support/subscriptions.js';

const MEDIA = graphql(`
  query EnrichedMedia {
    mediaItems(first: 50, orderBy: TITLE_ASC) {
      edges {
        node {
          id
          kind
          title
          year
          genres
          runtime
          directors
          cast
          originalTitle
          overview
          voteAverage
          enrichmentStatus
          enrichmentError
          enrichedAt
          enrichmentCandidates {
            tmdbId
            title
            year
          }
          externalIds {
            tmdb
            imdb
          }
        }
      }
    }
  }
`);

const MATCH = graphql(`
  mutation MatchMedia($mediaId: ID!, $tmdbId: String!) {
    matchMedia(mediaId: $mediaId, tmdbId: $tmdbId) {
      __typename
      ... on MediaSuccess {
        media {
          title
          enrichmentStatus
          directors
          externalIds {
            tmdb
          }
        }
      }
      ... on Error {
        code
        message
      }
    }
  }
`);

const ENRICH = graphql(`
  mutation EnrichMedia($ids: [ID!], $force: Boolean) {
    enrichMedia(ids: $ids, force: $force) {
      __typename
      ... on EnrichMediaSuccess {
        runId
        queued
      }
      ... on Error {
        code
        message
      }
      ... on UpstreamError {
        setting
      }
    }
  }
`);

const PROGRESS = graphql(`
  subscription EnrichingProgress($batchId: ID!) {
    importProgress(batchId: $batchId) {
      status
      enrichedCount
      insertedCount
    }
  }
`);

const STATS = graphql(`
  query EnrichedStats {
    watchStats(from: "2000-01-01T00:00:00Z", to: "2030-01-01T00:00:00Z") {
      totals {
        hours
      }
      topGenres {
        name
        events
      }
      topDirectors {
        name
        events
      }
    }
  }
`);

const RUN_ENRICH_JOB = graphql(`
  mutation RunEnrichMissing {
    runJob(name: "enrich-missing") {
      __typename
      ... on RunJobSuccess {
        run {
          status
        }
      }
    }
  }
`);

const RECORD_WATCH = graphql(`
  mutation RecordHeat {
    recordWatch(input: { media: { kind: MOVIE, title: "Heat", year: 1995 }, watchedAt: "2024-05-01T20:00:00Z" }) {
      __typename
    }
  }
`);

const SERVER_INFO = graphql(`
  query EnrichmentSwitch {
    serverInfo {
      enrichmentEnabled
    }
  }
`);

const HISTORY_CSV = [
  'title,year,kind,watched_at,tmdb_id,imdb_id,series_title,series_tmdb_id,season,episode',
  'Inception,2010,MOVIE,2024-01-04T20:00:00Z,27205,,,,,',
  'Paddington 2,2017,MOVIE,2024-02-09T20:00:00Z,,tt4468740,,,,',
  'Heat,1995,MOVIE,2024-03-01T20:00:00Z,,,,,,',
  'Amelie,2002,MOVIE,2024-03-02T20:00:00Z,,,,,,',
  'Dune,2021,MOVIE,2024-03-03T20:00:00Z,,,,,,',
  'A Film Nobody Made,1999,MOVIE,2024-03-04T20:00:00Z,,,,,,',
  'Episode 1,,EPISODE,2024-03-05T20:00:00Z,,,Breaking Bad,1396,1,1',
].join('\n');

function fakeTmdb(options: ConstructorParameters<typeof FakeTmdb>[0] = {}) {
  return new FakeTmdb(options)
    .addMovie({ id: 27205, title: 'Inception', release_date: '2010-07-15', genres: ['Action', 'Science Fiction'], runtime: 148, directors: ['Christopher Nolan'], cast: ['Leonardo DiCaprio', 'Joseph Gordon-Levitt'], imdb_id: 'tt1375666', poster_path: '/inception.jpg' })
    .addMovie({ id: 346648, title: 'Paddington 2', release_date: '2017-11-09', genres: ['Comedy', 'Family'], runtime: 104, directors: ['Paul King'], imdb_id: 'tt4468740' })
    .addMovie({ id: 949, title: 'Heat', release_date: '1995-12-15', genres: ['Crime', 'Drama'], runtime: 170, directors: ['Michael Mann'], imdb_id: 'tt0113277' })
    .addMovie({ id: 2490, title: 'Heat', release_date: '1986-03-14', genres: ['Action'], runtime: 101, directors: ['Dick Richards'] })
    .addMovie({ id: 194, title: 'Amélie', original_title: 'Le Fabuleux Destin d’Amélie Poulain', release_date: '2001-04-25', genres: ['Comedy', 'Romance'], runtime: 122, directors: ['Jean-Pierre Jeunet'] })
    .addMovie({ id: 438631, title: 'Dune', release_date: '2021-09-15', genres: ['Science Fiction'], runtime: 155, directors: ['Denis Villeneuve'] })
    .addMovie({ id: 999001, title: 'Dune', release_date: '2021-05-01', genres: ['Documentary'], runtime: 90, directors: ['Someone Else'] })
    .addShow({
      id: 1396,
      name: 'Breaking Bad',
      first_air_date: '2008-01-20',
      genres: ['Drama', 'Crime'],
      created_by: ['Vince Gilligan'],
      imdb_id: 'tt0903747',
      seasons: { 1: [{ episode_number: 1, name: 'Pilot', air_date: '2008-01-20', runtime: 58 }, { episode_number: 2, name: "Cat's in the Bag...", air_date: '2008-01-27', runtime: 48 }] },
    });
}

const tmdbEnv = (tmdb: FakeTmdb, extra: Record<string, string> = {}) => ({ KLUG_TMDB_API_KEY: 'test-key', KLUG_TMDB_URL: tmdb.url, KLUG_TMDB_IMAGE_URL: tmdb.imageUrl, KLUG_TMDB_RPS: '200', ...extra });
const csv = [{ name: 'history.csv', content: HISTORY_CSV }];
type Item = Awaited<ReturnType<TestServer['gql']>> & { mediaItems: { edges: { node: Record<string, unknown> & { title: string } }[] } };
const byTitle = (data: Item) => Object.fromEntries(data.mediaItems.edges.map((e) => [e.node.title, e.node]));

describe('enrichment from TMDB after an import', () => {
  let tmdb: FakeTmdb;
  let server: TestServer;
  beforeAll(async () => {
    tmdb = await fakeTmdb().start();
    server = await startTestServer({ env: tmdbEnv(tmdb) });
  });
  afterAll(async () => {
    await server?.stop();
    await tmdb?.stop();
  });

  it('goes ENRICHING, counts what it settled over graphql-ws, then COMPLETED', async () => {
    const person = await server.newPerson();
    const gate = tmdb.gate(/^\/3\/movie\/27205$/);
    const started = await startImport(server, person.token, csv, { source: 'KLUG_CSV' });
    const batchId = (started as { batch: { id: string } }).batch.id;
    const client = server.ws(person.token);
    const updates = subscribe(client, PROGRESS, { batchId });
    await connected(client);
    await gate.arrived;
    const seen: { status: string; enrichedCount: number }[] = [];
    let released = false;
    for await (const update of updates) {
      const batch = update.data!.importProgress;
      seen.push(batch);
      if (batch.status === 'ENRICHING' && !released) {
        released = true;
        gate.release();
      }
      if (batch.status === 'COMPLETED') break;
    }
    expect(seen.some((b) => b.status === 'ENRICHING')).toBe(true);
    const last = seen.at(-1)!;
    // six films, the show and its episode
    expect(last).toMatchObject({ status: 'COMPLETED', insertedCount: 7, enrichedCount: 8 });
    await client.dispose();
  });

  it('matches by TMDB id, IMDb id, title and year, and a year either side; never guesses', async () => {
    const person = await server.newPerson();
    await importAndWait(server, person.token, csv, { source: 'KLUG_CSV' });
    const items = byTitle((await server.gql(MEDIA, {}, { token: person.token })) as Item);
    expect(items.Inception).toMatchObject({ enrichmentStatus: 'ENRICHED', genres: ['Action', 'Science Fiction'], runtime: 148, directors: ['Christopher Nolan'], cast: ['Leonardo DiCaprio', 'Joseph Gordon-Levitt'], externalIds: { tmdb: '27205', imdb: 'tt1375666' } });
    expect(items['Paddington 2']).toMatchObject({ enrichmentStatus: 'ENRICHED', directors: ['Paul King'], externalIds: { tmdb: '346648', imdb: 'tt4468740' } });
    expect(items.Heat).toMatchObject({ enrichmentStatus: 'ENRICHED', directors: ['Michael Mann'], externalIds: { tmdb: '949' } });
    expect(items.Amelie).toMatchObject({ enrichmentStatus: 'ENRICHED', year: 2002, originalTitle: 'Le Fabuleux Destin d’Amélie Poulain', externalIds: { tmdb: '194' } });
    expect(items.Dune).toMatchObject({ enrichmentStatus: 'AMBIGUOUS', genres: [], externalIds: { tmdb: null } });
    expect((items.Dune!.enrichmentCandidates as { tmdbId: string }[]).map((c) => c.tmdbId).sort()).toEqual(['438631', '999001']);
    expect(items['A Film Nobody Made']).toMatchObject({ enrichmentStatus: 'NOT_FOUND', enrichedAt: null });
    expect(items['A Film Nobody Made']!.enrichmentError).toMatch(/no TMDB film matches/);
    expect(items['Breaking Bad']).toMatchObject({ kind: 'SHOW', enrichmentStatus: 'ENRICHED', genres: ['Drama', 'Crime'], directors: ['Vince Gilligan'] });
    // the episode's title and runtime come from its season
    expect(items.Pilot).toMatchObject({ kind: 'EPISODE', enrichmentStatus: 'ENRICHED', runtime: 58 });
  });

  it('fills in watchStats genres, directors and hours', async () => {
    const person = await server.newPerson();
    await importAndWait(server, person.token, csv, { source: 'KLUG_CSV' });
    const stats = await server.gql(STATS, {}, { token: person.token });
    expect(stats.watchStats.topDirectors.map((d) => d.name)).toEqual(expect.arrayContaining(['Christopher Nolan', 'Michael Mann', 'Vince Gilligan']));
    expect(stats.watchStats.topGenres.find((g) => g.name === 'Crime')?.events).toBe(2);
    // 148 + 104 + 170 + 122 + 58 minutes
    expect(stats.watchStats.totals.hours).toBeCloseTo(602 / 60, 1);
  });

  it('asks TMDB once per film for the whole server: a second person makes no request', async () => {
    const first = await server.newPerson();
    await importAndWait(server, first.token, csv, { source: 'KLUG_CSV' });
    expect(tmdb.apiRequests(/^\/3\/movie\/27205$/)).toHaveLength(1);
    const before = tmdb.requests.length;
    const second = await server.newPerson();
    const batch = await importAndWait(server, second.token, csv, { source: 'KLUG_CSV' });
    expect(tmdb.requests.length).toBe(before);
    expect(batch).toMatchObject({ status: 'COMPLETED' });
    const items = byTitle((await server.gql(MEDIA, {}, { token: second.token })) as Item);
    expect(items.Inception).toMatchObject({ enrichmentStatus: 'ENRICHED', directors: ['Christopher Nolan'] });
  });

  it('lets a person settle an ambiguous item with matchMedia, and refuses what cannot be', async () => {
    const person = await server.newPerson();
    await importAndWait(server, person.token, csv, { source: 'KLUG_CSV' });
    const items = byTitle((await server.gql(MEDIA, {}, { token: person.token })) as Item);
    const dune = items.Dune!.id as string;
    const matched = await server.gql(MATCH, { mediaId: dune, tmdbId: '438631' }, { token: person.token });
    expect(matched.matchMedia).toMatchObject({ __typename: 'MediaSuccess', media: { title: 'Dune', enrichmentStatus: 'ENRICHED', directors: ['Denis Villeneuve'], externalIds: { tmdb: '438631' } } });
    const notNumber = await server.gql(MATCH, { mediaId: dune, tmdbId: 'dune-2021' }, { token: person.token });
    expect(notNumber.matchMedia).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
    const missing = await server.gql(MATCH, { mediaId: items['A Film Nobody Made']!.id as string, tmdbId: '123456789' }, { token: person.token });
    expect(missing.matchMedia).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const taken = await server.gql(MATCH, { mediaId: items['A Film Nobody Made']!.id as string, tmdbId: '27205' }, { token: person.token });
    expect(taken.matchMedia).toMatchObject({ __typename: 'ValidationError', message: expect.stringMatching(/Inception/) });
    const stranger = await server.newPerson();
    const foreign = await server.gql(MATCH, { mediaId: dune, tmdbId: '438631' }, { token: stranger.token });
    expect(foreign.matchMedia).toMatchObject({ __typename: 'NotFoundError' });
  });
});

describe('TMDB faults', () => {
  let tmdb: FakeTmdb;
  let server: TestServer;
  beforeAll(async () => {
    tmdb = await fakeTmdb().start();
    server = await startTestServer({ env: tmdbEnv(tmdb), overrides: { tmdb: { timeoutMs: 300, retryBaseMs: 5 } } });
  });
  afterAll(async () => {
    await server?.stop();
    await tmdb?.stop();
  });

  async function enrichAgain(token: string, title: string) {
    const items = byTitle((await server.gql(MEDIA, {}, { token })) as Item);
    const result = await server.gql(ENRICH, { ids: [items[title]!.id as string], force: true }, { token });
    expect(result.enrichMedia.__typename).toBe('EnrichMediaSuccess');
    await server.app.runs.idle();
    return byTitle((await server.gql(MEDIA, {}, { token })) as Item)[title]!;
  }

  it('waits out a 429 for its Retry-After, retries 500s and timeouts, and fails an item after three tries', async () => {
    const person = await server.newPerson();
    await importAndWait(server, person.token, csv, { source: 'KLUG_CSV' });

    tmdb.fail(/^\/3\/movie\/27205$/, 1, 429, '0');
    let count = tmdb.apiRequests(/^\/3\/movie\/27205$/).length;
    expect(await enrichAgain(person.token, 'Inception')).toMatchObject({ enrichmentStatus: 'ENRICHED' });
    expect(tmdb.apiRequests(/^\/3\/movie\/27205$/).length - count).toBe(2);

    tmdb.fail(/^\/3\/movie\/27205$/, 2, 500);
    count = tmdb.apiRequests(/^\/3\/movie\/27205$/).length;
    expect(await enrichAgain(person.token, 'Inception')).toMatchObject({ enrichmentStatus: 'ENRICHED' });
    expect(tmdb.apiRequests(/^\/3\/movie\/27205$/).length - count).toBe(3);

    tmdb.fail(/^\/3\/movie\/27205$/, 1, 'hang');
    count = tmdb.apiRequests(/^\/3\/movie\/27205$/).length;
    expect(await enrichAgain(person.token, 'Inception')).toMatchObject({ enrichmentStatus: 'ENRICHED' });
    expect(tmdb.apiRequests(/^\/3\/movie\/27205$/).length - count).toBe(2);

    tmdb.fail(/^\/3\/movie\/27205$/, 3, 503);
    count = tmdb.apiRequests(/^\/3\/movie\/27205$/).length;
    const failed = await enrichAgain(person.token, 'Inception');
    expect(failed).toMatchObject({ enrichmentStatus: 'FAILED', enrichmentError: expect.stringMatching(/HTTP 503.*3 tries/) });
    expect(tmdb.apiRequests(/^\/3\/movie\/27205$/).length - count).toBe(3);
    // what the item had stays
    expect(failed.directors).toEqual(['Christopher Nolan']);
  });
});

describe('a refused key', () => {
  it('completes the import, says why enrichment stopped, and sends no storm of requests', async () => {
    const tmdb = await fakeTmdb({ apiKey: 'the-right-key' }).start();
    const server = await startTestServer({ env: tmdbEnv(tmdb, { KLUG_TMDB_API_KEY: 'a-wrong-key' }) });
    try {
      const person = await server.newPerson();
      const batch = await importAndWait(server, person.token, csv, { source: 'KLUG_CSV' });
      expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 7 });
      expect(batch.errorMessage).toMatch(/KLUG_TMDB_API_KEY/);
      expect(tmdb.requests.length).toBe(1);
      const items = byTitle((await server.gql(MEDIA, {}, { token: person.token })) as Item);
      expect(items.Inception).toMatchObject({ enrichmentStatus: 'PENDING' });
      const again = await server.gql(ENRICH, {}, { token: person.token });
      expect(again.enrichMedia).toMatchObject({ __typename: 'EnrichMediaSuccess', queued: 8 });
      await server.app.runs.idle();
      expect(tmdb.requests.length).toBe(1);
    } finally {
      await server.stop();
      await tmdb.stop();
    }
  });
});

describe('without a TMDB key', () => {
  it('says enrichment is off, imports go straight to COMPLETED, and enrichMedia answers a typed error', async () => {
    const server = await startTestServer();
    try {
      const person = await server.newPerson();
      expect((await server.gql(SERVER_INFO, {}, { token: person.token })).serverInfo.enrichmentEnabled).toBe(false);
      const batch = await importAndWait(server, person.token, csv, { source: 'KLUG_CSV' });
      expect(batch).toMatchObject({ status: 'COMPLETED', enrichedCount: 0, errorMessage: null });
      const result = await server.gql(ENRICH, {}, { token: person.token });
      expect(result.enrichMedia).toMatchObject({ __typename: 'UpstreamError', code: 'UPSTREAM_KEY_REFUSED', setting: 'KLUG_TMDB_API_KEY' });
    } finally {
      await server.stop();
    }
  });
});

describe('pace and restarts', () => {
  it('keeps under the rate TMDB allows without being told (no 429)', async () => {
    const tmdb = await fakeTmdb({ perSecond: 5 }).start();
    const server = await startTestServer({ env: tmdbEnv(tmdb, { KLUG_TMDB_RPS: '4' }) });
    try {
      const person = await server.newPerson();
      const batch = await importAndWait(server, person.token, csv, { source: 'KLUG_CSV' });
      expect(batch).toMatchObject({ status: 'COMPLETED', enrichedCount: 8 });
      expect(tmdb.requests.length).toBeGreaterThan(5);
      expect(tmdb.rateLimited).toBe(0);
    } finally {
      await server.stop();
      await tmdb.stop();
    }
  });

  it('resumes enrichment after a restart, asking TMDB again nothing it had settled', async () => {
    const tmdb = await fakeTmdb().start();
    const database = await createTestDatabase();
    try {
      let server = await startTestServer({ env: tmdbEnv(tmdb), database });
      const person = await server.newPerson();
      const searches = tmdb.gate(/^\/3\/search\/movie$/);
      const started = await startImport(server, person.token, csv, { source: 'KLUG_CSV' });
      const batchId = (started as { batch: { id: string } }).batch.id;
      await searches.arrived;
      expect((await server.gql(BATCH, { id: batchId }, { token: person.token })).node).toMatchObject({ status: 'ENRICHING' });
      await server.stop();
      searches.release();

      server = await startTestServer({ env: tmdbEnv(tmdb), database });
      await server.app.runs.idle();
      const batch = (await server.gql(BATCH, { id: batchId }, { token: person.token })).node;
      expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 7, enrichedCount: 8, errorMessage: null });
      const items = byTitle((await server.gql(MEDIA, {}, { token: person.token })) as Item);
      expect(Object.values(items).filter((i) => i.enrichmentStatus === 'PENDING')).toEqual([]);
      // the show was settled before the stop; a film whose request the stop cut short may be asked again
      expect(tmdb.apiRequests(/^\/3\/tv\/1396$/)).toHaveLength(1);
      await server.stop();
    } finally {
      await database.drop();
      await tmdb.stop();
    }
  });
});

describe('the enrich-missing job', () => {
  it("settles items still PENDING and refreshes TMDB records past KLUG_TMDB_CACHE_DAYS", async () => {
    const tmdb = await fakeTmdb().start();
    const server = await startTestServer({ env: tmdbEnv(tmdb) });
    try {
      const owner = await server.newPerson();
      await importAndWait(server, owner.token, [{ name: 'one.csv', content: 'title,year,watched_at,tmdb_id\nInception,2010,2024-01-04T20:00:00Z,27205\n' }], { source: 'KLUG_CSV' });
      expect((await server.gql(RECORD_WATCH, {}, { token: owner.token })).recordWatch.__typename).toBe('RecordWatchSuccess');
      let items = byTitle((await server.gql(MEDIA, {}, { token: owner.token })) as Item);
      expect(items).toMatchObject({ Inception: { runtime: 148 }, Heat: { enrichmentStatus: 'PENDING' } });

      tmdb.movies.get(27205)!.runtime = 150;
      await server.app.db.sql.query(`UPDATE "TmdbRecord" SET "fetchedAt" = now() - interval '31 days'`);
      expect((await server.gql(RUN_ENRICH_JOB, {}, { token: owner.token })).runJob.__typename).toBe('RunJobSuccess');
      await server.app.runs.idle();
      items = byTitle((await server.gql(MEDIA, {}, { token: owner.token })) as Item);
      expect(items).toMatchObject({ Inception: { enrichmentStatus: 'ENRICHED', runtime: 150 }, Heat: { enrichmentStatus: 'ENRICHED', directors: ['Michael Mann'] } });
    } finally {
      await server.stop();
      await tmdb.stop();
    }
  });
});
