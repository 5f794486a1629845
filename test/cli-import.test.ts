import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSchema } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import { graphql } from './gql/index.js';
import { damagedZip, letterboxdZip } from './support/imports.js';
import { ROOT } from './support/process.js';
import { startTestServer, type TestServer } from './support/server.js';

const MAKE_TOKEN = graphql(`
  mutation CliToken($scope: TokenScope!) {
    createApiToken(name: "cli", scope: $scope) {
      ... on CreateApiTokenSuccess {
        token
      }
    }
  }
`);

const COUNT = graphql(`
  query CliCount {
    watchEvents(first: 100) {
      edges {
        node {
          id
        }
      }
    }
  }
`);

let server: TestServer;
let dir: string;
beforeAll(async () => {
  server = await startTestServer();
  dir = await mkdtemp(join(tmpdir(), 'klug-cli-'));
});
afterAll(async () => {
  await server?.stop();
  await rm(dir, { recursive: true, force: true });
});

function klug(args: string[], env: Record<string, string> = {}) {
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, ['bin/klug.mjs', ...args], { cwd: ROOT, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

async function writeToken(scope: 'READ' | 'WRITE') {
  const person = await server.newPerson();
  const data = await server.gql(MAKE_TOKEN, { scope }, { token: person.token });
  if (!('token' in data.createApiToken)) throw new Error('no token');
  return { person, token: data.createApiToken.token };
}

describe('klug import', () => {
  it('imports a Letterboxd export through the running server and prints the final counts', async () => {
    const { person, token } = await writeToken('WRITE');
    const file = join(dir, 'letterboxd-ann.zip');
    await writeFile(file, await letterboxdZip());
    const result = await klug(['import', '--source', 'letterboxd', '--file', file, '--url', server.url], { KLUG_TOKEN: token });
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^COMPLETED: 8 inserted, 0 duplicates, 0 updated, 0 skipped, 0 errors/m);
    expect(result.stdout).not.toMatch(/dry run/i);
    expect(result.stderr).toMatch(/COMPLETED/);
    const events = await server.gql(COUNT, {}, { token: person.token });
    expect(events.watchEvents.edges).toHaveLength(8);
  });

  it('says a dry run was one and wrote nothing', async () => {
    const { person, token } = await writeToken('WRITE');
    const file = join(dir, 'letterboxd-dry.zip');
    await writeFile(file, await letterboxdZip());
    const result = await klug(['import', '--source', 'letterboxd', '--file', file, '--url', server.url, '--dry-run', '--token', token]);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/^DRY RUN COMPLETED: would insert 8, 0 duplicates, would update 0, 0 skipped, 0 errors/m);
    expect(result.stdout).toMatch(/^Nothing was written: this was a dry run/m);
    expect(result.stderr).toMatch(/^dry run: COMPLETED/m);
    const events = await server.gql(COUNT, {}, { token: person.token });
    expect(events.watchEvents.edges).toHaveLength(0);
  });

  it('exits 1 when the import fails', async () => {
    const { token } = await writeToken('WRITE');
    const file = join(dir, 'damaged.zip');
    await writeFile(file, await damagedZip());
    const result = await klug(['import', '--source', 'klug-csv', '--file', file, '--url', server.url, '--token', token]);
    expect(result.code, result.stdout + result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^FAILED/m);
  });

  it('exits 2 with the reason when the server refuses to start the import', async () => {
    const { token } = await writeToken('READ');
    const file = join(dir, 'history.csv');
    await writeFile(file, 'title,watched_at\nHeat,2024-01-01\n');
    const readOnly = await klug(['import', '--source', 'klug-csv', '--file', file, '--url', server.url, '--token', token]);
    expect(readOnly.code).toBe(2);
    expect(readOnly.stderr).toMatch(/only read/);

    const writer = await writeToken('WRITE');
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, 'name,date\nHeat,2024-01-01\n');
    const refused = await klug(['import', '--source', 'klug-csv', '--file', bad, '--url', server.url, '--token', writer.token]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/MISSING_COLUMNS: bad\.csv: missing columns "title", "watched_at"/);

    const noToken = await klug(['import', '--source', 'klug-csv', '--file', file, '--url', server.url], { KLUG_TOKEN: '' });
    expect(noToken.code).toBe(2);
  });

  it('answers a usage error in one line and exits 2', async () => {
    const file = join(dir, 'usage.csv');
    await writeFile(file, 'title,watched_at\nHeat,2024-01-01\n');
    const cases: { args: string[]; says: RegExp }[] = [
      { args: ['import', '--source', 'klug-csv', '--file', file, '--bogus'], says: /^klug: unknown option '--bogus' \(klug --help shows the usage\)$/ },
      { args: ['import', '--source', 'klug-csv', '--file', join(dir, 'missing.csv')], says: /^klug: cannot read .*missing\.csv: no such file$/ },
      { args: ['import', '--source', 'klug-csv', '--file', dir], says: /^klug: cannot read .*: not a file$/ },
      { args: ['import', '--source', 'netflix', '--file', file], says: /^klug: --source must be one of letterboxd, trakt, klug-csv, klug-json/ },
      { args: ['import', '--source', 'klug-csv', '--file', file, '--mode', 'merge'], says: /^klug: --mode must be one of append, upsert, replace/ },
      { args: ['import', '--source'], says: /^klug: option '--source <value>' argument missing/ },
      { args: ['export'], says: /^klug: unknown command "export"/ },
    ];
    for (const { args, says } of cases) {
      const result = await klug(args, { KLUG_TOKEN: 'unused', KLUG_URL: server.url });
      expect({ args, code: result.code, stderr: result.stderr.trimEnd().split('\n') }).toEqual({ args, code: 2, stderr: [expect.stringMatching(says)] });
      expect(result.stdout).toBe('');
    }
  });

  it('never shows a count above the total, whatever the server reports', async () => {
    const file = join(dir, 'estimated.csv');
    await writeFile(file, 'title,watched_at\nHeat,2024-01-01\n');
    const server = await serverReporting([
      { status: 'PROCESSING', totalRows: 3, processedRows: 5 },
      { status: 'PROCESSING', totalRows: 0, processedRows: 8 },
      { status: 'COMPLETED', totalRows: 8, processedRows: 8 },
    ]);
    try {
      const result = await klug(['import', '--source', 'klug-csv', '--file', file, '--url', server.url, '--token', 'any']);
      expect(result.code, result.stderr).toBe(0);
      expect(result.stderr.trimEnd().split('\n')).toEqual(['PROCESSING 5/5 rows', 'PROCESSING 8 rows', 'COMPLETED 8/8 rows']);
    } finally {
      await server.close();
    }
  });
});

