/**
 * Enrichment benchmark: 2,000 films imported (KLUG_CSV with TMDB ids) and enriched against a fake TMDB on
 * loopback that allows 40 requests/s and answers in 20 ms. Prints the time from upload to COMPLETED against
 * the ideal (films ÷ 40 requests/s), the requests made (one per film is the target) and the 429s; then a
 * second person importing the same films: requests (target 0) and time (target < 3 s).
 *
 *   npm run bench:enrichment
 *
 * Environment: BENCH_DATABASE_URL (admin URL, default postgresql://postgres@127.0.0.1:5432/test),
 * BENCH_FILMS (default 2000), BENCH_KEEP=1, BENCH_LOG_LEVEL.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { benchEnv, createBenchDatabase, dbName, dropBenchDatabase, gql, KEEP, recordResult, SIGN_UP } from './support.js';

process.env.NODE_ENV = 'production';
const { startApp } = await import('../src/server/app.js');
const { loadConfig } = await import('../src/config.js');

const FILMS = Number(process.env.BENCH_FILMS ?? 2000);
const RATE = 40;
const TARGETS = { idealRatio: 1.1, secondPersonMs: 3000 };

const START_IMPORT = /* GraphQL */ `
  mutation BenchEnrichImport($input: StartImportInput!) {
    startImport(input: $input) { __typename ... on StartImportSuccess { batch { id } } ... on Error { code message } }
  }`;
const BATCH = /* GraphQL */ `
  query BenchEnrichBatch($id: ID!) { node(id: $id) { ... on ImportBatch { status insertedCount enrichedCount errorMessage } } }`;

// the fake runs in its own process, so Klug's busy moments cannot bunch its clock (see fake-tmdb-process.ts)
const fake = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, 'fake-tmdb-process.ts')], {
  env: { ...process.env, BENCH_FILMS: String(FILMS), FAKE_RATE: String(RATE), FAKE_LATENCY_MS: '20' },
  stdio: ['ignore', 'pipe', 'inherit'],
});
const [line] = await createInterface({ input: fake.stdout! })[Symbol.asyncIterator]().next().then((r) => [r.value as string]);
const tmdb = JSON.parse(line!) as { url: string; imageUrl: string };
const stats = async () => (await (await fetch(`${tmdb.url.replace(/\/3$/, '')}/__stats`)).json()) as { requests: number; rateLimited: number };
const csv = ['title,year,watched_at,tmdb_id', ...Array.from({ length: FILMS }, (_, i) => `Bench Film ${i},${1950 + (i % 70)},2024-01-01T${String(i % 24).padStart(2, '0')}:${String(i % 60).padStart(2, '0')}:00Z,${100_000 + i}`)].join('\n');

const dataDir = await mkdtemp(join(tmpdir(), 'klug-bench-enrich-'));
const pgVersion = await createBenchDatabase();
const app = await startApp(
  loadConfig(benchEnv({ KLUG_DATA_DIR: dataDir, KLUG_TMDB_API_KEY: 'test-key', KLUG_TMDB_URL: tmdb.url, KLUG_TMDB_IMAGE_URL: tmdb.imageUrl, KLUG_TMDB_RPS: String(RATE) })),
);

async function importAs(email: string): Promise<{ ms: number; requests: number; batch: Record<string, unknown> }> {
  const auth = await gql<{ signUp: { token: string } }>(app.url, SIGN_UP, { email, password: 'a long bench passphrase 1' });
  const token = auth.signUp.token;
  const requestsBefore = (await stats()).requests;
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: START_IMPORT, variables: { input: { source: 'KLUG_CSV', files: [null] } } }));
  form.append('map', JSON.stringify({ 0: ['variables.input.files.0'] }));
  form.append('0', new Blob([csv]), 'history.csv');
  const t0 = performance.now();
  const response = await fetch(app.url, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'x-graphql-yoga-csrf': '1' }, body: form });
  const started = ((await response.json()) as { data: { startImport: { batch?: { id: string }; message?: string } } }).data.startImport;
  if (!started.batch) throw new Error(`import refused: ${started.message}`);
  await app.runs.idle();
  const ms = performance.now() - t0;
  const batch = (await gql<{ node: Record<string, unknown> }>(app.url, BATCH, { id: started.batch.id }, token)).node;
  if (batch.status !== 'COMPLETED') throw new Error(`the import ended ${JSON.stringify(batch)}`);
  return { ms, requests: (await stats()).requests - requestsBefore, batch };
}

try {
  console.log(`enrichment bench: ${FILMS} films, fake TMDB at ${RATE} requests/s with 20 ms answers, PostgreSQL ${pgVersion} (${dbName})`);
  const first = await importAs('first@bench.test');
  const ideal = (FILMS / RATE) * 1000;
  const { rateLimited } = await stats();
  const second = await importAs('second@bench.test');
  const row = (name: string, value: string, peer: string, ratio: string, target: string) => console.log(`${name.padEnd(34)}${value.padStart(12)}${peer.padStart(14)}${ratio.padStart(9)}   ${target}`);
  console.log();
  row('', 'Klug', 'ideal/peer', 'ratio', 'target');
  row('first person: upload → COMPLETED', `${(first.ms / 1000).toFixed(2)} s`, `${(ideal / 1000).toFixed(2)} s`, `${(first.ms / ideal).toFixed(3)}×`, `≤ ${TARGETS.idealRatio}× ideal ${first.ms / ideal <= TARGETS.idealRatio ? 'ok' : 'MISSED'}`);
  row('first person: TMDB requests', String(first.requests), String(FILMS), `${(first.requests / FILMS).toFixed(3)}×`, `1 per film ${first.requests === FILMS ? 'ok' : 'MISSED'}`);
  row('first person: 429s received', String(rateLimited), '0', '', rateLimited === 0 ? 'ok' : 'each one cost a second');
  row('second person: upload → COMPLETED', `${(second.ms / 1000).toFixed(2)} s`, '', '', `< ${TARGETS.secondPersonMs / 1000} s ${second.ms < TARGETS.secondPersonMs ? 'ok' : 'MISSED'}`);
  row('second person: TMDB requests', String(second.requests), '0', '', second.requests === 0 ? 'ok' : 'MISSED');
  recordResult({ bench: 'enrichment', measure: `${FILMS} films: upload → COMPLETED, vs ideal ${FILMS} ÷ ${RATE}/s`, klug: first.ms / 1000, peer: ideal / 1000, unit: 's', ratio: first.ms / ideal, target: `≤ ${TARGETS.idealRatio}× ideal`, met: first.ms / ideal <= TARGETS.idealRatio });
  recordResult({ bench: 'enrichment', measure: `${FILMS} films: TMDB requests (429s: ${rateLimited})`, klug: first.requests, peer: FILMS, unit: 'requests', ratio: first.requests / FILMS, target: 'one per film', met: first.requests === FILMS });
  recordResult({ bench: 'enrichment', measure: 'second person, same films: upload → COMPLETED', klug: second.ms / 1000, unit: 's', target: `< ${TARGETS.secondPersonMs / 1000} s`, met: second.ms < TARGETS.secondPersonMs });
  recordResult({ bench: 'enrichment', measure: 'second person, same films: TMDB requests', klug: second.requests, unit: 'requests', target: '0', met: second.requests === 0 });
  console.log(`\nbatches: first ${JSON.stringify(first.batch)}, second ${JSON.stringify(second.batch)}`);
} finally {
  await app.stop();
  fake.kill('SIGTERM');
  if (!KEEP) {
    await dropBenchDatabase();
    await rm(dataDir, { recursive: true, force: true });
  }
}
