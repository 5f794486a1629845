import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
    expect(result.stderr).toMatch(/COMPLETED/);
    const events = await server.gql(COUNT, {}, { token: person.token });
    expect(events.watchEvents.edges).toHaveLength(8);

    const again = await klug(['import', '--source', 'letterboxd', '--file', file, '--url', server.url, '--dry-run', '--token', token]);
    expect(again.stdout).toMatch(/^COMPLETED: 0 inserted, 8 duplicates/m);
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
});
