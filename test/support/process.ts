import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface Spawned {
  child: ChildProcess;
  /** resolves with the first output line (stdout or stderr) matching `pattern`, including lines already seen */
  waitFor(pattern: RegExp): Promise<string>;
  exited: Promise<{ code: number | null; output: string }>;
}

/** Runs a TypeScript entry point of ours as its own process, as `npm start` would. */
export function spawnScript(script: string, env: Record<string, string>, nodeFlags: string[] = []): Spawned {
  const child = spawn(process.execPath, [...nodeFlags, '--import', 'tsx', script], {
    cwd: ROOT,
    env: { ...process.env, NODE_ENV: 'test', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
  const onLine = (line: string) => {
    lines.push(line);
    for (const waiter of [...waiters]) {
      if (waiter.pattern.test(line)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(line);
      }
    }
  };
  createInterface({ input: child.stdout! }).on('line', onLine);
  createInterface({ input: child.stderr! }).on('line', onLine);
  const exited = new Promise<{ code: number | null; output: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, output: lines.join('\n') })),
  );
  return {
    child,
    exited,
    waitFor: (pattern) => {
      const seen = lines.find((line) => pattern.test(line));
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        waiters.push({ pattern, resolve });
        void exited.then(({ code, output }) =>
          reject(new Error(`process exited (${code}) before printing ${pattern}:\n${output}`)),
        );
      });
    },
  };
}

export interface ServerProcess {
  server: Spawned;
  url: string;
  /** the data of a GraphQL request over HTTP */
  gql<T>(query: string, variables: Record<string, unknown>, token?: string): Promise<T>;
  /** a graphql-ws client, disposed by whoever keeps `clients` */
  ws(token: string): Client;
}

/** Klug as `npm start` runs it (src/main.ts), in its own process; answers once it serves. */
export async function startServerProcess(env: Record<string, string>, keep: { spawned: Spawned[]; clients: Client[] }): Promise<ServerProcess> {
  const server = spawnScript('src/main.ts', { PORT: '0', HOST: '127.0.0.1', ...env });
  keep.spawned.push(server);
  const line = await server.waitFor(/Klug is serving GraphQL/);
  const url = (JSON.parse(line) as { url: string }).url;
  return {
    server,
    url,
    gql: async <T,>(query: string, variables: Record<string, unknown>, token?: string): Promise<T> => {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: JSON.stringify({ query, variables }),
      });
      return ((await response.json()) as { data: T }).data;
    },
    ws: (token) => {
      const client = createClient({ url: url.replace(/^http/, 'ws'), webSocketImpl: WebSocket, retryAttempts: 0, connectionParams: { authorization: `Bearer ${token}` } });
      keep.clients.push(client);
      return client;
    },
  };
}
