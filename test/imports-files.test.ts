import { randomUUID } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NotFoundError } from '../src/services/errors.js';
import type { ImpFilesErrorsPageQuery } from './gql/graphql.js';
import { graphql } from './gql/index.js';
import { BATCH, importAndWait, START_IMPORT, startImport, zipOf, type UploadFile } from './support/imports.js';
import { startTestServer, type TestServer } from './support/server.js';

const HISTORY = graphql(`
  query ImpFilesHistory {
    watchEvents(first: 100, orderBy: WATCHED_AT_ASC) {
      edges {
        node {
          watchedAt
          rating
          review
          media {
            title
          }
        }
      }
    }
  }
`);

const ERRORS_PAGE = graphql(`
  query ImpFilesErrorsPage($id: ID!, $first: Int, $after: String) {
    node(id: $id) {
      ... on ImportBatch {
        errors(first: $first, after: $after) {
          edges {
            cursor
            node {
              row
              code
            }
          }
          pageInfo {
            hasNextPage
            endCursor
          }
        }
      }
    }
  }
`);

const MB = 1024 * 1024;
/** the smallest complete PNG: a 1×1 transparent pixel */
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==',
  'base64',
);

let server: TestServer;
beforeAll(async () => {
  // an upload limit of 1 MB: archives may then inflate to 20 MB
  server = await startTestServer({ env: { KLUG_IMPORT_UPLOAD_MAX_MB: '1' } });
});
afterAll(() => server?.stop());

async function batchesOf(email: string) {
  const prisma = server.app.db.prisma;
  const user = await prisma.user.findUniqueOrThrow({ where: { email } });
  return prisma.importBatch.count({ where: { userId: user.id } });
}

/** The batches' staging directories now (finished batches remove theirs). */
async function staged() {
  await server.app.runs.idle();
  const dir = join(server.config.dataDir, 'imports');
  return existsSync(dir) ? readdirSync(dir) : [];
}

/** Starts an import that must be refused; checks that nothing at all was recorded, nor left on disk. */
async function refused(files: UploadFile[], input: Parameters<typeof startImport>[3] = { source: 'KLUG_CSV' }) {
  const person = await server.newPerson();
  const before = await staged();
  const result = await startImport(server, person.token, files, input);
  expect(await batchesOf(person.email)).toBe(0);
  expect((await staged()).filter((name) => !before.includes(name))).toEqual([]);
  return result;
}

