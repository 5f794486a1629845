import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { importAndWait } from './support/imports.js';
import { startTestServer, type TestServer } from './support/server.js';

const TITLES = graphql(`
  query ImpLimitsTitles {
    watchEvents(first: 50, orderBy: WATCHED_AT_ASC) {
      edges {
        node {
          tags
          review
          media {
            title
          }
        }
      }
    }
  }
`);

const MB = 1024 * 1024;
const tags = (n: number) => Array.from({ length: n }, (_, i) => `tag${i}`).join(',');

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

/** Imports and answers the batch, its errors as [row, field, code] and the titles now in the history. */
async function importRows(files: { name: string; content: string }[], source: 'KLUG_CSV' | 'KLUG_JSON' | 'LETTERBOXD' | 'TRAKT') {
  const person = await server.newPerson();
  const batch = await importAndWait(server, person.token, files, { source });
  const { watchEvents } = await server.gql(TITLES, {}, { token: person.token });
  const errors = batch.errors.edges.map((e) => e.node);
  // a message says what is wrong without repeating the oversized value
  for (const error of errors) expect(error.message.length).toBeLessThan(200);
  return {
    batch,
    errors: errors.map((e) => [e.file, e.row, e.field, e.code]),
    titles: watchEvents.edges.map((e) => e.node.media.title),
    events: watchEvents.edges.map((e) => e.node),
  };
}

