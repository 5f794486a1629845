import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { FakeJellyfin, dotnetDate, guid, type FakeItem } from './support/fake-jellyfin.js';
import { connect, syncAndWait } from './support/media-servers.js';
import { startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ overrides: { mediaServers: { timeoutMs: 5000, tries: 2, retryBaseMs: 5, itemPageSize: 3, playedPageSize: 3 } } });
});
afterAll(() => server?.stop());

const EVENTS = graphql(`
  query JellyfinHistory {
    watchEvents(first: 50, orderBy: WATCHED_AT_ASC) {
      edges {
        node {
          watchedAt
          source
          rewatch
          media {
            id
            kind
            title
            year
            seasonNumber
            episodeNumber
            externalIds {
              tmdb
              jellyfin
            }
            show {
              title
            }
          }
        }
      }
    }
  }
`);

const RECORD = graphql(`
  mutation RecordBeforeSync($input: RecordWatchInput!) {
    recordWatch(input: $input) {
      __typename
    }
  }
`);

const ROTATE = graphql(`
  mutation RotateWebhookSecret($id: ID!) {
    rotateWebhookSecret(id: $id) {
      __typename
      ... on RotateWebhookSecretSuccess {
        webhookSecret
      }
    }
  }
`);

const series: FakeItem = { id: guid(50), type: 'Series', name: 'The Office', year: 2005, dateCreated: dotnetDate('2023-01-01T00:00:00Z'), providerIds: { Tvdb: '73244' } };
const episode: FakeItem = { id: guid(51), type: 'Episode', name: 'Diversity Day', seriesId: series.id, seriesName: 'The Office', season: 1, episode: 2, dateCreated: dotnetDate('2023-01-02T00:00:00Z'), providerIds: { Tvdb: '110413' }, sources: [{ size: 7e8, streams: [] }] };
const film = (n: number): FakeItem => ({ id: guid(n), type: 'Movie', name: `Film ${n}`, year: 2000 + n, dateCreated: dotnetDate('2023-03-01T00:00:00Z'), providerIds: { Tmdb: String(1000 + n) }, sources: [{ size: 1e9, streams: [] }] });
const ALICE = guid(900);
const BOB = guid(901);

async function jellyfin(): Promise<FakeJellyfin> {
  const fake = await new FakeJellyfin().start();
  fake.add(film(1), film(2), series, episode).addUser({ id: ALICE, name: 'alice' }).addUser({ id: BOB, name: 'Bob' });
  fake.play(ALICE, film(1).id, '2024-05-01T20:00:00Z').play(BOB, film(1).id, '2024-05-01T22:00:00Z');
  fake.play(ALICE, film(2).id, '2024-05-01T21:00:00Z').play(BOB, episode.id, '2024-03-03T20:00:00.1234567Z');
  return fake;
}

const history = async (token: string) => (await server.gql(EVENTS, {}, { token })).watchEvents.edges.map((e) => e.node);

describe('Jellyfin plays become watch history', () => {
  it('matches plays to the library, once per item and day, whatever the source and however often it syncs', async () => {
    const fake = await jellyfin();
    const person = await server.newPerson();
    // an imported (here recorded) viewing of Film 2 the same day as a Jellyfin play of it
    await server.gql(RECORD, { input: { media: { kind: 'MOVIE', title: 'Film 2', year: 2002, externalIds: { tmdb: '1002' } }, watchedAt: '2024-05-01T08:00:00Z', source: 'LETTERBOXD' } }, { token: person.token });
    await connect(server, person.token, { kind: 'JELLYFIN', url: fake.url, apiKey: fake.apiKey });
    const [synced] = await syncAndWait(server, person.token);
    expect(synced!.progress).toMatchObject({ phase: 'done', playsRecorded: 2 });
    const events = await history(person.token);
    expect(events.map((e) => [e.watchedAt, e.source, e.media.title])).toEqual([
      ['2024-03-03T20:00:00.123Z', 'JELLYFIN', 'Diversity Day'],
      ['2024-05-01T08:00:00.000Z', 'LETTERBOXD', 'Film 2'],
      ['2024-05-01T20:00:00.000Z', 'JELLYFIN', 'Film 1'],
    ]);
    const [episodeEvent, , filmEvent] = events;
    expect(episodeEvent!.media).toMatchObject({ kind: 'EPISODE', seasonNumber: 1, episodeNumber: 2, show: { title: 'The Office' }, externalIds: { jellyfin: episode.id } });
    expect(filmEvent!.media).toMatchObject({ kind: 'MOVIE', year: 2001, externalIds: { tmdb: '1001', jellyfin: film(1).id } });
    // the same plays again: nothing new, and nothing even matched again
    const considered = async () => (await server.app.db.sql.query<{ progress: { playsConsidered: number } }>(`SELECT progress FROM "Run" WHERE kind = 'media-server-sync' AND "userId" = (SELECT id FROM "User" WHERE email = $1) ORDER BY id DESC LIMIT 1`, [person.email]))[0]!.progress.playsConsidered;
    expect(await considered()).toBe(4);
    await syncAndWait(server, person.token);
    expect(await history(person.token)).toHaveLength(3);
    expect(await considered()).toBe(0);
    // a later viewing is a rewatch of the same item
    fake.play(ALICE, film(1).id, '2024-06-10T19:00:00Z', 2);
    await syncAndWait(server, person.token);
    const after = await history(person.token);
    expect(after).toHaveLength(4);
    expect(await considered()).toBe(1);
    expect(after[3]).toMatchObject({ watchedAt: '2024-06-10T19:00:00.000Z', rewatch: true, media: { id: filmEvent!.media.id } });
    await fake.stop();
  });

  it("takes only the chosen users' plays when the connection names them", async () => {
    const fake = await jellyfin();
    const person = await server.newPerson();
    await connect(server, person.token, { kind: 'JELLYFIN', url: fake.url, apiKey: fake.apiKey, historyUsers: ['bob'] });
    await syncAndWait(server, person.token);
    expect((await history(person.token)).map((e) => [e.watchedAt, e.media.title])).toEqual([
      ['2024-03-03T20:00:00.123Z', 'Diversity Day'],
      ['2024-05-01T22:00:00.000Z', 'Film 1'],
    ]);
    await fake.stop();
  });
});

