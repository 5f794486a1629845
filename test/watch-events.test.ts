import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import type { WatchPageQuery } from './gql/graphql.js';
import { startTestServer, type TestServer } from './support/server.js';

const RECORD = graphql(`
  mutation WatchRecord($input: RecordWatchInput!) {
    recordWatch(input: $input) {
      __typename
      ... on RecordWatchSuccess {
        watchEvent {
          id
          watchedAt
          rating
          rewatch
          source
          tags
          media {
            id
            title
            kind
            rating
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
  mutation WatchDelete($id: ID!) {
    deleteWatchEvent(id: $id) {
      __typename
      ... on DeleteSuccess {
        deletedId
      }
      ... on Error {
        code
      }
    }
  }
`);

const PAGE = graphql(`
  query WatchPage(
    $first: Int
    $after: String
    $last: Int
    $before: String
    $filter: WatchEventFilter
    $orderBy: WatchEventOrder
  ) {
    watchEvents(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
      edges {
        cursor
        node {
          id
          watchedAt
          rating
          media {
            title
            rating
            show {
              title
            }
          }
        }
      }
      pageInfo {
        hasNextPage
        hasPreviousPage
        startCursor
        endCursor
      }
    }
  }
`);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

const movie = (title: string, extra: Record<string, unknown> = {}) => ({ kind: 'MOVIE' as const, title, ...extra });

/** Bulk history straight into the database: the behaviour under test is reading it. */
async function seedHistory(email: string, count: number) {
  const { prisma } = server.app.db;
  const user = await prisma.user.findUniqueOrThrow({ where: { email } });
  const show = await prisma.media.create({
    data: { userId: user.id, kind: 'SHOW', title: 'The Wire', normalizedTitle: 'the wire', genres: ['Crime'] },
  });
  const media = await Promise.all(
    Array.from({ length: 10 }, (_, i) =>
      prisma.media.create({
        data: {
          userId: user.id,
          kind: i < 5 ? 'MOVIE' : 'EPISODE',
          title: i < 5 ? `Film ${i}` : `Episode ${i}`,
          normalizedTitle: i < 5 ? `film ${i}` : `episode ${i}`,
          showId: i < 5 ? null : show.id,
          seasonNumber: i < 5 ? null : 1,
          episodeNumber: i < 5 ? null : i,
          genres: i < 5 ? ['Drama'] : [],
          runtimeMinutes: i < 5 ? 120 : 60,
          rating: i % 2 === 0 ? 4 : null,
        },
      }),
    ),
  );
  const base = Date.UTC(2024, 0, 1);
  await prisma.watchEvent.createMany({
    data: Array.from({ length: count }, (_, i) => ({
      userId: user.id,
      mediaId: media[i % 10]!.id,
      // several events share an instant (on different media) so ties on the sort key are exercised
      watchedAt: new Date(base + Math.floor(i / 3) * 3_600_000),
      source: i % 4 === 0 ? ('LETTERBOXD' as const) : ('MANUAL' as const),
      rating: i % 5 === 0 ? null : ((i % 10) + 1) / 2,
      rewatch: i >= 10,
    })),
  });
  return { user, media, show };
}

