import { readFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { print } from 'graphql';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { readMigrations } from '../src/db/migrator.js';
import { startApp } from '../src/server/app.js';
import { createLogger } from '../src/logger.js';
import { graphql } from './gql/index.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { spawnScript, type Spawned } from './support/process.js';
import { startTestServer, type TestServer } from './support/server.js';

const SIGN_UP = graphql(`
  mutation LifecycleSignUp($email: String!) {
    signUp(email: $email, password: "a calm and steady harbour") {
      ... on AuthSuccess {
        token
      }
    }
  }
`);

const INSPECT = graphql(`
  mutation LifecycleInspect($file: Upload!) {
    inspectUpload(file: $file) {
      __typename
      ... on InspectUploadSuccess {
        bytes
      }
    }
  }
`);

const SECRET = 'lifecycle-secret-key-of-at-least-32-characters';
const spawned: Spawned[] = [];
const databases: TestDatabase[] = [];
afterEach(async () => {
  for (const process of spawned.splice(0)) process.child.kill('SIGKILL');
  await Promise.all(databases.splice(0).map((db) => db.drop()));
});

async function database() {
  const db = await createTestDatabase();
  databases.push(db);
  return db;
}

function startServerProcess(env: Record<string, string>) {
  const server = spawnScript('src/main.ts', { PORT: '0', HOST: '127.0.0.1', KLUG_SECRET_KEY: SECRET, ...env });
  spawned.push(server);
  return server;
}

async function serverUrl(server: Spawned) {
  const line = await server.waitFor(/Klug is serving GraphQL/);
  return (JSON.parse(line) as { url: string }).url;
}

describe('health and readiness', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('answers /health and /ready as JSON', async () => {
    const origin = new URL(server.url).origin;
    const health = await fetch(`${origin}/health`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${origin}/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
  });

  it('reports not ready when a migration is missing', async () => {
    await server.app.db.sql.exec(`DELETE FROM "_prisma_migrations"`);
    const ready = await fetch(`${new URL(server.url).origin}/ready`);
    expect(ready.status).toBe(503);
    expect(((await ready.json()) as { reason: string }).reason).toMatch(/migrations pending/);
  });
});

describe('start-up', () => {
  it('runs Node with the same flags in the container as npm start', () => {
    const { config, scripts } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
    const cmd = /^CMD (\[.*\])$/m.exec(readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8'))?.[1];
    expect(config.node_flags).toContain('--heap-growing-percent=');
    expect(scripts.start).toBe('tsx $npm_package_config_node_flags src/main.ts');
    expect(JSON.parse(cmd!)).toEqual(['npx', 'tsx', ...config.node_flags.split(' '), 'src/main.ts']);
  });

  it('exits 1 naming every invalid setting', async () => {
    const server = startServerProcess({ PORT: 'abc', KLUG_AUTH_MODE: 'sometimes' });
    const { code, output } = await server.exited;
    expect(code).toBe(1);
    expect(output).toMatch(/PORT/);
    expect(output).toMatch(/KLUG_AUTH_MODE/);
  });

  it('exits 1 with one clear line when the database accepts the connection but never answers', async () => {
    const sockets: Socket[] = [];
    const silent = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = silent.address() as AddressInfo;
      const server = startServerProcess({
        DATABASE_URL: `postgresql://klug:hunter2-secret@127.0.0.1:${port}/klug?password=hunter2-secret`,
        KLUG_DB_CONNECT_TIMEOUT_MS: '300',
      });
      const { code, output } = await server.exited;
      expect(sockets.length).toBeGreaterThan(0);
      expect(code).toBe(1);
      expect(output).toMatch(
        `start-up failed: cannot reach PostgreSQL at postgresql://klug@127.0.0.1:${port}/klug: no answer within 300 ms (KLUG_DB_CONNECT_TIMEOUT_MS)`,
      );
      expect(output).not.toContain('hunter2');
      expect(output).not.toMatch(/\bat .+:\d+:\d+/); // no stack frames
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it('refuses a second server on the same embedded data directory', async () => {
    const db = await database();
    if (db.env.DATABASE_URL) return; // only embedded PGlite is single-process
    const first = startServerProcess(db.env);
    await serverUrl(first);
    const config = loadConfig({ ...db.env, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    await expect(startApp(config, createLogger('silent'))).rejects.toThrow(/in use by another Klug process/);
  });

  it('brings up two servers started together on one empty PostgreSQL, migrating once', async () => {
    const db = await database();
    if (!db.env.DATABASE_URL) return; // PostgreSQL only: PGlite serves one process
    const config = loadConfig({ ...db.env, KLUG_SECRET_KEY: SECRET, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'silent' });
    const apps = await Promise.all([startApp(config), startApp(config)]);
    try {
      for (const app of apps) expect((await fetch(app.url.replace('/graphql', '/ready'))).status).toBe(200);
      const rows = await apps[0]!.db.sql.query<{ migration_name: string }>('SELECT migration_name FROM "_prisma_migrations"');
      expect(rows.map((r) => r.migration_name).sort()).toEqual((await readMigrations()).map((m) => m.name));
    } finally {
      await Promise.all(apps.map((app) => app.stop()));
    }
  });

  it('applies migrations from the command line, then finds nothing to do', async () => {
    const db = await database();
    const env = { ...db.env, KLUG_SECRET_KEY: SECRET };
    const first = spawnScript('src/cli/migrate.ts', env);
    expect(await first.exited).toMatchObject({ code: 0, output: expect.stringMatching(/Applied: \d+_platform/) });
    const second = spawnScript('src/cli/migrate.ts', env);
    expect(await second.exited).toMatchObject({ code: 0, output: expect.stringMatching(/up to date/) });
  });
});

describe('SIGTERM', () => {
  it('finishes the request in flight, then exits 0', async () => {
    const db = await database();
    const server = startServerProcess({ ...db.env, LOG_LEVEL: 'debug' });
    const url = await serverUrl(server);
    const signUp = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: print(SIGN_UP), variables: { email: 'drain@example.com' } }),
    });
    const token = ((await signUp.json()) as { data: { signUp: { token: string } } }).data.signUp.token;

    // an upload whose file is still arriving keeps its request in flight for as long as we like
    const boundary = 'klugboundary';
    const head =
      `--${boundary}\r\nContent-Disposition: form-data; name="operations"\r\n\r\n` +
      `${JSON.stringify({ query: print(INSPECT), variables: { file: null } })}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="0"; filename="slow.csv"\r\nContent-Type: text/csv\r\n\r\n` +
      'title,year\n';
    const tail = `Heat,1995\r\n--${boundary}--\r\n`;
    const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest(url, {
        method: 'POST',
        headers: {
          'content-type': `multipart/form-data; boundary=${boundary}`,
          authorization: `Bearer ${token}`,
          'x-graphql-yoga-csrf': '1',
          'x-request-id': 'drain-test',
        },
      });
      req.on('response', (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.write(head);
      void server.waitFor(/draining and shutting down/).then(() => req.end(tail));
    });
    await server.waitFor(/"reqId":"drain-test".*Processing GraphQL Parameters/);
    server.child.kill('SIGTERM');

    const answered = await response;
    expect(answered.status).toBe(200);
    expect(JSON.parse(answered.body)).toEqual({
      data: { inspectUpload: { __typename: 'InspectUploadSuccess', bytes: Buffer.byteLength('title,year\nHeat,1995') } },
    });
    const { code, output } = await server.exited;
    expect(code).toBe(0);
    expect(output).toMatch(/"msg":"stopped"/);
  });
});
