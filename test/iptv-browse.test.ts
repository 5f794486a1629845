import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { generateCatalog, type FakeXtream } from './support/fake-xtream.js';
import { addAndSync, CATEGORIES, LIVE_STREAMS, PLAYLISTS, SERIES, startFakeXtream, VOD_STREAMS } from './support/iptv.js';
import { startTestServer, type TestServer } from './support/server.js';

const SET_FAVORITE = graphql(`
  mutation IptvBrowseFavorite($streamId: ID!, $favorite: Boolean!) {
    setFavorite(streamId: $streamId, favorite: $favorite) {
      __typename
      ... on SetFavoriteSuccess {
        stream {
          __typename
          ... on LiveStream {
            name
            favorite
          }
          ... on VodStream {
            name
            favorite
          }
          ... on Series {
            name
            favorite
          }
        }
      }
      ... on Error {
        code
      }
    }
  }
`);

const FAVORITES = graphql(`
  query IptvBrowseFavorites($playlistId: ID, $first: Int, $after: String) {
    favorites(playlistId: $playlistId, first: $first, after: $after) {
      edges {
        node {
          __typename
          ... on LiveStream {
            name
          }
          ... on VodStream {
            name
          }
          ... on Series {
            name
          }
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
  query IptvBrowseNode($id: ID!) {
    node(id: $id) {
      __typename
      id
    }
  }
`);

const DELETE = graphql(`
  mutation IptvBrowseDelete($id: ID!) {
    deletePlaylist(id: $id) {
      __typename
    }
  }
`);

const vod = (stream_id: number, name: string, category_id: string) => ({ num: stream_id, name, stream_type: 'movie', stream_id, rating: '7', added: '1535126376', category_id, container_extension: 'mkv' });

