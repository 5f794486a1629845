import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { print } from 'graphql';
import type { Client } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { ENQUEUE, expectResumed, follow, TERMINAL, type DownloadView } from './support/downloads.js';
import { FakeFileServer, sha256 } from './support/fake-file-server.js';
import { startServerProcess, type Spawned } from './support/process.js';

// A real server process killed (kill -9) or stopped (SIGTERM) in the middle of a download, then started
// again on the same database and data directory: the download resumes where it was and ends byte-identical.
const MiB = 1024 * 1024;
const SIZE = 24 * MiB;
/** the file server counts the probe's one byte as sent */
const PROBE = 1;

const SIGN_UP = graphql(`
  mutation DownloadCrashSignUp($email: String!) {
    signUp(email: $email, password: "a calm and steady harbour") {
      ... on AuthSuccess {
        token
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

function start(database: TestDatabase) {
  return startServerProcess(
    {
      KLUG_SECRET_KEY: 'download-crash-secret-key-of-at-least-32-chars',
      KLUG_RUN_LEASE_SECONDS: '2',
      KLUG_DOWNLOAD_ALLOW_PRIVATE: 'true',
      KLUG_DOWNLOAD_CHUNKS: '8',
      ...database.env,
    },
    { spawned, clients },
  );
}

/** A download under way in a first server process, its file server holding after `heldAt` bytes; answers once they are on disk and checkpointed. */
async function downloadUnderWay(heldAt: number) {
  const database = await createTestDatabase();
  const fake = await FakeFileServer.start({ size: SIZE, seed: 31 });
  cleanups.push(async () => {
    await fake.close();
    await database.drop();
  });
  const hold = fake.hold(heldAt);
  const first = await start(database);
  const { signUp } = await first.gql<{ signUp: { token: string } }>(print(SIGN_UP), { email: `crash-${Date.now()}@example.com` });
  const { enqueueDownload } = await first.gql<{ enqueueDownload: { download: DownloadView } }>(print(ENQUEUE), { input: { url: fake.url('/crash.bin') } }, signUp.token);
  const id = enqueueDownload.download.id;
  await hold.reached;
  // every byte sent is written; three reports later (about a second apart) one of them was a checkpoint
  let after = -1;
  const seen = await follow(first.ws(signUp.token), id, (d) => (after >= 0 ? ++after >= 3 : d.bytesDone === heldAt - PROBE && (after = 0) > 0));
  expect(seen.at(-1)).toMatchObject({ status: 'DOWNLOADING', bytesDone: heldAt - PROBE });
  return { database, fake, hold, first, token: signUp.token, id, dir: join(database.env.KLUG_DATA_DIR!, 'downloads') };
}

describe('a download interrupted by its server process', { timeout: 240_000 }, () => {
  it('kill -9: a restart resumes from the checkpoint, DOWNLOADING again, and ends with the same sha256', async () => {
    const heldAt = 10 * MiB + PROBE;
    const { database, fake, hold, first, token, id, dir } = await downloadUnderWay(heldAt);
    first.server.child.kill('SIGKILL');
    await first.server.exited;
    const before = fake.requests.length;
    hold.release();

    const second = await start(database);
    const states = await follow(second.ws(token), id, (d) => TERMINAL.includes(d.status));
    expect(states.map((s) => s.status)).not.toContain('FAILED');
    expect(states.some((s) => s.status === 'DOWNLOADING')).toBe(true);
    const end = states.at(-1)!;
    expect(end).toMatchObject({ status: 'COMPLETED', bytesDone: SIZE, errorMessage: null });
    expect(sha256(readFileSync(join(dir, end.path!)))).toBe(fake.sha256);
    expect(states[0]!.bytesDone).toBe(heldAt - PROBE);
    expectResumed(fake.requests.slice(before), states[0]!.chunks, SIZE);
  });

  it('SIGTERM: a graceful stop keeps the exact bytes written, and the next start goes on from them', async () => {
    const heldAt = 7 * MiB + 12_345 + PROBE;
    const { database, fake, hold, first, token, id, dir } = await downloadUnderWay(heldAt);
    first.server.child.kill('SIGTERM');
    expect((await first.server.exited).code).toBe(0);
    const before = fake.requests.length;
    hold.release();

    const second = await start(database);
    const states = await follow(second.ws(token), id, (d) => TERMINAL.includes(d.status));
    expect(states.map((s) => s.status)).not.toContain('FAILED');
    const end = states.at(-1)!;
    expect(end.status).toBe('COMPLETED');
    expect(sha256(readFileSync(join(dir, end.path!)))).toBe(fake.sha256);
    expect(states[0]!.bytesDone).toBe(heldAt - PROBE);
    expectResumed(fake.requests.slice(before), states[0]!.chunks, SIZE);
  });
});

