/**
 * Repeats bench/library.ts's requests against a database it kept (BENCH_KEEP=1), without seeding again: for
 * profiling and for comparing a change quickly.
 *
 *   BENCH_KEEP=1 npm run bench:library                      # once; prints the kept database's URL
 *   BENCH_PROFILE_URL=postgresql://…/klug_bench_… npx tsx bench/library-profile.ts [runs] [first,deep,stats]
 *   BENCH_PROFILE_URL=… node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/library-profile.ts 1000 first
 *
 * Prints, for each request, the median and p10 over `runs` (default 300, after 10 warm-ups) and the CPU time
 * the main thread spent per request (from /proc, so other processes' load does not count; Linux only), with
 * the load average. The client runs in the same process, as in bench/library.ts.
 *
 * BENCH_PROFILE_AGAINST=/path/to/another/checkout (its dependencies installed, its Prisma client generated)
 * also starts that checkout's server on the same database in this process, checks that both answer each
 * request alike, and alternates their requests, so that the machine's load weighs on both: the ratio of the
 * medians is what to read on a busy machine (main-thread CPU is then shared by both and not printed).
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { loadLine } from './support.js';
import { PAGE, STATS } from './library-documents.js';

process.env.NODE_ENV = 'production';
const { startApp } = await import('../src/server/app.js');
const { loadConfig } = await import('../src/config.js');

const url = process.env.BENCH_PROFILE_URL;
if (!url) throw new Error('BENCH_PROFILE_URL: the URL of a database bench/library.ts kept (BENCH_KEEP=1)');
const RUNS = Number(process.argv[2] ?? 300);
const WHICH = (process.argv[3] ?? 'first,deep,stats').split(',');
const PERSON = 'person01@bench.klug.test';

const env = {
  DATABASE_URL: url,
  KLUG_SECRET_KEY: 'bench-secret-key-of-at-least-32-characters',
  PORT: '0',
  HOST: '127.0.0.1',
  LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
  NODE_ENV: 'production',
};
const app = await startApp(loadConfig(env));
const againstDir = process.env.BENCH_PROFILE_AGAINST;
type Server = { url: string; stop(): Promise<void> };
const against: Server | null = againstDir
  ? await (async () => {
      const other = (await import(`${againstDir}/src/server/app.ts`)) as { startApp(config: unknown): Promise<Server> };
      const otherConfig = (await import(`${againstDir}/src/config.ts`)) as { loadConfig(env: Record<string, string>): unknown };
      return other.startApp(otherConfig.loadConfig(env));
    })()
  : null;

async function gql<T>(query: string, variables: Record<string, unknown>, token?: string, at = app.url): Promise<T> {
  const response = await fetch(at, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-graphql-yoga-csrf': '1', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await response.json()) as { data?: T; errors?: unknown };
  if (body.errors || !body.data) throw new Error(`GraphQL request failed: ${JSON.stringify(body).slice(0, 500)}`);
  return body.data;
}

/** CPU time of this process's main thread so far, in ms (utime + stime, in ticks of 10 ms). */
const mainThreadCpuMs = () => {
  const fields = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
};

try {
  /** A session and the cursor 5,000 events deep, on one server. */
  const prepare = async (at: string) => {
    const { logIn } = await gql<{ logIn: { token: string } }>(
      `mutation ($email: String!, $password: String!) { logIn(email: $email, password: $password) { ... on AuthSuccess { token } } }`,
      { email: PERSON, password: 'a long bench passphrase 1' },
      undefined,
      at,
    );
    let after: string | null = null;
    for (let depth = 0; depth < 5_000; depth += 100) {
      const page: { watchEvents: { pageInfo: { endCursor: string } } } = await gql(PAGE, { first: 100, after }, logIn.token, at);
      after = page.watchEvents.pageInfo.endCursor;
    }
    return { at, token: logIn.token, after };
  };
  const servers = [await prepare(app.url), ...(against ? [await prepare(against.url)] : [])];
  const [range] = await app.db.sql.query<{ newest: Date }>(
    `SELECT max(w."watchedAt") AS newest FROM "WatchEvent" w JOIN "User" u ON u.id = w."userId" WHERE u.email = $1`,
    [PERSON],
  );
  const to = new Date(range!.newest);
  const from = new Date(to);
  from.setUTCFullYear(to.getUTCFullYear() - 1);

  const request = (name: string, { at, token, after }: (typeof servers)[number]) => {
    if (name === 'first') return gql(PAGE, { first: 50 }, token, at);
    if (name === 'deep') return gql(PAGE, { first: 50, after }, token, at);
    if (name === 'stats') return gql(STATS, { from: from.toISOString(), to: to.toISOString() }, token, at);
    throw new Error(`unknown request ${name}: first, deep or stats`);
  };
  console.log(loadLine());
  for (const name of WHICH) {
    if (servers.length > 1) {
      // both sign cursors with the same key, so equal answers are equal text
      const [mine, theirs] = await Promise.all(servers.map(async (server) => JSON.stringify(await request(name, server))));
      if (mine !== theirs) console.log(`${name}: THE ANSWERS DIFFER\n  this checkout: ${mine!.slice(0, 300)}\n  the other:     ${theirs!.slice(0, 300)}`);
    }
    for (let i = 0; i < 10; i++) for (const server of servers) await request(name, server);
    const samples: number[][] = servers.map(() => []);
    const cpuBefore = mainThreadCpuMs();
    for (let i = 0; i < RUNS; i++) {
      // alternate which goes first, so neither always runs right after the other's garbage
      for (const s of i % 2 ? [...servers.keys()].reverse() : servers.keys()) {
        const t = performance.now();
        await request(name, servers[s]!);
        samples[s]!.push(performance.now() - t);
      }
    }
    const cpu = (mainThreadCpuMs() - cpuBefore) / RUNS;
    const median = (x: number[]) => x.sort((a, b) => a - b)[Math.floor((x.length - 1) / 2)]!;
    const p10 = (x: number[]) => x.sort((a, b) => a - b)[Math.floor((x.length - 1) / 10)]!;
    const [mine, theirs] = samples;
    if (!theirs) {
      console.log(`${name}: median ${median(mine!).toFixed(2)} ms, p10 ${p10(mine!).toFixed(2)} ms, main thread CPU ${cpu.toFixed(2)} ms per request`);
    } else {
      console.log(
        `${name}: this checkout median ${median(mine!).toFixed(2)} ms (p10 ${p10(mine!).toFixed(2)}), the other ${median(theirs).toFixed(2)} ms ` +
          `(p10 ${p10(theirs).toFixed(2)}); this ÷ other ${(median(mine!) / median(theirs)).toFixed(2)}`,
      );
    }
  }
  console.log(loadLine());
} finally {
  await app.stop();
  await against?.stop();
}