describe('the Jellyfin Webhook plugin records plays as they happen', () => {
  const stop = (fields: Record<string, unknown>) => ({
    ServerId: '8f2b6c1d0e4a4b7f9c3d2e1f0a9b8c7d',
    ServerName: 'nas',
    NotificationType: 'PlaybackStop',
    Timestamp: '2024-07-01T23:14:03.1234567+02:00',
    UtcTimestamp: '2024-07-01T21:14:03.1234567Z',
    PlayedToCompletion: true,
    UserId: ALICE,
    NotificationUsername: 'alice',
    DeviceName: 'Firefox',
    ClientName: 'Jellyfin Web',
    ...fields,
  });
  const episodeStop = stop({
    Name: 'Diversity Day',
    // templates render GUIDs dashed
    ItemId: `${episode.id.slice(0, 8)}-${episode.id.slice(8, 12)}-${episode.id.slice(12, 16)}-${episode.id.slice(16, 20)}-${episode.id.slice(20)}`,
    ItemType: 'Episode',
    Year: 2005,
    SeriesName: 'The Office',
    SeriesId: series.id,
    SeasonNumber: 1,
    EpisodeNumber: 2,
    Provider_tvdb: '110413',
  });
  const post = (url: string, body: unknown, headers: Record<string, string> = {}) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'text/plain', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });

  it('accepts a good secret, refuses a bad one, and never doubles a play', async () => {
    const fake = await jellyfin();
    const person = await server.newPerson();
    const other = await server.newPerson();
    const { id, webhookSecret } = await connect(server, person.token, { kind: 'JELLYFIN', url: fake.url, apiKey: fake.apiKey, historyUsers: ['alice'] });
    await syncAndWait(server, person.token);
    const servers = await server.gql(graphql(`query WebhookUrl { mediaServers { webhookUrl } }`), {}, { token: person.token });
    const url = servers.mediaServers[0]!.webhookUrl!;
    const secret = { 'x-klug-secret': webhookSecret! };

    expect((await post(url, episodeStop)).status).toBe(401);
    expect((await post(url, episodeStop, { 'x-klug-secret': 'kjw_wrong' })).status).toBe(401);
    expect((await post(url.replace(/[0-9a-f]{4}$/, '0000'), episodeStop, secret)).status).toBe(401);
    expect((await fetch(url, { headers: secret })).status).toBe(405);
    expect((await post(url, 'Diversity Day was played', secret)).status).toBe(400);

    const before = await history(person.token);
    const recorded = await post(url, episodeStop, secret);
    expect(recorded.status).toBe(200);
    expect(await recorded.json()).toEqual({ recorded: true, reason: null });
    const after = await history(person.token);
    expect(after).toHaveLength(before.length + 1);
    const event = after.find((e) => e.watchedAt === '2024-07-01T21:14:03.123Z')!;
    // the same episode item the sync matched
    expect(event.media.id).toBe(before.find((e) => e.media.title === 'Diversity Day')?.media.id ?? event.media.id);
    expect(event.media).toMatchObject({ kind: 'EPISODE', show: { title: 'The Office' }, externalIds: { jellyfin: episode.id } });

    expect(await (await post(url, { ...episodeStop, UtcTimestamp: '2024-07-01T23:50:00Z' }, secret)).json()).toEqual({ recorded: false, reason: 'already in the history for that day' });
    expect(await (await post(url, { ...episodeStop, PlayedToCompletion: false }, secret)).json()).toMatchObject({ recorded: false });
    expect(await (await post(url, { ...episodeStop, NotificationType: 'PlaybackStart' }, secret)).json()).toMatchObject({ recorded: false });
    expect(await (await post(url, { ...episodeStop, NotificationUsername: 'Bob', UserId: BOB }, secret)).json()).toMatchObject({ recorded: false, reason: expect.stringContaining('history users') });

    // a film the cache has not seen yet: matched by the payload's own ids and name (quotes come escaped)
    const film = stop({ Name: 'Heat \\"Director\'s Cut\\"', ItemId: guid(77), ItemType: 'Movie', Year: 1995, Provider_tmdb: '949', UtcTimestamp: '2024-07-02T20:00:00Z' });
    expect(await (await post(url, film, { authorization: `Bearer ${webhookSecret}` })).json()).toEqual({ recorded: true, reason: null });
    expect((await history(person.token)).at(-1)!.media).toMatchObject({ kind: 'MOVIE', title: 'Heat "Director\'s Cut"', year: 1995, externalIds: { tmdb: '949' } });
    expect(await history(other.token)).toEqual([]);

    // a rotated secret replaces the old one
    const rotated = await server.gql(ROTATE, { id }, { token: person.token });
    if (rotated.rotateWebhookSecret.__typename !== 'RotateWebhookSecretSuccess') throw new Error('rotate failed');
    expect((await post(url, film, secret)).status).toBe(401);
    expect((await post(url, film, { 'x-klug-secret': rotated.rotateWebhookSecret.webhookSecret! })).status).toBe(200);
    expect((await server.gql(ROTATE, { id }, { token: other.token })).rotateWebhookSecret.__typename).toBe('NotFoundError');
    await fake.stop();
  });
});
