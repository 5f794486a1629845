/**
 * Library benchmark: seeds a fresh PostgreSQL database with 20 people, 50,000 media and 1,000,000 watch
 * events (set-based SQL), then times three queries over HTTP against the real server and counts the SQL
 * statements one request issues.
 *
 *   npx tsx bench/library.ts
 *
 * Environment:
 *   BENCH_DATABASE_URL  admin URL of a PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/test);
 *                       a database klug_bench_<random> is created beside it and dropped at the end
 *   BENCH_KEEP=1        keep that database (its URL is printed)
 *   BENCH_LOG_LEVEL    the server's log level (default silent), e.g. error to see why a request failed
 *   BENCH_EXPLAIN=1     also print EXPLAIN (ANALYZE, BUFFERS) of every statement one request of (a), (b)
 *                       and (c) sends, with the parameters it sent them with
 *   BENCH_WARMUPS, BENCH_RUNS  requests before timing (300) and timed (200) for each measure
 */
import { availableParallelism, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import pg from 'pg';
import { benchEnv, createBenchDatabase, dbName, dbUrl, dropBenchDatabase, EXPLAIN, gql, KEEP, recordResult, SIGN_UP } from './support.js';
import { CURSOR_ONLY, PAGE, STATS } from './library-documents.js';

// graphql-js, Yoga and Pothos skip their development-only checks in production; set this before they load
process.env.NODE_ENV = 'production';

const { startApp } = await import('../src/server/app.js');
const { loadConfig } = await import('../src/config.js');
const { decodeId } = await import('../src/schema/ids.js');
type App = Awaited<ReturnType<typeof startApp>>;


const PEOPLE = 20;
const PASSWORD = 'a long bench passphrase 1';
const MEDIA_PER_PERSON = 2_500;
const SHOWS_PER_PERSON = 20;
const SEASONS_PER_SHOW = 3;
const EPISODES_PER_SEASON = 10;
const EPISODES_PER_SHOW = SEASONS_PER_SHOW * EPISODES_PER_SEASON;
const FIRST_EPISODE = SHOWS_PER_PERSON + 1; // media numbers 1..20 are shows, 21..620 episodes, the rest movies
const FIRST_MOVIE = FIRST_EPISODE + SHOWS_PER_PERSON * EPISODES_PER_SHOW;
const MOVIES_PER_PERSON = MEDIA_PER_PERSON - FIRST_MOVIE + 1;
const EVENTS_PER_PERSON = 50_000;
const YEARS = 10;
/** seconds between one person's consecutive watches; each gets a jitter below this, so instants never collide */
const SPACING_S = Math.floor((YEARS * 365.25 * 86_400) / EVENTS_PER_PERSON);

/**
 * a server runs warm: enough requests first for V8 to optimise the request path, then enough for a stable median.
 * 30 were not enough: V8 still optimised ~300 functions in a fresh server's first 100 pages and 60-100 in each 100
 * after, and in one process at one load the page's CPU fell from 10.0 to 8.2 and 7.4 ms over three rounds of 230.
 */
const WARMUPS = Number(process.env.BENCH_WARMUPS ?? 300);
const RUNS = Number(process.env.BENCH_RUNS ?? 200);
const DEPTH = 5_000;
/** issue 13: medians at 1,000,000 events (they were < 20, < 20 and < 100 ms before) */
const TARGETS = { first: 10, deep: 10, stats: 30 };

const started = performance.now();
const log = (line = '') => console.log(line);
const ms = (value: number) => `${value.toFixed(1)} ms`;

// ---------------------------------------------------------------------------------------------------------
// Statement counting. The server's pool hands every statement, Prisma's and raw SQL alike, to
// pg.Client.prototype.query (pg.Pool#query does too, through a pooled client), so wrapping that prototype counts
// them all without touching src. When the server offers its own counter (db.statementCount), that one is used.
// ---------------------------------------------------------------------------------------------------------

interface Sent {
  text: string;
  values: unknown[];
}
let sentCount = 0;
let capture: Sent[] | null = null;
/** PostgreSQL's last error message: the server masks it in GraphQL answers, so a failure is explained here */
let lastSqlError: string | null = null;
const recordError = (error: unknown) => {
  if (error) lastSqlError = (error as Error).message;
};
const originalQuery = pg.Client.prototype.query;
(pg.Client.prototype as { query: (...args: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]) {
  sentCount += 1;
  if (capture) {
    const [config, values] = args as [string | { text: string; values?: unknown[] }, unknown];
    const text = typeof config === 'string' ? config : config.text;
    const params = typeof config === 'string' ? values : (config.values ?? values);
    capture.push({ text, values: Array.isArray(params) ? params : [] });
  }
  const last = args.length - 1;
  const callback = args[last];
  if (typeof callback === 'function') {
    args[last] = (error: unknown, ...rest: unknown[]) => {
      recordError(error);
      return (callback as (...a: unknown[]) => unknown)(error, ...rest);
    };
  }
  const result = (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  if (result instanceof Promise) result.catch(recordError);
  return result;
};

/** The server's own count when it keeps one (Prisma's statements), else the wire count; both are reported. */
function statementCounter(app: App): { source: string; read: () => number } {
  const own = (app.db as unknown as { statementCount?: () => number }).statementCount;
  if (typeof own === 'function') return { source: 'db.statementCount()', read: () => own.call(app.db) };
  return { source: 'statements on the wire (pg.Client#query)', read: () => sentCount };
}

// ---------------------------------------------------------------------------------------------------------
// Database lifecycle
// ---------------------------------------------------------------------------------------------------------


// ---------------------------------------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------------------------------------

interface PageData {
  watchEvents: {
    edges: { cursor: string; node: { id: string; watchedAt: string; media: { show: { id: string } | null } } }[];
    pageInfo: { hasNextPage: boolean; endCursor: string | null };
  };
}
interface StatsData {
  watchStats: { totals: { events: number; hours: number }; series: unknown[]; topGenres: unknown[] };
}

// ---------------------------------------------------------------------------------------------------------
// Seeding
// ---------------------------------------------------------------------------------------------------------

/** A uniform number in [0, 1) from a key and a salt: deterministic, and the same wherever it is referenced. */
const rnd = (key: string, salt: number) => `((hashint8extended((${key})::bigint, ${salt}) & 2147483647)::float8 / 2147483648.0)`;
/** An element of a literal text array picked by a key. */
const pick = (words: string[], key: string, salt: number) =>
  `(ARRAY[${words.map((w) => `'${w.replace(/'/g, "''")}'`).join(',')}])[1 + floor(${rnd(key, salt)} * ${words.length})::int]`;
/** The id of a person's media number `n`: computed, so episodes and watch events can point at it without a join. */
const mediaId = (user: string, n: string) => `md5(${user}::text || ':' || (${n})::text)::uuid`;

const ADJECTIVES = ['Silent', 'Crimson', 'Last', 'Hidden', 'Broken', 'Golden', 'Endless', 'Wild', 'Lost', 'Bright', 'Cold', 'Distant', 'Electric', 'Hollow', 'Iron', 'Midnight', 'Northern', 'Paper', 'Quiet', 'Savage', 'Secret', 'Velvet', 'Wandering', 'Young', 'Bitter', 'Burning', 'Fading', 'Glass', 'Lonely', 'Restless'];
const NOUNS = ['River', 'City', 'Garden', 'Summer', 'Kingdom', 'Harbor', 'Machine', 'Mountain', 'Letter', 'Station', 'Empire', 'Frontier', 'Island', 'Journey', 'Mirror', 'Ocean', 'Promise', 'Shadow', 'Signal', 'Storm', 'Stranger', 'Tide', 'Valley', 'Winter', 'Witness', 'Road', 'Heart', 'Engine', 'Season', 'Dream'];
const GENRES = ['Drama', 'Comedy', 'Thriller', 'Action', 'Science Fiction', 'Horror', 'Romance', 'Documentary', 'Animation', 'Crime', 'Mystery', 'Fantasy', 'Adventure', 'Family', 'War', 'History', 'Music', 'Western'];
const SOURCES: [string, number][] = [
  ['JELLYFIN', 0.3],
  ['TRAKT', 0.55],
  ['LETTERBOXD', 0.8],
  ['MANUAL', 0.9],
  ['KLUG_CSV', 0.95],
  ['KLUG_JSON', 1],
];

type Sql = App['db']['sql'];

/**
 * Loads a big table the way bulk loads are done: in one transaction, its indexes and unique/primary-key
 * constraints dropped first and rebuilt from their own definitions afterwards (one sort each instead of a
 * million random B-tree inserts), and foreign-key triggers off (session_replication_role, superuser only; the
 * caller checks the references set-based). The rebuilt definitions are compared with the originals.
 */
async function bulkLoad(sql: Sql, table: string, statement: string, params: unknown[]) {
  return sql.withConnection(async (c) => {
    await c.exec('BEGIN');
    try {
      await c.exec(`SET LOCAL session_replication_role = replica; SET LOCAL maintenance_work_mem = '256MB'`);
      const definitions = () =>
        c.query<{ def: string }>(`SELECT pg_get_indexdef(indexrelid) AS def FROM pg_index WHERE indrelid = '${table}'::regclass ORDER BY 1`);
      const before = (await definitions()).map((r) => r.def);
      const constraints = await c.query<{ name: string; def: string }>(
        `SELECT conname AS name, pg_get_constraintdef(oid) AS def FROM pg_constraint
         WHERE conrelid = '${table}'::regclass AND contype IN ('p', 'u') ORDER BY contype, conname`,
      );
      const indexes = await c.query<{ name: string; def: string }>(
        `SELECT i.relname AS name, pg_get_indexdef(x.indexrelid) AS def FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid
         WHERE x.indrelid = '${table}'::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid)
         ORDER BY 1`,
      );
      for (const { name } of constraints) await c.exec(`ALTER TABLE ${table} DROP CONSTRAINT "${name}"`);
      for (const { name } of indexes) await c.exec(`DROP INDEX "${name}"`);
      const t0 = performance.now();
      await c.query(statement, params);
      const t1 = performance.now();
      for (const { name, def } of constraints) await c.exec(`ALTER TABLE ${table} ADD CONSTRAINT "${name}" ${def}`);
      for (const { def } of indexes) await c.exec(def);
      const t2 = performance.now();
      const after = (await definitions()).map((r) => r.def);
      if (JSON.stringify(after) !== JSON.stringify(before)) {
        throw new Error(`rebuilt indexes differ:\n${before.join('\n')}\n---\n${after.join('\n')}`);
      }
      await c.exec('COMMIT');
      return { insertMs: t1 - t0, indexMs: t2 - t1, rebuilt: before.length };
    } catch (error) {
      await c.exec('ROLLBACK').catch(() => undefined);
      throw error;
    }
  });
}

async function seed(app: App, userIds: string[], anchor: Date) {
  const sql = app.db.sql;
  const mediaKey = `(u.ord - 1) * ${MEDIA_PER_PERSON} + i`;
  const titleOf = (key: string) =>
    `${pick(ADJECTIVES, key, 11)} || ' ' || ${pick(NOUNS, key, 12)} || CASE WHEN ${rnd(key, 13)} < 0.3 THEN ' ' || (2 + floor(${rnd(key, 14)} * 4))::int ELSE '' END`;
  const genresOf = (key: string) =>
    `ARRAY(SELECT DISTINCT g FROM unnest(ARRAY[${pick(GENRES, key, 21)}, ${pick(GENRES, key, 22)}, ${pick(GENRES, key, 23)}]) WITH ORDINALITY AS x(g, o) WHERE o <= 1 + floor(${rnd(key, 24)} * 3))`;
  const episode = `(i - ${FIRST_EPISODE})`; // 0-based among the person's episodes
  const showOfEpisode = `(${episode} / ${EPISODES_PER_SHOW} + 1)`;
  const created = (key: string) => `$2::timestamptz - make_interval(secs => floor(${rnd(key, 31)} * ${YEARS * 365 * 86_400}))`;

  const mediaStatement = `
    INSERT INTO "Media" (id, "userId", kind, title, "normalizedTitle", year, "showId", "seasonNumber", "episodeNumber",
                         "tmdbId", "imdbId", genres, "runtimeMinutes", directors, rating, "ratedAt", "createdAt", "updatedAt")
    SELECT ${mediaId('u.id', 'i')}, u.id, x.kind::"MediaKind", x.title, lower(x.title), x.year, x."showId",
           x."seasonNumber", x."episodeNumber", x."tmdbId", x."imdbId", x.genres, x.runtime, x.directors,
           x.rating, CASE WHEN x.rating IS NULL THEN NULL ELSE x.created END, x.created, x.created
    FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, ord)
    CROSS JOIN generate_series(1, ${MEDIA_PER_PERSON}) AS i
    CROSS JOIN LATERAL (
      SELECT
        CASE WHEN i < ${FIRST_EPISODE} THEN 'SHOW' WHEN i < ${FIRST_MOVIE} THEN 'EPISODE' ELSE 'MOVIE' END AS kind,
        CASE WHEN i >= ${FIRST_EPISODE} AND i < ${FIRST_MOVIE}
             THEN 'Episode ' || (${episode} % ${EPISODES_PER_SEASON} + 1) || ': ' || ${titleOf(mediaKey)}
             ELSE ${titleOf(mediaKey)} END AS title,
        1950 + floor(${rnd(mediaKey, 1)} * 76)::int AS year,
        CASE WHEN i >= ${FIRST_EPISODE} AND i < ${FIRST_MOVIE} THEN ${mediaId('u.id', showOfEpisode)} END AS "showId",
        CASE WHEN i >= ${FIRST_EPISODE} AND i < ${FIRST_MOVIE} THEN (${episode} % ${EPISODES_PER_SHOW}) / ${EPISODES_PER_SEASON} + 1 END AS "seasonNumber",
        CASE WHEN i >= ${FIRST_EPISODE} AND i < ${FIRST_MOVIE} THEN ${episode} % ${EPISODES_PER_SEASON} + 1 END AS "episodeNumber",
        CASE WHEN i < ${FIRST_EPISODE} THEN 'tv' || i WHEN i >= ${FIRST_MOVIE} THEN 'mv' || i END AS "tmdbId",
        CASE WHEN i >= ${FIRST_MOVIE} THEN 'tt' || lpad(((u.ord * 100000) + i)::text, 8, '0') END AS "imdbId",
        -- episodes carry no genres or directors of their own: stats fall back to their show's
        CASE WHEN i >= ${FIRST_EPISODE} AND i < ${FIRST_MOVIE} THEN '{}'::text[] ELSE ${genresOf(mediaKey)} END AS genres,
        CASE WHEN i < ${FIRST_EPISODE} THEN NULL
             WHEN i < ${FIRST_MOVIE} THEN 20 + floor(${rnd(mediaKey, 2)} * 41)::int
             ELSE 80 + floor(${rnd(mediaKey, 2)} * 101)::int END AS runtime,
        CASE WHEN i >= ${FIRST_EPISODE} AND i < ${FIRST_MOVIE} THEN '{}'::text[]
             ELSE ARRAY['Director ' || (1 + floor(${rnd(mediaKey, 3)} * 600))::int] END AS directors,
        CASE WHEN ${rnd(mediaKey, 4)} < 0.4 THEN (1 + floor(${rnd(mediaKey, 5)} * 10))::float8 / 2 END AS rating,
        ${created(mediaKey)} AS created
    ) AS x`;

  const eventKey = `(u.ord - 1) * ${EVENTS_PER_PERSON} + n`;
  const chosen = `CASE WHEN ${rnd(eventKey, 41)} < 0.55
      THEN ${FIRST_MOVIE} + floor(${rnd(eventKey, 42)} * ${MOVIES_PER_PERSON})::int
      ELSE ${FIRST_EPISODE} + floor(${rnd(eventKey, 42)} * ${SHOWS_PER_PERSON * EPISODES_PER_SHOW})::int END`;
  const source = `CASE ${SOURCES.map(([name, upTo]) => `WHEN ${rnd(eventKey, 43)} < ${upTo} THEN '${name}'`).join(' ')} END`;
  const eventsStatement = `
    INSERT INTO "WatchEvent" (id, "userId", "mediaId", "watchedAt", source, rating, rewatch, "createdAt")
    SELECT gen_random_uuid(), u.id, ${mediaId('u.id', chosen)}, x.at, (${source})::"WatchSource",
           CASE WHEN ${rnd(eventKey, 44)} < 0.3 THEN (1 + floor(${rnd(eventKey, 45)} * 10))::float8 / 2 END,
           ${rnd(eventKey, 46)} < 0.12, x.at
    FROM unnest($1::uuid[]) WITH ORDINALITY AS u(id, ord)
    CROSS JOIN generate_series(1, ${EVENTS_PER_PERSON}) AS n
    CROSS JOIN LATERAL (
      SELECT $2::timestamptz - make_interval(secs => (n - 1) * ${SPACING_S} + floor(${rnd(eventKey, 47)} * ${SPACING_S - 1})) AS at
    ) AS x`;

  const t0 = performance.now();
  await sql.query(mediaStatement, [userIds, anchor]);
  const t1 = performance.now();
  const events = await bulkLoad(sql, '"WatchEvent"', eventsStatement, [userIds, anchor]);
  const t2 = performance.now();
  // the foreign keys were not checked row by row during the load: check them, and the owner, set-based
  const [orphans] = await sql.query<{ count: number }>(
    `SELECT count(*)::int AS count FROM "WatchEvent" w
     LEFT JOIN "Media" m ON m.id = w."mediaId" AND m."userId" = w."userId"
     WHERE m.id IS NULL OR NOT EXISTS (SELECT 1 FROM "User" u WHERE u.id = w."userId")`,
  );
  if (orphans!.count > 0) throw new Error(`${orphans!.count} watch events point at missing media or people`);
  const t3 = performance.now();
  // VACUUM too: otherwise autovacuum visits the fresh million rows while the timings run, on a 2-core machine
  await sql.exec('VACUUM (ANALYZE) "Media", "WatchEvent"');
  await sql.exec('ANALYZE');
  const t4 = performance.now();

  const [counts] = await sql.query<{ media: number; events: number; shows: number; episodes: number; movies: number; rewatches: number; rated: number }>(
    `SELECT (SELECT count(*) FROM "Media")::int AS media, (SELECT count(*) FROM "WatchEvent")::int AS events,
            (SELECT count(*) FROM "Media" WHERE kind = 'SHOW')::int AS shows,
            (SELECT count(*) FROM "Media" WHERE kind = 'EPISODE')::int AS episodes,
            (SELECT count(*) FROM "Media" WHERE kind = 'MOVIE')::int AS movies,
            (SELECT count(*) FROM "WatchEvent" WHERE rewatch)::int AS rewatches,
            (SELECT count(*) FROM "WatchEvent" WHERE rating IS NOT NULL)::int AS rated`,
  );
  return {
    mediaMs: t1 - t0,
    eventsMs: t2 - t1,
    eventsInsertMs: events.insertMs,
    eventsIndexMs: events.indexMs,
    eventsIndexes: events.rebuilt,
    checkMs: t3 - t2,
    analyzeMs: t4 - t3,
    counts: counts!,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Measuring
// ---------------------------------------------------------------------------------------------------------

interface Timing {
  median: number;
  p95: number;
  min: number;
  max: number;
}

function quantile(sorted: number[], q: number): number {
  const position = (sorted.length - 1) * q;
  const lower = Math.floor(position);
  const upper = Math.ceil(position);
  return sorted[lower]! + (sorted[upper]! - sorted[lower]!) * (position - lower);
}

async function measure(run: () => Promise<unknown>): Promise<Timing> {
  for (let i = 0; i < WARMUPS; i++) await run();
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i++) {
    const t = performance.now();
    await run();
    samples.push(performance.now() - t);
  }
  samples.sort((a, b) => a - b);
  return { median: quantile(samples, 0.5), p95: quantile(samples, 0.95), min: samples[0]!, max: samples.at(-1)! };
}

/** The statements one request sends, counted while nothing else runs. */
/** The statements one request sends, counted while nothing else runs: by the server's counter and on the wire. */
async function statementsOf(counter: { read: () => number }, run: () => Promise<unknown>) {
  capture = [];
  const before = counter.read();
  const wireBefore = sentCount;
  await run();
  const count = counter.read() - before;
  const wire = sentCount - wireBefore;
  const sent = capture;
  capture = null;
  return { count, wire, sent, label: count === wire ? String(count) : `${count} (wire: ${wire})` };
}

const summarize = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 150);

async function explain(app: App, label: string, sent: Sent[]) {
  log(`\n── EXPLAIN (ANALYZE, BUFFERS) of every statement of ${label} ──`);
  for (const [i, statement] of sent.entries()) {
    log(`\n[${i + 1}] ${summarize(statement.text)}`);
    if (!/^\s*(SELECT|WITH)\b/i.test(statement.text)) {
      log('    (not a query; skipped)');
      continue;
    }
    try {
      const plan = await app.db.sql.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`, statement.values);
      for (const row of plan) log(`    ${row['QUERY PLAN']}`);
    } catch (error) {
      log(`    fails: ${(error as Error).message}`);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------

let app: App | null = null;
let created = false;
let stopping: Promise<void> | null = null;

async function cleanUp() {
  stopping ??= (async () => {
    if (app) await app.stop().catch((error: unknown) => console.error('stopping the server failed:', error));
    if (!created) return;
    if (KEEP) {
      log(`\nBENCH_KEEP=1: kept the database at ${dbUrl}`);
      return;
    }
    await dropBenchDatabase();
  })();
  return stopping;
}

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    console.error(`\n${signal}: cleaning up…`);
    void cleanUp().finally(() => process.exit(130));
  });
}

async function main() {
  log(`Klug library benchmark — ${new Date().toISOString()}`);
  const server = await createBenchDatabase();
  created = true;
  log(`PostgreSQL ${server}, Node ${process.version}; database ${dbName}`);

  const startingAt = performance.now();
  app = await startApp(
    loadConfig(benchEnv()),
  );
  log(`server up at ${app.url} (migrations applied) in ${ms(performance.now() - startingAt)}`);
  const url = app.url;

  // ── people, through the API ────────────────────────────────────────────────────────────────────────────
  const signingUp = performance.now();
  const people: { id: string; token: string }[] = [];
  for (let i = 1; i <= PEOPLE; i++) {
    const n = String(i).padStart(2, '0');
    const { signUp } = await gql<{ signUp: { __typename: string; token?: string; user?: { id: string }; message?: string } }>(
      url,
      SIGN_UP,
      { email: `person${n}@bench.klug.test`, password: PASSWORD, displayName: `Bench person ${n}` },
    );
    if (signUp.__typename !== 'AuthSuccess') throw new Error(`signUp failed: ${signUp.__typename} ${signUp.message ?? ''}`);
    people.push({ id: decodeId(signUp.user!.id, 'User'), token: signUp.token! });
  }
  log(`signed up ${PEOPLE} people over HTTP in ${ms(performance.now() - signingUp)}`);

  // ── library, set-based ─────────────────────────────────────────────────────────────────────────────────
  const anchor = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 3_600_000); // an hour ago, whole minute
  const seeded = await seed(
    app,
    people.map((p) => p.id),
    anchor,
  );
  const { counts } = seeded;
  const seedMs = seeded.mediaMs + seeded.eventsMs;
  const rate = (rows: number, took: number) => `${Math.round(rows / (took / 1000)).toLocaleString('en-US')} rows/s`;
  log(`seeded ${counts.media.toLocaleString('en-US')} media (${counts.movies} movies, ${counts.shows} shows, ${counts.episodes} episodes) in ${ms(seeded.mediaMs)} — ${rate(counts.media, seeded.mediaMs)}`);
  log(`seeded ${counts.events.toLocaleString('en-US')} watch events (${counts.rewatches.toLocaleString('en-US')} rewatches, ${counts.rated.toLocaleString('en-US')} rated) in ${ms(seeded.eventsMs)} — ${rate(counts.events, seeded.eventsMs)}`);
  log(`  of which INSERT … SELECT ${ms(seeded.eventsInsertMs)}, rebuilding its ${seeded.eventsIndexes} indexes ${ms(seeded.eventsIndexMs)}`);
  log(`seeding total ${ms(seedMs)} — ${rate(counts.media + counts.events, seedMs)}; reference check ${ms(seeded.checkMs)}; VACUUM ANALYZE ${ms(seeded.analyzeMs)}`);

  // ── the person measured ────────────────────────────────────────────────────────────────────────────────
  const person = people[0]!;
  const [range] = await app.db.sql.query<{ newest: Date; oldest: Date; events: number }>(
    `SELECT max("watchedAt") AS newest, min("watchedAt") AS oldest, count(*)::int AS events FROM "WatchEvent" WHERE "userId" = $1`,
    [person.id],
  );
  const newest = new Date(range!.newest);
  const yearBefore = new Date(newest);
  yearBefore.setUTCFullYear(newest.getUTCFullYear() - 1);
  log(`measuring as person01: ${range!.events.toLocaleString('en-US')} events from ${new Date(range!.oldest).toISOString()} to ${newest.toISOString()}`);

  const firstPage = (first: number) => () => gql<PageData>(url, PAGE, { first }, person.token);

  // (b) the cursor 5,000 events deep, paging 100 at a time (not timed)
  let after: string | null = null;
  for (let depth = 0; depth < DEPTH; depth += 100) {
    const page: PageData = await gql<PageData>(url, CURSOR_ONLY, { first: 100, after }, person.token);
    after = page.watchEvents.pageInfo.endCursor;
  }
  const deepPage = () => gql<PageData>(url, PAGE, { first: 50, after }, person.token);
  const [expected] = await app.db.sql.query<{ id: string }>(
    `SELECT id FROM "WatchEvent" WHERE "userId" = $1 ORDER BY "watchedAt" DESC, id DESC OFFSET ${DEPTH} LIMIT 1`,
    [person.id],
  );
  const deepFirst = (await deepPage()).watchEvents.edges[0]?.node.id;
  const deepOk = deepFirst !== undefined && decodeId(deepFirst, 'WatchEvent') === expected?.id;
  if (!deepOk) throw new Error(`the deep page starts at ${deepFirst}, not at event #${DEPTH + 1} (${expected?.id})`);
  log(`cursor at depth ${DEPTH.toLocaleString('en-US')} ready (paged 100 at a time); the deep page starts at event #${DEPTH + 1}, as SQL's OFFSET agrees`);

  const statsVars = { from: yearBefore.toISOString(), to: newest.toISOString() };
  const stats = () => gql<StatsData>(url, STATS, statsVars, person.token);
  // (c) may fail on the server; the page timings are still worth having, so a failure is reported, not thrown
  let statsFailure: string | null = null;
  try {
    lastSqlError = null;
    const sample = (await stats()).watchStats;
    log(`stats window ${statsVars.from} → ${statsVars.to}: ${sample.totals.events.toLocaleString('en-US')} events, ${sample.totals.hours.toFixed(0)} hours, ${sample.series.length} series points, ${sample.topGenres.length} top genres`);
  } catch (error) {
    statsFailure = `${(error as Error).message}${lastSqlError ? `\n    PostgreSQL said: ${lastSqlError}` : ''}`;
    log(`stats window ${statsVars.from} → ${statsVars.to}: watchStats FAILED\n    ${statsFailure}`);
  }

  // ── timings ────────────────────────────────────────────────────────────────────────────────────────────
  const busy = () => {
    const [one] = loadavg();
    return `load average ${one!.toFixed(2)} on ${availableParallelism()} cores${one! > availableParallelism() / 2 ? ' — the machine is busy: figures will be noisy' : ''}`;
  };
  log(`\n${busy()}`);
  log(`timing: ${WARMUPS} warm-ups then ${RUNS} runs each, sequential, over HTTP on 127.0.0.1 (client and server share this process)`);
  const timeFirst = await measure(firstPage(50));
  log(`(a) first page, 50 events:        median ${ms(timeFirst.median)}, p95 ${ms(timeFirst.p95)}`);
  const timeDeep = await measure(deepPage);
  log(`(b) page ${DEPTH.toLocaleString('en-US')} deep, 50 events:    median ${ms(timeDeep.median)}, p95 ${ms(timeDeep.p95)}`);
  const timeStats = statsFailure ? null : await measure(stats);
  log(`(c) watchStats, one year:         ${timeStats ? `median ${ms(timeStats.median)}, p95 ${ms(timeStats.p95)}` : 'not timed: the request fails'}`);

  // ── statements per request ─────────────────────────────────────────────────────────────────────────────
  const counter = statementCounter(app);
  const first5 = await statementsOf(counter, firstPage(5));
  const first50 = await statementsOf(counter, firstPage(50));
  const deep = await statementsOf(counter, deepPage);
  const statsCount = await statementsOf(counter, () => stats().catch(() => undefined));
  log(`\nSQL statements per request (counted by ${counter.source}; "wire" is what reached pg, where it differs):`);
  log(`  (a) first: 5   ${first5.label}`);
  log(`  (a) first: 50  ${first50.label}`);
  log(`  (b) deep page  ${deep.label}`);
  log(`  (c) stats      ${statsCount.label}${statsFailure ? ' (a failing request)' : ''}`);
  log(`statements of one (a) first: 50 request:`);
  for (const [i, statement] of first50.sent.entries()) log(`  ${i + 1}. ${summarize(statement.text)}`);

  if (EXPLAIN) {
    await explain(app, '(a) first: 50', first50.sent);
    await explain(app, '(b) deep page', deep.sent);
    await explain(app, '(c) watchStats', statsCount.sent);
  }

  // ── summary ────────────────────────────────────────────────────────────────────────────────────────────
  const verdict = (value: number, target: number) => (value <= target ? 'ok' : 'MISSED');
  const rows: [string, string, string, string, string, string][] = [
    ['measurement', 'median', 'p95', 'target (median)', 'result', 'statements'],
    ['(a) watchEvents first: 50', ms(timeFirst.median), ms(timeFirst.p95), `≤ ${TARGETS.first} ms`, verdict(timeFirst.median, TARGETS.first), `${first50.label} (first: 5 → ${first5.label})`],
    [`(b) watchEvents after ${DEPTH}`, ms(timeDeep.median), ms(timeDeep.p95), `≤ ${TARGETS.deep} ms`, verdict(timeDeep.median, TARGETS.deep), deep.label],
    timeStats
      ? ['(c) watchStats, 1 year', ms(timeStats.median), ms(timeStats.p95), `≤ ${TARGETS.stats} ms`, verdict(timeStats.median, TARGETS.stats), statsCount.label]
      : ['(c) watchStats, 1 year', '—', '—', `≤ ${TARGETS.stats} ms`, 'FAILED', `${statsCount.label} (failing)`],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  const line = (r: string[]) => `│ ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' │ ')} │`;
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  log(`\nSummary — ${counts.media.toLocaleString('en-US')} media, ${counts.events.toLocaleString('en-US')} watch events, ${PEOPLE} people; seeding ${ms(seedMs)} (${rate(counts.media + counts.events, seedMs)})`);
  log(rule('┌', '┬', '┐'));
  log(line(rows[0]!));
  log(rule('├', '┼', '┤'));
  for (const r of rows.slice(1)) log(line(r));
  log(rule('└', '┴', '┘'));
  recordResult({ bench: 'library', measure: `watchEvents first: 50, median (${first50.label} statements)`, klug: timeFirst.median, unit: 'ms', target: `≤ ${TARGETS.first} ms`, met: timeFirst.median <= TARGETS.first });
  recordResult({ bench: 'library', measure: `watchEvents ${DEPTH} deep, median (${deep.label} statements)`, klug: timeDeep.median, unit: 'ms', target: `≤ ${TARGETS.deep} ms`, met: timeDeep.median <= TARGETS.deep });
  if (timeStats) recordResult({ bench: 'library', measure: `watchStats 1 year, median (${statsCount.label} statements)`, klug: timeStats.median, unit: 'ms', target: `≤ ${TARGETS.stats} ms`, met: timeStats.median <= TARGETS.stats });
  if (statsFailure) {
    log(`(c) failed: ${statsFailure}`);
    process.exitCode = 1;
  }
  log(`after timing: ${busy()}`);
  log(`total run time ${((performance.now() - started) / 1000).toFixed(1)} s`);
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