describe('recordWatch', () => {
  it('records a watch of an item described inline, creating the item', async () => {
    const ann = await server.newPerson();
    const data = await server.gql(
      RECORD,
      { input: { media: movie('Amélie', { year: 2001 }), watchedAt: '2024-03-01T20:00:00Z', rating: 4.5, tags: ['cinema', ' cinema '] } },
      { token: ann.token },
    );
    expect(data.recordWatch).toMatchObject({
      __typename: 'RecordWatchSuccess',
      watchEvent: { watchedAt: '2024-03-01T20:00:00.000Z', rating: 4.5, rewatch: false, source: 'MANUAL', tags: ['cinema'] },
    });
    if (data.recordWatch.__typename !== 'RecordWatchSuccess') return;
    expect(data.recordWatch.watchEvent.media).toMatchObject({ title: 'Amélie', kind: 'MOVIE', rating: 4.5 });

    const again = await server.gql(
      RECORD,
      { input: { mediaId: data.recordWatch.watchEvent.media.id, watchedAt: '2024-05-01T20:00:00Z' } },
      { token: ann.token },
    );
    expect(again.recordWatch).toMatchObject({ watchEvent: { rewatch: true, media: { id: data.recordWatch.watchEvent.media.id } } });
  });

  it('refuses a second watch of the same item at the same instant', async () => {
    const ann = await server.newPerson();
    const input = { media: movie('Heat', { year: 1995 }), watchedAt: '2024-03-01T20:00:00Z' };
    await server.gql(RECORD, { input }, { token: ann.token });
    const twice = await server.gql(RECORD, { input }, { token: ann.token });
    expect(twice.recordWatch).toMatchObject({ __typename: 'ConflictError', code: 'CONFLICT', path: ['watchedAt'] });
    expect(await server.app.db.prisma.watchEvent.count({ where: { media: { user: { email: ann.email } } } })).toBe(1);
  });

  it('allows a little clock skew but refuses a watch in the future, writing nothing', async () => {
    const ann = await server.newPerson();
    const soon = new Date(Date.now() + 60_000).toISOString();
    const ok = await server.gql(RECORD, { input: { media: movie('Soon'), watchedAt: soon } }, { token: ann.token });
    expect(ok.recordWatch.__typename).toBe('RecordWatchSuccess');
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const refused = await server.gql(RECORD, { input: { media: movie('Later'), watchedAt: later } }, { token: ann.token });
    expect(refused.recordWatch).toMatchObject({ __typename: 'ValidationError', path: ['watchedAt'] });
    expect(await server.app.db.prisma.media.count({ where: { title: 'Later', user: { email: ann.email } } })).toBe(0);
  });

  it.each([4.3, 5.5, 0, -1])('refuses the rating %s, writing nothing', async (rating) => {
    const ann = await server.newPerson();
    const data = await server.gql(RECORD, { input: { media: movie('Off grid'), rating } }, { token: ann.token });
    expect(data.recordWatch).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', path: ['rating'] });
    expect(await server.app.db.prisma.watchEvent.count({ where: { media: { user: { email: ann.email } } } })).toBe(0);
  });

  it('needs exactly one of mediaId and media', async () => {
    const ann = await server.newPerson();
    const neither = await server.gql(RECORD, { input: {} }, { token: ann.token });
    expect(neither.recordWatch).toMatchObject({ __typename: 'ValidationError' });
  });

  it("answers NotFoundError for another person's media and for garbage ids", async () => {
    const ann = await server.newPerson();
    const bob = await server.newPerson();
    const bobs = await server.gql(RECORD, { input: { media: movie('Bob only') } }, { token: bob.token });
    if (bobs.recordWatch.__typename !== 'RecordWatchSuccess') throw new Error('setup failed');
    for (const mediaId of [bobs.recordWatch.watchEvent.media.id, 'garbage']) {
      const data = await server.gql(RECORD, { input: { mediaId } }, { token: ann.token });
      expect(data.recordWatch).toMatchObject({ __typename: 'NotFoundError', path: ['mediaId'] });
    }
  });
});

describe('deleteWatchEvent', () => {
  it('deletes your own event and answers NotFoundError for anyone else', async () => {
    const ann = await server.newPerson();
    const bob = await server.newPerson();
    const made = await server.gql(RECORD, { input: { media: movie('Brief') } }, { token: ann.token });
    if (made.recordWatch.__typename !== 'RecordWatchSuccess') throw new Error('setup failed');
    const id = made.recordWatch.watchEvent.id;
    const byBob = await server.gql(DELETE, { id }, { token: bob.token });
    expect(byBob.deleteWatchEvent).toMatchObject({ __typename: 'NotFoundError' });
    const byAnn = await server.gql(DELETE, { id }, { token: ann.token });
    expect(byAnn.deleteWatchEvent).toEqual({ __typename: 'DeleteSuccess', deletedId: id });
    const twice = await server.gql(DELETE, { id }, { token: ann.token });
    expect(twice.deleteWatchEvent).toMatchObject({ __typename: 'NotFoundError' });
  });
});