describe('browsing a catalog', () => {
  let server: TestServer;
  let xtream: FakeXtream;
  let ann: string;
  let bob: string;
  let playlistId: string;

  beforeAll(async () => {
    xtream = await startFakeXtream();
    const catalog = generateCatalog({ live: 30, vod: 0, series: 40, categories: 3 });
    catalog.vodCategories = [
      { category_id: '1', category_name: 'Films FR', parent_id: 0 },
      { category_id: '2', category_name: 'Films EN', parent_id: 0 },
    ];
    catalog.vod = [
      vod(1, 'Amélie (2001)', '1'),
      vod(2, 'LE FABULEUX DESTIN', '1'),
      vod(3, 'Léon: The Professional', '2'),
      vod(4, 'Leon (extended)', '2'),
      vod(5, 'Inception', '2'),
      ...Array.from({ length: 45 }, (_, i) => vod(100 + i, `Filler ${String(i).padStart(2, '0')}`, '2')),
    ];
    xtream.catalog = catalog;
    server = await startTestServer();
    ann = (await server.newPerson()).token;
    bob = (await server.newPerson()).token;
    playlistId = await addAndSync(server, ann, xtream, "Ann's");
  });
  afterAll(async () => {
    await server?.stop();
    await xtream?.stop();
  });

  const names = async (variables: { search?: string; categoryId?: string; first?: number }, token = ann) =>
    (await server.gql(VOD_STREAMS, { playlistId, ...variables }, { token })).vodStreams.edges.map((e) => e.node.name);

  it('searches names without case or accents', async () => {
    expect(await names({ search: 'leon' })).toEqual(['Leon (extended)', 'Léon: The Professional']);
    expect(await names({ search: 'AMELIE' })).toEqual(['Amélie (2001)']);
    expect(await names({ search: 'fabuleux destin' })).toEqual(['LE FABULEUX DESTIN']);
    expect(await names({ search: 'nothing like it' })).toEqual([]);
  });

  it('filters by category, each section its own', async () => {
    const vodCategories = (await server.gql(CATEGORIES, { section: 'VOD' }, { token: ann })).playlists[0]!.categories;
    expect(vodCategories.map((c) => c.name)).toEqual(['Films FR', 'Films EN']);
    expect(await names({ categoryId: vodCategories[0]!.id })).toEqual(['Amélie (2001)', 'LE FABULEUX DESTIN']);
    expect(await names({ categoryId: vodCategories[1]!.id, search: 'inception' })).toEqual(['Inception']);
    const liveCategories = (await server.gql(CATEGORIES, { section: 'LIVE' }, { token: ann })).playlists[0]!.categories;
    const live = await server.gql(LIVE_STREAMS, { playlistId, categoryId: liveCategories[0]!.id, first: 100 }, { token: ann });
    expect(live.liveStreams.edges).toHaveLength(10);
    expect(live.liveStreams.edges.every((e) => e.node.categoryId === '1')).toBe(true);
  });

  it('pages through a long list with cursors, in name order', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const { vodStreams }: { vodStreams: { edges: { node: { name: string } }[]; pageInfo: { hasNextPage: boolean; endCursor?: string | null } } } = await server.gql(VOD_STREAMS, { playlistId, first: 20, after }, { token: ann });
      seen.push(...vodStreams.edges.map((e) => e.node.name));
      if (!vodStreams.pageInfo.hasNextPage) break;
      after = vodStreams.pageInfo.endCursor ?? null;
    }
    expect(seen).toHaveLength(50);
    expect(new Set(seen).size).toBe(50);
    expect(seen).toEqual([...seen].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  });

  it('finds series by actor, whole or part of a name', async () => {
    const byActor = async (actor: string) => (await server.gql(SERIES, { playlistId, actor, first: 100 }, { token: ann })).series.edges.map((e) => e.node);
    const actor7 = await byActor('actor 7');
    expect(actor7.length).toBeGreaterThan(0);
    expect(actor7.every((s) => s.cast!.split(', ').some((name) => name.toLowerCase().startsWith('actor 7')))).toBe(true);
    expect((await byActor('ACTOR 7')).length).toBe(actor7.length);
    expect(await byActor('Nobody Famous')).toEqual([]);
  });

  it('masks the account in every stream URL it answers', async () => {
    const { vodStreams } = await server.gql(VOD_STREAMS, { playlistId, search: 'inception' }, { token: ann });
    expect(vodStreams.edges[0]!.node.url).toBe(`${xtream.url}/movie/***/***/5.mkv`);
    const live = await server.gql(LIVE_STREAMS, { playlistId, first: 1 }, { token: ann });
    expect(live.liveStreams.edges[0]!.node.url).toMatch(new RegExp(`^${xtream.url}/live/\\*\\*\\*/\\*\\*\\*/\\d+\\.ts$`));
    const everything = JSON.stringify([vodStreams, live, await server.gql(PLAYLISTS, {}, { token: ann })]);
    expect(everything).not.toContain(xtream.account.password);
    expect(everything).not.toContain(xtream.account.username);
  });

  it('keeps favourites across sections, newest first, and unmarks them', async () => {
    const { token } = await server.newPerson();
    const own = await addAndSync(server, token, xtream, 'Own');
    const pick = async (query: typeof VOD_STREAMS | typeof LIVE_STREAMS | typeof SERIES, search: string) => {
      const data = (await server.gql(query as typeof VOD_STREAMS, { playlistId: own, search, first: 1 }, { token })) as unknown as Record<string, { edges: { node: { id: string } }[] }>;
      return Object.values(data)[0]!.edges[0]!.node.id;
    };
    const film = await pick(VOD_STREAMS, 'inception');
    const channel = await pick(LIVE_STREAMS, 'channel 3');
    const show = await pick(SERIES, 'series number 1');
    for (const id of [film, channel, show]) {
      const { setFavorite } = await server.gql(SET_FAVORITE, { streamId: id, favorite: true }, { token });
      expect(setFavorite).toMatchObject({ __typename: 'SetFavoriteSuccess', stream: { favorite: true } });
    }
    const listed = (await server.gql(FAVORITES, { first: 10 }, { token })).favorites.edges.map((e) => e.node.__typename);
    expect(listed).toEqual(['Series', 'LiveStream', 'VodStream']);
    const firstPage = await server.gql(FAVORITES, { first: 2 }, { token });
    expect(firstPage.favorites.pageInfo.hasNextPage).toBe(true);
    const secondPage = await server.gql(FAVORITES, { first: 2, after: firstPage.favorites.pageInfo.endCursor }, { token });
    expect(secondPage.favorites.edges.map((e) => e.node.__typename)).toEqual(['VodStream']);
    await server.gql(SET_FAVORITE, { streamId: channel, favorite: false }, { token });
    expect((await server.gql(FAVORITES, { first: 10 }, { token })).favorites.edges.map((e) => e.node.__typename)).toEqual(['Series', 'VodStream']);
  });

  it("keeps each person's playlists and everything under them to themselves", async () => {
    const bobsView = await server.gql(VOD_STREAMS, { playlistId, first: 100 }, { token: bob });
    expect(bobsView.vodStreams.edges).toEqual([]);
    expect((await server.gql(PLAYLISTS, {}, { token: bob })).playlists).toEqual([]);
    const annsFilm = (await server.gql(VOD_STREAMS, { playlistId, search: 'inception' }, { token: ann })).vodStreams.edges[0]!.node.id;
    expect((await server.gql(NODE, { id: annsFilm }, { token: bob })).node).toBeNull();
    expect((await server.gql(NODE, { id: playlistId }, { token: bob })).node).toBeNull();
    expect((await server.gql(SET_FAVORITE, { streamId: annsFilm, favorite: true }, { token: bob })).setFavorite).toMatchObject({ __typename: 'NotFoundError' });
    expect((await server.gql(DELETE, { id: playlistId }, { token: bob })).deletePlaylist.__typename).toBe('NotFoundError');
    expect((await server.gql(NODE, { id: annsFilm }, { token: ann })).node).toMatchObject({ __typename: 'VodStream' });
  });

  it('deletes a playlist with everything synced from it', async () => {
    const { token } = await server.newPerson();
    const before = server.app.services.hostBudget.limitOf('127.0.0.1');
    const id = await addAndSync(server, token, xtream, 'Short-lived');
    // each account on a host brings its max_connections to the host's budget
    expect(server.app.services.hostBudget.limitOf('127.0.0.1')).toBe(before + 2);
    expect((await server.gql(DELETE, { id }, { token })).deletePlaylist.__typename).toBe('DeleteSuccess');
    expect((await server.gql(PLAYLISTS, {}, { token })).playlists).toEqual([]);
    expect((await server.gql(VOD_STREAMS, { playlistId: id }, { token })).vodStreams.edges).toEqual([]);
    // the other accounts on the host keep theirs
    expect(server.app.services.hostBudget.limitOf('127.0.0.1')).toBe(before);
  });
});

