import { rmSync, existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Client } from 'graphql-ws';
import { afterEach, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { BATCH, startImport } from './support/imports.js';
import { startServerProcess, type Spawned } from './support/process.js';
import type { TestServer } from './support/server.js';
import { subscribe } from './support/subscriptions.js';

// kill -9 of a real server process in the middle of an import, then a quick restart on the same data.
const PROGRESS = graphql(`
  subscription CrashProgress($batchId: ID!) {
    importProgress(batchId: $batchId) {
      id
      status
      processedRows
      insertedCount
      errorMessage
    }
  }
`);
const SIGN_UP = graphql(`
  mutation CrashSignUp($email: String!) {
    signUp(email: $email, password: "a calm and steady harbour") {
      ... on AuthSuccess {
        token
      }
    }
  }
`);
const CANCEL = graphql(`
  mutation CrashCancel($id: ID!) {
    cancelImport(id: $id) {
      __typename
      ... on CancelImportSuccess {
        batch {
          status
        }
      }
    }
  }
`);

const ROWS = 40_000;
const history = () => {
  const lines = ['title,watched_at'];
  const start = Date.UTC(2000, 0, 1);
  for (let i = 0; i < ROWS; i++) lines.push(`Film ${i % 2000},${new Date(start + i * 3_600_000).toISOString()}`);
  return `${lines.join('\n')}\n`;
};

const spawned: Spawned[] = [];
const clients: Client[] = [];
const databases: TestDatabase[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.dispose()));
  for (const p of spawned.splice(0)) p.child.kill('SIGKILL');
  await Promise.all(databases.splice(0).map((db) => db.drop()));
});

function start(database: TestDatabase) {
  return startServerProcess(
    { KLUG_SECRET_KEY: 'crash-test-secret-key-of-at-least-32-characters', KLUG_RUN_LEASE_SECONDS: '2', ...database.env },
    { spawned, clients },
  );
}

/** Follows the batch until `until` says so; answers the last state seen. */
async function follow(client: Client, batchId: string, until: (b: { status: string; processedRows: number }) => boolean) {
  let last: { status: string; processedRows: number; insertedCount: number; errorMessage: string | null } | undefined;
  for await (const result of subscribe(client, PROGRESS, { batchId })) {
    const batch = result.data!.importProgress;
    last = batch;
    if (until(batch)) break;
  }
  return last!;
}

async function importRunning(database: TestDatabase) {
  const first = await start(database);
  const { print } = await import('graphql');
  const signUp = await first.gql<{ signUp: { token: string } }>(print(SIGN_UP), { email: `crash-${Date.now()}@example.com` });
  const token = signUp.signUp.token;
  const started = await startImport({ url: first.url } as TestServer, token, [{ name: 'history.csv', content: history() }], { source: 'KLUG_CSV' });
  const batchId = started.batch!.id;
  const seen = await follow(first.ws(token), batchId, (b) => b.status === 'PROCESSING' && b.processedRows > 0);
  expect(seen.status).toBe('PROCESSING');
  first.server.child.kill('SIGKILL');
  await first.server.exited;
  return { token, batchId };
}

describe('kill -9 during an import, then a quick restart', { timeout: 240_000 }, () => {
  it('ends COMPLETED with every row, resumed where it was', async () => {
    const database = await createTestDatabase();
    databases.push(database);
    const { token, batchId } = await importRunning(database);
    const second = await start(database);
    const end = await follow(second.ws(token), batchId, (b) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(b.status));
    expect(end).toMatchObject({ status: 'COMPLETED', processedRows: ROWS, insertedCount: ROWS, errorMessage: null });
    const { print } = await import('graphql');
    const batch = await second.gql<{ node: { status: string; insertedCount: number; duplicateCount: number } }>(print(BATCH), { id: batchId }, token);
    expect(batch.node).toMatchObject({ status: 'COMPLETED', insertedCount: ROWS, duplicateCount: 0 });
  });

  it('cancel after the crash ends CANCELLED, removes what the batch wrote and its staged files', async () => {
    const database = await createTestDatabase();
    databases.push(database);
    const { token, batchId } = await importRunning(database);
    const second = await start(database);
    const { print } = await import('graphql');
    const cancelled = await second.gql<{ cancelImport: { __typename: string } }>(print(CANCEL), { id: batchId }, token);
    expect(cancelled.cancelImport.__typename).toBe('CancelImportSuccess');
    const end = await follow(second.ws(token), batchId, (b) => ['COMPLETED', 'FAILED', 'CANCELLED'].includes(b.status));
    expect(end).toMatchObject({ status: 'CANCELLED', insertedCount: 0 });
    const history = await second.gql<{ watchEvents: { edges: unknown[] } }>('{ watchEvents(first: 1) { edges { node { id } } } }', {}, token);
    expect(history.watchEvents.edges).toEqual([]);
    const staging = join(database.env.KLUG_DATA_DIR!, 'imports');
    expect(existsSync(staging) ? readdirSync(staging) : []).toEqual([]);
    rmSync(staging, { recursive: true, force: true });
  });
});
