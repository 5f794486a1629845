import { readFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { graphql } from './gql/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { startImport } from './support/imports.js';
import { spawnScript, type Spawned } from './support/process.js';
import type { TestServer } from './support/server.js';
import { subscribe } from './support/subscriptions.js';

// Two real server processes on one PostgreSQL and the local Redis. Needs TEST_DATABASE_URL and Redis on
// 127.0.0.1:6379 (REDIS_URL to point elsewhere); skipped, saying so, without them.
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const redisUp = await new Promise<boolean>((resolve) => {
  const { hostname, port } = new URL(REDIS_URL);
  const socket = createConnection({ host: hostname, port: Number(port || 6379) });
  socket.once('connect', () => (socket.end(), resolve(true)));
  socket.once('error', () => resolve(false));
});
const ready = Boolean(process.env.TEST_DATABASE_URL) && redisUp;
if (!ready) console.warn(`replicas.test.ts skipped: needs TEST_DATABASE_URL (set: ${Boolean(process.env.TEST_DATABASE_URL)}) and Redis at ${REDIS_URL} (up: ${redisUp})`);

const SIGN_UP = graphql(`
  mutation ReplicaSignUp($email: String!) {
    signUp(email: $email, password: "a calm and steady harbour") {
      ... on AuthSuccess {
        token
      }
    }
  }
`);
const WHO_AM_I = graphql(`
  query ReplicaWhoAmI {
    me {
      email
    }
  }
`);

const LOG_OUT_HERE = graphql(`
  mutation ReplicaLogOut {
    logOut
  }
`);

const PROGRESS = graphql(`
  subscription ReplicaProgress($batchId: ID!) {
    importProgress(batchId: $batchId) {
      status
      insertedCount
    }
  }
`);
const RUN_JOB = graphql(`
  mutation ReplicaRunJob {
    runJob(name: "purge-expired") {
      __typename
      ... on RunJobSuccess {
        run {
          id
        }
      }
      ... on Error {
        code
      }
    }
  }
`);
const JOB_RUNS = graphql(`
  query ReplicaJobRuns {
    jobRuns(name: "purge-expired", first: 50) {
      edges {
        node {
          id
          status
          trigger
        }
      }
    }
  }
`);

interface Replica {
  process: Spawned;
  url: string;
  node: string;
  gql<T>(document: Parameters<typeof print>[0], variables?: Record<string, unknown>, token?: string): Promise<T>;
  ws(token: string): Client;
}

const clients: Client[] = [];
const spawned: Spawned[] = [];

async function replica(database: TestDatabase, name: string, env: Record<string, string>): Promise<Replica> {
  const dataDir = join(database.env.KLUG_DATA_DIR!, name);
  const child = spawnScript('src/main.ts', {
    PORT: '0',
    HOST: '127.0.0.1',
    KLUG_SECRET_KEY: 'replica-test-secret-key-of-at-least-32-characters',
    DATABASE_URL: database.env.DATABASE_URL!,
    KLUG_DATA_DIR: dataDir,
    REDIS_URL,
    KLUG_RUN_LEASE_SECONDS: '2',
    KLUG_RUN_POLL_SECONDS: '0.5',
    ...env,
  });
  spawned.push(child);
  const url = (JSON.parse(await child.waitFor(/Klug is serving GraphQL/)) as { url: string }).url;
  return {
    process: child,
    url,
    node: readFileSync(join(dataDir, 'node-id'), 'utf8').trim(),
    gql: async (document, variables = {}, token) => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query: print(document), variables }),
      });
      const body = (await response.json()) as { data?: never; errors?: unknown };
      if (!body.data) throw new Error(JSON.stringify(body));
      return body.data;
    },
    ws: (token) => {
      const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
      clients.push(client);
      return client;
    },
  };
}

afterAll(async () => {
  await Promise.all(clients.map((c) => c.dispose()));
  for (const p of spawned) p.child.kill('SIGKILL');
});

