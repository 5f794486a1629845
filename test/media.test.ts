import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import type { MediaInput, MediaOrder, RecordWatchInput } from './gql/graphql.js';
import { startTestServer, type TestServer } from './support/server.js';

const CREATE = graphql(`
  mutation MediaCreate($input: MediaInput!) {
    createMedia(input: $input) {
      __typename
      ... on MediaSuccess {
        media {
          id
          kind
          title
          year
          genres
          directors
          cast
          overview
          posterUrl
          releaseDate
          runtime
          rating
          ratedAt
          externalIds {
            tmdb
            imdb
            tvdb
            jellyfin
            letterboxd
            trakt
          }
        }
      }
      ... on Error {
        code
        message
        path
      }
    }
  }
`);

const UPDATE = graphql(`
  mutation MediaUpdate($id: ID!, $input: UpdateMediaInput!) {
    updateMedia(id: $id, input: $input) {
      __typename
      ... on MediaSuccess {
        media {
          id
          kind
          title
          year
          genres
          directors
          cast
          overview
          posterUrl
          releaseDate
          runtime
          rating
          externalIds {
            tmdb
            imdb
            tvdb
            jellyfin
            letterboxd
            trakt
          }
        }
      }
      ... on Error {
        code
        message
        path
      }
    }
  }
`);

const DELETE = graphql(`
  mutation MediaDelete($id: ID!) {
    deleteMedia(id: $id) {
      __typename
      ... on DeleteSuccess {
        deletedId
      }
      ... on Error {
        code
        path
      }
    }
  }
`);

const RATE = graphql(`
  mutation MediaRate($mediaId: ID!, $rating: Float) {
    rateMedia(mediaId: $mediaId, rating: $rating) {
      __typename
      ... on MediaSuccess {
        media {
          id
          rating
          ratedAt
        }
      }
      ... on Error {
        code
        message
        path
      }
    }
  }
`);

const MERGE = graphql(`
  mutation MediaMerge($survivorId: ID!, $duplicateId: ID!) {
    mergeMedia(survivorId: $survivorId, duplicateId: $duplicateId) {
      __typename
      ... on MediaSuccess {
        media {
          id
          title
          rating
          watchCount
          externalIds {
            tmdb
            imdb
            trakt
          }
          watchEvents(first: 50) {
            edges {
              node {
                watchedAt
              }
            }
          }
        }
      }
      ... on Error {
        code
        message
        path
      }
    }
  }
`);

const RECORD = graphql(`
  mutation MediaRecordWatch($input: RecordWatchInput!) {
    recordWatch(input: $input) {
      __typename
      ... on RecordWatchSuccess {
        watchEvent {
          id
          watchedAt
          media {
            id
            kind
            title
            year
          }
        }
      }
      ... on Error {
        code
        message
        path
      }
    }
  }
`);

const LIST = graphql(`
  query MediaList($filter: MediaFilter, $orderBy: MediaOrder, $first: Int, $after: String) {
    mediaItems(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
      edges {
        cursor
        node {
          id
          title
          year
          rating
        }
      }
      pageInfo {
        hasNextPage
        endCursor
      }
    }
  }
`);

const NODE = graphql(`
  query MediaNode($id: ID!) {
    node(id: $id) {
      __typename
      id
    }
  }
`);

