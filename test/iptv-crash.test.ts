import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { createTestDatabase } from './support/database.js';
import { generateCatalog, FakeXtream } from './support/fake-xtream.js';
import { startServerProcess, type Spawned } from './support/process.js';
import { subscribe } from './support/subscriptions.js';

// A real server process killed (kill -9) in the middle of a playlist sync, then started again on the same
// database: the sync is taken over from the last finished section and ends; the playlist is not left SYNCING.

const SIGN_UP = graphql(`
  mutation IptvCrashSignUp($email: String!) {
    signUp(email: $email, password: "a calm and steady harbour") {
      ... on AuthSuccess {
        token
      }
    }
  }
`);

const ADD = graphql(`
  mutation IptvCrashAdd($input: AddPlaylistInput!) {
    addPlaylist(input: $input) {
      __typename
      ... on AddPlaylistSuccess {
        playlist {
          id
        }
      }
    }
  }
`);

const PROGRESS = graphql(`
  subscription IptvCrashProgress($id: ID!) {
    playlistSyncProgress(id: $id) {
      syncStatus
      liveCount
      vodCount
      seriesCount
      lastError
      progress {
        phase
      }
    }
  }
`);

const spawned: Spawned[] = [];
const clients: Client[] = [];
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  for (const p of spawned.splice(0)) p.child.kill('SIGKILL');
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe('a playlist sync interrupted by its server process', { timeout: 240_000 }, () => {
  it('kill -9 mid-VOD: a restart finishes the sync from the last finished section', async () => {
    const database = await createTestDatabase();
    const xtream = await new FakeXtream().start();
    xtream.catalog = generateCatalog({ live: 40, vod: 60, series: 20 });
    cleanups.push(async () => {
      await xtream.stop();
      await database.drop();
    });
    const env = { KLUG_SECRET_KEY: 'iptv-crash-secret-key-of-at-least-32-characters', KLUG_RUN_LEASE_SECONDS: '2', ...database.env };
    const gate = xtream.gate(/action=get_vod_streams/);

    const first = await startServerProcess(env, { spawned, clients });
    const { signUp } = await first.gql<{ signUp: { token: string } }>(print(SIGN_UP), { email: `iptv-crash-${Date.now()}@example.com` });
    const { username, password } = xtream.account;
    const { addPlaylist } = await first.gql<{ addPlaylist: { __typename: string; playlist: { id: string } } }>(
      print(ADD),
      { input: { name: 'Crash', serverUrl: xtream.url, username, password } },
      signUp.token,
    );
    expect(addPlaylist.__typename).toBe('AddPlaylistSuccess');
    const id = addPlaylist.playlist.id;
    await gate.arrived;
    first.server.child.kill('SIGKILL');
    await first.server.exited;
    gate.release();
    const liveRequests = xtream.seen(/action=get_live_streams/).length;
    // the second process's VOD request waits too, so the test sees the sync taken over before it ends
    const again = xtream.gate(/action=get_vod_streams/);

    const second = await startServerProcess(env, { spawned, clients });
    const client = second.ws(signUp.token);
    clients.push(client);
    const states: { syncStatus: string; vodCount: number; liveCount: number; seriesCount: number; lastError?: string | null }[] = [];
    for await (const event of subscribe(client, PROGRESS, { id })) {
      const playlist = event.data!.playlistSyncProgress;
      states.push(playlist);
      if (states.length === 1) void again.arrived.then(() => again.release());
      if (playlist.syncStatus !== 'SYNCING') break;
    }
    expect(states[0]!.syncStatus).toBe('SYNCING');
    expect(states.at(-1)).toMatchObject({ syncStatus: 'IDLE', liveCount: 40, vodCount: 60, seriesCount: 20, lastError: null });
    // categories and live had finished before the crash: the second process did not read them again
    expect(xtream.seen(/action=get_live_streams/).length).toBe(liveRequests);
    expect(xtream.seen(/action=get_vod_streams/).length).toBeGreaterThanOrEqual(2);
  });
});
