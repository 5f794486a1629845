import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { importAndWait, zipOf } from './support/imports.js';
import { startTestServer, type TestServer } from './support/server.js';

const HISTORY = graphql(`
  query ImpSrcHistory {
    watchEvents(first: 40, orderBy: WATCHED_AT_ASC) {
      edges {
        node {
          watchedAt
          rating
          rewatch
          tags
          review
          source
          media {
            id
            kind
            title
            year
            rating
            ratedAt
            seriesTitle
            seasonNumber
            episodeNumber
            externalIds {
              tmdb
              imdb
              tvdb
              trakt
              letterboxd
            }
            show {
              id
              title
              year
              externalIds {
                tmdb
                trakt
              }
            }
          }
        }
      }
    }
  }
`);

const SHOWS = graphql(`
  query ImpSrcShows {
    shows(first: 10) {
      edges {
        node {
          id
          title
          year
          progress {
            watched
            total
            percent
            lastWatchedAt
          }
          episodes {
            edges {
              node {
                title
                seasonNumber
                episodeNumber
              }
            }
          }
        }
      }
    }
  }
`);

const MEDIA = graphql(`
  query ImpSrcMedia {
    mediaItems(first: 50, orderBy: TITLE_ASC) {
      edges {
        node {
          id
          kind
          title
          year
          watchCount
        }
      }
    }
  }
`);

