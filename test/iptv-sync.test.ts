import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { generateCatalog, type FakeXtream } from './support/fake-xtream.js';
import { addAndSync, playlist, startFakeXtream, syncAgain, VOD_STREAMS } from './support/iptv.js';
import { startTestServer, type TestServer } from './support/server.js';
import { capturedLogs } from './support/logs.js';
import { subscribe } from './support/subscriptions.js';

const FAVORITE = graphql(`
  mutation IptvSyncFavorite($streamId: ID!, $favorite: Boolean!) {
    setFavorite(streamId: $streamId, favorite: $favorite) {
      __typename
    }
  }
`);

const FAVORITES = graphql(`
  query IptvSyncFavorites {
    favorites(first: 10) {
      edges {
        node {
          __typename
          ... on VodStream {
            streamId
            gone
          }
        }
      }
    }
  }
`);

const PROGRESS = graphql(`
  subscription IptvSyncProgress($id: ID!) {
    playlistSyncProgress(id: $id) {
      syncStatus
      vodCount
      progress {
        phase
        sectionsDone
      }
    }
  }
`);

describe('a playlist sync, section by section', () => {
  let server: TestServer;
  let xtream: FakeXtream;
  const logs = capturedLogs();

  beforeAll(async () => {
    xtream = await startFakeXtream();
    server = await startTestServer({ log: logs.log, overrides: { iptv: { timeoutMs: 400, retryBaseMs: 5, tries: 3 }, runs: { progressMs: 10 } } });
  });
  afterAll(async () => {
    await server?.stop();
    await xtream?.stop();
  });

  const vodIds = async (token: string, playlistId: string) =>
    (await server.gql(VOD_STREAMS, { playlistId, first: 100 }, { token })).vodStreams.edges.map((e) => e.node.streamId).sort((a, b) => a - b);

  it('keeps the other sections when one fails, and records its error on the playlist', async () => {
    const { token } = await server.newPerson();
    xtream.catalog = generateCatalog({ live: 5, vod: 7, series: 3 });
    xtream.fail(/action=get_vod_streams/, 3, 500);
    const id = await addAndSync(server, token, xtream);
    const synced = await playlist(server, token, id);
    expect(synced).toMatchObject({ syncStatus: 'ERROR', liveCount: 5, vodCount: 0, seriesCount: 3 });
    expect(synced.sectionErrors).toMatchObject({ categories: null, live: null, series: null });
    expect(synced.sectionErrors.vod).toMatch(/HTTP 500/);
    expect(synced.lastError).toMatch(/^vod: /);
    expect(synced.lastSyncAt).not.toBeNull();
    // the next sync, the panel well again, clears the error
    const again = await syncAgain(server, token, id);
    expect(again).toMatchObject({ syncStatus: 'IDLE', vodCount: 7, lastError: null, sectionErrors: { vod: null } });
  });

  it('waits out a 429 with its Retry-After and goes on', async () => {
    const { token } = await server.newPerson();
    xtream.catalog = generateCatalog({ live: 2, vod: 4, series: 1 });
    const before = xtream.seen(/action=get_vod_streams/).length;
    xtream.rateLimit(/action=get_vod_streams/, 2, '0');
    const id = await addAndSync(server, token, xtream);
    expect(await playlist(server, token, id)).toMatchObject({ syncStatus: 'IDLE', vodCount: 4 });
    expect(xtream.seen(/action=get_vod_streams/).length - before).toBe(3);
  });

  it('bounds a request that never answers, tries it again, and fails only that section when it keeps hanging', async () => {
    const { token } = await server.newPerson();
    xtream.catalog = generateCatalog({ live: 2, vod: 3, series: 2 });
    xtream.fail(/action=get_series$|action=get_series&/, 1, 'hang');
    const id = await addAndSync(server, token, xtream);
    expect(await playlist(server, token, id)).toMatchObject({ syncStatus: 'IDLE', seriesCount: 2 });
    xtream.fail(/action=get_series$|action=get_series&/, 3, 'hang');
    const hung = await syncAgain(server, token, id);
    expect(hung).toMatchObject({ syncStatus: 'ERROR', seriesCount: 2, vodCount: 3 });
    expect(hung.sectionErrors.series).toMatch(/no answer within 0\.4 s.*3 tries/);
  });

  it('marks streams the provider dropped as gone, keeps favourites on them, and brings back what returns', async () => {
    const { token } = await server.newPerson();
    xtream.catalog = generateCatalog({ live: 1, vod: 6, series: 1 });
    const id = await addAndSync(server, token, xtream);
    const all = (await server.gql(VOD_STREAMS, { playlistId: id }, { token })).vodStreams.edges.map((e) => e.node);
    const dropped = all.find((n) => n.streamId === 200_002)!;
    expect((await server.gql(FAVORITE, { streamId: dropped.id, favorite: true }, { token })).setFavorite.__typename).toBe('SetFavoriteSuccess');

    const kept = xtream.catalog.vod;
    xtream.catalog.vod = kept.filter((v) => ![200_002, 200_004].includes(Number((v as { stream_id: unknown }).stream_id)));
    expect(await syncAgain(server, token, id)).toMatchObject({ syncStatus: 'IDLE', vodCount: 4 });
    expect(await vodIds(token, id)).toEqual([200_000, 200_001, 200_003, 200_005]);
    const favorites = (await server.gql(FAVORITES, {}, { token })).favorites.edges.map((e) => e.node);
    expect(favorites).toEqual([{ __typename: 'VodStream', streamId: 200_002, gone: true }]);

    xtream.catalog.vod = kept;
    expect(await syncAgain(server, token, id)).toMatchObject({ vodCount: 6 });
    expect(await vodIds(token, id)).toHaveLength(6);
    expect((await server.gql(FAVORITES, {}, { token })).favorites.edges[0]!.node).toMatchObject({ streamId: 200_002, gone: false });
  });

  it('marks nothing gone when the account is refused mid-life', async () => {
    const { token } = await server.newPerson();
    xtream.catalog = generateCatalog({ live: 2, vod: 2, series: 2 });
    const id = await addAndSync(server, token, xtream);
    const password = xtream.account.password;
    xtream.account.password = 'changed-by-the-provider';
    try {
      const refused = await syncAgain(server, token, id);
      expect(refused).toMatchObject({ syncStatus: 'ERROR', liveCount: 2, vodCount: 2, seriesCount: 2 });
      expect(refused.lastError).toMatch(/refused the username and password/);
      expect(await vodIds(token, id)).toHaveLength(2);
    } finally {
      xtream.account.password = password;
    }
  });

  it('streams progress over WebSocket until the sync is over', async () => {
    const { token } = await server.newPerson();
    xtream.catalog = generateCatalog({ live: 3, vod: 5, series: 2 });
    const id = await addAndSync(server, token, xtream);
    const gate = xtream.gate(/action=get_vod_streams/);
    const client = server.ws(token);
    const events = subscribe(client, PROGRESS, { id });
    const first = await events.next();
    expect(first.value?.data?.playlistSyncProgress.syncStatus).toBe('IDLE');
    await server.gql(graphql(`mutation IptvSyncNow($id: ID!) { syncPlaylist(id: $id) { __typename } }`), { id }, { token });
    await gate.arrived;
    gate.release();
    const seen: { syncStatus: string; phase: string | null | undefined }[] = [];
    for await (const event of events) {
      const p = event.data!.playlistSyncProgress;
      seen.push({ syncStatus: p.syncStatus, phase: p.progress.phase });
      if (p.syncStatus !== 'SYNCING' && seen.length > 1) break;
    }
    expect(seen.some((s) => s.syncStatus === 'SYNCING' && s.phase === 'vod')).toBe(true);
    expect(seen.at(-1)).toMatchObject({ syncStatus: 'IDLE', phase: 'done' });
  });

  it('syncs every playlist of every person from the six-hourly job', async () => {
    const { token } = await server.newPerson();
    xtream.catalog = generateCatalog({ live: 1, vod: 2, series: 1 });
    const id = await addAndSync(server, token, xtream);
    const before = (await playlist(server, token, id)).lastSyncAt!;
    xtream.catalog.vod = xtream.catalog.vod.slice(0, 1);
    expect(server.app.scheduler.names()).toContain('sync-playlists');
    await server.app.scheduler.runNow('sync-playlists');
    await server.app.runs.idle();
    const after = await playlist(server, token, id);
    expect(after).toMatchObject({ syncStatus: 'IDLE', vodCount: 1 });
    expect(after.lastSyncAt! > before).toBe(true);
  });

  it('logged the retries and failures above without the account', () => {
    expect(logs.lines.some((line) => /IPTV provider request failed/.test(line))).toBe(true);
    for (const line of logs.lines) {
      expect(line).not.toContain(xtream.account.password);
      expect(line).not.toContain(xtream.account.username);
      expect(line).not.toContain('changed-by-the-provider');
    }
  });
});