const EVENTS = graphql(`
  query MediaWatchEvents($mediaId: ID) {
    watchEvents(filter: { mediaId: $mediaId }, first: 50) {
      edges {
        node {
          id
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

type Person = Awaited<ReturnType<TestServer['newPerson']>>;

const userIdOf = async (person: Person) =>
  (await server.app.db.prisma.user.findUniqueOrThrow({ where: { email: person.email } })).id;

async function create(person: Person, input: MediaInput) {
  const data = await server.gql(CREATE, { input }, { token: person.token });
  if (data.createMedia.__typename !== 'MediaSuccess') throw new Error(`createMedia failed: ${JSON.stringify(data)}`);
  return data.createMedia.media;
}

async function record(person: Person, input: RecordWatchInput) {
  const data = await server.gql(RECORD, { input }, { token: person.token });
  if (data.recordWatch.__typename !== 'RecordWatchSuccess') throw new Error(`recordWatch failed: ${JSON.stringify(data)}`);
  return data.recordWatch.watchEvent;
}

async function rate(person: Person, mediaId: string, rating: number | null) {
  const data = await server.gql(RATE, { mediaId, rating }, { token: person.token });
  if (data.rateMedia.__typename !== 'MediaSuccess') throw new Error(`rateMedia failed: ${JSON.stringify(data)}`);
  return data.rateMedia.media;
}

async function list(person: Person, variables: { filter?: object; orderBy?: MediaOrder; first?: number; after?: string }) {
  const data = await server.gql(LIST, { first: 100, ...variables }, { token: person.token });
  return data.mediaItems;
}

const titlesOf = async (person: Person, filter: object, orderBy?: MediaOrder) =>
  (await list(person, { filter, orderBy })).edges.map((e) => e.node.title);

const at = (iso: string) => new Date(iso).toISOString();

describe('createMedia', () => {
  it('stores an item with all its fields, trimmed and de-duplicated', async () => {
    const person = await server.newPerson();
    const media = await create(person, {
      kind: 'MOVIE',
      title: '  Amélie  ',
      year: 2001,
      genres: ['Comedy', ' Romance ', 'Comedy', ''],
      directors: ['Jean-Pierre Jeunet'],
      cast: ['Audrey Tautou', 'Mathieu Kassovitz'],
      overview: 'A shy waitress decides to change the lives of those around her.',
      posterUrl: 'https://example.com/amelie.jpg',
      releaseDate: '2001-04-25T00:00:00.000Z',
      runtime: 122,
      externalIds: { tmdb: ' 194 ', imdb: 'tt0211915' },
    });
    expect(media).toMatchObject({
      kind: 'MOVIE',
      title: 'Amélie',
      year: 2001,
      genres: ['Comedy', 'Romance'],
      directors: ['Jean-Pierre Jeunet'],
      cast: ['Audrey Tautou', 'Mathieu Kassovitz'],
      runtime: 122,
      rating: null,
      externalIds: { tmdb: '194', imdb: 'tt0211915', tvdb: null, trakt: null },
    });
    expect(media.releaseDate?.slice(0, 10)).toBe('2001-04-25');
    const row = await server.app.db.prisma.media.findFirstOrThrow({ where: { userId: await userIdOf(person) } });
    expect(row.normalizedTitle).toBe('amelie');
  });

  it.each([
    ['an empty title', { title: '   ' }, ['title']],
    ['an overlong title', { title: 'x'.repeat(501) }, ['title']],
    ['an overlong external id', { externalIds: { tmdb: '9'.repeat(201) } }, ['externalIds']],
    ['an overlong series title', { kind: 'EPISODE' as const, seriesTitle: 's'.repeat(501), episodeNumber: 1 }, ['seriesTitle']],
    ['a year before 1870', { year: 1869 }, ['year']],
    ['a year after 2100', { year: 2101 }, ['year']],
  ])('refuses %s with a ValidationError and writes nothing', async (_case, patch, path) => {
    const person = await server.newPerson();
    const data = await server.gql(CREATE, { input: { kind: 'MOVIE', title: 'Fine', year: 2000, ...patch } }, { token: person.token });
    expect(data.createMedia).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', path });
    expect(await server.app.db.prisma.media.count({ where: { userId: await userIdOf(person) } })).toBe(0);
  });

  it('accepts the edges of the ranges: a 500-character title, 1870 and 2100', async () => {
    const person = await server.newPerson();
    expect((await create(person, { kind: 'MOVIE', title: 't'.repeat(500) })).title).toHaveLength(500);
    expect((await create(person, { kind: 'MOVIE', title: 'Long id', externalIds: { imdb: 'i'.repeat(200) } })).title).toBe('Long id');
    expect((await create(person, { kind: 'MOVIE', title: 'Old', year: 1870 })).year).toBe(1870);
    expect((await create(person, { kind: 'MOVIE', title: 'Far', year: 2100 })).year).toBe(2100);
  });

  it('answers ConflictError when a second item of the same kind reuses an external id', async () => {
    const person = await server.newPerson();
    await create(person, { kind: 'MOVIE', title: 'Heat', year: 1995, externalIds: { tmdb: '949' } });
    const again = await server.gql(
      CREATE,
      { input: { kind: 'MOVIE', title: 'Heat (copy)', externalIds: { tmdb: '949' } } },
      { token: person.token },
    );
    expect(again.createMedia).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT', path: ['externalIds'] });
    expect(await server.app.db.prisma.media.count({ where: { userId: await userIdOf(person) } })).toBe(1);
  });

  it('lets a MOVIE and a SHOW share a tmdb id, and another person reuse it', async () => {
    const person = await server.newPerson();
    const movie = await create(person, { kind: 'MOVIE', title: 'Fargo', year: 1996, externalIds: { tmdb: '275' } });
    const show = await create(person, { kind: 'SHOW', title: 'Fargo', year: 2014, externalIds: { tmdb: '275' } });
    expect(show.id).not.toBe(movie.id);
    expect(show.externalIds.tmdb).toBe('275');
    const other = await server.newPerson();
    expect((await create(other, { kind: 'MOVIE', title: 'Fargo', externalIds: { tmdb: '275' } })).externalIds.tmdb).toBe('275');
  });
});

describe('updateMedia', () => {
  it('changes only the fields given and keeps the rest, rating included', async () => {
    const person = await server.newPerson();
    const media = await create(person, {
      kind: 'MOVIE',
      title: 'Blade Runner',
      year: 1982,
      genres: ['Sci-Fi'],
      directors: ['Ridley Scott'],
      cast: ['Harrison Ford'],
      overview: 'Replicants.',
      posterUrl: 'https://example.com/br.jpg',
      releaseDate: '1982-06-25T00:00:00.000Z',
      runtime: 117,
      externalIds: { tmdb: '78' },
    });
    await rate(person, media.id, 4.5);
    const data = await server.gql(UPDATE, { id: media.id, input: { title: "Blade Runner: The Final Cut" } }, { token: person.token });
    if (data.updateMedia.__typename !== 'MediaSuccess') throw new Error(JSON.stringify(data));
    const { releaseDate, ...rest } = data.updateMedia.media;
    expect(rest).toEqual({
      id: media.id,
      kind: 'MOVIE',
      title: 'Blade Runner: The Final Cut',
      year: 1982,
      genres: ['Sci-Fi'],
      directors: ['Ridley Scott'],
      cast: ['Harrison Ford'],
      overview: 'Replicants.',
      posterUrl: 'https://example.com/br.jpg',
      runtime: 117,
      rating: 4.5,
      externalIds: { tmdb: '78', imdb: null, tvdb: null, jellyfin: null, letterboxd: null, trakt: null },
    });
    expect(releaseDate?.slice(0, 10)).toBe('1982-06-25');
    const row = await server.app.db.prisma.media.findUniqueOrThrow({ where: { id: rawId(media.id) } });
    expect(row.normalizedTitle).toBe('blade runner the final cut');
  });

  it('merges external ids instead of replacing them', async () => {
    const person = await server.newPerson();
    const media = await create(person, { kind: 'MOVIE', title: 'Alien', externalIds: { tmdb: '348', trakt: '3' } });
    const data = await server.gql(UPDATE, { id: media.id, input: { externalIds: { imdb: 'tt0078748', trakt: '33' } } }, { token: person.token });
    if (data.updateMedia.__typename !== 'MediaSuccess') throw new Error(JSON.stringify(data));
    expect(data.updateMedia.media.externalIds).toMatchObject({ tmdb: '348', imdb: 'tt0078748', trakt: '33' });
  });

  it('refuses an empty title and a clash of external ids, changing nothing', async () => {
    const person = await server.newPerson();
    await create(person, { kind: 'MOVIE', title: 'One', externalIds: { tmdb: '1' } });
    const two = await create(person, { kind: 'MOVIE', title: 'Two', externalIds: { tmdb: '2' } });
    const empty = await server.gql(UPDATE, { id: two.id, input: { title: ' ' } }, { token: person.token });
    expect(empty.updateMedia).toMatchObject({ __typename: 'ValidationError', path: ['title'] });
    const clash = await server.gql(UPDATE, { id: two.id, input: { externalIds: { tmdb: '1' } } }, { token: person.token });
    expect(clash.updateMedia).toMatchObject({ __typename: 'ConflictError', path: ['externalIds'] });
    const row = await server.app.db.prisma.media.findUniqueOrThrow({ where: { id: rawId(two.id) } });
    expect(row).toMatchObject({ title: 'Two', tmdbId: '2' });
  });
});

describe('deleteMedia', () => {
  it('removes the item together with its watch events', async () => {
    const person = await server.newPerson();
    const media = await create(person, { kind: 'MOVIE', title: 'Gone Girl' });
    const keep = await create(person, { kind: 'MOVIE', title: 'Kept' });
    await record(person, { mediaId: media.id, watchedAt: at('2024-01-01T20:00:00Z') });
    await record(person, { mediaId: media.id, watchedAt: at('2024-02-01T20:00:00Z') });
    await record(person, { mediaId: keep.id, watchedAt: at('2024-03-01T20:00:00Z') });
    expect(await server.app.db.prisma.watchEvent.count({ where: { mediaId: rawId(media.id) } })).toBe(2);

    const data = await server.gql(DELETE, { id: media.id }, { token: person.token });
    expect(data.deleteMedia).toEqual({ __typename: 'DeleteSuccess', deletedId: media.id });
    expect(await server.app.db.prisma.watchEvent.count({ where: { mediaId: rawId(media.id) } })).toBe(0);
    expect(await server.app.db.prisma.media.findUnique({ where: { id: rawId(media.id) } })).toBeNull();
    expect((await server.gql(NODE, { id: media.id }, { token: person.token })).node).toBeNull();
    const events = await server.gql(EVENTS, {}, { token: person.token });
    expect(events.watchEvents.edges).toHaveLength(1);

    const again = await server.gql(DELETE, { id: media.id }, { token: person.token });
    expect(again.deleteMedia).toMatchObject({ __typename: 'NotFoundError' });
  });
});

describe('rateMedia', () => {
  it('accepts half steps from 0.5 to 5 and sets ratedAt', async () => {
    const person = await server.newPerson();
    const media = await create(person, { kind: 'MOVIE', title: 'Rated' });
    for (const value of [0.5, 5, 3.5]) {
      const rated = await rate(person, media.id, value);
      expect(rated.rating).toBe(value);
      expect(rated.ratedAt).not.toBeNull();
    }
  });

  it.each([4.3, 5.5, 0, -1])('refuses %s with a ValidationError and writes nothing', async (value) => {
    const person = await server.newPerson();
    const media = await create(person, { kind: 'MOVIE', title: 'Rated' });
    await rate(person, media.id, 3.5);
    const data = await server.gql(RATE, { mediaId: media.id, rating: value }, { token: person.token });
    expect(data.rateMedia).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', path: ['rating'] });
    const row = await server.app.db.prisma.media.findUniqueOrThrow({ where: { id: rawId(media.id) } });
    expect(row.rating).toBe(3.5);
  });

  it('clears the rating with null', async () => {
    const person = await server.newPerson();
    const media = await create(person, { kind: 'MOVIE', title: 'Unrated later' });
    await rate(person, media.id, 2);
    const cleared = await rate(person, media.id, null);
    expect(cleared).toMatchObject({ rating: null, ratedAt: null });
    const row = await server.app.db.prisma.media.findUniqueOrThrow({ where: { id: rawId(media.id) } });
    expect(row).toMatchObject({ rating: null, ratedAt: null });
  });
});

describe('mergeMedia', () => {
  it('moves events (dropping those at an instant the survivor has), rating and external ids, then deletes the duplicate', async () => {
    const person = await server.newPerson();
    const survivor = await create(person, { kind: 'MOVIE', title: 'The Thing', year: 1982, externalIds: { tmdb: '1091' } });
    const duplicate = await create(person, { kind: 'MOVIE', title: 'Thing, The', externalIds: { imdb: 'tt0084787', tmdb: null } });
    const t1 = at('2023-01-01T21:00:00Z');
    const t2 = at('2023-06-01T21:00:00Z');
    const t3 = at('2023-12-01T21:00:00Z');
    await record(person, { mediaId: survivor.id, watchedAt: t1 });
    await record(person, { mediaId: survivor.id, watchedAt: t2 });
    await record(person, { mediaId: duplicate.id, watchedAt: t2 });
    await record(person, { mediaId: duplicate.id, watchedAt: t3 });
    await rate(person, duplicate.id, 4);

    const data = await server.gql(MERGE, { survivorId: survivor.id, duplicateId: duplicate.id }, { token: person.token });
    if (data.mergeMedia.__typename !== 'MediaSuccess') throw new Error(JSON.stringify(data));
    const merged = data.mergeMedia.media;
    expect(merged).toMatchObject({ id: survivor.id, title: 'The Thing', rating: 4, watchCount: 3 });
    expect(merged.externalIds).toEqual({ tmdb: '1091', imdb: 'tt0084787', trakt: null });
    expect(merged.watchEvents.edges.map((e) => e.node.watchedAt)).toEqual([t3, t2, t1]);

    const userId = await userIdOf(person);
    expect(await server.app.db.prisma.watchEvent.count({ where: { userId } })).toBe(3);
    expect(await server.app.db.prisma.media.findUnique({ where: { id: rawId(duplicate.id) } })).toBeNull();
    expect((await server.gql(NODE, { id: duplicate.id }, { token: person.token })).node).toBeNull();
  });

  it("keeps the survivor's rating when it has one", async () => {
    const person = await server.newPerson();
    const survivor = await create(person, { kind: 'MOVIE', title: 'Kept rating' });
    const duplicate = await create(person, { kind: 'MOVIE', title: 'Kept rating (dup)' });
    await rate(person, survivor.id, 2);
    await rate(person, duplicate.id, 5);
    const data = await server.gql(MERGE, { survivorId: survivor.id, duplicateId: duplicate.id }, { token: person.token });
    expect(data.mergeMedia).toMatchObject({ __typename: 'MediaSuccess', media: { id: survivor.id, rating: 2 } });
  });

  it('refuses to merge an item into itself or items of different kinds, changing nothing', async () => {
    const person = await server.newPerson();
    const movie = await create(person, { kind: 'MOVIE', title: 'Solaris', externalIds: { tmdb: '593' } });
    const show = await create(person, { kind: 'SHOW', title: 'Solaris' });
    await record(person, { mediaId: show.id, watchedAt: at('2022-01-01T12:00:00Z') });

    const self = await server.gql(MERGE, { survivorId: movie.id, duplicateId: movie.id }, { token: person.token });
    expect(self.mergeMedia).toMatchObject({ __typename: 'ValidationError', path: ['duplicateId'] });
    const kinds = await server.gql(MERGE, { survivorId: movie.id, duplicateId: show.id }, { token: person.token });
    expect(kinds.mergeMedia).toMatchObject({ __typename: 'ValidationError', path: ['duplicateId'] });

    const userId = await userIdOf(person);
    expect(await server.app.db.prisma.media.count({ where: { userId } })).toBe(2);
    expect(await server.app.db.prisma.watchEvent.count({ where: { mediaId: rawId(show.id) } })).toBe(1);
  });
});

describe('recordWatch with an inline media', () => {
  it('matches by external id first, whatever the title', async () => {
    const person = await server.newPerson();
    const amelie = await create(person, { kind: 'MOVIE', title: 'Amélie', year: 2001, externalIds: { tmdb: '194' } });
    const other = await create(person, { kind: 'MOVIE', title: 'Le Fabuleux Destin', year: 2001 });
    const event = await record(person, {
      media: { kind: 'MOVIE', title: 'Le Fabuleux Destin', year: 2001, externalIds: { tmdb: '194' } },
      watchedAt: at('2024-01-01T20:00:00Z'),
    });
    expect(event.media.id).toBe(amelie.id);
    expect(event.media.id).not.toBe(other.id);
  });

  it('then by normalized title, year and kind', async () => {
    const person = await server.newPerson();
    const amelie = await create(person, { kind: 'MOVIE', title: 'Amélie', year: 2001 });
    const spider = await create(person, { kind: 'MOVIE', title: 'Spider-Man: No Way Home', year: 2021 });

    const lower = await record(person, { media: { kind: 'MOVIE', title: 'amelie', year: 2001 }, watchedAt: at('2024-01-01T20:00:00Z') });
    expect(lower.media.id).toBe(amelie.id);
    const punct = await record(person, {
      media: { kind: 'MOVIE', title: 'SPIDER MAN   no way home!', year: 2021 },
      watchedAt: at('2024-01-02T20:00:00Z'),
    });
    expect(punct.media.id).toBe(spider.id);

    const userId = await userIdOf(person);
    expect(await server.app.db.prisma.media.count({ where: { userId } })).toBe(2);

    const otherYear = await record(person, { media: { kind: 'MOVIE', title: 'Amelie', year: 1990 }, watchedAt: at('2024-01-03T20:00:00Z') });
    expect(otherYear.media).toMatchObject({ title: 'Amelie', year: 1990 });
    expect(otherYear.media.id).not.toBe(amelie.id);
    const otherKind = await record(person, { media: { kind: 'SHOW', title: 'Amélie', year: 2001 }, watchedAt: at('2024-01-04T20:00:00Z') });
    expect(otherKind.media.kind).toBe('SHOW');
    expect(otherKind.media.id).not.toBe(amelie.id);
    expect(await server.app.db.prisma.media.count({ where: { userId } })).toBe(4);
  });

  it('creates the item when nothing matches, and finds it the next time', async () => {
    const person = await server.newPerson();
    const first = await record(person, {
      media: { kind: 'MOVIE', title: 'Paterson', year: 2016, genres: ['Drama'] },
      watchedAt: at('2024-01-01T20:00:00Z'),
    });
    expect(first.media).toMatchObject({ kind: 'MOVIE', title: 'Paterson', year: 2016 });
    const second = await record(person, { media: { kind: 'MOVIE', title: 'paterson', year: 2016 }, watchedAt: at('2024-05-01T20:00:00Z') });
    expect(second.media.id).toBe(first.media.id);
    const userId = await userIdOf(person);
    expect(await server.app.db.prisma.media.count({ where: { userId } })).toBe(1);
    expect(await server.app.db.prisma.watchEvent.count({ where: { userId } })).toBe(2);
  });
});

describe('mediaItems', () => {
  async function filterLibrary() {
    const person = await server.newPerson();
    const heat = await create(person, { kind: 'MOVIE', title: 'Heat', year: 1995, genres: ['Crime', 'Drama'] });
    const cafe = await create(person, { kind: 'MOVIE', title: 'Café Society', year: 2016, genres: ['Comedy'] });
    const wire = await create(person, { kind: 'SHOW', title: 'The Wire', year: 2002, genres: ['Crime'] });
    const arrival = await create(person, { kind: 'MOVIE', title: 'Arrival', year: 2016, genres: ['Drama', 'Sci-Fi'] });
    await create(person, { kind: 'MOVIE', title: 'Undated Thing' });
    await rate(person, heat.id, 4.5);
    await rate(person, cafe.id, 3);
    await rate(person, arrival.id, 5);
    await record(person, { mediaId: heat.id, watchedAt: at('2024-01-01T20:00:00Z') });
    await record(person, { mediaId: wire.id, watchedAt: at('2024-01-02T20:00:00Z') });
    return person;
  }

  it('filters by kinds, search, genre, years, watched and rating', async () => {
    const person = await filterLibrary();
    expect(await titlesOf(person, {})).toEqual(['Arrival', 'Café Society', 'Heat', 'The Wire', 'Undated Thing']);
    expect(await titlesOf(person, { kinds: ['SHOW'] })).toEqual(['The Wire']);
    expect(await titlesOf(person, { kinds: ['MOVIE', 'SHOW'] })).toHaveLength(5);
    expect(await titlesOf(person, { kinds: ['EPISODE'] })).toEqual([]);
    expect(await titlesOf(person, { search: 'cafe' })).toEqual(['Café Society']);
    expect(await titlesOf(person, { search: 'SOCIETY!' })).toEqual(['Café Society']);
    expect(await titlesOf(person, { search: 'wire' })).toEqual(['The Wire']);
    expect(await titlesOf(person, { genre: 'Crime' })).toEqual(['Heat', 'The Wire']);
    expect(await titlesOf(person, { genre: 'Drama' })).toEqual(['Arrival', 'Heat']);
    expect(await titlesOf(person, { yearFrom: 2000 })).toEqual(['Arrival', 'Café Society', 'The Wire']);
    expect(await titlesOf(person, { yearTo: 2002 })).toEqual(['Heat', 'The Wire']);
    expect(await titlesOf(person, { yearFrom: 2003, yearTo: 2016 })).toEqual(['Arrival', 'Café Society']);
    expect(await titlesOf(person, { watched: true })).toEqual(['Heat', 'The Wire']);
    expect(await titlesOf(person, { watched: false })).toEqual(['Arrival', 'Café Society', 'Undated Thing']);
    expect(await titlesOf(person, { ratingMin: 4.5 })).toEqual(['Arrival', 'Heat']);
    expect(await titlesOf(person, { kinds: ['MOVIE'], genre: 'Drama', watched: false })).toEqual(['Arrival']);
  });

  async function orderLibrary() {
    const person = await server.newPerson();
    const items: [string, number | null, number | null][] = [
      ['Alpha', 1999, 3],
      ['Bravo', null, 5],
      ['Charlie', 2010, null],
      ['Delta', 1999, 3],
      ['Echo', 2020, 1],
      ['Foxtrot', null, null],
      ['Golf', 2005, 4.5],
    ];
    for (const [title, year, rating] of items) {
      const media = await create(person, { kind: 'MOVIE', title, year });
      if (rating !== null) await rate(person, media.id, rating);
    }
    return person;
  }

  it('orders by title, year (nulls last) and rating (nulls last)', async () => {
    const person = await orderLibrary();
    const nodes = async (orderBy: MediaOrder) => (await list(person, { orderBy })).edges.map((e) => e.node);
    expect((await nodes('TITLE_ASC')).map((n) => n.title)).toEqual(['Alpha', 'Bravo', 'Charlie', 'Delta', 'Echo', 'Foxtrot', 'Golf']);
    expect((await nodes('TITLE_DESC')).map((n) => n.title)).toEqual(['Golf', 'Foxtrot', 'Echo', 'Delta', 'Charlie', 'Bravo', 'Alpha']);

    const byYear = await nodes('YEAR_DESC');
    expect(byYear.map((n) => n.year)).toEqual([2020, 2010, 2005, 1999, 1999, null, null]);
    expect(new Set(byYear.slice(3, 5).map((n) => n.title))).toEqual(new Set(['Alpha', 'Delta']));
    expect(new Set(byYear.slice(5).map((n) => n.title))).toEqual(new Set(['Bravo', 'Foxtrot']));

    const byRating = await nodes('RATING_DESC');
    expect(byRating.map((n) => n.rating)).toEqual([5, 4.5, 3, 3, 1, null, null]);
    expect(new Set(byRating.slice(5).map((n) => n.title))).toEqual(new Set(['Charlie', 'Foxtrot']));
  });

  it('pages through every ordering with first/after, each item exactly once and in order', async () => {
    const person = await orderLibrary();
    const orders: MediaOrder[] = ['TITLE_ASC', 'TITLE_DESC', 'YEAR_DESC', 'YEAR_ASC', 'RATING_DESC', 'RATING_ASC', 'ADDED_DESC', 'ADDED_ASC'];
    for (const orderBy of orders) {
      const whole = (await list(person, { orderBy })).edges.map((e) => e.node.id);
      expect(whole).toHaveLength(7);
      for (const size of [1, 2, 3]) {
        const seen: string[] = [];
        let after: string | undefined;
        for (let pages = 0; pages < 20; pages++) {
          const page = await list(person, { orderBy, first: size, ...(after ? { after } : {}) });
          expect(page.edges.length).toBeLessThanOrEqual(size);
          seen.push(...page.edges.map((e) => e.node.id));
          if (!page.pageInfo.hasNextPage) break;
          after = page.pageInfo.endCursor ?? undefined;
          expect(after).toBeTruthy();
        }
        expect(seen, `${orderBy} by ${size}`).toEqual(whole);
        expect(new Set(seen).size).toBe(7);
      }
    }
  });
});

describe('isolation between people', () => {
  it("answers NotFoundError for another person's media and leaves it alone", async () => {
    const ann = await server.newPerson();
    const bob = await server.newPerson();
    const anns = await create(ann, { kind: 'MOVIE', title: 'Private Ann Film', year: 2000, externalIds: { tmdb: '4242' } });
    await rate(ann, anns.id, 4);
    await record(ann, { mediaId: anns.id, watchedAt: at('2024-01-01T20:00:00Z') });
    const bobs = await create(bob, { kind: 'MOVIE', title: 'Bob Film' });

    const update = await server.gql(UPDATE, { id: anns.id, input: { title: 'Hijacked' } }, { token: bob.token });
    expect(update.updateMedia).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const del = await server.gql(DELETE, { id: anns.id }, { token: bob.token });
    expect(del.deleteMedia).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const rated = await server.gql(RATE, { mediaId: anns.id, rating: 1 }, { token: bob.token });
    expect(rated.rateMedia).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const mergeIn = await server.gql(MERGE, { survivorId: bobs.id, duplicateId: anns.id }, { token: bob.token });
    expect(mergeIn.mergeMedia).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const mergeOut = await server.gql(MERGE, { survivorId: anns.id, duplicateId: bobs.id }, { token: bob.token });
    expect(mergeOut.mergeMedia).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    const watch = await server.gql(RECORD, { input: { mediaId: anns.id } }, { token: bob.token });
    expect(watch.recordWatch).toMatchObject({ __typename: 'NotFoundError' });

    expect((await server.gql(NODE, { id: anns.id }, { token: bob.token })).node).toBeNull();
    expect((await server.gql(NODE, { id: anns.id }, { token: ann.token })).node).toEqual({ __typename: 'Media', id: anns.id });

    const row = await server.app.db.prisma.media.findUniqueOrThrow({ where: { id: rawId(anns.id) } });
    expect(row).toMatchObject({ title: 'Private Ann Film', rating: 4 });
    expect(await server.app.db.prisma.watchEvent.count({ where: { mediaId: row.id } })).toBe(1);
    expect(await server.app.db.prisma.media.count({ where: { id: rawId(bobs.id) } })).toBe(1);
  });

  it("never lists or matches another person's items", async () => {
    const ann = await server.newPerson();
    const bob = await server.newPerson();
    const anns = await create(ann, { kind: 'MOVIE', title: 'Zyzzyva Secret', year: 2010, externalIds: { tmdb: '777' } });
    await create(bob, { kind: 'MOVIE', title: 'Bob Only' });

    const bobList = await list(bob, {});
    expect(bobList.edges.map((e) => e.node.title)).toEqual(['Bob Only']);
    expect(await titlesOf(bob, { search: 'zyzzyva' })).toEqual([]);

    const bobsWatch = await record(bob, {
      media: { kind: 'MOVIE', title: 'Zyzzyva Secret', year: 2010, externalIds: { tmdb: '777' } },
      watchedAt: at('2024-01-01T20:00:00Z'),
    });
    expect(bobsWatch.media.id).not.toBe(anns.id);
    expect(await titlesOf(ann, {})).toEqual(['Zyzzyva Secret']);
    expect(await server.app.db.prisma.watchEvent.count({ where: { mediaId: rawId(anns.id) } })).toBe(0);
  });
});

/** The uuid inside a Relay global id (`Media:<uuid>` in base64). */
function rawId(globalId: string): string {
  const decoded = Buffer.from(globalId, 'base64').toString('utf8');
  return decoded.slice(decoded.indexOf(':') + 1);
}