/**
 * The real server grows its total as rows outrun the estimate it made from the files; this stand-in
 * reports counts past the total, as an older server or another client's estimate may, to hold the CLI to it.
 */
async function serverReporting(updates: { status: string; totalRows: number; processedRows: number }[]) {
  const batch = (state: { status: string; totalRows: number; processedRows: number }) => ({
    id: 'batch-1',
    dryRun: false,
    insertedCount: state.processedRows,
    duplicateCount: 0,
    updatedCount: 0,
    skippedCount: 0,
    errorCount: 0,
    errorMessage: null,
    errorsCsvUrl: 'http://localhost/imports/batch-1/errors.csv',
    ...state,
  });
  const schema = buildSchema(`
    type Batch { id: ID! status: String! dryRun: Boolean! totalRows: Int! processedRows: Int! insertedCount: Int!
      duplicateCount: Int! updatedCount: Int! skippedCount: Int! errorCount: Int! errorMessage: String errorsCsvUrl: String! }
    type Query { ok: Boolean }
    type Subscription { importProgress(batchId: ID!): Batch! }
  `);
  const http = createServer((req: IncomingMessage, res: ServerResponse) => {
    req.resume().on('end', () => {
      const started = batch({ status: 'QUEUED', totalRows: 3, processedRows: 0 });
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { startImport: { __typename: 'StartImportSuccess', batch: started } } }));
    });
  });
  const sockets = new WebSocketServer({ server: http, path: '/graphql' });
  const roots = {
    subscription: {
      importProgress: async function* () {
        for (const update of updates) yield { importProgress: batch(update) };
      },
    },
  };
  const disposable = useServer({ schema, roots }, sockets);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}/graphql`,
    close: async () => {
      await disposable.dispose();
      await new Promise((resolve) => sockets.close(resolve));
      http.closeAllConnections();
      await new Promise((resolve) => http.close(resolve));
    },
  };
}
