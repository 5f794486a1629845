/**
 * Runs the benchmarks that compare Klug with a peer, one after another, and prints one table of what they
 * recorded (each appends JSON lines through `recordResult` to the file named by BENCH_RESULTS).
 *
 *   npm run bench                           # every one below
 *   BENCH_ONLY=auth,library npm run bench   # some
 *
 * Each bench's own output goes to the terminal as it runs; its environment variables apply as usual.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchResult } from './support.js';
import { loadLine, SERVER_NODE_FLAGS } from './support.js';


/** name → the script in bench/ and what its environment adds */
const RUNS: Record<string, { script: string; env?: Record<string, string> }> = {
  auth: { script: 'auth' },
  imports: { script: 'imports' },
  // the issue's second memory figure: a smaller file, its memory row only
  'imports-200k': { script: 'imports', env: { BENCH_EVENTS: '200000', BENCH_RECORD: 'memory' } },
  library: { script: 'library' },
  subscriptions: { script: 'subscriptions' },
  runs: { script: 'runs' },
  artwork: { script: 'artwork' },
  enrichment: { script: 'enrichment' },
  janitor: { script: 'janitor' },
  iptv: { script: 'iptv' },
  downloads: { script: 'downloads' },
};
const BENCHES = Object.keys(RUNS);
const only = process.env.BENCH_ONLY?.split(',').map((name) => name.trim()).filter(Boolean);
const unknown = only?.filter((name) => !BENCHES.includes(name)) ?? [];
if (unknown.length) {
  console.error(`BENCH_ONLY: no bench named ${unknown.join(', ')} (there are ${BENCHES.join(', ')})`);
  process.exit(2);
}
const selected = only ?? BENCHES;

const dir = mkdtempSync(join(tmpdir(), 'klug-bench-all-'));
const resultsFile = join(dir, 'results.jsonl');
writeFileSync(resultsFile, '');

const failures: string[] = [];
const loads: string[] = [];
for (const name of selected) {
  const { script, env } = RUNS[name]!;
  console.log(`\n════ bench/${script}.ts${env ? ` (${Object.entries(env).map(([k, v]) => `${k}=${v}`).join(' ')})` : ''} — ${loadLine()} ════`);
  loads.push(`${name}: ${loadLine()}`);
  const code = await new Promise<number | null>((resolve) => {
    const child = spawn(process.execPath, [...SERVER_NODE_FLAGS, '--import', 'tsx', `bench/${script}.ts`], {
      stdio: 'inherit',
      env: { ...process.env, ...env, BENCH_RESULTS: resultsFile },
    });
    child.once('exit', resolve);
  });
  if (code !== 0) failures.push(`${name} (exit ${code})`);
}

const results = readFileSync(resultsFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((line) => JSON.parse(line) as BenchResult);
rmSync(dir, { recursive: true, force: true });

const number = (value: number | null | undefined, unit = '') =>
  value == null || Number.isNaN(value) ? '' : `${value >= 100 || Number.isInteger(value) ? Math.round(value).toLocaleString('en-US') : value.toFixed(value >= 10 ? 1 : 2)}${unit ? ` ${unit}` : ''}`;
const rows = [
  ['bench', 'measure', 'Klug', 'peer', 'ratio', 'target', 'met'],
  ...results.map((r) => [r.bench, r.measure, number(r.klug, r.unit), number(r.peer, r.peer == null ? '' : r.unit), r.ratio == null ? '' : `${r.ratio.toFixed(2)}×`, r.target, r.met === null ? '' : r.met ? 'yes' : 'NO']),
];
const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
const line = (row: string[]) => `| ${row.map((cell, c) => cell.padEnd(widths[c]!)).join(' | ')} |`;
console.log(`\n${line(rows[0]!)}\n|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const row of rows.slice(1)) console.log(line(row));
console.log(`\nload average when each started — ${loads.join('; ')}; at the end ${loadLine()}`);
if (failures.length) {
  console.log(`failed: ${failures.join(', ')}`);
  process.exitCode = 1;
}
