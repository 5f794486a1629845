import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { capturedLogs } from './support/logs.js';
import { generateCatalog, type FakeXtream } from './support/fake-xtream.js';
import { ADD_PLAYLIST, PLAYLISTS, startFakeXtream } from './support/iptv.js';
import { rawId } from './support/media-servers.js';
import { createTestDatabase } from './support/database.js';
import { addAndSync } from './support/iptv.js';
import { startTestServer, type TestServer } from './support/server.js';

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

describe('addPlaylist checks the account before saving', () => {
  let server: TestServer;
  let xtream: FakeXtream;
  const logs = capturedLogs();

  beforeAll(async () => {
    xtream = await startFakeXtream();
    xtream.catalog = generateCatalog({ live: 3, vod: 3, series: 2 });
    server = await startTestServer({ log: logs.log, overrides: { iptv: { timeoutMs: 500, retryBaseMs: 5 } } });
  });
  afterAll(async () => {
    await server?.stop();
    await xtream?.stop();
  });

  const add = (token: string, input: Partial<{ serverUrl: string; username: string; password: string }> = {}) =>
    server.gql(ADD_PLAYLIST, { input: { name: 'Provider', serverUrl: xtream.url, username: xtream.account.username, password: xtream.account.password, ...input } }, { token });
  const listed = async (token: string) => (await server.gql(PLAYLISTS, {}, { token })).playlists;

  it('refuses credentials a classic panel answers with {"user_info":{"auth":0}} and saves nothing', async () => {
    const { token } = await server.newPerson();
    xtream.style = 'classic';
    const { addPlaylist } = await add(token, { password: 'wrong' });
    expect(addPlaylist).toMatchObject({ __typename: 'IptvCredentialsRefusedError', code: 'IPTV_CREDENTIALS_REFUSED' });
    expect(await listed(token)).toEqual([]);
  });

  it('refuses credentials a newer panel answers with a 404 page and saves nothing', async () => {
    const { token } = await server.newPerson();
    xtream.style = 'xcvm';
    try {
      const { addPlaylist } = await add(token, { username: 'nobody' });
      expect(addPlaylist).toMatchObject({ __typename: 'IptvCredentialsRefusedError', code: 'IPTV_CREDENTIALS_REFUSED' });
      expect(await listed(token)).toEqual([]);
    } finally {
      xtream.style = 'classic';
    }
  });

  it('refuses an expired account with its date', async () => {
    const { token } = await server.newPerson();
    xtream.account.exp_date = '1550619710';
    xtream.account.status = 'Expired';
    try {
      const { addPlaylist } = await add(token);
      expect(addPlaylist).toMatchObject({ __typename: 'IptvAccountExpiredError', code: 'IPTV_ACCOUNT_EXPIRED', expiresAt: '2019-02-19T23:41:50.000Z' });
      expect(await listed(token)).toEqual([]);
    } finally {
      xtream.account.exp_date = null;
      xtream.account.status = 'Active';
    }
  });

  it('refuses an account still marked Active whose date has passed', async () => {
    const { token } = await server.newPerson();
    xtream.account.exp_date = '1550619710';
    try {
      const { addPlaylist } = await add(token);
      expect(addPlaylist).toMatchObject({ __typename: 'IptvAccountExpiredError', expiresAt: '2019-02-19T23:41:50.000Z' });
    } finally {
      xtream.account.exp_date = null;
    }
  });

  it('answers an unreachable panel with its own error', async () => {
    const { token } = await server.newPerson();
    const { addPlaylist } = await add(token, { serverUrl: `http://127.0.0.1:${await closedPort()}` });
    expect(addPlaylist).toMatchObject({ __typename: 'UpstreamUnreachableError', code: 'UPSTREAM_UNREACHABLE', path: ['input', 'serverUrl'] });
    expect(await listed(token)).toEqual([]);
  });

  it('answers a panel that never answers as unreachable within its timeout', async () => {
    const { token } = await server.newPerson();
    xtream.fail(/^\/player_api\.php\?username=[^&]*&password=[^&]*$/, 2, 'hang');
    const { addPlaylist } = await add(token);
    expect(addPlaylist).toMatchObject({ __typename: 'UpstreamUnreachableError', path: ['input', 'serverUrl'] });
    expect(addPlaylist.__typename === 'UpstreamUnreachableError' && addPlaylist.message).toMatch(/no answer within 0\.5 s/);
  });

  it('saves an Active account with its details, never returning or logging the password', async () => {
    const { token } = await server.newPerson();
    xtream.account.exp_date = String(Math.floor(Date.UTC(2030, 0, 1) / 1000));
    const { addPlaylist } = await add(token, { serverUrl: `${xtream.url.toUpperCase().replace('HTTP://', 'http://')}/player_api.php` });
    xtream.account.exp_date = null;
    expect(addPlaylist).toMatchObject({
      __typename: 'AddPlaylistSuccess',
      playlist: { name: 'Provider', serverUrl: xtream.url, accountStatus: 'Active', maxConnections: 2, expiresAt: '2030-01-01T00:00:00.000Z' },
    });
    await server.app.runs.idle();
    const [saved] = await listed(token);
    expect(saved).toMatchObject({ syncStatus: 'IDLE', liveCount: 3, vodCount: 3, seriesCount: 2 });
    const stored = await server.app.db.prisma.playlist.findFirstOrThrow({ where: { id: rawId(saved!.id) } });
    expect(stored.password).not.toContain(xtream.account.password);
    expect(stored.password).toMatch(/^v1:/);
    expect(JSON.stringify(await listed(token))).not.toContain(xtream.account.password);
    // the budget of the provider's host for downloads is its max_connections
    expect(server.app.services.hostBudget.limitOf('127.0.0.1')).toBe(2);
  });

  it('logs no password or username, whatever happened', () => {
    expect(logs.lines.length).toBeGreaterThan(0);
    for (const line of logs.lines) {
      expect(line).not.toContain(xtream.account.password);
      expect(line).not.toContain('wrong');
    }
  });
});

describe('download budgets after a restart', () => {
  it("gives the provider's host its max_connections again at start-up", async () => {
    const database = await createTestDatabase();
    const xtream = await startFakeXtream();
    xtream.account.max_connections = '3';
    try {
      const first = await startTestServer({ database });
      const { token } = await first.newPerson();
      await addAndSync(first, token, xtream);
      expect(first.app.services.hostBudget.limitOf('127.0.0.1')).toBe(3);
      await first.stop();
      const second = await startTestServer({ database });
      try {
        expect(second.app.services.hostBudget.limitOf('127.0.0.1')).toBe(3);
      } finally {
        await second.stop();
      }
    } finally {
      await xtream.stop();
      await database.drop();
    }
  });
});
