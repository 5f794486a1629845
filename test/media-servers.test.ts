import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as createHttpsServer } from 'node:https';
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { FakeJellyfin, dotnetDate, guid, type FakeItem } from './support/fake-jellyfin.js';
import { FakeJellyseerr } from './support/fake-jellyseerr.js';
import { capturedLogs } from './support/logs.js';
import { CONNECT, connect, rawId, SERVERS, syncAndWait } from './support/media-servers.js';
import { startTestServer, type TestServer } from './support/server.js';
import { connected, subscribe } from './support/subscriptions.js';

const { log, lines } = capturedLogs();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({
    log,
    overrides: { mediaServers: { timeoutMs: 1500, tries: 2, retryBaseMs: 5, itemPageSize: 2, playedPageSize: 2, requestPageSize: 2, titleConcurrency: 2 } },
  });
});
afterAll(() => server?.stop());

const DISCONNECT = graphql(`
  mutation DisconnectMediaServer($id: ID!) {
    disconnectMediaServer(id: $id) {
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

const SYNC_ONE = graphql(`
  mutation SyncOneServer($id: ID) {
    syncMediaServers(id: $id) {
      __typename
    }
  }
`);

const PROGRESS = graphql(`
  subscription MediaServerProgress($id: ID!) {
    mediaServerSyncProgress(id: $id) {
      syncStatus
      lastSyncAt
      progress {
        phase
        items
      }
    }
  }
`);

const movie = (n: number, extra: Partial<FakeItem> = {}): FakeItem => ({
  id: guid(n),
  type: 'Movie',
  name: `Film ${n}`,
  year: 2000 + n,
  dateCreated: dotnetDate(`2023-0${1 + (n % 8)}-0${1 + (n % 8)}T10:00:00Z`),
  providerIds: { Tmdb: String(1000 + n), Imdb: `tt${1_000_000 + n}` },
  sources: [{ size: 2e9 + n, streams: [{ type: 'Video' }, { type: 'Audio', language: 'eng' }, { type: 'Audio', language: 'fre' }, { type: 'Subtitle', language: 'fre' }] }],
  ...extra,
});

async function jellyfin(items: FakeItem[] = [movie(1), movie(2), movie(3)]): Promise<FakeJellyfin> {
  const fake = await new FakeJellyfin().start();
  fake.add(...items);
  fake.addUser({ id: guid(900), name: 'alice' }).addUser({ id: guid(901), name: 'bob' });
  return fake;
}

/** A port nothing listens on: taken and released. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as AddressInfo;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

const rows = (sql: string, params: unknown[] = []) => server.app.db.sql.query<Record<string, unknown>>(sql, params);

describe('connectMediaServer checks the server before saving it', () => {
  it('saves a Jellyfin server with its address normalised, its key sealed, a webhook secret shown once', async () => {
    const fake = await jellyfin();
    const person = await server.newPerson();
    const data = await server.gql(CONNECT, { input: { kind: 'JELLYFIN', url: ` ${fake.url.replace('http', 'HTTP')}/web/index.html `, apiKey: fake.apiKey } }, { token: person.token });
    const result = data.connectMediaServer;
    expect(result.__typename).toBe('ConnectMediaServerSuccess');
    if (result.__typename !== 'ConnectMediaServerSuccess') return;
    expect(result.mediaServer).toMatchObject({ kind: 'JELLYFIN', url: fake.url, name: 'nas', version: '10.10.7', apiKeyConfigured: true, syncStatus: 'IDLE', lastSyncAt: null });
    expect(result.webhookSecret).toMatch(/^kjw_/);
    expect(result.mediaServer.webhookUrl).toMatch(/\/webhooks\/jellyfin\/[0-9a-f-]{36}$/);
    const [stored] = await rows(`SELECT "apiKey", "webhookSecretHash" FROM "MediaServer" WHERE url = $1`, [fake.url]);
    expect(stored!.apiKey).toMatch(/^v1:/);
    expect(JSON.stringify(stored)).not.toContain(fake.apiKey);
    expect(JSON.stringify(stored)).not.toContain(result.webhookSecret);
    // the product check reads /System/Info/Public (only it says ProductName), the key check /System/Info
    expect(fake.seen(/^\/System\/Info\/Public/)[0]!.headers.authorization).toBeUndefined();
    expect(fake.seen(/^\/System\/Info\?/)[0]!.headers.authorization).toMatch(/^MediaBrowser .*Token="/);
    // connecting the same address again replaces the key and shows no new secret
    const again = await server.gql(CONNECT, { input: { kind: 'JELLYFIN', url: fake.url, apiKey: fake.apiKey } }, { token: person.token });
    expect(again.connectMediaServer).toMatchObject({ __typename: 'ConnectMediaServerSuccess', webhookSecret: null });
    expect((await server.gql(SERVERS, {}, { token: person.token })).mediaServers).toHaveLength(1);
    await fake.stop();
  });

  it('answers each failure with its own typed error and saves nothing', async () => {
    const person = await server.newPerson();
    const fake = await jellyfin();
    const seerr = await new FakeJellyseerr().start();
    const emby = await new FakeJellyfin({ productName: 'Emby Server' }).start();
    const attempt = async (input: { kind: 'JELLYFIN' | 'JELLYSEERR'; url: string; apiKey: string }) => (await server.gql(CONNECT, { input }, { token: person.token })).connectMediaServer;

    expect(await attempt({ kind: 'JELLYFIN', url: `http://127.0.0.1:${await closedPort()}`, apiKey: 'k' })).toMatchObject({ __typename: 'UpstreamUnreachableError', code: 'UPSTREAM_UNREACHABLE', service: 'Jellyfin', path: ['input', 'url'] });
    expect(await attempt({ kind: 'JELLYFIN', url: emby.url, apiKey: 'k' })).toMatchObject({ __typename: 'WrongProductError', code: 'UPSTREAM_WRONG_PRODUCT', found: 'Emby Server' });
    expect(await attempt({ kind: 'JELLYFIN', url: seerr.url, apiKey: 'k' })).toMatchObject({ __typename: 'WrongProductError', found: null });
    expect(await attempt({ kind: 'JELLYSEERR', url: fake.url, apiKey: 'k' })).toMatchObject({ __typename: 'WrongProductError', service: 'Jellyseerr' });
    expect(await attempt({ kind: 'JELLYFIN', url: fake.url, apiKey: 'not-the-key' })).toMatchObject({ __typename: 'UpstreamError', code: 'UPSTREAM_KEY_REFUSED', service: 'Jellyfin', setting: 'apiKey' });
    // Jellyseerr says 403, not 401
    expect(await attempt({ kind: 'JELLYSEERR', url: seerr.url, apiKey: 'not-the-key' })).toMatchObject({ __typename: 'UpstreamError', code: 'UPSTREAM_KEY_REFUSED', service: 'Jellyseerr' });
    // HTTPS spoken to a plain HTTP port
    expect(await attempt({ kind: 'JELLYFIN', url: fake.url.replace('http:', 'https:'), apiKey: fake.apiKey })).toMatchObject({ __typename: 'UpstreamTlsError', code: 'UPSTREAM_TLS' });
    expect(await attempt({ kind: 'JELLYFIN', url: 'ftp://nas/jellyfin', apiKey: 'k' })).toMatchObject({ __typename: 'ValidationError', path: ['input', 'url'] });
    expect(await attempt({ kind: 'JELLYFIN', url: 'http://user:pw@nas', apiKey: 'k' })).toMatchObject({ __typename: 'ValidationError', path: ['input', 'url'] });
    expect(await attempt({ kind: 'JELLYFIN', url: fake.url, apiKey: '  ' })).toMatchObject({ __typename: 'ValidationError', path: ['input', 'apiKey'] });
    expect((await server.gql(SERVERS, {}, { token: person.token })).mediaServers).toEqual([]);
    await Promise.all([fake.stop(), seerr.stop(), emby.stop()]);
  });

  it('refuses a self-signed certificate as a TLS error', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'klug-tls-'));
    try {
      execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1'], { stdio: 'ignore' });
      const https = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => res.end('{}'));
      await new Promise<void>((resolve) => https.listen(0, '127.0.0.1', resolve));
      const person = await server.newPerson();
      const data = await server.gql(CONNECT, { input: { kind: 'JELLYSEERR', url: `https://127.0.0.1:${(https.address() as AddressInfo).port}`, apiKey: 'k' } }, { token: person.token });
      expect(data.connectMediaServer).toMatchObject({ __typename: 'UpstreamTlsError', code: 'UPSTREAM_TLS', reason: expect.stringMatching(/SELF_SIGNED|CERT/) });
      https.closeAllConnections();
      await new Promise<void>((resolve) => https.close(() => resolve()));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('never returns or logs the key, even when the server refuses it later', async () => {
    const fake = await jellyfin();
    const person = await server.newPerson();
    const before = lines.length;
    const { id } = await connect(server, person.token, { kind: 'JELLYFIN', url: fake.url, apiKey: fake.apiKey });
    await syncAndWait(server, person.token);
    fake.options.apiKey = 'rotated-upstream';
    const [failed] = await syncAndWait(server, person.token, id);
    expect(failed).toMatchObject({ syncStatus: 'ERROR', lastError: expect.stringContaining('refused the API key') });
    const response = await server.request(SERVERS, {}, { token: person.token });
    expect(JSON.stringify(response.body)).not.toContain(fake.apiKey.slice(0, 12));
    const logged = lines.slice(before).join('\n');
    expect(logged).toContain('media server connected');
    expect(logged).not.toContain(fake.apiKey.slice(0, 12));
    await fake.stop();
  });
});

