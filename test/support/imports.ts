import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { print } from 'graphql';
import yazl from 'yazl';
import { graphql } from '../gql/index.js';
import type { StartImportInput } from '../gql/graphql.js';
import type { TestServer } from './server.js';

/** A copy of shared/fixtures/letterboxd-small, kept here so the suite runs wherever the repository is cloned. */
export const FIXTURES = join(import.meta.dirname, '../fixtures');
export const LETTERBOXD_DIR = join(FIXTURES, 'letterboxd-small');

export interface UploadFile {
  name: string;
  content: Buffer | string;
}

export const START_IMPORT = graphql(`
  mutation ImportStart($input: StartImportInput!) {
    startImport(input: $input) {
      __typename
      ... on StartImportSuccess {
        batch {
          id
          status
          source
          mode
          dryRun
          totalRows
          files {
            name
            kind
            rows
          }
        }
      }
      ... on Error {
        code
        message
        path
      }
      ... on ImportFileError {
        file
      }
      ... on UploadTooLargeError {
        maxBytes
      }
    }
  }
`);

export const BATCH = graphql(`
  query ImportBatchById($id: ID!) {
    node(id: $id) {
      ... on ImportBatch {
        id
        status
        mode
        dryRun
        totalRows
        processedRows
        insertedCount
        duplicateCount
        updatedCount
        skippedCount
        errorCount
        enrichedCount
        progress
        cursorBefore
        cursorAfter
        errorMessage
        startedAt
        finishedAt
        errorsCsvUrl
        errorsJsonUrl
        errors(first: 50) {
          edges {
            node {
              file
              row
              field
              code
              message
              raw
            }
          }
        }
      }
    }
  }
`);

type StartImportVariables = Omit<StartImportInput, 'files'>;

/** Sends startImport as a GraphQL multipart request with the files bound to `input.files`. */
export async function startImport(server: TestServer, token: string, files: UploadFile[], input: StartImportVariables) {
  const form = new FormData();
  form.append('operations', JSON.stringify({ query: print(START_IMPORT), variables: { input: { ...input, files: files.map(() => null) } } }));
  form.append('map', JSON.stringify(Object.fromEntries(files.map((_, i) => [String(i), [`variables.input.files.${i}`]]))));
  files.forEach((file, i) => {
    const bytes = typeof file.content === 'string' ? file.content : new Uint8Array(file.content);
    form.append(String(i), new Blob([bytes]), file.name);
  });
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'x-graphql-yoga-csrf': '1' },
    body: form,
  });
  const body = (await response.json()) as { data?: { startImport: Record<string, unknown> & { __typename: string; batch?: { id: string } } }; errors?: unknown };
  if (!body.data) throw new Error(`startImport failed: ${JSON.stringify(body)}`);
  return body.data.startImport;
}

/** Starts an import and waits (on the server's queue, not a clock) until it has run; answers the batch. */
export async function importAndWait(server: TestServer, token: string, files: UploadFile[], input: StartImportVariables) {
  const started = await startImport(server, token, files, input);
  if (started.__typename !== 'StartImportSuccess' || !started.batch) throw new Error(`import refused: ${JSON.stringify(started)}`);
  await server.app.runs.idle();
  const data = await server.gql(BATCH, { id: started.batch.id }, { token });
  if (!data.node || !('status' in data.node)) throw new Error('batch not found');
  return data.node;
}

export const letterboxdFiles = (names = ['watched.csv', 'ratings.csv', 'diary.csv', 'reviews.csv', 'watchlist.csv']): UploadFile[] =>
  names.map((name) => ({ name, content: readFileSync(join(LETTERBOXD_DIR, name)) }));

/** The fixture CSVs zipped at the root of an archive, as Letterboxd sends the export. */
export function letterboxdZip(): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const name of readdirSync(LETTERBOXD_DIR).filter((n) => n.endsWith('.csv'))) {
    zip.addBuffer(readFileSync(join(LETTERBOXD_DIR, name)), name);
  }
  zip.end();
  return streamToBuffer(zip.outputStream);
}

export async function zipOf(entries: { name: string; content: Buffer | string }[]): Promise<Buffer> {
  const zip = new yazl.ZipFile();
  for (const entry of entries) zip.addBuffer(Buffer.from(entry.content), entry.name);
  zip.end();
  return streamToBuffer(zip.outputStream);
}

/** A KLUG_CSV archive whose header reads fine but whose data is damaged further in: its batch fails while it runs. */
export async function damagedZip(): Promise<Buffer> {
  const rows = Array.from({ length: 20_000 }, (_, i) => `Film ${i} ${(i * 7919) % 10007},${2000 + (i % 24)}-0${1 + (i % 9)}-1${i % 10}`);
  const zip = await zipOf([{ name: 'history.csv', content: `title,watched_at\n${rows.join('\n')}\n` }]);
  const middle = Math.floor(zip.length / 2);
  for (let i = middle; i < middle + 64; i++) zip[i] = 0xff - zip[i]!;
  return zip;
}

async function streamToBuffer(stream: NodeJS.ReadableStream): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}