describe('over-long values are row errors, the other rows import', () => {
  it('KLUG_CSV: a 10 MB field is one ROW_TOO_LARGE error; titles, reviews, tags and ids over the limits are row errors', async () => {
    const huge = `${'a long, long review\n'.repeat((10 * MB) / 20)}"quoted" end`;
    const content = [
      'title,watched_at,review,tags,tmdb_id,kind,series_title,episode',
      'Heat,2023-01-01,,,,,,',
      `Alien,2023-01-02,"${huge.replaceAll('"', '""')}",,,,,`,
      `${'T'.repeat(501)},2023-01-03,,,,,,`,
      `Ran,2023-01-04,${'r'.repeat(20_001)},,,,,`,
      `Ikiru,2023-01-05,,"${tags(51)}",,,,`,
      `Rashomon,2023-01-06,,"ok,${'x'.repeat(101)}",,,,`,
      `Yojimbo,2023-01-07,,,${'9'.repeat(201)},,,`,
      `Pilot,2023-01-08,,,,EPISODE,${'S'.repeat(501)},1`,
      `Stalker,2023-01-09,${'r'.repeat(20_000)},"${tags(50)}",${'9'.repeat(200)},,,`,
      `${'T'.repeat(500)},2023-01-10,,,,,,`,
      `Big ${'x'.repeat(2 * MB)},2023-01-11,,,,,,`,
      'Solaris,2023-01-12,,,,,,',
      '',
    ].join('\n');
    const { batch, errors, titles, events } = await importRows([{ name: 'big.csv', content }], 'KLUG_CSV');
    expect(batch).toMatchObject({ status: 'COMPLETED', errorMessage: null, insertedCount: 4, errorCount: 8, processedRows: 12 });
    expect(errors).toEqual([
      ['big.csv', 3, null, 'ROW_TOO_LARGE'],
      ['big.csv', 4, 'title', 'VALUE_TOO_LONG'],
      ['big.csv', 5, 'review', 'VALUE_TOO_LONG'],
      ['big.csv', 6, 'tags', 'TOO_MANY_TAGS'],
      ['big.csv', 7, 'tags', 'VALUE_TOO_LONG'],
      ['big.csv', 8, 'tmdb_id', 'VALUE_TOO_LONG'],
      ['big.csv', 9, 'series_title', 'VALUE_TOO_LONG'],
      ['big.csv', 12, null, 'ROW_TOO_LARGE'],
    ]);
    expect(titles).toEqual(['Heat', 'Stalker', 'T'.repeat(500), 'Solaris']);
    expect(events[1]).toMatchObject({ review: 'r'.repeat(20_000), tags: tags(50).split(',') });
    const stored = batch.errors.edges.map((e) => e.node);
    expect(stored[0]).toMatchObject({ row: 3, raw: null });
    expect(Math.max(...stored.map((e) => (e.raw ?? '').length))).toBeLessThanOrEqual(4000);
  });

  it('LETTERBOXD: names, links, tags and reviews over the limits are row errors, a 10 MB row too', async () => {
    const diary = [
      'Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date',
      '2023-01-01,Heat,1995,https://boxd.it/a1,4,,,2023-01-01',
      `2023-01-02,"${'N'.repeat(10 * MB)}",1979,https://boxd.it/a2,,,,2023-01-02`,
      `2023-01-03,${'N'.repeat(501)},1979,https://boxd.it/a3,,,,2023-01-03`,
      `2023-01-04,Ran,1985,https://boxd.it/${'u'.repeat(200)},,,,2023-01-04`,
      `2023-01-05,Ikiru,1952,https://boxd.it/a5,,,"${tags(51)}",2023-01-05`,
      '2023-01-06,Solaris,1972,https://boxd.it/a6,,,,2023-01-06',
      '',
    ].join('\n');
    const reviews = [
      'Date,Name,Year,Letterboxd URI,Rating,Rewatch,Review,Tags,Watched Date',
      `2023-01-07,Stalker,1979,https://boxd.it/a7,,,${'r'.repeat(20_001)},,2023-01-07`,
      '',
    ].join('\n');
    const { batch, errors, titles } = await importRows(
      [
        { name: 'diary.csv', content: diary },
        { name: 'reviews.csv', content: reviews },
      ],
      'LETTERBOXD',
    );
    expect(batch).toMatchObject({ status: 'COMPLETED', errorMessage: null, errorCount: 5 });
    expect(errors).toEqual([
      ['diary.csv', 3, null, 'ROW_TOO_LARGE'],
      ['diary.csv', 4, 'Name', 'VALUE_TOO_LONG'],
      ['diary.csv', 5, 'Letterboxd URI', 'VALUE_TOO_LONG'],
      ['diary.csv', 6, 'Tags', 'TOO_MANY_TAGS'],
      ['reviews.csv', 2, 'Review', 'VALUE_TOO_LONG'],
    ]);
    expect(titles).toEqual(['Heat', 'Solaris']);
  });

  it('KLUG_JSON: a 10 MB title and reviews, tags and ids over the limits are row errors', async () => {
    const content = JSON.stringify({
      input_schema: 'klug/v1',
      events: [
        { title: 'Heat', watched_at: '2023-01-01' },
        { title: 'T'.repeat(10 * MB), watched_at: '2023-01-02' },
        { title: 'Ran', watched_at: '2023-01-03', review: 'r'.repeat(20_001) },
        { title: 'Ikiru', watched_at: '2023-01-04', tags: tags(51).split(',') },
        { title: 'Yojimbo', watched_at: '2023-01-05', ids: { imdb: 'i'.repeat(201) } },
        { title: 'Pilot', watched_at: '2023-01-06', kind: 'EPISODE', episode: 1, series: { title: 'Show', ids: { tmdb: '9'.repeat(201) } } },
        { title: 'Solaris', watched_at: '2023-01-07', tags: ['space'] },
      ],
    });
    const { batch, errors, titles } = await importRows([{ name: 'events.json', content }], 'KLUG_JSON');
    expect(batch).toMatchObject({ status: 'COMPLETED', errorMessage: null, insertedCount: 2, errorCount: 5 });
    expect(errors).toEqual([
      ['events.json', 2, 'title', 'VALUE_TOO_LONG'],
      ['events.json', 3, 'review', 'VALUE_TOO_LONG'],
      ['events.json', 4, 'tags', 'TOO_MANY_TAGS'],
      ['events.json', 5, 'imdb_id', 'VALUE_TOO_LONG'],
      ['events.json', 6, 'series_tmdb_id', 'VALUE_TOO_LONG'],
    ]);
    expect(titles).toEqual(['Heat', 'Solaris']);
  });

  it('TRAKT: titles and ids over the limits are row errors', async () => {
    const content = JSON.stringify([
      { watched_at: '2023-01-01T20:00:00Z', type: 'movie', movie: { title: 'Heat', year: 1995, ids: { trakt: 1 } } },
      { watched_at: '2023-01-02T20:00:00Z', type: 'movie', movie: { title: 'T'.repeat(10 * MB), ids: { trakt: 2 } } },
      { watched_at: '2023-01-03T20:00:00Z', type: 'movie', movie: { title: 'Ran', ids: { imdb: 'i'.repeat(201) } } },
      {
        watched_at: '2023-01-04T20:00:00Z',
        type: 'episode',
        episode: { season: 1, number: 1, title: 'Pilot' },
        show: { title: 'S'.repeat(501), ids: { trakt: 4 } },
      },
      { watched_at: '2023-01-05T20:00:00Z', type: 'movie', movie: { title: 'Solaris', ids: { trakt: 5 } } },
    ]);
    const { batch, errors, titles } = await importRows([{ name: 'history.json', content }], 'TRAKT');
    expect(batch).toMatchObject({ status: 'COMPLETED', errorMessage: null, insertedCount: 2, errorCount: 3 });
    expect(errors).toEqual([
      ['history.json', 2, 'movie.title', 'VALUE_TOO_LONG'],
      ['history.json', 3, 'movie.ids.imdb', 'VALUE_TOO_LONG'],
      ['history.json', 4, 'show.title', 'VALUE_TOO_LONG'],
    ]);
    expect(titles).toEqual(['Heat', 'Solaris']);
  });
});
