/**
 * Import benchmark: generates a KLUG_CSV file of BENCH_EVENTS watch events over ~50,000 movies, uploads it to
 * the real server with startImport (a multipart request sent by curl) and follows importProgress over graphql-ws
 * until it completes; measures events/s end to end and the process's RSS while it runs. Its peer is PostgreSQL's
 * own COPY of the same rows into the same "WatchEvent" table as it ships (indexes, constraints and foreign keys,
 * the media already there): the person's events are exported with COPY TO, deleted, the table vacuumed, and the
 * file loaded back with `psql \copy`, timed. Before that, a 2,000-film Letterboxd export (a ZIP) end to end.
 *
 *   npx tsx bench/imports.ts
 *
 * Environment:
 *   BENCH_DATABASE_URL  admin URL of a PostgreSQL server (default postgresql://postgres@127.0.0.1:5432/test);
 *                       a database klug_bench_<random> is created beside it and dropped at the end
 *   BENCH_EVENTS        events in the KLUG_CSV file (default 1000000)
 *   BENCH_KEEP=1        keep that database and the temporary directory (both are printed)
 *   BENCH_LOG_LEVEL     the server's log level (default silent), e.g. error to see why an import failed
 *   BENCH_IMPORT_TIMEOUT_S  the big import is cancelled (cancelImport) when not done after this many seconds,
 *                       and the run fails with the rate so far (default 300; 0 waits however long it takes)
 *   BENCH_EXPLAIN=1     also print EXPLAIN (ANALYZE, BUFFERS) of the statements of chunk 1 and of the middle chunk
 *                       of the big import (if reached), each in a transaction that is rolled back, and of its last
 *                       media match, as it was and after ANALYZE "Media" (rolled back too)
 *   BENCH_RECORD        which rows go to `npm run bench`'s table: rate, memory, letterboxd (default all three)
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createWriteStream, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { createClient, type Client as WsClient } from 'graphql-ws';
import pg from 'pg';
import WebSocket from 'ws';
import yazl from 'yazl';
import { benchEnv, createBenchDatabase, dbName, dbUrl, dropBenchDatabase, EXPLAIN, gql, KEEP, mb, recordResult, seconds as s, SIGN_UP, type GraphQLResponse } from './support.js';
import type { ImportCounters } from '../src/services/imports/records.js';

// graphql-js, Yoga and Pothos skip their development-only checks in production; set this before they load
process.env.NODE_ENV = 'production';

const { startApp } = await import('../src/server/app.js');
const { loadConfig } = await import('../src/config.js');
const { decodeId } = await import('../src/schema/ids.js');
type App = Awaited<ReturnType<typeof startApp>>;

const EVENTS = Number(process.env.BENCH_EVENTS ?? 1_000_000);
if (!Number.isInteger(EVENTS) || EVENTS < 1) throw new Error(`BENCH_EVENTS must be a positive integer (got ${process.env.BENCH_EVENTS})`);

const MOVIES = 50_000;
/** movies without any external id, found again by normalized title and year */
const NO_ID_SHARE = 0.15;
const YEARS = 10;
const LETTERBOXD_FILMS = 2_000;
const LETTERBOXD_RUNS = 3;
const PASSWORD = 'a long bench passphrase 1';
/** Klug end to end against PostgreSQL's own COPY of the same rows into the same "WatchEvent" table, as shipped */
const TARGETS = { ratioToCopy: 0.5, rssGrowthMb: 150, letterboxdMs: 1_000 };
const SAMPLE_MS = 200;
/** the runner's chunk size (src/services/imports/runner.ts), for the chunk count and BENCH_EXPLAIN */
const CHUNK = 5_000;
/** the big import is cancelled after this long, so a slow server cannot hold the run for an hour; 0: no limit */
const LIMIT_S = Number(process.env.BENCH_IMPORT_TIMEOUT_S ?? 300);
const PROGRESS_EVERY_MS = 5_000;

const started = performance.now();
const log = (line = '') => console.log(line);
const ms = (value: number) => `${value.toFixed(1)} ms`;
const int = (value: number) => Math.round(value).toLocaleString('en-US');
const perSecond = (rows: number, took: number) => rows / (took / 1000);

/** A full collection before the baseline is read, so what the generator left behind does not count. */
const gc: () => void = (() => {
  try {
    setFlagsFromString('--expose-gc');
    return runInNewContext('gc') as () => void;
  } catch {
    return () => undefined;
  }
})();

// ---------------------------------------------------------------------------------------------------------
// SQL timing. Every statement the server sends, Prisma's and raw SQL alike, reaches pg.Client.prototype.query
// (pg.Pool#query through a pooled client), so wrapping it tells where an import's time goes without touching
// src: the time from the call (which serializes the parameters) to the answer, per kind of statement.
// ---------------------------------------------------------------------------------------------------------

interface Sent {
  text: string;
  values: unknown[];
}
const KINDS: [string, RegExp][] = [
  ['media match (MediaResolver.match)', /SELECT i\.idx, coalesce/],
  ['media insert (MediaResolver.insert)', /INSERT INTO "Media"/],
  ['event COPY (EventWriter.copy)', /^COPY "WatchEvent"/],
  ['event insert (EventWriter.insert)', /INSERT INTO "WatchEvent"/],
  ['savepoints (REPLACE)', /SAVEPOINT event_copy/],
  ['ratings (EventWriter.applyRatings)', /UPDATE "Media" m SET rating/],
  ['final count (runner)', /SELECT count\(\*\)::int AS n FROM "WatchEvent"/],
  ['batch bookkeeping (Prisma)', /"ImportBatch"|"ImportError"/],
];
interface KindTime {
  count: number;
  ms: number;
  /** statements still running at a cut-off, and their time so far (included in ms) */
  open?: number;
  openMs?: number;
}
let profile: Map<string, KindTime> | null = null;
/** statements sent and not yet answered, so a cut-off (the import's time limit) can count their time so far */
const inFlight = new Set<{ kind: string; t0: number }>();
/** statements of chosen chunks of the big import, for BENCH_EXPLAIN */
let captured: Sent[][] | null = null;
let lastSqlError: string | null = null;

