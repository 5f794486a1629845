/**
 * Runs benchmark: 10,000 tiny runs claimed and completed by 4 workers (RunWorker, each on its own connection
 * pool) on PostgreSQL, beside the peer: 4 bare clients draining the same 10,000 rows with the smallest
 * SKIP LOCKED queue there is (`UPDATE … WHERE id = (SELECT … FOR UPDATE SKIP LOCKED LIMIT 1)`, one row at a
 * time, no lease, no mirror, no events). Prints runs/s of both and the ratio.
 *
 *   npx tsx bench/runs.ts        (BENCH_DATABASE_URL, BENCH_RUNS=10000, BENCH_WORKERS=4)
 */
import pg from 'pg';
import { openDatabase, type Database } from '../src/db/database.js';
import { migrate, readMigrations } from '../src/db/migrator.js';
import { RunWorker } from '../src/jobs/run-worker.js';
import { createLogger } from '../src/logger.js';
import { createEventBus } from '../src/services/events.js';
import { createBenchDatabase, dbName, dbUrl, dropBenchDatabase, KEEP, recordResult } from './support.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 10_000);
const WORKERS = Number(process.env.BENCH_WORKERS ?? 4);
const TARGET_RATIO = 0.3;

const version = await createBenchDatabase();
console.log(`PostgreSQL ${version}, database ${dbName}: ${RUNS} runs, ${WORKERS} workers`);
const databases: Database[] = [];
try {
  const open = async () => {
    const db = await openDatabase({ kind: 'postgres', url: dbUrl });
    databases.push(db);
    return db;
  };
  const first = await open();
  await migrate(first.sql, await readMigrations());
  const seed = (kind: string) =>
    first.sql.query(`INSERT INTO "Run" (id, kind) SELECT gen_random_uuid(), $1 FROM generate_series(1, $2)`, [kind, RUNS]);

  // peer: the bare queue
  await seed('peer');
  const peerStart = performance.now();
  await Promise.all(
    Array.from({ length: WORKERS }, async () => {
      const client = new pg.Client({ connectionString: dbUrl });
      await client.connect();
      try {
        for (;;) {
          const { rowCount } = await client.query(
            `UPDATE "Run" SET status = 'COMPLETED', "finishedAt" = now()
             WHERE id = (SELECT id FROM "Run" WHERE kind = 'peer' AND status = 'QUEUED' ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)`,
          );
          if (!rowCount) return;
        }
      } finally {
        await client.end();
      }
    }),
  );
  const peerRate = RUNS / ((performance.now() - peerStart) / 1000);

  // Klug's workers
  const kind = 'bench-tiny';
  await seed(kind);
  const settings = { leaseMs: 30_000, pollMs: 60_000, progressMs: 1000, affinityGraceMs: 60_000, retryBaseMs: 1000, retryMaxMs: 10_000 };
  const workers: RunWorker[] = [];
  for (let i = 0; i < WORKERS; i++) {
    const db = await open();
    const worker = new RunWorker({ sql: db.sql, events: createEventBus(undefined), log: createLogger('silent'), settings, node: `bench-${i}`, exclusive: false });
    worker.register({ name: kind, concurrency: 1, run: async () => ({ done: true }) });
    workers.push(worker);
  }
  const start = performance.now();
  await Promise.all(workers.map((w) => w.start()));
  await Promise.all(workers.map((w) => w.idle()));
  const rate = RUNS / ((performance.now() - start) / 1000);
  await Promise.all(workers.map((w) => w.stop()));
  const [left] = await first.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "Run" WHERE kind = $1 AND status <> 'COMPLETED'`, [kind]);
  if (left!.n !== 0) throw new Error(`${left!.n} runs were not completed`);

  const ratio = rate / peerRate;
  recordResult({ bench: 'runs', measure: `${RUNS.toLocaleString('en-US')} tiny runs, ${WORKERS} workers`, klug: rate, peer: peerRate, unit: 'runs/s', ratio, target: `≥ ${TARGET_RATIO}×`, met: ratio >= TARGET_RATIO });
  console.table([
    { what: 'bare SKIP LOCKED queue (peer)', 'runs/s': Math.round(peerRate) },
    { what: 'RunWorker: claim, run, complete', 'runs/s': Math.round(rate) },
  ]);
  console.log(`ratio ${ratio.toFixed(2)}× the bare queue (target ≥ ${TARGET_RATIO}×: ${ratio >= TARGET_RATIO ? 'met' : 'NOT met'}); ` +
    'each Klug run is a claim and a finish, each in a transaction with its mirror, plus a lease and an event');
} finally {
  await Promise.all(databases.map((db) => db.close()));
  if (!KEEP) await dropBenchDatabase();
}