describe('watchEvents paging', () => {
  let person: { email: string; token: string };
  beforeAll(async () => {
    person = await server.newPerson();
    await seedHistory(person.email, 95);
  });

  async function walk(variables: { first?: number; last?: number; orderBy?: 'WATCHED_AT_DESC' | 'WATCHED_AT_ASC' | 'RATING_DESC' | 'RATING_ASC' }) {
    const ids: string[] = [];
    let cursor: string | null = null;
    for (let pages = 0; pages < 50; pages++) {
      const backwards = variables.last != null;
      const data: WatchPageQuery = await server.gql(
        PAGE,
        { ...variables, ...(backwards ? { before: cursor } : { after: cursor }) },
        { token: person.token },
      );
      const conn = data.watchEvents;
      const nodes = conn.edges.map((e) => e.node.id);
      ids.push(...(backwards ? nodes.reverse() : nodes));
      const more = backwards ? conn.pageInfo.hasPreviousPage : conn.pageInfo.hasNextPage;
      if (!more) break;
      cursor = backwards ? conn.pageInfo.startCursor : conn.pageInfo.endCursor;
    }
    return ids;
  }

  it('walks every event exactly once, newest first, across pages with ties on the sort key', async () => {
    const ids = await walk({ first: 10 });
    expect(ids).toHaveLength(95);
    expect(new Set(ids).size).toBe(95);
    const all = await server.app.db.prisma.watchEvent.findMany({
      where: { media: { user: { email: person.email } } },
      orderBy: [{ watchedAt: 'desc' }, { id: 'desc' }],
    });
    expect(ids).toEqual(all.map((e) => Buffer.from(`WatchEvent:${e.id}`).toString('base64')));
  });

  it('walks backwards with last/before to the same sequence', async () => {
    const forwards = await walk({ first: 10 });
    const backwards = await walk({ last: 7 });
    expect(backwards.reverse()).toEqual(forwards);
  });

  it('orders by rating with unrated events last, in both directions, without gaps', async () => {
    for (const orderBy of ['RATING_DESC', 'RATING_ASC'] as const) {
      const ids = await walk({ first: 8, orderBy });
      expect(new Set(ids).size).toBe(95);
    }
    const page = await server.gql(PAGE, { first: 100, orderBy: 'RATING_DESC' }, { token: person.token });
    const ratings = page.watchEvents.edges.map((e) => e.node.rating);
    const firstNull = ratings.indexOf(null);
    expect(ratings.slice(firstNull).every((r) => r === null)).toBe(true);
    const rated = ratings.slice(0, firstNull) as number[];
    expect(rated).toEqual([...rated].sort((a, b) => b - a));
  });

  it('keeps a page stable when newer events arrive meanwhile', async () => {
    const mine = await server.newPerson();
    await seedHistory(mine.email, 30);
    const first = await server.gql(PAGE, { first: 10 }, { token: mine.token });
    await server.gql(RECORD, { input: { media: movie('Brand new') } }, { token: mine.token });
    const second = await server.gql(PAGE, { first: 10, after: first.watchEvents.pageInfo.endCursor }, { token: mine.token });
    const both = [...first.watchEvents.edges, ...second.watchEvents.edges].map((e) => e.node.id);
    expect(new Set(both).size).toBe(20);
    expect(second.watchEvents.edges.map((e) => e.node.media.title)).not.toContain('Brand new');
  });

  it('refuses a tampered cursor, a cursor of another ordering and an oversized page with coded errors', async () => {
    const page = await server.gql(PAGE, { first: 5 }, { token: person.token });
    const cursor = page.watchEvents.pageInfo.endCursor!;
    const [payload, signature] = cursor.split('.');
    const decoded = JSON.parse(Buffer.from(payload!, 'base64url').toString()) as unknown[];
    decoded[1] = '2099-01-01T00:00:00.000Z';
    const forged = `${Buffer.from(JSON.stringify(decoded)).toString('base64url')}.${signature}`;
    for (const variables of [
      { first: 5, after: forged },
      { first: 5, after: 'not-a-cursor' },
      { first: 5, after: cursor, orderBy: 'RATING_DESC' as const },
      { first: 101 },
      { first: 5, last: 5 },
    ]) {
      const response = await server.request(PAGE, variables, { token: person.token });
      expect(response.body.errors?.[0]?.extensions?.code, JSON.stringify(variables)).toBe('VALIDATION_FAILED');
      expect(response.body.data).toBeNull();
    }
  });

  it('fetches a page with nested media, show and ratings in the same number of statements whatever its size', async () => {
    const counts: number[] = [];
    for (const first of [5, 50]) {
      await server.gql(PAGE, { first }, { token: person.token }); // warm the viewer's session renewal
      const before = server.app.db.statementCount();
      const data = await server.gql(PAGE, { first }, { token: person.token });
      counts.push(server.app.db.statementCount() - before);
      expect(data.watchEvents.edges).toHaveLength(first);
      if (first === 50) expect(data.watchEvents.edges.some((e) => e.node.media.show?.title === 'The Wire')).toBe(true);
    }
    expect(counts[0]).toBe(counts[1]);
    expect(counts[0]).toBeLessThanOrEqual(6);
  });
});