describe.runIf(ready)('two replicas, each tick once', { timeout: 240_000 }, () => {
  let database: TestDatabase;
  let a: Replica;
  let b: Replica;
  let token: string;
  beforeAll(async () => {
    database = await createTestDatabase();
    [a, b] = await Promise.all([
      replica(database, 'a', { KLUG_JOB_PURGE_EXPIRED: '* * * * * *' }),
      replica(database, 'b', { KLUG_JOB_PURGE_EXPIRED: '* * * * * *' }),
    ]);
    token = (await a.gql<{ signUp: { token: string } }>(SIGN_UP, { email: `owner-${Date.now()}@example.com` })).signUp.token;
  });
  afterAll(async () => {
    for (const r of [a, b]) r?.process.child.kill('SIGTERM');
    await Promise.all([a, b].map((r) => r?.process.exited));
    await database?.drop();
  });

  it('follows on replica A an import started through replica B, to COMPLETED', async () => {
    const csv = `title,watched_at\n${Array.from({ length: 2000 }, (_, i) => `Film ${i},2020-01-01T${String(i % 24).padStart(2, '0')}:00:${String(i % 60).padStart(2, '0')}Z`).join('\n')}\n`;
    const started = await startImport({ url: b.url } as TestServer, token, [{ name: 'h.csv', content: csv }], { source: 'KLUG_CSV' });
    const seen: { status: string; insertedCount: number }[] = [];
    for await (const result of subscribe(a.ws(token), PROGRESS, { batchId: started.batch!.id })) seen.push(result.data!.importProgress);
    expect(seen.at(-1)).toEqual({ status: 'COMPLETED', insertedCount: 2000 });
  });

  it('a log-out through replica B is refused at once by replica A, which had the token cached', async () => {
    const email = `leaver-${Date.now()}@example.com`;
    const session = (await a.gql<{ signUp: { token: string } }>(SIGN_UP, { email })).signUp.token;
    expect((await a.gql<{ me: { email: string } | null }>(WHO_AM_I, {}, session)).me?.email).toBe(email);
    expect((await b.gql<{ logOut: boolean }>(LOG_OUT_HERE, {}, session)).logOut).toBe(true);
    // the event reaches A through Redis a moment after B answers: ask until A has heard it, never on a clock
    let me: { email: string } | null = { email };
    for (let round = 0; round < 10_000 && me; round++) me = (await a.gql<{ me: { email: string } | null }>(WHO_AM_I, {}, session)).me;
    expect(me).toBeNull();
  });

  it('records one run per tick of a job both replicas schedule every second', async () => {
    let scheduled: { status: string; trigger: string }[] = [];
    for (let round = 0; round < 2000 && scheduled.filter((r) => r.status === 'COMPLETED').length < 3; round++) {
      const data = await a.gql<{ jobRuns: { edges: { node: { status: string; trigger: string } }[] } }>(JOB_RUNS, {}, token);
      scheduled = data.jobRuns.edges.map((e) => e.node).filter((r) => r.trigger === 'SCHEDULE');
    }
    expect(scheduled.filter((r) => r.status === 'COMPLETED').length).toBeGreaterThanOrEqual(3);
    const admin = new pg.Client({ connectionString: database.env.DATABASE_URL });
    await admin.connect();
    try {
      const { rows } = await admin.query(`SELECT "dedupeKey", count(*)::int AS n FROM "Run" WHERE kind = 'job:purge-expired' AND "dedupeKey" IS NOT NULL GROUP BY 1`);
      expect(rows.length).toBeGreaterThanOrEqual(3);
      expect(rows.every((r) => r.n === 1)).toBe(true);
    } finally {
      await admin.end();
    }
  });
});

describe.runIf(ready)('two replicas, one run at a time, and a replica killed while it works', { timeout: 240_000 }, () => {
  it('runJob sent to both at once runs once; kill -9 of the one working hands the run to the other', async () => {
    const database = await createTestDatabase();
    const admin = new pg.Client({ connectionString: database.env.DATABASE_URL });
    try {
      const [a, b] = await Promise.all([replica(database, 'a', { KLUG_JOB_PURGE_EXPIRED: 'off' }), replica(database, 'b', { KLUG_JOB_PURGE_EXPIRED: 'off' })]);
      const token = (await a.gql<{ signUp: { token: string } }>(SIGN_UP, { email: `owner-${Date.now()}@example.com` })).signUp.token;
      await admin.connect();
      // while the test holds the job's lock, a run of it stays RUNNING on whichever replica took it
      const [{ key }] = (await admin.query(`SELECT ('x' || substr(encode(sha256('klug-job:purge-expired'), 'hex'), 1, 8))::bit(32)::bigint >> 1 AS key`)).rows;
      await admin.query('SELECT pg_advisory_lock($1)', [key]);

      type Answer = { runJob: { __typename: string; run?: { id: string }; code?: string } };
      const answers = await Promise.all([a.gql<Answer>(RUN_JOB, {}, token), b.gql<Answer>(RUN_JOB, {}, token)]);
      expect(answers.map((x) => x.runJob.__typename).sort()).toEqual(['AlreadyRunningError', 'RunJobSuccess']);
      expect(answers.find((x) => x.runJob.code)?.runJob.code).toBe('ALREADY_RUNNING');
      const runId = answers.find((x) => x.runJob.run)!.runJob.run!.id;

      let holder: string | null = null;
      for (let round = 0; round < 2000 && !holder; round++) {
        holder = (await admin.query(`SELECT "leaseOwner" FROM "Run" WHERE kind = 'job:purge-expired' AND status = 'RUNNING'`)).rows[0]?.leaseOwner ?? null;
      }
      const [working, other] = holder!.startsWith(`${a.node}/`) ? [a, b] : [b, a];
      working.process.child.kill('SIGKILL');
      await working.process.exited;
      await admin.query('SELECT pg_advisory_unlock($1)', [key]);

      let status = '';
      for (let round = 0; round < 500_000 && status !== 'COMPLETED' && status !== 'FAILED'; round++) {
        status = (await admin.query(`SELECT status FROM "Run" WHERE kind = 'job:purge-expired'`)).rows.map((r) => r.status).join(',');
      }
      const { rows } = await admin.query(`SELECT status, attempts, "leaseOwner" FROM "Run" WHERE kind = 'job:purge-expired'`);
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'COMPLETED', attempts: 2, leaseOwner: null });
      expect(runId).toBeTruthy();
      other.process.child.kill('SIGTERM');
      await other.process.exited;
    } finally {
      await admin.end().catch(() => undefined);
      await database.drop();
    }
  });
});
