import { openAsBlob } from 'node:fs';
import { basename } from 'node:path';
import { parseArgs } from 'node:util';
import { SingleBar } from 'cli-progress';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const USAGE = `Usage: klug import --source <letterboxd|trakt|klug-csv|klug-json> --file <path> [--file <path>…]
                   [--mode append|upsert|replace] [--dry-run] [--resume]
                   [--url http://localhost:4000/graphql] [--token <API token>]
The URL and token may also come from KLUG_URL and KLUG_TOKEN. Exits 0 when the import completes,
1 when it fails or is cancelled, 2 when it could not be started.`;

const BATCH_FIELDS = `id status totalRows processedRows insertedCount duplicateCount updatedCount skippedCount errorCount errorMessage errorsCsvUrl`;

interface Batch {
  id: string;
  status: string;
  totalRows: number;
  processedRows: number;
  insertedCount: number;
  duplicateCount: number;
  updatedCount: number;
  skippedCount: number;
  errorCount: number;
  errorMessage: string | null;
  errorsCsvUrl: string;
}

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);

function fail(message: string, code = 2): never {
  process.stderr.write(`klug: ${message}\n`);
  process.exit(code);
}

const { positionals, values } = parseArgs({
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

if (values.help || positionals[0] !== 'import') fail(USAGE, values.help ? 0 : 2);
const source = values.source?.toUpperCase().replace('-', '_');
if (!source || !['LETTERBOXD', 'TRAKT', 'KLUG_CSV', 'KLUG_JSON'].includes(source)) fail(`--source is required\n${USAGE}`);
if (!values.file?.length) fail(`--file is required\n${USAGE}`);
const url = values.url ?? process.env.KLUG_URL ?? 'http://localhost:4000/graphql';
const token = values.token ?? process.env.KLUG_TOKEN;
if (!token) fail('an API token is required: --token or KLUG_TOKEN (createApiToken(name:, scope: WRITE))');
const mode = values.mode?.toUpperCase();

const form = new FormData();
const query = `mutation ($input: StartImportInput!) { startImport(input: $input) {
  __typename ... on StartImportSuccess { batch { ${BATCH_FIELDS} } } ... on Error { code message } } }`;
const input = { source, mode, dryRun: values['dry-run'], resumeFromLatest: values.resume, files: values.file.map(() => null) };
form.append('operations', JSON.stringify({ query, variables: { input } }));
form.append('map', JSON.stringify(Object.fromEntries(values.file.map((_, i) => [String(i), [`variables.input.files.${i}`]]))));
for (const [i, path] of values.file.entries()) {
  // streamed from disk, never read whole
  form.append(String(i), await openAsBlob(path).catch(() => fail(`cannot read ${path}`)), basename(path));
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

const interactive = process.stderr.isTTY;
const bar = interactive ? new SingleBar({ format: 'importing [{bar}] {percentage}% | {value}/{total} rows | {status}' }) : null;
bar?.start(Math.max(1, started.batch.totalRows), 0, { status: started.batch.status });

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
      bar.setTotal(Math.max(1, final.totalRows, final.processedRows));
      bar.update(final.processedRows, { status: final.status });
    } else {
      process.stderr.write(`${final.status} ${final.processedRows}/${final.totalRows} rows\n`);
    }
    if (TERMINAL.has(final.status)) break;
  }
} finally {
  bar?.stop();
  await client.dispose();
}

console.log(
  [
    `${final.status}: ${final.insertedCount} inserted, ${final.duplicateCount} duplicates, ${final.updatedCount} updated,`,
    `${final.skippedCount} skipped, ${final.errorCount} errors (of ${final.processedRows} rows)`,
  ].join(' '),
);
if (final.errorCount > 0) console.log(`errors: ${final.errorsCsvUrl}`);
if (final.errorMessage) console.log(final.errorMessage);
process.exit(final.status === 'COMPLETED' ? 0 : 1);