describe('files refused before anything is written', () => {
  it('an empty file: EMPTY_FILE', async () => {
    const result = await refused([{ name: 'history.csv', content: '' }]);
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'EMPTY_FILE', file: 'history.csv', path: ['files', '0'] });
  });

  it('names the file at fault among several', async () => {
    const result = await refused([
      { name: 'good.csv', content: 'title,watched_at\nHeat,2023-01-01\n' },
      { name: 'empty.csv', content: '' },
    ]);
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'EMPTY_FILE', file: 'empty.csv', path: ['files', '1'] });
  });

  it('binary bytes that are valid UTF-8 named .csv: NOT_IMPORTABLE', async () => {
    const binary = Buffer.from([0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x0e, 0x0f, 0x10, 0x2c, 0x0a]);
    const result = await refused([{ name: 'history.csv', content: binary }]);
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'NOT_IMPORTABLE', file: 'history.csv' });
  });

  it('plain prose without any delimiter: NOT_IMPORTABLE', async () => {
    const result = await refused([{ name: 'notes.csv', content: 'I watched Heat yesterday\nand loved it\n' }]);
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'NOT_IMPORTABLE' });
  });

  it('a PNG image named .csv: NOT_IMPORTABLE', async () => {
    const result = await refused([{ name: 'history.csv', content: PNG }]);
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'NOT_IMPORTABLE', file: 'history.csv' });
  });

  it('a damaged archive: NOT_IMPORTABLE', async () => {
    const zip = await zipOf([{ name: 'diary.csv', content: 'Date,Name,Year,Letterboxd URI\n' }]);
    const result = await refused([{ name: 'export.zip', content: zip.subarray(0, zip.length - 30) }], { source: 'LETTERBOXD' });
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'NOT_IMPORTABLE', file: 'export.zip' });
  });

  it('an archive of images only: NOTHING_TO_IMPORT', async () => {
    const zip = await zipOf([
      { name: 'poster.png', content: PNG },
      { name: 'avatar.jpg', content: Buffer.from([0xff, 0xd8, 0xff, 0xe0]) },
    ]);
    const result = await refused([{ name: 'export.zip', content: zip }], { source: 'LETTERBOXD' });
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'NOTHING_TO_IMPORT', file: 'export.zip' });
  });

  it('a Letterboxd archive with only the watchlist and skipped folders: NOTHING_TO_IMPORT', async () => {
    const zip = await zipOf([
      { name: 'watchlist.csv', content: 'Date,Name,Year,Letterboxd URI\n2024-01-01,Stalker,1979,https://boxd.it/29Xo\n' },
      { name: 'deleted/diary.csv', content: 'Date,Name,Year,Letterboxd URI,Rating,Rewatch,Tags,Watched Date\n' },
      { name: 'likes/films.csv', content: 'Date,Name,Year,Letterboxd URI\n' },
      { name: 'poster.png', content: PNG },
    ]);
    const result = await refused([{ name: 'letterboxd-ann.zip', content: zip }], { source: 'LETTERBOXD' });
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'NOTHING_TO_IMPORT' });
    expect(result.message).toMatch(/watched\.csv/);
  });

  it('a ZIP bomb: ZIP_TOO_LARGE, judged by the declared sizes before inflating', async () => {
    const zip = await zipOf([{ name: 'diary.csv', content: Buffer.alloc(30 * MB) }]);
    expect(zip.length).toBeLessThan(MB);
    const result = await refused([{ name: 'bomb.zip', content: zip }], { source: 'LETTERBOXD' });
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'ZIP_TOO_LARGE', file: 'bomb.zip', path: ['files', '0'] });
    expect(result.message).toMatch(/20 MB/);
  });

  it('a file over KLUG_IMPORT_UPLOAD_MAX_MB: UploadTooLargeError', async () => {
    const person = await server.newPerson();
    const before = await staged();
    const big = `title,watched_at\n${'Heat,2023-01-01\n'.repeat(MB / 16 + 10)}`;
    expect(big.length).toBeGreaterThan(MB);
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: print(START_IMPORT), variables: { input: { source: 'KLUG_CSV', files: [null] } } }));
    form.append('map', JSON.stringify({ 0: ['variables.input.files.0'] }));
    form.append('0', new Blob([big]), 'big.csv');
    // a guard, not a measure: without an answer the request would wait for ever
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${person.token}`, 'x-graphql-yoga-csrf': '1' },
      body: form,
      signal: AbortSignal.timeout(20_000),
    }).catch((error: Error) => error);
    if (response instanceof Error) throw new Error(`startImport never answered for a file over the limit (${response.name})`);
    const body = (await response.json()) as { data?: { startImport: unknown } };
    expect(body.data?.startImport).toMatchObject({ __typename: 'UploadTooLargeError', code: 'UPLOAD_TOO_LARGE', maxBytes: MB, path: ['files', '0'] });
    expect(await batchesOf(person.email)).toBe(0);
    expect((await staged()).filter((name) => !before.includes(name))).toEqual([]);
  });

  it('UTF-16 (with a BOM): UNSUPPORTED_ENCODING', async () => {
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('title,watched_at\nAmélie,2023-06-01\n', 'utf16le')]);
    const result = await refused([{ name: 'history.csv', content: utf16 }]);
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'UNSUPPORTED_ENCODING', file: 'history.csv' });
    expect(result.message).toMatch(/UTF-16/);
  });

  it('Latin-1: UNSUPPORTED_ENCODING', async () => {
    const latin1 = Buffer.from('title,watched_at\nAm\xe9lie,2023-06-01\n', 'latin1');
    const result = await refused([{ name: 'history.csv', content: latin1 }]);
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'UNSUPPORTED_ENCODING', file: 'history.csv' });
  });

  it('Latin-1 whose only accented letter is the last byte: UNSUPPORTED_ENCODING', async () => {
    const latin1 = Buffer.from('watched_at,title\n2023-06-01,Caf\xe9', 'latin1');
    const result = await refused([{ name: 'history.csv', content: latin1 }]);
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'UNSUPPORTED_ENCODING', file: 'history.csv' });
  });

  it('UTF-8 with a BOM is welcome', async () => {
    const person = await server.newPerson();
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('title,watched_at\nAmélie,2023-06-01\n')]);
    const batch = await importAndWait(server, person.token, [{ name: 'bom.csv', content: withBom }], { source: 'KLUG_CSV' });
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 1, errorCount: 0 });
    const { watchEvents } = await server.gql(HISTORY, {}, { token: person.token });
    expect(watchEvents.edges[0]?.node.media.title).toBe('Amélie');
  });

  it('a KLUG_CSV without watched_at: MISSING_COLUMNS naming the column and the file', async () => {
    const result = await refused([{ name: 'my-history.csv', content: 'title,year,rating\nHeat,1995,4\n' }]);
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'MISSING_COLUMNS', file: 'my-history.csv' });
    expect(result.message).toMatch(/watched_at/);
    expect(result.message).toMatch(/my-history\.csv/);
    expect(result.message).not.toMatch(/"title"/);
  });

  it('a tiny valid KLUG_JSON file (an empty array) is read, not refused', async () => {
    const person = await server.newPerson();
    const result = await startImport(server, person.token, [{ name: 'empty.json', content: '[]' }], { source: 'KLUG_JSON' });
    expect(result.__typename).toBe('StartImportSuccess');
    await server.app.runs.idle();
    const data = await server.gql(BATCH, { id: result.batch!.id }, { token: person.token });
    expect(data.node).toMatchObject({ status: 'COMPLETED', insertedCount: 0, errorCount: 0 });
  });

  it('a KLUG_JSON of another schema: UNKNOWN_SCHEMA naming the file and the schema', async () => {
    const content = JSON.stringify({ input_schema: 'other/v9', events: [{ title: 'Heat', watched_at: '2023-01-01' }] });
    const result = await refused([{ name: 'export.json', content }], { source: 'KLUG_JSON' });
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'UNKNOWN_SCHEMA', file: 'export.json' });
    expect(String(result.message)).toMatch(/other\/v9/);
  });

  it('KLUG_JSON nested 100,000 deep: NESTED_TOO_DEEP, nothing queued', async () => {
    const deep = `${'['.repeat(100_000)}${']'.repeat(100_000)}`;
    const content = `{"input_schema":"klug/v1","events":[{"title":${deep},"watched_at":"2023-01-01"}]}`;
    const result = await refused([{ name: 'deep.json', content }], { source: 'KLUG_JSON' });
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'NESTED_TOO_DEEP', file: 'deep.json' });
    expect(result.message).toMatch(/64 levels/);
  });

  it('TRAKT history nested 100,000 deep: NESTED_TOO_DEEP, nothing queued', async () => {
    const deep = `${'{"show":'.repeat(100_000)}null${'}'.repeat(100_000)}`;
    const content = `[{"watched_at":"2023-01-01T20:00:00Z","type":"episode","episode":{"season":1,"number":1},"show":${deep}}]`;
    const zip = await zipOf([{ name: 'trakt/history.json', content }]);
    const result = await refused([{ name: 'trakt.zip', content: zip }], { source: 'TRAKT' });
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'NESTED_TOO_DEEP', file: 'trakt.zip/trakt/history.json' });
  });

  it('JSON nested 64 deep, with brackets and escaped quotes inside its strings, is read', async () => {
    const person = await server.newPerson();
    const nested = `${'['.repeat(61)}${']'.repeat(61)}`;
    // an escaped quote, then an escaped backslash right before the closing quote
    const title = `Heat " ${'['.repeat(100)} \\`;
    const content = `{"input_schema":"klug/v1","events":[{"title":${JSON.stringify(title)},"watched_at":"2023-01-01","extra":${nested}}]}`;
    const batch = await importAndWait(server, person.token, [{ name: 'ok.json', content }], { source: 'KLUG_JSON' });
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 1, errorCount: 0 });
    const { watchEvents } = await server.gql(HISTORY, {}, { token: person.token });
    expect(watchEvents.edges[0]?.node.media.title).toBe(title);
  });

  it('no files at all: ValidationError', async () => {
    const person = await server.newPerson();
    const response = await server.request(START_IMPORT, { input: { source: 'KLUG_CSV', files: [] } }, { token: person.token });
    expect(response.body.data?.startImport).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', path: ['files'] });
    expect(await batchesOf(person.email)).toBe(0);
  });

  it('no source and no earlier batch to copy it from: ValidationError', async () => {
    const result = await refused([{ name: 'history.csv', content: 'title,watched_at\nHeat,2023-01-01\n' }], {});
    expect(result).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED', path: ['source'] });
  });

  it('a multipart request without the CSRF header: HTTP 403', async () => {
    const person = await server.newPerson();
    const form = new FormData();
    form.append('operations', JSON.stringify({ query: print(START_IMPORT), variables: { input: { source: 'KLUG_CSV', files: [null] } } }));
    form.append('map', JSON.stringify({ 0: ['variables.input.files.0'] }));
    form.append('0', new Blob(['title,watched_at\nHeat,2023-01-01\n']), 'history.csv');
    const response = await fetch(server.url, { method: 'POST', headers: { authorization: `Bearer ${person.token}` }, body: form });
    expect(response.status).toBe(403);
    expect(await batchesOf(person.email)).toBe(0);
  });
});