describe('syncMediaServers', () => {
  it('pages through every item and every user, keeping who played what and when', async () => {
    const series: FakeItem = { id: guid(50), type: 'Series', name: 'The Office', year: 2005, dateCreated: dotnetDate('2023-01-01T00:00:00Z'), providerIds: { Tvdb: '73244', Tmdb: '2316' } };
    const episode = (e: number): FakeItem => ({ id: guid(60 + e), type: 'Episode', name: `Episode ${e}`, seriesId: series.id, seriesName: 'The Office', season: 1, episode: e, dateCreated: dotnetDate(`2023-02-0${e}T00:00:00.5Z`), providerIds: { Tvdb: String(110_000 + e) }, sources: [{ size: 7e8, streams: [{ type: 'Audio', language: 'eng' }] }] });
    const fake = await jellyfin([movie(1), movie(2), movie(3), series, episode(1), episode(2)]);
    fake.play(guid(900), guid(1), '2024-05-01T20:00:00Z').play(guid(901), guid(1), '2024-06-01T21:14:03.1234567Z', 2).play(guid(901), episode(2).id, '2024-03-03T20:00:00Z');
    const person = await server.newPerson();
    await connect(server, person.token, { kind: 'JELLYFIN', url: fake.url, apiKey: fake.apiKey });
    const [synced] = await syncAndWait(server, person.token);
    expect(synced).toMatchObject({ syncStatus: 'IDLE', lastError: null, itemCount: 6, progress: { phase: 'done', items: 6, users: 2, usersTotal: 2, playedItems: 2 } });
    expect(synced!.lastSyncAt).not.toBeNull();
    // pages of two: 0, 2, 4 for items; each user's played items asked with their userId
    expect(fake.seen(/^\/Items\?(?!.*userId)/).map((r) => r.query.get('StartIndex'))).toEqual(['0', '2', '4']);
    expect(fake.seen(/^\/Items\?.*userId/).every((r) => r.query.get('IsPlayed') === 'true')).toBe(true);
    const cached = await rows(`SELECT "jellyfinId", kind::text, played, "lastPlayedAt", "playedBy", "playCount", "sizeBytes"::float8 AS size, "episodeCount", "addedAt" FROM "MediaServerItem" WHERE "userId" = (SELECT id FROM "User" WHERE email = $1) ORDER BY "jellyfinId"`, [person.email]);
    const byId = new Map(cached.map((r) => [r.jellyfinId, r]));
    expect(byId.get(guid(1))).toMatchObject({ played: true, playedBy: ['alice', 'bob'], playCount: 3, lastPlayedAt: new Date('2024-06-01T21:14:03.123Z') });
    expect(byId.get(guid(2))).toMatchObject({ played: false, lastPlayedAt: null, playedBy: [] });
    // a series carries its episodes' totals
    expect(byId.get(series.id)).toMatchObject({ kind: 'SERIES', played: true, playedBy: ['bob'], episodeCount: 2, size: 1.4e9, lastPlayedAt: new Date('2024-03-03T20:00:00Z'), addedAt: new Date('2023-02-02T00:00:00.5Z') });
    await fake.stop();
  });

  it('reads Jellyfin 10.8 as well: no ItemId in UserData, the operating system filled in', async () => {
    const fake = await new FakeJellyfin({ version: '10.8.13' }).start();
    fake.add(movie(1), movie(2)).addUser({ id: guid(900), name: 'alice' }).play(guid(900), guid(2), '2024-01-03T20:11:45.0000000Z');
    const person = await server.newPerson();
    const { id } = await connect(server, person.token, { kind: 'JELLYFIN', url: fake.url, apiKey: fake.apiKey });
    const [synced] = await syncAndWait(server, person.token);
    expect(synced).toMatchObject({ syncStatus: 'IDLE', itemCount: 2, progress: { playedItems: 1 } });
    expect(await rows(`SELECT "jellyfinId", "lastPlayedAt" FROM "MediaServerItem" WHERE "connectionId" = $1::uuid AND played`, [rawId(id)])).toEqual([{ jellyfinId: guid(2), lastPlayedAt: new Date('2024-01-03T20:11:45Z') }]);
    const version = await server.gql(graphql(`query ServerVersion { mediaServers { version } }`), {}, { token: person.token });
    expect(version.mediaServers[0]!.version).toBe('10.8.13');
    await fake.stop();
  });

  it('keeps the last good cache when the server times out, fails or answers garbage mid-sync, and shows nothing half-written', async () => {
    const fake = await jellyfin([movie(1), movie(2), movie(3), movie(4), movie(5)]);
    const person = await server.newPerson();
    const { id } = await connect(server, person.token, { kind: 'JELLYFIN', url: fake.url, apiKey: fake.apiKey });
    await syncAndWait(server, person.token);
    const cacheOf = () => rows(`SELECT "jellyfinId" FROM "MediaServerItem" WHERE "connectionId" = $1::uuid ORDER BY "jellyfinId"`, [rawId(id)]);
    const firstCache = await cacheOf();
    expect(firstCache).toHaveLength(5);
    fake.remove(guid(5)).add(movie(6));
    // while a sync has written part of the next generation, the insights still read the last good one
    const OLD = graphql(`query OldDuringSync { insights { oldUnwatched(first: 10) { totalCount edges { node { jellyfinId } } } } }`);
    const gate = fake.gate(/^\/Items\?.*StartIndex=4&/);
    await server.gql(SYNC_ONE, { id }, { token: person.token });
    await gate.arrived;
    const during = (await server.gql(OLD, {}, { token: person.token })).insights.oldUnwatched;
    expect(during.totalCount).toBe(5);
    expect(during.edges.map((e) => e.node.jellyfinId).sort()).toEqual(firstCache.map((r) => r.jellyfinId));
    expect((await rows(`SELECT count(*)::int AS n FROM "MediaServerItem" WHERE "connectionId" = $1::uuid`, [rawId(id)]))[0]!.n).toBeGreaterThan(5);
    gate.release();
    await server.app.runs.idle();
    // that sync went through: its cache is now the good one
    const good = (await server.gql(SERVERS, {}, { token: person.token })).mediaServers[0];
    const goodCache = await cacheOf();
    expect(goodCache.map((r) => r.jellyfinId)).toEqual([guid(1), guid(2), guid(3), guid(4), guid(6)].sort());
    fake.remove(guid(6)).add(movie(7));
    for (const [fault, message] of [
      ['hang', /did not answer \/Items \(no answer within/],
      [500, /answered HTTP 500 to \/Items/],
      ['bad-json', /not JSON/],
    ] as const) {
      fake.fail(/^\/Items\?.*StartIndex=2&/, 2, fault);
      const [failed] = await syncAndWait(server, person.token, id);
      expect(failed).toMatchObject({ syncStatus: 'ERROR', itemCount: 5, lastSyncAt: good!.lastSyncAt, lastError: expect.stringMatching(message) });
      expect(await cacheOf()).toEqual(goodCache);
    }
    // a failure that clears on the next try costs nothing
    fake.fail(/^\/Items\?.*StartIndex=4&/, 1, 503);
    const [recovered] = await syncAndWait(server, person.token, id);
    expect(recovered).toMatchObject({ syncStatus: 'IDLE', lastError: null, itemCount: 5 });
    // items gone upstream are gone from the cache, new ones are in
    expect((await cacheOf()).map((r) => r.jellyfinId)).toEqual([guid(1), guid(2), guid(3), guid(4), guid(7)].sort());
    expect(await rows(`SELECT DISTINCT generation FROM "MediaServerItem" WHERE "connectionId" = $1::uuid`, [rawId(id)])).toHaveLength(1);
    await fake.stop();
  });

  it('syncs Jellyseerr requests by take/skip, looking each title up once, in both status vocabularies', async () => {
    for (const version of ['2.7.3', '1.9.2'] as const) {
      const seerr = await new FakeJellyseerr({ version }).start();
      seerr
        .addRequest({ id: 1, type: 'movie', tmdbId: 27205, status: 2, mediaStatus: 3, createdAt: '2024-01-05T10:00:00.000Z' }, { title: 'Inception', releaseDate: '2010-07-15' })
        .addRequest({ id: 2, type: 'movie', tmdbId: 27205, status: 2, mediaStatus: 3, is4k: true, status4k: 2, createdAt: '2024-01-06T10:00:00.000Z' })
        .addRequest({ id: 3, type: 'tv', tmdbId: 89641, status: version === '2.7.3' ? 5 : 2, mediaStatus: 5, createdAt: '2024-02-01T10:00:00.000Z' }, { title: 'Love Alarm', releaseDate: '2019-08-22' })
        .addRequest({ id: 4, type: 'movie', tmdbId: 5, status: 2, mediaStatus: 6, createdAt: '2024-02-02T10:00:00.000Z' })
        .addRequest({ id: 5, type: 'movie', tmdbId: 999, status: 1, mediaStatus: 1, createdAt: '2024-02-03T10:00:00.000Z' });
      const person = await server.newPerson();
      const { id } = await connect(server, person.token, { kind: 'JELLYSEERR', url: `${seerr.url}/api/v1/`, apiKey: seerr.apiKey });
      const [synced] = await syncAndWait(server, person.token);
      // the blocklisted one (media status 6) is left out by Jellyseerr's default filter
      expect(synced).toMatchObject({ kind: 'JELLYSEERR', url: seerr.url, syncStatus: 'IDLE', requestCount: 4, progress: { phase: 'done', requests: 4, titles: 3 } });
      expect(seerr.seen(/^\/api\/v1\/request\?/).map((r) => r.query.get('skip'))).toEqual(['0', '0', '2']);
      expect(seerr.seen(/^\/api\/v1\/(movie|tv)\//).map((r) => r.path).sort()).toEqual(['/api/v1/movie/27205', '/api/v1/movie/999', '/api/v1/tv/89641']);
      const cached = await rows(`SELECT "requestId", title, "releaseDate"::text AS released, "mediaStatus", "availableAt" IS NOT NULL AS available FROM "MediaServerRequest" WHERE "connectionId" = $1::uuid ORDER BY "requestId"`, [rawId(id)]);
      expect(cached).toEqual([
        { requestId: 1, title: 'Inception', released: '2010-07-15', mediaStatus: 3, available: false },
        { requestId: 2, title: 'Inception', released: '2010-07-15', mediaStatus: 2, available: false },
        { requestId: 3, title: 'Love Alarm', released: '2019-08-22', mediaStatus: 5, available: true },
        { requestId: 5, title: null, released: null, mediaStatus: 1, available: false },
      ]);
      // a second sync asks for no title it knows
      const asked = seerr.seen(/^\/api\/v1\/(movie|tv)\/(27205|89641)/).length;
      await syncAndWait(server, person.token, id);
      expect(seerr.seen(/^\/api\/v1\/(movie|tv)\/(27205|89641)/)).toHaveLength(asked);
      // a half-answering Jellyseerr leaves the cache as it was
      seerr.fail(/^\/api\/v1\/request\?.*skip=2/, 2, 502);
      const [failed] = await syncAndWait(server, person.token, id);
      expect(failed).toMatchObject({ syncStatus: 'ERROR', requestCount: 4, lastError: expect.stringContaining('HTTP 502') });
      await seerr.stop();
    }
  });

  it('streams progress to a subscriber while a sync runs', async () => {
    const fake = await jellyfin();
    const person = await server.newPerson();
    const { id } = await connect(server, person.token, { kind: 'JELLYFIN', url: fake.url, apiKey: fake.apiKey });
    const client = server.ws(person.token);
    const events = subscribe(client, PROGRESS, { id });
    await connected(client);
    const first = await events.next();
    expect(first.value.data.mediaServerSyncProgress).toMatchObject({ syncStatus: 'IDLE', lastSyncAt: null });
    const gate = fake.gate(/^\/Users/);
    await server.gql(SYNC_ONE, { id }, { token: person.token });
    await gate.arrived;
    // the run was claimed (and its first progress forced out) before it reached the gate
    const seen = [(await events.next()).value.data.mediaServerSyncProgress];
    gate.release();
    while (seen.at(-1)!.syncStatus === 'SYNCING') seen.push((await events.next()).value.data.mediaServerSyncProgress);
    expect(seen[0]!.syncStatus).toBe('SYNCING');
    expect(seen.at(-1)).toMatchObject({ syncStatus: 'IDLE', progress: { phase: 'done', items: 3 } });
    await events.return?.();
    await fake.stop();
  });

  it('the daily job syncs every server of every person', async () => {
    const fake = await jellyfin();
    const person = await server.newPerson();
    await connect(server, person.token, { kind: 'JELLYFIN', url: fake.url, apiKey: fake.apiKey });
    expect(server.app.scheduler.names()).toContain('sync-media-servers');
    await server.app.scheduler.runNow('sync-media-servers');
    await server.app.runs.idle();
    const [synced] = (await server.gql(SERVERS, {}, { token: person.token })).mediaServers;
    expect(synced).toMatchObject({ syncStatus: 'IDLE', itemCount: 3 });
    await fake.stop();
  });
});

describe('each person sees only their own servers', () => {
  it('keeps connections, caches and syncs apart', async () => {
    const fake = await jellyfin();
    const ann = await server.newPerson();
    const ben = await server.newPerson();
    const { id } = await connect(server, ann.token, { kind: 'JELLYFIN', url: fake.url, apiKey: fake.apiKey });
    await syncAndWait(server, ann.token);
    // Ben may connect the same server for himself
    const bens = await connect(server, ben.token, { kind: 'JELLYFIN', url: fake.url, apiKey: fake.apiKey });
    expect((await server.gql(SERVERS, {}, { token: ben.token })).mediaServers.map((s) => s.id)).toEqual([bens.id]);
    expect((await server.gql(DISCONNECT, { id }, { token: ben.token })).disconnectMediaServer).toMatchObject({ __typename: 'NotFoundError' });
    expect((await server.gql(SYNC_ONE, { id }, { token: ben.token })).syncMediaServers.__typename).toBe('NotFoundError');
    const node = await server.gql(graphql(`query MediaServerNode($id: ID!) { node(id: $id) { id } }`), { id }, { token: ben.token });
    expect(node.node).toBeNull();
    // Ann disconnects: her cache goes, Ben's server stays
    expect((await server.gql(DISCONNECT, { id }, { token: ann.token })).disconnectMediaServer).toMatchObject({ __typename: 'DeleteSuccess' });
    expect(await rows(`SELECT 1 FROM "MediaServerItem" WHERE "connectionId" = $1::uuid`, [rawId(id)])).toEqual([]);
    expect((await server.gql(SERVERS, {}, { token: ben.token })).mediaServers).toHaveLength(1);
    await fake.stop();
  });
});