/** statements of no kind above are told apart by their opening words (the job runner's polling, ANALYZE …) */
const kindOf = (text: string) => KINDS.find(([, re]) => re.test(text))?.[0] ?? `other: ${text.replace(/\s+/g, ' ').trim().slice(0, 33)}`;
const originalQuery = pg.Client.prototype.query;
(pg.Client.prototype as { query: (...args: unknown[]) => unknown }).query = function (this: pg.Client, ...args: unknown[]) {
  const [config, values] = args as [string | { text: string; values?: unknown[] }, unknown];
  const text = typeof config === 'string' ? config : (config?.text ?? '');
  const t0 = performance.now();
  const flight = { kind: kindOf(text), t0 };
  inFlight.add(flight);
  const done = (error: unknown) => {
    inFlight.delete(flight);
    if (error) lastSqlError = (error as Error).message;
    if (!profile) return;
    const kind = flight.kind;
    const entry = profile.get(kind) ?? { count: 0, ms: 0 };
    entry.count += 1;
    entry.ms += performance.now() - t0;
    profile.set(kind, entry);
  };
  if (captured) {
    const params = typeof config === 'string' ? values : (config.values ?? values);
    const kind = kindOf(text);
    // a chunk's statements: its media matches and inserts (none once every item is known), then its events'
    // COPY or insert
    if (/^(media|event)/.test(kind)) captureStatement({ text, values: Array.isArray(params) ? params : [] }, kind);
  }
  const last = args.length - 1;
  const callback = args[last];
  if (typeof callback === 'function') {
    args[last] = (error: unknown, ...rest: unknown[]) => {
      done(error);
      return (callback as (...a: unknown[]) => unknown)(error, ...rest);
    };
  }
  const result = (originalQuery as (...a: unknown[]) => unknown).apply(this, args);
  if (result instanceof Promise) result.then(() => done(null), done);
  // COPY FROM STDIN (pg-copy-streams): the query is a stream, done when the server has confirmed its rows
  else if (result && typeof (result as { once?: unknown }).once === 'function' && /^COPY/.test(text)) {
    const stream = result as NodeJS.EventEmitter;
    stream.once('finish', () => done(null));
    stream.once('error', done);
  }
  return result;
};

// BENCH_EXPLAIN: keep the statements of chunk 1 and of the middle chunk (a chunk ends with its event insert)
let chunkNumber = 0;
let currentChunk: Sent[] = [];
let explainChunks: number[] = [];
/** the last media match of the big import: the fewest rows, so the cheapest to EXPLAIN against the full table */
let lastMatch: Sent | null = null;
function captureStatement(statement: Sent, kind: string) {
  if (kind.startsWith('media match')) lastMatch = statement;
  currentChunk.push(statement);
  if (!kind.startsWith('event')) return;
  chunkNumber += 1;
  if (explainChunks.includes(chunkNumber)) captured!.push(currentChunk);
  currentChunk = [];
}

// ---------------------------------------------------------------------------------------------------------
// Database lifecycle
// ---------------------------------------------------------------------------------------------------------


// ---------------------------------------------------------------------------------------------------------
// Generated data. Pseudo-random values come from a 32-bit integer hash of (key, salt), so a run generates the
// same files every time.
// ---------------------------------------------------------------------------------------------------------

function hash32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x7feb352d);
  x = Math.imul(x ^ (x >>> 15), 0x846ca68b);
  return (x ^ (x >>> 16)) >>> 0;
}
/** uniform in [0, 1) */
const rnd = (key: number, salt: number) => hash32(hash32(key >>> 0) ^ Math.imul(salt + 1, 0x9e3779b1)) / 4_294_967_296;

const ADJECTIVES = ['Silent', 'Crimson', 'Last', 'Hidden', 'Broken', 'Golden', 'Endless', 'Wild', 'Lost', 'Bright', 'Cold', 'Distant', 'Electric', 'Hollow', 'Iron', 'Midnight', 'Northern', 'Paper', 'Quiet', 'Savage', 'Secret', 'Velvet', 'Wandering', 'Young', 'Bitter', 'Burning', 'Fading', 'Glass', 'Lonely', 'Restless'];
const NOUNS = ['River', 'City', 'Garden', 'Summer', 'Kingdom', 'Harbor', 'Machine', 'Mountain', 'Letter', 'Station', 'Empire', 'Frontier', 'Island', 'Journey', 'Mirror', 'Ocean', 'Promise', 'Shadow', 'Signal', 'Storm', 'Stranger', 'Tide', 'Valley', 'Winter', 'Witness', 'Road', 'Heart', 'Engine', 'Season', 'Dream'];
const COMBOS = ADJECTIVES.length * NOUNS.length;

/**
 * Film number n's title: adjective × noun × part, so no two films share a normalized title; 8% are spelt with
 * a comma ("Silent, River 3"), which normalizes to the same words and makes the CSV quote them.
 */
function titleOf(n: number, salt: number): string {
  const combo = n % COMBOS;
  const part = Math.floor(n / COMBOS);
  const adjective = ADJECTIVES[combo % ADJECTIVES.length]!;
  const noun = NOUNS[Math.floor(combo / ADJECTIVES.length)]!;
  const comma = rnd(n, salt) < 0.08 ? ',' : '';
  return part === 0 ? `The ${adjective}${comma} ${noun}` : `${adjective}${comma} ${noun} ${part + 1}`;
}