describe('archives whose headers lie about sizes', () => {
  const CSV = `title,watched_at\n${Array.from({ length: 2000 }, (_, i) => `Film ${i},2023-01-01`).join('\n')}\n`;
  // where the sizes sit in the local header and in the central directory's record (APPNOTE 4.3.7, 4.3.12)
  const LOCAL = { compressed: 18, uncompressed: 22 };
  const CENTRAL = { compressed: 20, uncompressed: 24 };
  type Patch = (zip: Buffer, central: number) => void;

  /** A one-CSV archive with its bytes patched; yazl writes the sizes in both headers. */
  async function lying(patch: Patch): Promise<Buffer> {
    const zip = await zipOf([{ name: 'history.csv', content: CSV }]);
    patch(zip, zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x01, 0x02])));
    return zip;
  }
  const both = (field: 'compressed' | 'uncompressed', size: (actual: number) => number): Patch => (zip, central) => {
    const value = size(zip.readUInt32LE(central + CENTRAL[field]));
    zip.writeUInt32LE(value, central + CENTRAL[field]);
    zip.writeUInt32LE(value, LOCAL[field]);
  };

  it.each<[string, Patch]>([
    ['the central directory says it inflates to 10 bytes', (zip, central) => zip.writeUInt32LE(10, central + CENTRAL.uncompressed)],
    ['the central directory says there is more data than the file holds', (zip, central) => zip.writeUInt32LE(100_000, central + CENTRAL.compressed)],
    ['the local header disagrees with the central directory', (zip) => zip.writeUInt32LE(10, LOCAL.uncompressed)],
    ['both headers say it inflates to 10 bytes', both('uncompressed', () => 10)],
    ['both headers say the compressed data is 20 bytes', both('compressed', () => 20)],
  ])('%s: NOT_IMPORTABLE, nothing queued', async (_case, patch) => {
    const result = await refused([{ name: 'lying.zip', content: await lying(patch) }]);
    expect(result).toMatchObject({ __typename: 'ImportFileError', code: 'NOT_IMPORTABLE', file: 'lying.zip', path: ['files', '0'] });
    expect(result.message).toMatch(/^lying\.zip: the archive is damaged/);
  });

  it('both headers overstating the inflated size, seen only at its end: the batch fails with that reason', async () => {
    const person = await server.newPerson();
    const zip = await lying(both('uncompressed', (actual) => actual * 3));
    const batch = await importAndWait(server, person.token, [{ name: 'lying.zip', content: zip }], { source: 'KLUG_CSV' });
    expect(batch).toMatchObject({ status: 'FAILED', insertedCount: 0 });
    expect(batch.errorMessage).toBe('lying.zip: the archive is damaged: history.csv does not match its headers');
  });
});

