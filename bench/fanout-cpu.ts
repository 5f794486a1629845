/**
 * The fan-out alone: 1,000 graphql-ws clients follow one quiet batch's importProgress, and the bench publishes its
 * states itself (no import beside it), ROUNDS times. Per state: publish → first and last send, and the server
 * process's CPU time (user + system, the sockets' writes included) per delivery: a figure load moves far less
 * than milliseconds.   npx tsx bench/fanout-cpu.ts   (BENCH_SUBSCRIBERS, BENCH_ROUNDS, BENCH_DATABASE_URL)
 */
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';
import { benchEnv, createBenchDatabase, dropBenchDatabase, gql, loadLine, SIGN_UP } from './support.js';

process.env.NODE_ENV = 'production';
const { startApp } = await import('../src/server/app.js');
const { loadConfig } = await import('../src/config.js');
const SUBSCRIBERS = Number(process.env.BENCH_SUBSCRIBERS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 40);
const now = () => performance.timeOrigin + performance.now();
const PROGRESS = `subscription ($batchId: ID!) { importProgress(batchId: $batchId) { status processedRows insertedCount errorCount } }`;

const sends = new Map<string, { first: number; last: number; count: number }>();
const originalSend = WebSocket.prototype.send;
WebSocket.prototype.send = function send(this: WebSocket, data: unknown, ...rest: unknown[]) {
  const result = (originalSend as (...args: unknown[]) => void).call(this, data, ...rest);
  const text = typeof data === 'string' ? data : '';
  const match = /"processedRows":(-?\d+)/.exec(text);
  if (match) {
    const at = now();
    const entry = sends.get(match[1]!);
    if (entry) {
      entry.last = at;
      entry.count++;
    } else sends.set(match[1]!, { first: at, last: at, count: 1 });
  }
  return result;
} as typeof WebSocket.prototype.send;

const dataDir = mkdtempSync(join(tmpdir(), 'klug-bench-fanout-'));
await createBenchDatabase();
const app = await startApp(loadConfig(benchEnv({ KLUG_DATA_DIR: dataDir })));
try {
  const { token } = (await gql<{ signUp: { token: string } }>(app.url, SIGN_UP, { email: 'fanout@bench.klug.test', password: 'a long bench passphrase 1' })).signUp;
  const user = await app.db.prisma.user.findUniqueOrThrow({ where: { email: 'fanout@bench.klug.test' } });
  const batch = await app.db.prisma.importBatch.create({ data: { userId: user.id, source: 'KLUG_CSV', mode: 'APPEND' } });
  const child = fork(fileURLToPath(new URL('./ws-clients-process.ts', import.meta.url)),
    [app.url.replace(/^http/, 'ws'), String(SUBSCRIBERS), PROGRESS, JSON.stringify({ batchId: Buffer.from(`ImportBatch:${batch.id}`).toString('base64') }), JSON.stringify({ authorization: `Bearer ${token}` })],
    { execArgv: ['--import', 'tsx'], stdio: 'inherit' });
  await new Promise<void>((resolve) => child.on('message', (m: { ready?: boolean }) => m.ready && resolve()));
  const run = { id: batch.id, kind: 'import', status: 'RUNNING', userId: user.id, progress: {} };
  const rows: { first: number; spread: number; cpu: number }[] = [];
  console.log(loadLine());
  for (let i = 1; i <= ROUNDS; i++) {
    await new Promise((resolve) => setTimeout(resolve, 50));
    const cpu = process.cpuUsage();
    const at = now();
    app.events.pubsub.publish('run:changed', batch.id, { run, view: { ...batch, status: 'PROCESSING', processedRows: i } });
    while ((sends.get(String(i))?.count ?? 0) < SUBSCRIBERS) await new Promise((resolve) => setImmediate(resolve));
    const used = process.cpuUsage(cpu);
    const s = sends.get(String(i))!;
    rows.push({ first: s.first - at, spread: s.last - s.first, cpu: (used.user + used.system) / SUBSCRIBERS });
  }
  const q = (list: number[], p: number) => [...list].sort((a, b) => a - b)[Math.floor(p * (list.length - 1))]!;
  const line = (name: keyof (typeof rows)[0], unit: string) => `p50 ${q(rows.map((r) => r[name]), 0.5).toFixed(1)}${unit} (p10 ${q(rows.map((r) => r[name]), 0.1).toFixed(1)}, p90 ${q(rows.map((r) => r[name]), 0.9).toFixed(1)})`;
  console.log(`${SUBSCRIBERS} subscribers, ${ROUNDS} states: publish → first send: ${line('first', ' ms')}; first → last send: ${line('spread', ' ms')}; server CPU per delivery: ${line('cpu', ' µs')}; ${loadLine()}`);
  app.events.pubsub.publish('run:changed', batch.id, { run: { ...run, status: 'COMPLETED' }, view: { ...batch, status: 'COMPLETED', processedRows: 0 } });
  child.send('finish');
  await new Promise((resolve) => child.once('exit', resolve));
} finally {
  await app.stop();
  await dropBenchDatabase();
  rmSync(dataDir, { recursive: true, force: true });
}