describe('watchEvents filters', () => {
  let person: { email: string; token: string };
  beforeAll(async () => {
    person = await server.newPerson();
    await seedHistory(person.email, 40);
  });

  const titles = async (filter: Record<string, unknown>) => {
    const data = await server.gql(PAGE, { first: 100, filter }, { token: person.token });
    return data.watchEvents.edges.map((e) => e.node);
  };

  it('filters by kind, source, rating range, rewatch, genre and date range', async () => {
    expect((await titles({ kinds: ['EPISODE'] })).every((n) => n.media.title.startsWith('Episode'))).toBe(true);
    expect(await titles({ kinds: ['EPISODE'] })).toHaveLength(20);
    expect(await titles({ sources: ['LETTERBOXD'] })).toHaveLength(10);
    const rated = await titles({ ratingMin: 2, ratingMax: 3 });
    expect(rated.length).toBeGreaterThan(0);
    expect(rated.every((n) => n.rating! >= 2 && n.rating! <= 3)).toBe(true);
    expect(await titles({ rewatch: false })).toHaveLength(10);
    expect((await titles({ genre: 'Drama' })).every((n) => n.media.title.startsWith('Film'))).toBe(true);
    const ranged = await titles({ from: '2024-01-01T03:00:00Z', to: '2024-01-01T06:00:00Z' });
    expect(ranged).toHaveLength(9);
    expect(ranged.every((n) => n.watchedAt >= '2024-01-01T03:00:00.000Z' && n.watchedAt < '2024-01-01T06:00:00.000Z')).toBe(true);
  });

  it("searches titles and the show's title, ignoring case and accents", async () => {
    expect((await titles({ search: 'FILM 3' })).every((n) => n.media.title === 'Film 3')).toBe(true);
    expect(await titles({ search: 'the wíre' })).toHaveLength(20);
  });

  it('refuses an off-grid rating bound', async () => {
    const response = await server.request(PAGE, { first: 5, filter: { ratingMin: 2.2 } }, { token: person.token });
    expect(response.body.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
  });

  it("never shows another person's events", async () => {
    const other = await server.newPerson();
    const data = await server.gql(PAGE, { first: 100 }, { token: other.token });
    expect(data.watchEvents.edges).toHaveLength(0);
  });
});
