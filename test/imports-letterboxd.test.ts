import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { importAndWait, letterboxdFiles, letterboxdZip } from './support/imports.js';
import { startTestServer, type TestServer } from './support/server.js';

const HISTORY = graphql(`
  query ImportLbHistory {
    watchEvents(first: 100, orderBy: WATCHED_AT_ASC) {
      edges {
        node {
          watchedAt
          rating
          rewatch
          tags
          review
          source
          media {
            title
            year
            rating
            externalIds {
              letterboxd
            }
          }
        }
      }
    }
  }
`);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

describe('Letterboxd export', () => {
  it('merges diary over ratings over watched, one event per diary entry', async () => {
    const person = await server.newPerson();
    const batch = await importAndWait(server, person.token, [{ name: 'letterboxd-ann-2024.zip', content: await letterboxdZip() }], {
      source: 'LETTERBOXD',
    });
    expect(batch).toMatchObject({ status: 'COMPLETED', errorCount: 0, insertedCount: 8, duplicateCount: 0 });
    const { watchEvents } = await server.gql(HISTORY, {}, { token: person.token });
    const events = watchEvents.edges.map((e) => e.node);
    expect(events.map((e) => `${e.watchedAt.slice(0, 10)} ${e.media.title} (${e.media.year}) ${e.rating ?? '-'}${e.rewatch ? ' R' : ''}`)).toEqual([
      '2022-01-03 Seven Samurai (1954) 5',
      '2023-03-01 Inception (2010) 4.5',
      '2023-04-09 Paddington 2 (2017) -',
      '2023-05-21 Crouching Tiger, Hidden Dragon (2000) 4.5',
      '2023-06-01 Amélie (2001) -',
      '2023-06-15 Dune (1984) -',
      '2023-06-16 Dune (2021) 4',
      '2024-06-30 Inception (2010) 5 R',
    ]);
    const rewatch = events.at(-1)!;
    expect(rewatch.tags).toEqual(['rewatch', 'imax']);
    expect(rewatch.review).toBe('Still great.\nSecond paragraph, with a comma and "quotes".');
    expect(rewatch.media).toMatchObject({ rating: 5, externalIds: { letterboxd: '1skk' } });
    expect(events.every((e) => e.source === 'LETTERBOXD')).toBe(true);
  });

  it('reads the CSVs uploaded one by one, and counts a second import as duplicates', async () => {
    const person = await server.newPerson();
    const first = await importAndWait(server, person.token, letterboxdFiles(), { source: 'LETTERBOXD' });
    expect(first).toMatchObject({ status: 'COMPLETED', insertedCount: 8 });
    const again = await importAndWait(server, person.token, letterboxdFiles(), { source: 'LETTERBOXD' });
    expect(again).toMatchObject({ status: 'COMPLETED', insertedCount: 0, duplicateCount: 8 });
  });
});