describe('row errors', () => {
  const CSV = [
    'title,watched_at,kind,rating,review,series_title,season,episode',
    'Good One,2023-01-01,,4,"A review\nover two lines, with a comma",,,',
    'Bad Date,2023-13-45,,,,,,',
    'Too Many Stars,2023-01-02,,7,,,,',
    ',2023-01-03,,,,,,',
    'From The Future,2999-01-01,,,,,,',
    'Lost Episode,2023-01-04,EPISODE,,,,1,2',
    'Good Two,2023-01-05,,,,,,',
    '',
  ].join('\n');
  const EXPECTED = [
    { file: 'rows.csv', row: 3, field: 'watched_at', code: 'INVALID_DATE', raw: 'Bad Date,2023-13-45,,,,,,' },
    { file: 'rows.csv', row: 4, field: 'rating', code: 'INVALID_RATING', raw: 'Too Many Stars,2023-01-02,,7,,,,' },
    { file: 'rows.csv', row: 5, field: 'title', code: 'MISSING_VALUE', raw: ',2023-01-03,,,,,,' },
    { file: 'rows.csv', row: 6, code: 'FUTURE_DATE', raw: 'From The Future,2999-01-01,,,,,,' },
    { file: 'rows.csv', row: 7, field: 'series_title', code: 'MISSING_VALUE', raw: 'Lost Episode,2023-01-04,EPISODE,,,,1,2' },
  ];

  let owner: { email: string; token: string };
  let batch: Awaited<ReturnType<typeof importAndWait>>;
  beforeAll(async () => {
    owner = await server.newPerson();
    batch = await importAndWait(server, owner.token, [{ name: 'rows.csv', content: CSV }], { source: 'KLUG_CSV' });
  });

  it('completes with the good rows imported and every bad one reported with file, row, field, code, message and raw', async () => {
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 2, errorCount: 5, processedRows: 7, totalRows: 7, progress: 1 });
    const errors = batch.errors.edges.map((e) => e.node);
    expect(errors).toMatchObject(EXPECTED);
    for (const error of errors) {
      expect(error.field).toBeTruthy();
      expect(error.message.length).toBeGreaterThan(3);
    }
    expect(errors[0]!.message).toMatch(/2023-13-45/);
    expect(errors[1]!.message).toMatch(/7/);
    const { watchEvents } = await server.gql(HISTORY, {}, { token: owner.token });
    expect(watchEvents.edges.map((e) => [e.node.media.title, e.node.rating, e.node.review])).toEqual([
      ['Good One', 4, 'A review\nover two lines, with a comma'],
      ['Good Two', null, null],
    ]);
  });

  it('names the column of a future date as the other date errors do', async () => {
    const future = batch.errors.edges.map((e) => e.node).find((e) => e.code === 'FUTURE_DATE');
    expect(future?.field).toBe('watched_at');
  });

  it('pages the errors with first and after', async () => {
    const rows: number[] = [];
    const pages: boolean[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const data: ImpFilesErrorsPageQuery = await server.gql(ERRORS_PAGE, { id: batch.id, first: 2, after }, { token: owner.token });
      if (!data.node || !('errors' in data.node)) throw new Error('batch not found');
      rows.push(...data.node.errors.edges.map((e) => e.node.row));
      pages.push(data.node.errors.pageInfo.hasNextPage);
      if (!data.node.errors.pageInfo.hasNextPage) break;
      after = data.node.errors.pageInfo.endCursor ?? null;
    }
    expect(rows).toEqual([3, 4, 5, 6, 7]);
    expect(pages).toEqual([true, true, false]);
  });

  it('serves every error as CSV and JSON to the owner', async () => {
    expect(batch.errorsCsvUrl).toMatch(/^http:\/\/.+\/imports\/[0-9a-f-]{36}\/errors\.csv$/);
    const csv = await fetch(batch.errorsCsvUrl, { headers: { authorization: `Bearer ${owner.token}` } });
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    const text = await csv.text();
    expect(text.split('\n')[0]).toBe('file,row,field,code,message,raw');
    const records = parse(text, { columns: true }) as Record<string, string>[];
    expect(records.map((r) => [r.file, Number(r.row), r.code, r.raw])).toEqual(EXPECTED.map((e) => [e.file, e.row, e.code, e.raw]));
    expect(records.every((r) => r.message)).toBe(true);

    const json = await fetch(batch.errorsJsonUrl, { headers: { authorization: `Bearer ${owner.token}` } });
    expect(json.status).toBe(200);
    const list = (await json.json()) as { file: string; row: number; field: string | null; code: string; message: string; raw: string | null }[];
    expect(list).toEqual(batch.errors.edges.map((e) => e.node));
  });

  it('hands the download its errors page by page in row order, and only to the batch\'s owner', async () => {
    const batchId = /\/imports\/([0-9a-f-]{36})\//.exec(batch.errorsCsvUrl)![1]!;
    const { id: ownerId } = await server.app.db.prisma.user.findUniqueOrThrow({ where: { email: owner.email } });
    const pages: number[][] = [];
    for await (const page of await server.app.services.imports.errorPages(ownerId, batchId, 2)) pages.push(page.map((e) => e.row));
    expect(pages).toEqual([[3, 4], [5, 6], [7]]);
    await expect(server.app.services.imports.errorPages(randomUUID(), batchId)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('finds the viewer as GraphQL does: the session cookie serves too, a stale one does not', async () => {
    const byCookie = await fetch(batch.errorsJsonUrl, { headers: { cookie: `klug_session=${owner.token}` } });
    expect(byCookie.status).toBe(200);
    expect(await byCookie.json()).toEqual(batch.errors.edges.map((e) => e.node));
    expect((await fetch(batch.errorsJsonUrl, { headers: { cookie: 'klug_session=klug_s_stale' } })).status).toBe(401);
    expect((await fetch(batch.errorsJsonUrl, { headers: { cookie: 'klug_session=%zz' } })).status).toBe(401);
  });

  it('answers 401 without a token and 404 for another person', async () => {
    for (const url of [batch.errorsCsvUrl, batch.errorsJsonUrl]) {
      expect((await fetch(url)).status).toBe(401);
      expect((await fetch(url, { headers: { authorization: 'Bearer not-a-token' } })).status).toBe(401);
      const other = await server.newPerson();
      const response = await fetch(url, { headers: { authorization: `Bearer ${other.token}` } });
      expect(response.status).toBe(404);
      expect(await response.text()).not.toMatch(/Bad Date/);
    }
  });

  it('serves an empty list for a batch without errors', async () => {
    const person = await server.newPerson();
    const clean = await importAndWait(server, person.token, [{ name: 'ok.csv', content: 'title,watched_at\nHeat,2023-01-01\n' }], {
      source: 'KLUG_CSV',
    });
    const json = await fetch(clean.errorsJsonUrl, { headers: { authorization: `Bearer ${person.token}` } });
    expect(await json.json()).toEqual([]);
    const csv = await fetch(clean.errorsCsvUrl, { headers: { authorization: `Bearer ${person.token}` } });
    expect((await csv.text()).trim()).toBe('file,row,field,code,message,raw');
  });
});
