import { openAsBlob, statSync } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { ImportCounters } from '../services/imports/records.js';

const USAGE = `Usage: klug import --source <letterboxd|trakt|klug-csv|klug-json> --file <path> [--file <path>…]
                   [--mode append|upsert|replace] [--dry-run] [--resume]
                   [--url http://localhost:4000/graphql] [--token <API token>]
The URL and token may also come from KLUG_URL and KLUG_TOKEN. Exits 0 when the import completes,
1 when it fails or is cancelled, 2 when it could not be started.`;

const BATCH_FIELDS = `id status dryRun totalRows processedRows insertedCount duplicateCount updatedCount skippedCount errorCount errorMessage errorsCsvUrl`;

interface Batch extends Omit<ImportCounters, 'cursorAfter'> {
  id: string;
  status: string;
  dryRun: boolean;
  errorMessage: string | null;
  errorsCsvUrl: string;
}

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

function fail(message: string, code = 2): never {
  process.stderr.write(`klug: ${message}\n`);
  process.exit(code);
}

/** A usage error: one line saying what is wrong, exit 2. */
function usage(problem: string): never {
  fail(`${problem} (klug --help shows the usage)`);
}

function commandLine() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        source: { type: 'string' },
        file: { type: 'string', multiple: true },
        mode: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        resume: { type: 'boolean', default: false },
        url: { type: 'string' },
        token: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    // Node's first sentence names the problem ("Unknown option '--x'"); the rest is about positionals
    const message = (error as Error).message.split('. ')[0]!;
    usage(message.charAt(0).toLowerCase() + message.slice(1));
  }
}

function fileProblem(path: string): string | null {
  try {
    return statSync(path).isFile() ? null : 'not a file';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
  }
}

const { positionals, values } = commandLine();
if (values.help) fail(USAGE, 0);
if (positionals.length === 0) fail(USAGE);
if (positionals[0] !== 'import') usage(`unknown command "${positionals[0]}"; the one command is import`);
if (positionals.length > 1) usage(`unexpected argument "${positionals[1]}"`);
const SOURCES = ['letterboxd', 'trakt', 'klug-csv', 'klug-json'];
if (!values.source) usage(`--source is required: ${SOURCES.join(', ')}`);
if (!SOURCES.includes(values.source.toLowerCase())) usage(`--source must be one of ${SOURCES.join(', ')}`);
const source = values.source.toUpperCase().replace('-', '_');
const MODES = ['append', 'upsert', 'replace'];
if (values.mode && !MODES.includes(values.mode.toLowerCase())) usage(`--mode must be one of ${MODES.join(', ')}`);
const mode = values.mode?.toUpperCase();
if (!values.file?.length) usage('--file is required');
for (const path of values.file) {
  const problem = fileProblem(path);
  if (problem) fail(`cannot read ${path}: ${problem}`);
}
const url = values.url ?? process.env.KLUG_URL ?? 'http://localhost:4000/graphql';
const token = values.token ?? process.env.KLUG_TOKEN;
if (!token) fail('an API token is required: --token or KLUG_TOKEN (createApiToken(name:, scope: WRITE))');

const form = new FormData();
const query = `mutation ($input: StartImportInput!) { startImport(input: $input) {
  __typename ... on StartImportSuccess { batch { ${BATCH_FIELDS} } } ... on Error { code message } } }`;
const input = { source, mode, dryRun: values['dry-run'], resumeFromLatest: values.resume, files: values.file.map(() => null) };
form.append('operations', JSON.stringify({ query, variables: { input } }));
form.append('map', JSON.stringify(Object.fromEntries(values.file.map((_, i) => [String(i), [`variables.input.files.${i}`]]))));
for (const [i, path] of values.file.entries()) {
  // streamed from disk, never read whole
  const blob = await Promise.resolve()
    .then(() => openAsBlob(path))
    .catch((error: Error) => fail(`cannot read ${path}: ${error.message}`));
  form.append(String(i), blob, basename(path));
}

const response = await fetch(url, {
  method: 'POST',
  headers: { authorization: `Bearer ${token}`, 'x-graphql-yoga-csrf': '1' },
  body: form,
}).catch((error: Error) => fail(`cannot reach ${url}: ${error.message}`));
const body = (await response.json().catch(() => null)) as {
  data?: { startImport: { __typename: string; batch?: Batch; code?: string; message?: string } };
  errors?: { message: string }[];
} | null;
if (!body?.data) fail(body?.errors?.[0]?.message ?? `the server answered ${response.status}`);
const started = body.data.startImport;
if (!started.batch) fail(`${started.code}: ${started.message}`);

/** The server's total is an estimate (0 for archives and JSON until the end): a count never shows above it. */
const shownTotal = (batch: Batch) => Math.max(batch.totalRows, batch.processedRows);
const dryRun = started.batch.dryRun;
const doing = dryRun ? 'dry run, nothing is written' : 'importing';

const interactive = process.stderr.isTTY;
const bar = interactive ? new SingleBar({ format: `${doing} [{bar}] {percentage}% | {value}/{total} rows | {status}` }) : null;
bar?.start(Math.max(1, shownTotal(started.batch)), 0, { status: started.batch.status });

const client = createClient({
  url: url.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: { authorization: `Bearer ${token}` },
  retryAttempts: 3,
});
let final: Batch = started.batch;
try {
  const updates = client.iterate<{ importProgress: Batch }>({
    query: `subscription ($id: ID!) { importProgress(batchId: $id) { ${BATCH_FIELDS} } }`,
    variables: { id: started.batch.id },
  });
  for await (const result of updates) {
    if (result.errors?.length) fail(result.errors[0]!.message, 1);
    final = result.data!.importProgress;
    if (bar) {
      bar.setTotal(Math.max(1, shownTotal(final)));
      bar.update(final.processedRows, { status: final.status });
    } else {
      const rows = final.totalRows > 0 ? `${final.processedRows}/${shownTotal(final)}` : `${final.processedRows}`;
      process.stderr.write(`${dryRun ? 'dry run: ' : ''}${final.status} ${rows} rows\n`);
    }
    if (TERMINAL.has(final.status)) break;
  }
} catch (error) {
  bar?.stop();
  const reason = error instanceof Error ? error.message : (error as { reason?: string }).reason || 'the connection closed';
  fail(`stopped following the import (${reason}); it goes on in the server: see importBatches`, 1);
} finally {
  bar?.stop();
  await client.dispose();
}

const counts = `${final.skippedCount} skipped, ${final.errorCount} errors (of ${final.processedRows} rows)`;
if (dryRun) {
  console.log(
    `DRY RUN ${final.status}: would insert ${final.insertedCount}, ${final.duplicateCount} duplicates, would update ${final.updatedCount}, ${counts}`,
  );
  console.log('Nothing was written: this was a dry run. Run it again without --dry-run to import.');
} else {
  console.log(
    `${final.status}: ${final.insertedCount} inserted, ${final.duplicateCount} duplicates, ${final.updatedCount} updated, ${counts}`,
  );
}
if (final.errorCount > 0) console.log(`errors: ${final.errorsCsvUrl}`);
if (final.errorMessage) console.log(final.errorMessage);
process.exit(final.status === 'COMPLETED' ? 0 : 1);