const csvField = (value: string) => (/[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
const csvLine = (fields: string[]) => `${fields.map(csvField).join(',')}\n`;
const isoSeconds = (epochMs: number) => new Date(epochMs).toISOString().replace('.000Z', 'Z');

const KLUG_COLUMNS = ['title', 'watched_at', 'kind', 'year', 'rating', 'rewatch', 'tags', 'review', 'tmdb_id', 'imdb_id'];

interface Generated {
  path: string;
  bytes: number;
  events: number;
  movies: number;
  withoutIds: number;
  rated: number;
  rewatches: number;
  oldest: Date;
  newest: Date;
}

/**
 * The KLUG_CSV file, streamed to disk a megabyte at a time. Event i happens at start + i·spacing + a jitter
 * below the spacing, so every instant is distinct (unique per movie and instant); its movie is drawn uniformly
 * from MOVIES. 85% of movies carry a tmdb_id (70% of those an imdb_id too); the rest carry none and are found
 * by title and year, 10% of their rows in capitals. 30% of rows are rated in half steps; a movie's viewings
 * after its first are rewatches; 10% have tags, 2% a review with a comma and quotes; 10% leave kind empty
 * (MOVIE by default) and 5% of the rows of movies with ids leave year empty.
 */
async function generateKlugCsv(dir: string): Promise<Generated> {
  const path = join(dir, 'klug-events.csv');
  const out = createWriteStream(path);
  const titles: string[] = [];
  const years: string[] = [];
  const tmdb: string[] = [];
  const imdb: string[] = [];
  for (let m = 0; m < MOVIES; m++) {
    titles.push(titleOf(m, 1));
    years.push(String(1950 + Math.floor(rnd(m, 2) * 75)));
    const hasIds = rnd(m, 3) >= NO_ID_SHARE;
    tmdb.push(hasIds ? String(10_000 + m) : '');
    imdb.push(hasIds && rnd(m, 4) < 0.7 ? `tt${String(1_000_000 + m).padStart(7, '0')}` : '');
  }
  const seen = new Uint8Array(MOVIES);
  const spacingS = Math.floor((YEARS * 365.25 * 86_400) / EVENTS);
  if (spacingS < 2) throw new Error(`BENCH_EVENTS=${EVENTS} is too many for distinct whole-second instants over ${YEARS} years`);
  const anchorS = Math.floor(Date.now() / 1000) - 3_600; // an hour ago: nothing in the future
  const startS = anchorS - EVENTS * spacingS;
  let rated = 0;
  let rewatches = 0;
  let movies = 0;
  let withoutIds = 0;
  let buffer = csvLine(KLUG_COLUMNS);
  let bytes = 0;
  const write = async (force: boolean) => {
    if (!force && buffer.length < 1 << 20) return;
    bytes += Buffer.byteLength(buffer);
    if (!out.write(buffer)) await once(out, 'drain');
    buffer = '';
  };
  for (let i = 0; i < EVENTS; i++) {
    const m = Math.floor(rnd(i, 11) * MOVIES);
    const at = (startS + i * spacingS + Math.floor(rnd(i, 10) * (spacingS - 1))) * 1000;
    const hasIds = tmdb[m] !== '';
    const rewatch = seen[m] === 1;
    if (!rewatch) {
      seen[m] = 1;
      movies++;
      if (!hasIds) withoutIds++;
    } else rewatches++;
    const rating = rnd(i, 15) < 0.3 ? String((1 + Math.floor(rnd(i, 16) * 10)) / 2) : '';
    if (rating) rated++;
    const tagged = rnd(i, 17);
    buffer += csvLine([
      !hasIds && rnd(i, 12) < 0.1 ? titles[m]!.toUpperCase() : titles[m]!,
      isoSeconds(at),
      rnd(i, 13) < 0.9 ? 'MOVIE' : '',
      hasIds && rnd(i, 14) < 0.05 ? '' : years[m]!,
      rating,
      rewatch ? 'true' : '',
      tagged < 0.05 ? 'cinema' : tagged < 0.1 ? 'cinema,friends' : '',
      rnd(i, 19) < 0.02 ? `Seen again, still "${rating || 'unrated'}"` : '',
      tmdb[m]!,
      imdb[m]!,
    ]);
    await write(false);
  }
  await write(true);
  out.end();
  await once(out, 'finish');
  return {
    path,
    bytes,
    events: EVENTS,
    movies,
    withoutIds,
    rated,
    rewatches,
    oldest: new Date(startS * 1000),
    newest: new Date((startS + EVENTS * spacingS) * 1000),
  };
}

interface LetterboxdExport {
  path: string;
  bytes: number;
  films: number;
  events: number;
  diaryEntries: number;
  rewatches: number;
  rated: number;
}

/**
 * A Letterboxd export of LETTERBOXD_FILMS films as a ZIP: watched.csv lists them all; ratings.csv rates 60%;
 * diary.csv logs 70% of them, a quarter of those two or three times (rewatches, "Yes"), on distinct days,
 * with the rating and sometimes tags. Films never logged get one event on their watched date.
 */
async function generateLetterboxd(dir: string, salt: number): Promise<LetterboxdExport> {
  const watched = [csvLine(['Date', 'Name', 'Year', 'Letterboxd URI'])];
  const ratings = [csvLine(['Date', 'Name', 'Year', 'Letterboxd URI', 'Rating'])];
  const diary = [csvLine(['Date', 'Name', 'Year', 'Letterboxd URI', 'Rating', 'Rewatch', 'Tags', 'Watched Date'])];
  const day = 86_400_000;
  const today = Math.floor(Date.now() / day) * day - day;
  let events = 0;
  let diaryEntries = 0;
  let rewatches = 0;
  let rated = 0;
  let entryCode = 0;
  for (let f = 0; f < LETTERBOXD_FILMS; f++) {
    const key = f + salt * 100_000;
    const name = titleOf(f * 7 + (salt % 7), 31 + salt);
    const year = String(1950 + Math.floor(rnd(key, 32) * 75));
    const uri = `https://boxd.it/${(50_000 + f).toString(36)}`;
    const first = today - Math.floor(rnd(key, 33) * 3_000) * day;
    const logged = rnd(key, 34) < 0.7;
    const viewings = logged ? (rnd(key, 35) < 0.25 ? 2 + Math.floor(rnd(key, 36) * 2) : 1) : 0;
    const rating = rnd(key, 37) < 0.6 ? String((1 + Math.floor(rnd(key, 38) * 10)) / 2) : '';
    if (rating) rated++;
    let lastWatched = first;
    for (let v = 0; v < viewings; v++) {
      const when = Math.min(today, first + v * 45 * day);
      lastWatched = when;
      const tags = rnd(key * 4 + v, 39) < 0.15 ? 'cinema, friends' : '';
      diary.push(csvLine([isoDay(when + day), name, year, `https://boxd.it/e${(entryCode++).toString(36)}`, rating, v > 0 ? 'Yes' : '', tags, isoDay(when)]));
      diaryEntries++;
      if (v > 0) rewatches++;
    }
    watched.push(csvLine([isoDay(lastWatched), name, year, uri]));
    if (rating) ratings.push(csvLine([isoDay(lastWatched + day), name, year, uri, rating]));
    events += viewings > 0 ? viewings : 1;
  }
  const path = join(dir, `letterboxd-export-${salt}.zip`);
  const zip = new yazl.ZipFile();
  zip.addBuffer(Buffer.from(watched.join('')), 'watched.csv');
  zip.addBuffer(Buffer.from(ratings.join('')), 'ratings.csv');
  zip.addBuffer(Buffer.from(diary.join('')), 'diary.csv');
  zip.end();
  const out = createWriteStream(path);
  zip.outputStream.pipe(out);
  await once(out, 'finish');
  return { path, bytes: statSync(path).size, films: LETTERBOXD_FILMS, events, diaryEntries, rewatches, rated };
}
const isoDay = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 10);

// ---------------------------------------------------------------------------------------------------------
// HTTP and WebSocket
// ---------------------------------------------------------------------------------------------------------



const START_IMPORT = /* GraphQL */ `
  mutation BenchStartImport($input: StartImportInput!) {
    startImport(input: $input) {
      __typename
      ... on StartImportSuccess { batch { id status totalRows files { name kind bytes rows } } }
      ... on Error { code message }
      ... on ImportFileError { file }
    }
  }`;

const BATCH_FIELDS = `id status totalRows processedRows insertedCount duplicateCount updatedCount skippedCount errorCount
  progress startedAt finishedAt errorMessage`;
const PROGRESS = /* GraphQL */ `
  subscription BenchImportProgress($batchId: ID!) { importProgress(batchId: $batchId) { ${BATCH_FIELDS} } }`;
const ERRORS = /* GraphQL */ `
  query BenchImportErrors($id: ID!) {
    node(id: $id) { ... on ImportBatch { errors(first: 5) { edges { node { file row field code message } } } } }
  }`;

interface Batch extends Omit<ImportCounters, 'cursorAfter'> {
  id: string;
  status: 'QUEUED' | 'PROCESSING' | 'ENRICHING' | 'COMPLETED' | 'FAILED' | 'CANCELLED';
  progress: number;
  startedAt: string | null;
  finishedAt: string | null;
  errorMessage: string | null;
}
const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

async function signUp(url: string, email: string): Promise<{ id: string; token: string }> {
  const { signUp } = await gql<{ signUp: { __typename: string; token?: string; user?: { id: string }; message?: string } }>(url, SIGN_UP, {
    email,
    password: PASSWORD,
    displayName: email.split('@')[0],
  });
  if (signUp.__typename !== 'AuthSuccess') throw new Error(`signUp failed: ${signUp.__typename} ${signUp.message ?? ''}`);
  return { id: decodeId(signUp.user!.id, 'User'), token: signUp.token! };
}

/**
 * startImport as a GraphQL multipart request sent by curl, as a person scripting an import would: the client runs
 * in its own process, so the RSS sampled here is the server's alone (undici's fetch in this process, streaming
 * the file from a Blob, grew it by 70–100 MB of its own buffers).
 */
async function startImport(url: string, token: string, path: string, name: string, source: string): Promise<string> {
  const operations = JSON.stringify({ query: START_IMPORT, variables: { input: { source, files: [null] } } });
  const child = spawn(
    'curl',
    [
      '--silent', '--show-error', '--fail-with-body', url,
      '-H', `authorization: Bearer ${token}`,
      '-H', 'x-graphql-yoga-csrf: 1',
      '--form-string', `operations=${operations}`,
      '--form-string', `map=${JSON.stringify({ 0: ['variables.input.files.0'] })}`,
      '-F', `0=@"${path}";filename="${name}"`,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (data: Buffer) => (out += data));
  child.stderr.on('data', (data: Buffer) => (err += data));
  const [code] = (await once(child, 'close')) as [number | null];
  let body: GraphQLResponse<{ startImport: { __typename: string; batch?: { id: string }; code?: string; message?: string } }> | undefined;
  try {
    body = JSON.parse(out);
  } catch {
    body = undefined;
  }
  const result = body?.data?.startImport;
  if (code !== 0 || !result || result.__typename !== 'StartImportSuccess' || !result.batch) {
    throw new Error(
      `startImport refused (curl exit ${code}${err ? `: ${err.trim()}` : ''}): ${out.slice(0, 500)}${lastSqlError ? `\n  PostgreSQL said: ${lastSqlError}` : ''}`,
    );
  }
  return result.batch.id;
}

function wsClient(app: App, token: string): WsClient {
  return createClient({
    url: app.url.replace(/^http/, 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
    retryAttempts: 0,
  });
}

/** Follows importProgress until the batch ends; `onUpdate` sees every state the server publishes. */
async function follow(client: WsClient, batchId: string, onUpdate: (batch: Batch) => void = () => undefined): Promise<Batch> {
  let last: Batch | null = null;
  for await (const result of client.iterate<{ importProgress: Batch }>({ query: PROGRESS, variables: { batchId } })) {
    if (result.errors?.length || !result.data) throw new Error(`importProgress failed: ${JSON.stringify(result.errors ?? result)}`);
    last = result.data.importProgress;
    onUpdate(last);
    if (TERMINAL.has(last.status)) break;
  }
  if (!last || !TERMINAL.has(last.status)) throw new Error(`importProgress ended before the batch did (last seen: ${last?.status ?? 'nothing'})`);
  return last;
}

/** One import end to end: from the first byte of the upload to COMPLETED seen on the subscription. */
async function importEndToEnd(app: App, person: { token: string }, client: WsClient, path: string, name: string, source: string, onUpdate?: (batch: Batch, elapsed: number) => void) {
  const t0 = performance.now();
  const batchId = await startImport(app.url, person.token, path, name, source);
  const uploadMs = performance.now() - t0;
  const batch = await follow(client, batchId, (b) => onUpdate?.(b, performance.now() - t0));
  const totalMs = performance.now() - t0;
  if (batch.status !== 'COMPLETED') {
    let detail = '';
    try {
      const data = await gql<{ node: { errors: { edges: { node: Record<string, unknown> }[] } } }>(app.url, ERRORS, { id: batchId }, person.token);
      detail = data.node.errors.edges.map((e) => `\n    ${JSON.stringify(e.node)}`).join('');
    } catch {
      // the batch's errors are a courtesy here
    }
    throw new Error(`the import ended ${batch.status}: ${batch.errorMessage ?? ''}${detail}${lastSqlError ? `\n  last PostgreSQL error: ${lastSqlError}` : ''}`);
  }
  const processingMs = batch.startedAt && batch.finishedAt ? Date.parse(batch.finishedAt) - Date.parse(batch.startedAt) : NaN;
  return { batch, batchId: decodeId(batchId, 'ImportBatch'), uploadMs, totalMs, processingMs };
}

const CANCEL = /* GraphQL */ `
  mutation BenchCancelImport($id: ID!) { cancelImport(id: $id) { __typename ... on Error { code message } } }`;

/**
 * The big import: like importEndToEnd, but when it is not done after LIMIT_S seconds it is cancelled with
 * cancelImport (the server stops at its next chunk and deletes what the batch wrote) and the rows processed
 * by then are reported.
 */
async function importWithLimit(app: App, person: { token: string }, client: WsClient, path: string, onUpdate: (batch: Batch, elapsed: number) => void) {
  const t0 = performance.now();
  const batchId = await startImport(app.url, person.token, path, 'klug-events.csv', 'KLUG_CSV');
  const uploadMs = performance.now() - t0;
  let last: Batch | null = null;
  let timer: NodeJS.Timeout | undefined;
  const following = follow(client, batchId, (b) => {
    last = b;
    onUpdate(b, performance.now() - t0);
  });
  const limit = new Promise<'limit'>((resolve) => {
    if (LIMIT_S > 0) timer = setTimeout(() => resolve('limit'), Math.max(0, LIMIT_S * 1000 - uploadMs));
  });
  const outcome = await Promise.race([following, limit]);
  clearTimeout(timer);
  if (outcome !== 'limit') {
    const batch = outcome;
    if (batch.status !== 'COMPLETED') throw new Error(`the import ended ${batch.status}: ${batch.errorMessage ?? ''}${lastSqlError ? `\n  last PostgreSQL error: ${lastSqlError}` : ''}`);
    const processingMs = batch.startedAt && batch.finishedAt ? Date.parse(batch.finishedAt) - Date.parse(batch.startedAt) : NaN;
    return { batch, uploadMs, totalMs: performance.now() - t0, processingMs, timedOut: false, rowsAtLimit: batch.processedRows, sqlAtLimit: null };
  }
  const totalMs = performance.now() - t0;
  const rowsAtLimit = (last as Batch | null)?.processedRows ?? 0;
  const sqlAtLimit = new Map([...(profile ?? new Map<string, KindTime>())].map(([kind, time]) => [kind, { ...time }]));
  const now = performance.now();
  for (const flight of inFlight) {
    const entry = sqlAtLimit.get(flight.kind) ?? { count: 0, ms: 0 };
    entry.open = (entry.open ?? 0) + 1; // unfinished at the limit: counted for the time it has run
    entry.openMs = (entry.openMs ?? 0) + (now - flight.t0);
    entry.ms += now - flight.t0;
    sqlAtLimit.set(flight.kind, entry);
  }
  log(`  ${s(totalMs).padStart(8)}  the limit of ${LIMIT_S} s is reached: cancelling (the server stops after the chunk it is writing)…`);
  const cancelled = await gql<{ cancelImport: { __typename: string; message?: string } }>(app.url, CANCEL, { id: batchId }, person.token);
  if (cancelled.cancelImport.__typename !== 'CancelImportSuccess') throw new Error(`cancelImport failed: ${JSON.stringify(cancelled)}`);
  const batch = await following;
  return { batch, uploadMs, totalMs, processingMs: NaN, timedOut: true, rowsAtLimit, sqlAtLimit };
}

/** EXPLAIN of a media match after ANALYZE "Media", both in a transaction rolled back: the plan autovacuum would allow. */
async function explainAnalyzed(app: App, match: Sent) {
  log(`\n── the same media match after ANALYZE "Media" (in the transaction, rolled back with it) ──`);
  await app.db.sql.withConnection(async (c) => {
    await c.exec('BEGIN');
    try {
      await c.exec('ANALYZE "Media"');
      const t0 = performance.now();
      const plan = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${match.text}`, match.values);
      for (const row of plan) log(`    ${row['QUERY PLAN']}`);
      log(`    (round trip ${ms(performance.now() - t0)})`);
    } finally {
      await c.exec('ROLLBACK');
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// psql \copy
// ---------------------------------------------------------------------------------------------------------

function runPsql(url: string, command: string): Promise<{ ms: number; output: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn('psql', [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', command], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve({ ms: performance.now() - t0, output }) : reject(new Error(`psql exited ${code}: ${output.trim()}`))));
  });
}

/**
 * The peer: PostgreSQL's own COPY of the rows the import wrote, into the same "WatchEvent" table as it ships.
 * The person's events go out with COPY TO (in id order, the order the import wrote them), are deleted, the table
 * is vacuumed and checkpointed, and the file comes back with `psql \copy … FROM`, timed, with the media already
 * there and every index, constraint and foreign key the migrations made.
 */
async function copyPeer(userId: string, expected: number): Promise<{ ms: number; rate: number; shape: string; load: string }> {
  const path = join(tempDir!, 'watch-events.copy.csv');
  const quoted = path.replace(/'/g, "''");
  const client = new pg.Client({ connectionString: dbUrl });
  await client.connect();
  try {
    const [shape] = (
      await client.query<{ indexes: number; fks: number; checks: number }>(
        `SELECT (SELECT count(*) FROM pg_index WHERE indrelid = '"WatchEvent"'::regclass)::int AS indexes,
                (SELECT count(*) FROM pg_constraint WHERE conrelid = '"WatchEvent"'::regclass AND contype = 'f')::int AS fks,
                (SELECT count(*) FROM pg_constraint WHERE conrelid = '"WatchEvent"'::regclass AND contype = 'c')::int AS checks`,
      )
    ).rows;
    await runPsql(dbUrl, `\\copy (SELECT * FROM "WatchEvent" WHERE "userId" = '${userId}' ORDER BY id) TO '${quoted}' WITH (FORMAT csv)`);
    const removed = await client.query(`DELETE FROM "WatchEvent" WHERE "userId" = $1::uuid`, [userId]);
    if (removed.rowCount !== expected) throw new Error(`the peer removed ${removed.rowCount} events, not ${expected}`);
    await client.query('VACUUM "WatchEvent"');
    await client.query('CHECKPOINT');
    const load = busy();
    const loaded = await runPsql(dbUrl, `\\copy "WatchEvent" FROM '${quoted}' WITH (FORMAT csv)`);
    const [back] = (await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM "WatchEvent" WHERE "userId" = $1::uuid`, [userId])).rows;
    if (back!.n !== expected) throw new Error(`the peer's COPY loaded ${back!.n} events, not ${expected}`);
    return {
      ms: loaded.ms,
      rate: perSecond(expected, loaded.ms),
      shape: `${shape!.indexes} indexes (primary key included), ${shape!.fks} foreign key${shape!.fks === 1 ? '' : 's'}, ${shape!.checks} check`,
      load,
    };
  } finally {
    await client.end();
  }
}

// ---------------------------------------------------------------------------------------------------------
// EXPLAIN of captured chunks
// ---------------------------------------------------------------------------------------------------------

const summarize = (text: string) => text.replace(/\s+/g, ' ').trim().slice(0, 140);

/**
 * EXPLAIN (ANALYZE, BUFFERS) of a chunk's statements as they were sent, in a transaction rolled back. The
 * chunk's events are in the table by now, so their insert would only meet conflicts: they are deleted first
 * (inside the same transaction) to measure the insert the import really did.
 */
async function explainChunk(app: App, label: string, chunk: Sent[], userId: string) {
  log(`\n── EXPLAIN (ANALYZE, BUFFERS) of ${label}: ${chunk.length} statements ──`);
  await app.db.sql.withConnection(async (c) => {
    for (const [i, statement] of chunk.entries()) {
      const rows = Array.isArray(statement.values[3]) ? (statement.values[3] as unknown[]).length : Array.isArray(statement.values[1]) ? (statement.values[1] as unknown[]).length : 0;
      log(`\n[${i + 1}] ${kindOf(statement.text)}, ${int(rows)} rows: ${summarize(statement.text)}`);
      if (kindOf(statement.text).startsWith('event COPY')) {
        log('    (a COPY: nothing to explain; the peer below is the same COPY, timed)');
        continue;
      }
      if (kindOf(statement.text).startsWith('media match') && rows > 1_000 && chunk.length > 1) {
        log('    (skipped: against the whole library now, not the one this chunk met, it would take minutes; the last match is explained below)');
        continue;
      }
      await c.exec('BEGIN');
      try {
        if (/INSERT INTO "WatchEvent"/.test(statement.text)) {
          const removed = await c.query<{ n: number }>(
            `WITH d AS (DELETE FROM "WatchEvent" w USING unnest($2::uuid[], $3::timestamptz[]) AS i(media, at)
                        WHERE w."userId" = $1::uuid AND w."mediaId" = i.media AND w."watchedAt" = i.at RETURNING 1)
             SELECT count(*)::int AS n FROM d`,
            [userId, statement.values[4], statement.values[5]],
          );
          log(`    (the chunk's ${int(removed[0]!.n)} events deleted first, in the same transaction)`);
        }
        const t0 = performance.now();
        const plan = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN (ANALYZE, BUFFERS) ${statement.text}`, statement.values);
        for (const row of plan) log(`    ${row['QUERY PLAN']}`);
        log(`    (round trip ${ms(performance.now() - t0)})`);
      } catch (error) {
        log(`    fails: ${(error as Error).message}`);
      } finally {
        await c.exec('ROLLBACK');
      }
    }
  });
}

// ---------------------------------------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------------------------------------

let app: App | null = null;
let clients: WsClient[] = [];
let created = false;
let tempDir: string | null = null;
let stopping: Promise<void> | null = null;

async function cleanUp() {
  stopping ??= (async () => {
    for (const client of clients) await client.dispose();
    if (app) await app.stop().catch((error: unknown) => console.error('stopping the server failed:', error));
    if (KEEP) {
      if (created) log(`\nBENCH_KEEP=1: kept the database at ${dbUrl}`);
      if (tempDir) log(`BENCH_KEEP=1: kept the files in ${tempDir}`);
      return;
    }
    if (tempDir) await rm(tempDir, { recursive: true, force: true }).catch((error: unknown) => console.error(`removing ${tempDir} failed:`, error));
    if (!created) return;
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

const busy = () => {
  const [one] = loadavg();
  return `load average ${one!.toFixed(2)} on ${availableParallelism()} cores${one! > availableParallelism() / 2 ? ' — the machine is busy: figures will be noisy' : ''}`;
};

async function main() {
  log(`Klug import benchmark — ${new Date().toISOString()}`);
  log(busy());
  tempDir = await mkdtemp(join(tmpdir(), 'klug-bench-imports-'));

  // ── 1. the KLUG_CSV file ───────────────────────────────────────────────────────────────────────────────
  const generating = performance.now();
  const file = await generateKlugCsv(tempDir);
  const generateMs = performance.now() - generating;
  log(
    `generated ${file.path}: ${mb(file.bytes)}, ${int(file.events)} events over ${int(file.movies)} movies ` +
      `(${int(file.withoutIds)} without ids), ${int(file.rated)} rated, ${int(file.rewatches)} rewatches, ` +
      `${file.oldest.toISOString().slice(0, 10)} → ${file.newest.toISOString().slice(0, 10)}, in ${s(generateMs)}`,
  );

  // ── 2. database, server, people ────────────────────────────────────────────────────────────────────────
  const server = await createBenchDatabase();
  created = true;
  log(`PostgreSQL ${server}, Node ${process.version}; database ${dbName}`);
  const startingAt = performance.now();
  app = await startApp(
    loadConfig(benchEnv({ KLUG_IMPORT_UPLOAD_MAX_MB: '500', KLUG_DATA_DIR: tempDir })),
  );
  log(`server up at ${app.url} (migrations applied) in ${ms(performance.now() - startingAt)}`);
  const person = await signUp(app.url, 'importer@bench.klug.test');
  log(`signed up importer@bench.klug.test over HTTP`);

  // ── 3. Letterboxd, 2,000 films, each run a fresh person (before the big import, on a quiet database) ──
  log(`\nLetterboxd export, ${int(LETTERBOXD_FILMS)} films, ${LETTERBOXD_RUNS} runs, each by a fresh person:`);
  const letterboxd: { totalMs: number; uploadMs: number; processingMs: number; events: number }[] = [];
  for (let run = 1; run <= LETTERBOXD_RUNS; run++) {
    const exported = await generateLetterboxd(tempDir, run);
    const reader = await signUp(app.url, `letterboxd${run}@bench.klug.test`);
    const client = wsClient(app, reader.token);
    clients.push(client);
    profile = new Map();
    const result = await importEndToEnd(app, reader, client, exported.path, 'letterboxd-export.zip', 'LETTERBOXD');
    const sql = [...profile.entries()].sort((a, b) => b[1].ms - a[1].ms);
    profile = null;
    const { batch } = result;
    if (batch.insertedCount !== exported.events || batch.errorCount !== 0) {
      throw new Error(`Letterboxd run ${run}: inserted ${batch.insertedCount} of ${exported.events} events, ${batch.errorCount} errors, ${batch.duplicateCount} duplicates`);
    }
    const [media] = await app.db.sql.query<{ n: number; rated: number }>(
      `SELECT count(*)::int AS n, count(rating)::int AS rated FROM "Media" WHERE "userId" = $1::uuid`,
      [reader.id],
    );
    if (media!.n !== exported.films) throw new Error(`Letterboxd run ${run}: ${media!.n} media for ${exported.films} films`);
    letterboxd.push({ ...result, events: exported.events });
    log(
      `  run ${run}: ${s(result.totalMs)} end to end (upload and staging ${ms(result.uploadMs)}, processing ${ms(result.processingMs)}); ` +
        `ZIP ${(exported.bytes / 1024).toFixed(0)} kB, ${int(batch.insertedCount)} events (${int(exported.diaryEntries)} diary entries, ` +
        `${int(exported.rewatches)} rewatches), ${int(media!.n)} media, ${int(media!.rated)} rated${run === 1 ? ' — the server\'s first import (cold)' : ''}`,
    );
    const statements = sql.reduce((sum, [, time]) => sum + time.count, 0);
    const inSql = sql.reduce((sum, [, time]) => sum + time.ms, 0);
    log(`         ${statements} statements, ${ms(inSql)} in SQL: ${sql.slice(0, 4).map(([kind, time]) => `${kind.replace(/ \(.*\)$/, '')} ${ms(time.ms)}`).join(', ')}`);
    await client.dispose();
    clients = clients.filter((c) => c !== client);
  }
  const lbSorted = letterboxd.map((r) => r.totalMs).sort((a, b) => a - b);
  const lbMedian = lbSorted[Math.floor(lbSorted.length / 2)]!;

  // ── 4. psql \copy of the same rows into a plain table, for scale ───────────────────────────────────────
  const columns = KLUG_COLUMNS.join(', ');
  await app.db.sql.exec(
    `CREATE TABLE bench_copy (title text, watched_at timestamptz, kind text, year text, rating text, rewatch text, tags text, review text, tmdb_id text, imdb_id text)`,
  );
  const copy = await runPsql(dbUrl, `\\copy bench_copy(${columns}) FROM '${file.path.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`);
  const [copied] = await app.db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM bench_copy`);
  if (copied!.n !== file.events) throw new Error(`psql \\copy loaded ${copied!.n} rows, not ${file.events}`);
  const copyRate = perSecond(file.events, copy.ms);
  log(`\npsql \\copy of the same CSV into a plain table (${KLUG_COLUMNS.length} text/timestamptz columns, no index): ${s(copy.ms)} — ${int(copyRate)} rows/s`);
  await app.db.sql.exec('DROP TABLE bench_copy');
  await app.db.sql.exec('CHECKPOINT').catch(() => undefined); // so the import does not pay for the copy's WAL

  // ── 5. the big import, over HTTP and graphql-ws, with RSS sampled ──────────────────────────────────────
  const client = wsClient(app, person.token);
  clients.push(client);
  const chunks = Math.ceil(file.events / CHUNK);
  if (EXPLAIN) {
    captured = [];
    explainChunks = [...new Set([1, Math.max(1, Math.floor(chunks / 2))])];
  }
  const [vacuum] = await app.db.sql.query<{ autovacuum: string; naptime: string }>(
    `SELECT current_setting('autovacuum') AS autovacuum, current_setting('autovacuum_naptime') AS naptime`,
  );
  log(
    `\nautovacuum is ${vacuum!.autovacuum} on this server (naptime ${vacuum!.naptime})` +
      (vacuum!.autovacuum === 'on' ? '' : ': nothing analyzes "Media" or "WatchEvent" while the import runs, so the planner plans them as never analyzed'),
  );
  gc();
  await new Promise((resolve) => setTimeout(resolve, 500));
  gc();
  const baseline = process.memoryUsage();
  let peak = baseline;
  let peakAt = 0;
  let samples = 0;
  const importStarted = performance.now();
  const sampler = setInterval(() => {
    const now = process.memoryUsage();
    samples++;
    if (now.rss > peak.rss) {
      peak = now;
      peakAt = performance.now() - importStarted;
    }
  }, SAMPLE_MS);
  const cpuBefore = process.cpuUsage();
  const importLoad = busy();
  log(
    `KLUG_CSV import of ${int(file.events)} events (${mb(file.bytes)}, ${int(chunks)} chunks of ${int(CHUNK)}) — ${busy()}; ` +
      `RSS baseline ${mb(baseline.rss)}${LIMIT_S > 0 ? `; cancelled if not done in ${LIMIT_S} s (BENCH_IMPORT_TIMEOUT_S)` : ''}`,
  );
  profile = new Map();
  let lastPrint = 0;
  const report = (batch: Batch, elapsed: number) => {
    if (elapsed - lastPrint < PROGRESS_EVERY_MS && !TERMINAL.has(batch.status)) return;
    lastPrint = elapsed;
    log(
      `  ${s(elapsed).padStart(8)}  ${batch.status.padEnd(10)} ${int(batch.processedRows).padStart(9)} / ${int(batch.totalRows)} rows ` +
        `(${(batch.progress * 100).toFixed(0)}%), ${int(batch.insertedCount)} inserted, ${int(perSecond(batch.processedRows, elapsed))} events/s so far, ` +
        `RSS ${mb(process.memoryUsage.rss())}`,
    );
  };
  let big: Awaited<ReturnType<typeof importWithLimit>>;
  try {
    big = await importWithLimit(app, person, client, file.path, report);
  } finally {
    clearInterval(sampler);
  }
  // what the statements took up to the limit, when there was one: the cancelling is not part of the figure
  const sqlTimes = big.sqlAtLimit ?? profile;
  profile = null;
  const toExplain = captured;
  captured = null; // the EXPLAINs below must not be captured themselves
  const cpu = process.cpuUsage(cpuBefore);
  const { batch } = big;
  const finished = !big.timedOut;
  const rate = perSecond(finished ? batch.insertedCount : big.rowsAtLimit, big.totalMs);
  const growth = peak.rss - baseline.rss;
  if (finished) {
    log(
      `COMPLETED in ${s(big.totalMs)} end to end — ${int(rate)} events/s ` +
        `(upload and staging ${s(big.uploadMs)}, processing ${s(big.processingMs)} by the batch's startedAt → finishedAt)`,
    );
  } else {
    log(
      `NOT DONE after ${s(big.totalMs)}: ${int(big.rowsAtLimit)} of ${int(file.events)} rows processed — ${int(rate)} events/s so far ` +
        `(upload and staging ${s(big.uploadMs)}); cancelled with cancelImport, the batch ended ${batch.status}`,
    );
  }
  log(
    `counts: totalRows ${int(batch.totalRows)}, processedRows ${int(batch.processedRows)}, inserted ${int(batch.insertedCount)}, ` +
      `duplicates ${int(batch.duplicateCount)}, updated ${int(batch.updatedCount)}, skipped ${int(batch.skippedCount)}, errors ${int(batch.errorCount)}`,
  );
  if (finished) {
    if (batch.insertedCount !== file.events) {
      throw new Error(`insertedCount is ${batch.insertedCount}, not BENCH_EVENTS=${file.events} (duplicates ${batch.duplicateCount}, errors ${batch.errorCount})`);
    }
    const [stored] = await app.db.sql.query<{ events: number; media: number; rated: number; rewatches: number }>(
      `SELECT (SELECT count(*) FROM "WatchEvent" WHERE "userId" = $1::uuid)::int AS events,
              (SELECT count(*) FROM "Media" WHERE "userId" = $1::uuid)::int AS media,
              (SELECT count(*) FROM "WatchEvent" WHERE "userId" = $1::uuid AND rating IS NOT NULL)::int AS rated,
              (SELECT count(*) FROM "WatchEvent" WHERE "userId" = $1::uuid AND rewatch)::int AS rewatches`,
      [person.id],
    );
    log(`in the database: ${int(stored!.events)} events, ${int(stored!.media)} media, ${int(stored!.rated)} rated, ${int(stored!.rewatches)} rewatches`);
    if (stored!.events !== file.events || stored!.media !== file.movies || stored!.rated !== file.rated || stored!.rewatches !== file.rewatches) {
      throw new Error(`the database does not hold what the file says: ${file.events} events, ${file.movies} movies, ${file.rated} rated, ${file.rewatches} rewatches expected`);
    }
  }
  log(
    `memory: RSS baseline ${mb(baseline.rss)}, peak ${mb(peak.rss)} at ${s(peakAt)}, growth ${mb(growth)} (${samples} samples every ${SAMPLE_MS} ms); ` +
      `at the peak heap used ${mb(peak.heapUsed)} of ${mb(peak.heapTotal)} (baseline ${mb(baseline.heapUsed)} of ${mb(baseline.heapTotal)}), ` +
      `external ${mb(peak.external)} (baseline ${mb(baseline.external)}), array buffers ${mb(peak.arrayBuffers)} (baseline ${mb(baseline.arrayBuffers)})`,
  );
  let peer: Awaited<ReturnType<typeof copyPeer>> | null = null;
  if (finished) {
    peer = await copyPeer(person.id, file.events);
    log(
      `\npeer: psql \\copy of the same ${int(file.events)} rows into "WatchEvent" as shipped (${peer.shape}), exported from the import, ` +
        `deleted, the table vacuumed: ${s(peer.ms)} — ${int(peer.rate)} rows/s (${peer.load})`,
    );
    log(`ratio Klug / COPY: ${(rate / peer.rate).toFixed(3)} (target ≥ ${TARGETS.ratioToCopy}: ${rate / peer.rate >= TARGETS.ratioToCopy ? 'met' : 'NOT met'})`);
  }
  log(`CPU of this process during the import: user ${s(cpu.user / 1000)}, system ${s(cpu.system / 1000)} (${((100 * (cpu.user + cpu.system)) / 1000 / big.totalMs).toFixed(0)}% of one core)`);
  const ratio = rate / copyRate;
  log(`beside psql \\copy into a plain table without indexes: ${ratio.toFixed(4)} (${int(rate)} vs ${int(copyRate)} rows/s) — for scale only`);

  // where the time went: the statements' round trips (client side), the rest is JS in this process
  const rows = [...sqlTimes.entries()].sort((a, b) => b[1].ms - a[1].ms);
  const inSql = rows.reduce((sum, [, t]) => sum + t.ms, 0);
  const share = (value: number) => `${((100 * value) / big.totalMs).toFixed(1).padStart(5)}%`;
  log(`\nwhere the ${s(big.totalMs)} went (statement round trips as the server's pg client saw them, parameters' serialization included):`);
  for (const [kind, t] of rows) {
    const each = t.count > 0 ? `${ms((t.ms - (t.openMs ?? 0)) / t.count).padStart(10)} each` : ''.padStart(15);
    log(`  ${kind.padEnd(40)} ${String(t.count).padStart(6)} statements ${s(t.ms).padStart(9)} ${each}  ${share(t.ms)}${t.open ? ` (and ${t.open} unfinished at the limit, counted for its time so far)` : ''}`);
  }
  log(`  ${'upload and staging (startImport)'.padEnd(40)} ${''.padStart(17)} ${s(big.uploadMs).padStart(9)} ${''.padStart(15)}  ${share(big.uploadMs)}`);
  const rest = big.totalMs - inSql - big.uploadMs;
  log(`  ${'the rest: CSV parsing, JS, event loop'.padEnd(40)} ${''.padStart(17)} ${s(rest).padStart(9)} ${''.padStart(15)}  ${share(rest)}`);

  if (EXPLAIN && toExplain) {
    for (const [i, chunk] of toExplain.entries()) await explainChunk(app, `chunk ${explainChunks[i]}`, chunk, person.id);
    if (lastMatch) {
      await explainChunk(app, 'the last media match of the import', [lastMatch], person.id);
      await explainAnalyzed(app, lastMatch);
    }
  }

  // ── for `npm run bench` (bench/all.ts): one line each ───────────────────────────────────────────────
  const record = new Set((process.env.BENCH_RECORD ?? 'rate,memory,letterboxd').split(','));
  if (record.has('rate')) {
    recordResult({
      bench: 'imports',
      measure: `KLUG_CSV, ${int(file.events)} events, upload → COMPLETED, vs COPY into "WatchEvent"`,
      klug: rate,
      peer: peer?.rate ?? null,
      unit: 'events/s',
      ratio: peer ? rate / peer.rate : null,
      target: `≥ ${TARGETS.ratioToCopy}×`,
      met: finished && !!peer && rate / peer.rate >= TARGETS.ratioToCopy,
    });
  }
  if (record.has('memory')) {
    recordResult({
      bench: 'imports',
      measure: `RSS growth during the ${int(file.events)}-event import`,
      klug: growth / 1024 / 1024,
      unit: 'MB',
      target: `< ${TARGETS.rssGrowthMb} MB`,
      met: finished && growth < TARGETS.rssGrowthMb * 1024 * 1024,
    });
  }
  if (record.has('letterboxd')) {
    recordResult({
      bench: 'imports',
      measure: `Letterboxd, ${int(LETTERBOXD_FILMS)} films, end to end, median of ${LETTERBOXD_RUNS}`,
      klug: lbMedian,
      unit: 'ms',
      target: `< ${TARGETS.letterboxdMs} ms`,
      met: lbMedian < TARGETS.letterboxdMs,
    });
  }

  // ── summary ────────────────────────────────────────────────────────────────────────────────────────────
  const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const peerRatio = peer ? rate / peer.rate : NaN;
  const table: string[][] = [
    ['measurement', 'Klug', 'peer', 'ratio', 'target', 'result'],
    [
      `KLUG_CSV, ${int(file.events)} events, upload → COMPLETED`,
      finished ? `${int(rate)} events/s (${s(big.totalMs)})` : `${int(rate)} events/s, NOT DONE in ${s(big.totalMs)} (${int(big.rowsAtLimit)} rows)`,
      peer ? `COPY into "WatchEvent": ${int(peer.rate)} rows/s (${s(peer.ms)})` : 'not run',
      peer ? peerRatio.toFixed(3) : '—',
      `≥ ${TARGETS.ratioToCopy}`,
      verdict(finished && peerRatio >= TARGETS.ratioToCopy),
    ],
    [`RSS growth during that import${finished ? '' : ' (so far)'}`, `${mb(growth)} (peak ${mb(peak.rss)})`, '', '', `< ${TARGETS.rssGrowthMb} MB`, verdict(growth < TARGETS.rssGrowthMb * 1024 * 1024)],
    [`Letterboxd, ${int(LETTERBOXD_FILMS)} films, end to end`, `${s(lbMedian)} median of ${LETTERBOXD_RUNS} (first ${s(letterboxd[0]!.totalMs)})`, '', '', `< ${s(TARGETS.letterboxdMs)}`, verdict(lbMedian < TARGETS.letterboxdMs)],
    ['(scale) psql \\copy into a plain table, no index', '', `${int(copyRate)} rows/s (${s(copy.ms)})`, ratio.toFixed(3), '—', ''],
  ];
  const widths = table[0]!.map((_, c) => Math.max(...table.map((r) => r[c]!.length)));
  const line = (r: string[]) => `│ ${r.map((cell, c) => cell.padEnd(widths[c]!)).join(' │ ')} │`;
  const rule = (l: string, m: string, r: string) => `${l}${widths.map((w) => '─'.repeat(w + 2)).join(m)}${r}`;
  log(`\nSummary — KLUG_CSV ${mb(file.bytes)}, ${int(file.events)} events over ${int(file.movies)} movies; Letterboxd ${int(LETTERBOXD_FILMS)} films`);
  log(rule('┌', '┬', '┐'));
  log(line(table[0]!));
  log(rule('├', '┼', '┤'));
  for (const r of table.slice(1)) log(line(r));
  log(rule('└', '┴', '┘'));
  log(`load: at the import's start ${importLoad}; at the peer's start ${peer?.load ?? '—'}; after the run ${busy()}`);
  log(`total run time ${((performance.now() - started) / 1000).toFixed(1)} s`);
  if (!finished) process.exitCode = 1;
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