const RECORD = graphql(`
  mutation ImpSrcRecordWatch($input: RecordWatchInput!) {
    recordWatch(input: $input) {
      __typename
      ... on RecordWatchSuccess {
        watchEvent {
          media {
            id
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

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const rawId = (id: string) => Buffer.from(id, 'base64').toString('utf8').split(':')[1];

async function history(token: string) {
  return (await server.gql(HISTORY, {}, { token })).watchEvents.edges.map((e) => e.node);
}

// Trakt, from the history entry sample of UPSTREAMS.md §6.2: int64 history ids, numeric ids, `.000Z` times
const RAIN_MAN = { title: 'Rain Man', year: 1988, ids: { trakt: 304, slug: 'rain-man-1988', imdb: 'tt0095953', tmdb: 380 } };
const PARKS = {
  title: 'Parks and Recreation',
  year: 2009,
  ids: { trakt: 4, slug: 'parks-and-recreation', tvdb: 84912, imdb: 'tt1266020', tmdb: 8592, tvrage: 21686 },
};
const movieEntry = (id: number, watchedAt: string, movie = RAIN_MAN) => ({ id, watched_at: watchedAt, action: 'watch', type: 'movie', movie });
const episodeEntry = (id: number, watchedAt: string, season: number, number: number, title: string, traktId: number) => ({
  id,
  watched_at: watchedAt,
  action: 'scrobble',
  type: 'episode',
  episode: { season, number, title, ids: { trakt: traktId, tvdb: 797571 + number, imdb: null, tmdb: 397629 + number, tvrage: null } },
  show: PARKS,
});

describe('Trakt', () => {
  it('reads history (a bare array and a partial export) and ratings, linking episodes to their show', async () => {
    const person = await server.newPerson();
    // most recent first, as Trakt answers
    const page = [
      movieEntry(7353545729, '2022-05-01T20:00:00.000Z'),
      episodeEntry(1982347, '2014-04-01T21:00:00.000Z', 2, 2, 'The Stakeout', 252),
      movieEntry(7353545700, '2021-03-22T06:33:24.000Z'),
      episodeEntry(1982346, '2014-03-31T09:28:53.000Z', 2, 1, 'Pawnee Zoo', 251),
    ];
    const partial = {
      type: 'partial',
      history: [
        episodeEntry(9007199254, '2014-04-08T21:00:00.000Z', 2, 3, 'Beauty Pageant', 253),
        movieEntry(9007199255, '2019-01-01T12:00:00.000Z', { title: 'Big Id', year: 2019, ids: { trakt: 7353545729, slug: 'big-id', imdb: 'tt9999999', tmdb: 9999999 } }),
      ],
    };
    const ratings = [{ rated_at: '2021-03-23T10:00:00.000Z', rating: 9, type: 'movie', movie: RAIN_MAN }];
    const batch = await importAndWait(
      server,
      person.token,
      [
        { name: 'history.json', content: JSON.stringify(page) },
        { name: 'export.json', content: JSON.stringify(partial) },
        { name: 'ratings.json', content: JSON.stringify(ratings) },
      ],
      { source: 'TRAKT' },
    );
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 6, errorCount: 0, duplicateCount: 0 });

    const events = await history(person.token);
    expect(events.every((e) => e.source === 'TRAKT')).toBe(true);
    expect(events.map((e) => `${e.watchedAt} ${e.media.kind} ${e.media.title}${e.rewatch ? ' R' : ''}`)).toEqual([
      '2014-03-31T09:28:53.000Z EPISODE Pawnee Zoo',
      '2014-04-01T21:00:00.000Z EPISODE The Stakeout',
      '2014-04-08T21:00:00.000Z EPISODE Beauty Pageant',
      '2019-01-01T12:00:00.000Z MOVIE Big Id',
      '2021-03-22T06:33:24.000Z MOVIE Rain Man',
      '2022-05-01T20:00:00.000Z MOVIE Rain Man R',
    ]);
    const rainMan = events.find((e) => e.media.title === 'Rain Man')!.media;
    expect(rainMan).toMatchObject({ year: 1988, rating: 4.5, externalIds: { trakt: '304', imdb: 'tt0095953', tmdb: '380' } });
    expect(new Set(events.filter((e) => e.media.title === 'Rain Man').map((e) => e.media.id)).size).toBe(1);
    expect(events.find((e) => e.media.title === 'Big Id')!.media.externalIds.trakt).toBe('7353545729');

    const episodes = events.filter((e) => e.media.kind === 'EPISODE').map((e) => e.media);
    expect(episodes.map((m) => [m.seasonNumber, m.episodeNumber, m.seriesTitle])).toEqual([
      [2, 1, 'Parks and Recreation'],
      [2, 2, 'Parks and Recreation'],
      [2, 3, 'Parks and Recreation'],
    ]);
    expect(episodes[0]!.externalIds).toMatchObject({ trakt: '251', tmdb: '397630', tvdb: '797572', imdb: null });
    expect(new Set(episodes.map((m) => m.show?.id)).size).toBe(1);
    expect(episodes[0]!.show).toMatchObject({ title: 'Parks and Recreation', year: 2009, externalIds: { tmdb: '8592', trakt: '4' } });

    const { shows } = await server.gql(SHOWS, {}, { token: person.token });
    // a Show's id and its Media id name the same row
    expect(shows.edges.map((e) => rawId(e.node.id))).toEqual([rawId(episodes[0]!.show!.id)]);
    expect(shows.edges.map((e) => e.node)).toEqual([
      {
        id: expect.any(String),
        title: 'Parks and Recreation',
        year: 2009,
        progress: { watched: 3, total: 3, percent: 100, lastWatchedAt: '2014-04-08T21:00:00.000Z' },
        episodes: {
          edges: [
            { node: { title: 'Pawnee Zoo', seasonNumber: 2, episodeNumber: 1 } },
            { node: { title: 'The Stakeout', seasonNumber: 2, episodeNumber: 2 } },
            { node: { title: 'Beauty Pageant', seasonNumber: 2, episodeNumber: 3 } },
          ],
        },
      },
    ]);
  });

  it('counts a play as a rewatch when the earlier one came in another page of the history', async () => {
    const person = await server.newPerson();
    const batch = await importAndWait(
      server,
      person.token,
      [
        { name: 'history-page-1.json', content: JSON.stringify([movieEntry(2, '2022-05-01T20:00:00.000Z')]) },
        { name: 'history-page-2.json', content: JSON.stringify([movieEntry(1, '2021-03-22T06:33:24.000Z')]) },
      ],
      { source: 'TRAKT' },
    );
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 2 });
    expect((await history(person.token)).map((e) => [e.watchedAt, e.rewatch])).toEqual([
      ['2021-03-22T06:33:24.000Z', false],
      ['2022-05-01T20:00:00.000Z', true],
    ]);
  });

  it('reports entries it cannot use and imports the rest', async () => {
    const person = await server.newPerson();
    const entries = [
      movieEntry(1, '2021-03-22T06:33:24.000Z'),
      { id: 2, watched_at: 'yesterday', type: 'movie', movie: { title: 'Heat', year: 1995, ids: { trakt: 1 } } },
      { id: 3, watched_at: '2021-03-22T06:33:24.000Z', type: 'person', person: { name: 'Nobody' } },
    ];
    const batch = await importAndWait(server, person.token, [{ name: 'history.json', content: JSON.stringify(entries) }], { source: 'TRAKT' });
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 1, errorCount: 2 });
    expect(batch.errors.edges.map((e) => [e.node.file, e.node.row, e.node.field, e.node.code])).toEqual(
      expect.arrayContaining([
        ['history.json', 2, 'watched_at', 'INVALID_DATE'],
        ['history.json', 3, 'type', 'UNSUPPORTED_ITEM'],
      ]),
    );
  });
});

describe('KLUG_CSV', () => {
  const HEADER =
    'title,watched_at,kind,year,rating,rewatch,tags,review,tmdb_id,imdb_id,tvdb_id,trakt_id,letterboxd_id,series_title,series_tmdb_id,season,episode';

  it('reads every documented column; commas, quotes, newlines and any script survive', async () => {
    const person = await server.newPerson();
    const content = [
      HEADER,
      '"Crouching Tiger, Hidden Dragon",2023-03-01T20:15:00+02:00,MOVIE,2000,4.5,no,"wuxia, cinema","She said ""wow"", twice.\nSecond line.",146,tt0190332,,12,28lo,,,,',
      '七人の侍,2023-03-02,movie,1954,"4,5",yes,日本語,とても良い,346,,,,,,,,',
      'Ελληνικά νέα,2023-03-03 21:00,Movie,2001,★★★½,,,,,,,,,,,,',
      'Pawnee Zoo,2023-03-04,EPISODE,,,,,,397630,,797572,251,,Parks and Recreation,8592,2,1',
      'The Office,2023-03-05,SHOW,2005,3,,,,2316,,,,,,,,',
      '',
    ].join('\n');
    const batch = await importAndWait(server, person.token, [{ name: 'klug.csv', content }], { source: 'KLUG_CSV' });
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 5, errorCount: 0 });

    const events = await history(person.token);
    expect(events.every((e) => e.source === 'KLUG_CSV')).toBe(true);
    expect(events[0]).toMatchObject({
      watchedAt: '2023-03-01T18:15:00.000Z',
      rating: 4.5,
      rewatch: false,
      tags: ['wuxia', 'cinema'],
      review: 'She said "wow", twice.\nSecond line.',
      media: {
        kind: 'MOVIE',
        title: 'Crouching Tiger, Hidden Dragon',
        year: 2000,
        rating: 4.5,
        externalIds: { tmdb: '146', imdb: 'tt0190332', trakt: '12', letterboxd: '28lo', tvdb: null },
      },
    });
    expect(events[1]).toMatchObject({
      watchedAt: '2023-03-02T00:00:00.000Z',
      rating: 4.5,
      rewatch: true,
      tags: ['日本語'],
      review: 'とても良い',
      media: { kind: 'MOVIE', title: '七人の侍', year: 1954, externalIds: { tmdb: '346' } },
    });
    expect(events[2]).toMatchObject({ watchedAt: '2023-03-03T21:00:00.000Z', rating: 3.5, media: { title: 'Ελληνικά νέα', kind: 'MOVIE' } });
    expect(events[3]).toMatchObject({
      media: {
        kind: 'EPISODE',
        title: 'Pawnee Zoo',
        seriesTitle: 'Parks and Recreation',
        seasonNumber: 2,
        episodeNumber: 1,
        externalIds: { tmdb: '397630', tvdb: '797572', trakt: '251' },
        show: { title: 'Parks and Recreation', externalIds: { tmdb: '8592' } },
      },
    });
    expect(events[4]).toMatchObject({ rating: 3, media: { kind: 'SHOW', title: 'The Office', year: 2005 } });
  });

  it('writes backslashes, tabs, braces and quotes in tags and reviews as they are', async () => {
    const person = await server.newPerson();
    const content = [
      'title,watched_at,tags,review',
      'Heat,2023-03-01,"say ""hi"", back\\slash, {x}, \\N","Tab\there, C:\\films\\new, \\N, {a,b} and ""quotes"""',
      '',
    ].join('\n');
    const batch = await importAndWait(server, person.token, [{ name: 'klug.csv', content }], { source: 'KLUG_CSV' });
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 1, errorCount: 0 });
    const [event] = await history(person.token);
    expect(event).toMatchObject({ tags: ['say "hi"', 'back\\slash', '{x}', '\\N'], review: 'Tab\there, C:\\films\\new, \\N, {a,b} and "quotes"' });
  });

  it("reads Letterboxd's import CSV schema", async () => {
    const person = await server.newPerson();
    const content = [
      'LetterboxdURI,tmdbID,imdbID,Title,Year,Directors,WatchedDate,Rating,Rating10,Tags,Review',
      'https://boxd.it/1skk,27205,tt1375666,Inception,2010,Christopher Nolan,2023-03-01,4.5,9,"imax, rewatch","Great, again."',
      ',,,Paddington 2,2017,Paul King,2023-04-09,,7,,',
      '',
    ].join('\n');
    const batch = await importAndWait(server, person.token, [{ name: 'letterboxd-import.csv', content }], { source: 'KLUG_CSV' });
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 2, errorCount: 0 });
    const events = await history(person.token);
    expect(events.map((e) => [e.watchedAt, e.media.title, e.media.year, e.rating, e.tags, e.review])).toEqual([
      ['2023-03-01T00:00:00.000Z', 'Inception', 2010, 4.5, ['imax', 'rewatch'], 'Great, again.'],
      ['2023-04-09T00:00:00.000Z', 'Paddington 2', 2017, 3.5, [], null],
    ]);
    expect(events[0]!.media.externalIds).toMatchObject({ letterboxd: '1skk', tmdb: '27205', imdb: 'tt1375666' });
    expect(events.every((e) => e.source === 'KLUG_CSV')).toBe(true);
  });

  it('reads dates written the ISO, US, European and month-name ways, and ratings with a comma or in stars', async () => {
    const person = await server.newPerson();
    const rows: [string, string, string, string][] = [
      ['ISO', '2023-03-01', '', '2023-03-01T00:00:00.000Z'],
      ['US', '03/01/2023', '', '2023-03-01T00:00:00.000Z'],
      ['European dots', '01.03.2023', '', '2023-03-01T00:00:00.000Z'],
      ['European slashes', '25/12/2023', '', '2023-12-25T00:00:00.000Z'],
      ['Day month year', '1 March 2023', '', '2023-03-01T00:00:00.000Z'],
      ['Month day year', '"March 1, 2023"', '', '2023-03-01T00:00:00.000Z'],
      ['Short month', '01-Mar-2023', '', '2023-03-01T00:00:00.000Z'],
      ['Comma rating', '2023-03-02', '"4,5"', '2023-03-02T00:00:00.000Z'],
      ['Star rating', '2023-03-03', '★★★★½', '2023-03-03T00:00:00.000Z'],
      ['Whole stars', '2023-03-04', '★★', '2023-03-04T00:00:00.000Z'],
    ];
    const content = ['title,watched_at,rating', ...rows.map(([title, date, rating]) => `${title},${date},${rating}`), ''].join('\n');
    const batch = await importAndWait(server, person.token, [{ name: 'dates.csv', content }], { source: 'KLUG_CSV' });
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: rows.length, errorCount: 0 });
    const byTitle = new Map((await history(person.token)).map((e) => [e.media.title, e]));
    expect(rows.map(([title]) => byTitle.get(title)?.watchedAt)).toEqual(rows.map(([, , , iso]) => iso));
    expect(['Comma rating', 'Star rating', 'Whole stars', 'ISO'].map((t) => byTitle.get(t)?.rating)).toEqual([4.5, 4.5, 2, null]);
  });
});

describe('KLUG_JSON', () => {
  const EVENTS = [
    {
      title: 'The Matrix',
      watched_at: '2023-03-01T20:00:00Z',
      kind: 'MOVIE',
      year: 1999,
      rating: 4.5,
      rewatch: true,
      tags: ['sci-fi', 'cinema'],
      review: 'Whoa.',
      ids: { tmdb: 603, imdb: 'tt0133093' },
    },
    {
      title: 'Pawnee Zoo',
      watched_at: '2023-03-02',
      kind: 'EPISODE',
      season: 2,
      episode: 1,
      series: { title: 'Parks and Recreation', ids: { tmdb: 8592 } },
    },
  ];

  for (const [shape, content] of [
    ['{ input_schema: "klug/v1", events }', JSON.stringify({ input_schema: 'klug/v1', events: EVENTS })],
    ['a bare array', JSON.stringify(EVENTS)],
  ] as const) {
    it(`reads ${shape}`, async () => {
      const person = await server.newPerson();
      const batch = await importAndWait(server, person.token, [{ name: 'klug.json', content }], { source: 'KLUG_JSON' });
      expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 2, errorCount: 0 });
      const events = await history(person.token);
      expect(events[0]).toMatchObject({
        source: 'KLUG_JSON',
        watchedAt: '2023-03-01T20:00:00.000Z',
        rating: 4.5,
        rewatch: true,
        tags: ['sci-fi', 'cinema'],
        review: 'Whoa.',
        media: { kind: 'MOVIE', title: 'The Matrix', year: 1999, externalIds: { tmdb: '603', imdb: 'tt0133093' } },
      });
      expect(events[1]).toMatchObject({
        source: 'KLUG_JSON',
        watchedAt: '2023-03-02T00:00:00.000Z',
        media: {
          kind: 'EPISODE',
          seasonNumber: 2,
          episodeNumber: 1,
          seriesTitle: 'Parks and Recreation',
          show: { title: 'Parks and Recreation', externalIds: { tmdb: '8592' } },
        },
      });
    });
  }

  it('reports an unusable item by its number and imports the rest', async () => {
    const person = await server.newPerson();
    const content = JSON.stringify({ input_schema: 'klug/v1', events: [EVENTS[0], { title: 'No Date' }, { watched_at: '2023-01-01' }] });
    const batch = await importAndWait(server, person.token, [{ name: 'klug.json', content }], { source: 'KLUG_JSON' });
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 1, errorCount: 2 });
    expect(batch.errors.edges.map((e) => [e.node.file, e.node.row, e.node.field, e.node.code])).toEqual([
      ['klug.json', 2, 'watched_at', 'MISSING_VALUE'],
      ['klug.json', 3, 'title', 'MISSING_VALUE'],
    ]);
    expect(JSON.parse(batch.errors.edges[0]!.node.raw!)).toEqual({ title: 'No Date' });
  });
});

describe('matching the library', () => {
  it('matches by external id first, then by normalized title, year and kind', async () => {
    const person = await server.newPerson();
    const record = async (media: { kind: 'MOVIE' | 'SHOW'; title: string; year?: number; externalIds?: { tmdb?: string } }) => {
      const data = await server.gql(RECORD, { input: { media, watchedAt: '2020-01-01T00:00:00Z' } }, { token: person.token });
      if (data.recordWatch.__typename !== 'RecordWatchSuccess') throw new Error(JSON.stringify(data.recordWatch));
      return data.recordWatch.watchEvent.media.id;
    };
    const heat = await record({ kind: 'MOVIE', title: 'Heat', year: 1995, externalIds: { tmdb: '949' } });
    const amelie = await record({ kind: 'MOVIE', title: 'Amélie', year: 2001 });

    const content = [
      'title,watched_at,kind,year,tmdb_id',
      "Heat: Director's Definitive Edition,2023-01-01,MOVIE,1995,949",
      'AMELIE!,2023-01-02,MOVIE,2001,',
      'Amélie,2023-01-03,MOVIE,,',
      'Amélie,2023-01-04,MOVIE,1990,',
      'Amélie,2023-01-05,SHOW,2001,',
      'The Wrong Title,2023-01-06,MOVIE,2001,949',
      '',
    ].join('\n');
    const batch = await importAndWait(server, person.token, [{ name: 'match.csv', content }], { source: 'KLUG_CSV' });
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 6, errorCount: 0 });

    const byDay = new Map((await history(person.token)).map((e) => [e.watchedAt.slice(0, 10), e.media]));
    expect(byDay.get('2023-01-01')).toMatchObject({ id: heat, title: 'Heat' });
    expect(byDay.get('2023-01-02')).toMatchObject({ id: amelie, title: 'Amélie' });
    expect(byDay.get('2023-01-03')).toMatchObject({ id: amelie });
    expect(byDay.get('2023-01-04')!.id).not.toBe(amelie);
    expect(byDay.get('2023-01-05')).toMatchObject({ kind: 'SHOW' });
    expect(byDay.get('2023-01-05')!.id).not.toBe(amelie);
    expect(byDay.get('2023-01-06')).toMatchObject({ id: heat });

    const { mediaItems } = await server.gql(MEDIA, {}, { token: person.token });
    const items = mediaItems.edges.map((e) => [e.node.kind, e.node.title, e.node.year, e.node.watchCount]);
    expect(items.sort((a, b) => String(a).localeCompare(String(b)))).toEqual([
      ['MOVIE', 'Amélie', 1990, 1],
      ['MOVIE', 'Amélie', 2001, 3],
      ['MOVIE', 'Heat', 1995, 3],
      ['SHOW', 'Amélie', 2001, 1],
    ]);
  });

  it("never matches another person's items", async () => {
    const other = await server.newPerson();
    await server.gql(RECORD, { input: { media: { kind: 'MOVIE', title: 'Heat', year: 1995, externalIds: { tmdb: '949' } } } }, { token: other.token });
    const person = await server.newPerson();
    await importAndWait(server, person.token, [{ name: 'h.csv', content: 'title,watched_at,year,tmdb_id\nHeat,2023-01-01,1995,949\n' }], {
      source: 'KLUG_CSV',
    });
    const mine = (await server.gql(MEDIA, {}, { token: person.token })).mediaItems.edges;
    const theirs = (await server.gql(MEDIA, {}, { token: other.token })).mediaItems.edges;
    expect(mine).toHaveLength(1);
    expect(theirs).toHaveLength(1);
    expect(mine[0]!.node.id).not.toBe(theirs[0]!.node.id);
    expect(theirs[0]!.node.watchCount).toBe(1);
  });
});

describe('Letterboxd', () => {
  const WATCHED = 'Date,Name,Year,Letterboxd URI';
  const RATINGS = 'Date,Name,Year,Letterboxd URI,Rating';
  const DIARY = 'Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date';

  it('imports a film found only in the diary, one found only in the ratings, and two diary entries of one day as two events', async () => {
    const person = await server.newPerson();
    const zip = await zipOf([
      { name: 'watched.csv', content: `${WATCHED}\n2023-01-10,Heat,1995,https://boxd.it/2bd4\n` },
      { name: 'ratings.csv', content: `${RATINGS}\n2023-02-02,Solaris,1972,https://boxd.it/1Wlm,3.5\n2023-01-10,Heat,1995,https://boxd.it/2bd4,4\n` },
      {
        name: 'diary.csv',
        content: [
          DIARY,
          '2023-03-06,Stalker,1979,https://boxd.it/aaa1,5,,tarkovsky,2023-03-05',
          '2023-01-11,Heat,1995,https://boxd.it/bbb1,4,,,2023-01-10',
          '2023-01-11,Heat,1995,https://boxd.it/bbb2,4.5,Yes,"double bill",2023-01-10',
          '',
        ].join('\n'),
      },
    ]);
    const batch = await importAndWait(server, person.token, [{ name: 'letterboxd-ann-2023.zip', content: zip }], { source: 'LETTERBOXD' });
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 4, duplicateCount: 0, errorCount: 0 });

    const events = await history(person.token);
    expect(events.map((e) => [e.watchedAt, e.media.title, e.rating, e.rewatch, e.tags])).toEqual([
      ['2023-01-10T00:00:00.000Z', 'Heat', 4, false, []],
      ['2023-01-10T00:00:01.000Z', 'Heat', 4.5, true, ['double bill']],
      ['2023-02-02T00:00:00.000Z', 'Solaris', 3.5, false, []],
      ['2023-03-05T00:00:00.000Z', 'Stalker', 5, false, ['tarkovsky']],
    ]);
    const media = new Map(events.map((e) => [e.media.title, e.media]));
    expect(media.get('Solaris')).toMatchObject({ year: 1972, rating: 3.5, externalIds: { letterboxd: '1Wlm' } });
    // a diary link names the entry, not the film: no film id to keep
    expect(media.get('Stalker')).toMatchObject({ year: 1979, rating: 5, externalIds: { letterboxd: null } });
    expect(media.get('Heat')).toMatchObject({ rating: 4.5, externalIds: { letterboxd: '2bd4' } });

    const again = await importAndWait(server, person.token, [{ name: 'letterboxd-ann-2023.zip', content: zip }], { source: 'LETTERBOXD' });
    expect(again).toMatchObject({ status: 'COMPLETED', insertedCount: 0, duplicateCount: 4 });
  });
});
