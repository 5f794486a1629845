import { randomBytes } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import pg from 'pg';

/** The Node flags `npm start` runs the server with (package.json's config.node_flags): a bench's server runs with them too. */
export const SERVER_NODE_FLAGS = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { config: { node_flags: string } }).config.node_flags.split(' ');

/** What both benchmarks share: the admin connection, a fresh database's name and URL, GraphQL over HTTP. */
export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/test';
export const KEEP = process.env.BENCH_KEEP === '1';
export const EXPLAIN = process.env.BENCH_EXPLAIN === '1';

export async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

export const dbName = `klug_bench_${randomBytes(6).toString('hex')}`;
export const dbUrl = (() => {
  const url = new URL(ADMIN_URL);
  url.pathname = `/${dbName}`;
  return url.toString();
})();

export interface GraphQLResponse<T> {
  data?: T;
  errors?: { message: string; extensions?: unknown }[];
}

export async function gql<T>(url: string, query: string, variables: Record<string, unknown> = {}, token?: string): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-graphql-yoga-csrf': '1',
      ...(token ? { authorization: `Bearer ${token}` } : {}),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as GraphQLResponse<T>;
  if (!response.ok || body.errors?.length || !body.data) {
    throw new Error(`GraphQL request failed (${response.status}): ${JSON.stringify(body.errors ?? body).slice(0, 500)}`);
  }
  return body.data;
}

export const SIGN_UP = /* GraphQL */ `
  mutation BenchSignUp($email: String!, $password: String!, $displayName: String) {
    signUp(email: $email, password: $password, displayName: $displayName) {
      __typename
      ... on AuthSuccess { token user { id } }
      ... on Error { code message }
    }
  }`;

/** Creates the bench database beside the admin URL; answers the server's version. */
export function createBenchDatabase(): Promise<string> {
  return withAdmin(async (client) => {
    const [version] = (await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows;
    await client.query(`CREATE DATABASE ${dbName}`);
    return version!.v;
  });
}

export function dropBenchDatabase(): Promise<unknown> {
  return withAdmin((client) => client.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`)).catch((error: unknown) =>
    console.error(`dropping ${dbName} failed:`, error),
  );
}

/** The server's environment for a bench run: the bench database, production mode, quiet unless asked. */
export function benchEnv(extra: Record<string, string> = {}): Record<string, string> {
  return {
    DATABASE_URL: dbUrl,
    KLUG_SECRET_KEY: 'bench-secret-key-of-at-least-32-characters',
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
    NODE_ENV: 'production',
    ...extra,
  };
}

/** A full collection before a memory baseline is read (a no-op when V8 refuses to expose gc). */
export const fullGc: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return () => undefined;
  }
})();

/** One line of `npm run bench`'s table: a measure, Klug's figure, its peer's, and the target. */
export interface BenchResult {
  bench: string;
  measure: string;
  klug: number;
  peer?: number | null;
  unit: string;
  /** what is compared with the target: 'ratio' (klug ÷ peer, or peer ÷ klug for times) or 'klug' itself */
  ratio?: number | null;
  target: string;
  /** null: a figure for scale, with no target */
  met: boolean | null;
}

/** Appends a result as a JSON line to the file named by BENCH_RESULTS (bench/all.ts reads it); else does nothing. */
export function recordResult(result: BenchResult): void {
  const file = process.env.BENCH_RESULTS;
  if (file) appendFileSync(file, `${JSON.stringify(result)}\n`);
}

/** The load average as a bench prints it beside its figures. */
export function loadLine(): string {
  const [one, five] = loadavg();
  return `load average ${one!.toFixed(2)} (5 min ${five!.toFixed(2)}) on ${availableParallelism()} cores`;
}

/** Bytes as the benches print them. */
export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
/** Milliseconds as seconds, as the benches print them. */
export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
/** The q-quantile of ascending samples. */
export const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
