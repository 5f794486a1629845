import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { createTestDatabase } from './support/database.js';
import { BATCH, damagedZip, importAndWait, startImport, type UploadFile } from './support/imports.js';
import { startTestServer, type TestServer } from './support/server.js';
import { subscribe } from './support/subscriptions.js';

const HISTORY = graphql(`
  query ImpModesHistory($filter: WatchEventFilter) {
    watchEvents(first: 100, orderBy: WATCHED_AT_ASC, filter: $filter) {
      edges {
        node {
          id
          watchedAt
          rating
          tags
          review
          source
          media {
            id
            title
            rating
          }
        }
      }
    }
  }
`);

const SETTINGS = graphql(`
  query ImpModesSettings($id: ID!) {
    node(id: $id) {
      ... on ImportBatch {
        id
        status
        source
        mode
        dryRun
        resumeFromLatest
      }
    }
  }
`);

const BATCHES = graphql(`
  query ImpModesBatches($status: [ImportStatus!]) {
    importBatches(first: 50, status: $status) {
      edges {
        node {
          id
          status
          source
        }
      }
    }
  }
`);

const CANCEL = graphql(`
  mutation ImpModesCancel($id: ID!) {
    cancelImport(id: $id) {
      __typename
      ... on CancelImportSuccess {
        batch {
          id
          status
          finishedAt
        }
      }
      ... on Error {
        code
        message
        path
      }
    }
  }
`);

const RECORD = graphql(`
  mutation ImpModesRecordWatch($input: RecordWatchInput!) {
    recordWatch(input: $input) {
      __typename
      ... on RecordWatchSuccess {
        watchEvent {
          id
        }
      }
    }
  }
`);

const PROGRESS = graphql(`
  subscription ImpModesProgress($batchId: ID!) {
    importProgress(batchId: $batchId) {
      id
      status
      totalRows
      processedRows
      insertedCount
      duplicateCount
      errorCount
      progress
    }
  }
`);

const HEADER = 'title,watched_at,year,rating,tags,review';
/** a KLUG_CSV file from data lines under the header above */
const klugCsv = (name: string, ...lines: string[]): UploadFile => ({ name, content: `${HEADER}\n${lines.join('\n')}\n` });
const globalId = (type: string, raw: string) => Buffer.from(`${type}:${raw}`).toString('base64');
const rawId = (id: string) => Buffer.from(id, 'base64').toString('utf8').split(':')[1]!;

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

async function userIdOf(target: TestServer, email: string) {
  return (await target.app.db.prisma.user.findUniqueOrThrow({ where: { email } })).id;
}

async function history(token: string, sources?: ('KLUG_CSV' | 'KLUG_JSON' | 'MANUAL' | 'LETTERBOXD' | 'TRAKT')[]) {
  const data = await server.gql(HISTORY, { filter: sources ? { sources } : null }, { token });
  return data.watchEvents.edges.map((e) => e.node);
}

async function batchOf(token: string, id: string) {
  const data = await server.gql(BATCH, { id }, { token });
  if (!data.node || !('status' in data.node)) throw new Error(`batch ${id} not found`);
  return data.node;
}

function startedId(result: Awaited<ReturnType<typeof startImport>>): string {
  if (result.__typename !== 'StartImportSuccess' || !result.batch) throw new Error(`import refused: ${JSON.stringify(result)}`);
  return result.batch.id;
}

describe('APPEND', () => {
  it('counts a second identical import as duplicates and writes nothing twice', async () => {
    const person = await server.newPerson();
    const userId = await userIdOf(server, person.email);
    const file = klugCsv('history.csv', 'Heat,2023-01-01,1995,4,,', 'Alien,2023-01-02,1979,,,', 'Ran,2023-01-03T21:30:00Z,1985,5,,');
    const first = await importAndWait(server, person.token, [file], { source: 'KLUG_CSV' });
    expect(first).toMatchObject({ status: 'COMPLETED', mode: 'APPEND', insertedCount: 3, duplicateCount: 0, errorCount: 0 });
    const second = await importAndWait(server, person.token, [file], { source: 'KLUG_CSV', mode: 'APPEND' });
    expect(second).toMatchObject({ status: 'COMPLETED', insertedCount: 0, duplicateCount: 3, updatedCount: 0 });

    const prisma = server.app.db.prisma;
    expect(await prisma.watchEvent.count({ where: { userId } })).toBe(3);
    expect(await prisma.media.count({ where: { userId } })).toBe(3);
    // every event still belongs to the batch that wrote it
    expect(await prisma.watchEvent.count({ where: { userId, importBatchId: rawId(second.id) } })).toBe(0);
  });

  it('counts an item repeated at the same instant within one file once', async () => {
    const person = await server.newPerson();
    const batch = await importAndWait(server, person.token, [klugCsv('twice.csv', 'Heat,2023-01-01,1995,,,', 'Heat,2023-01-01,1995,,,')], {
      source: 'KLUG_CSV',
    });
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 1, duplicateCount: 1 });
    expect(await history(person.token)).toHaveLength(1);
  });

  it("gives an item its latest rated event's rating, whichever batch or row order brought it", async () => {
    const person = await server.newPerson();
    const userId = await userIdOf(server, person.email);
    const ratingOf = async (title: string) => {
      const media = await server.app.db.prisma.media.findFirstOrThrow({ where: { userId, title } });
      return [media.rating, media.ratedAt?.toISOString()];
    };
    // the newer viewing comes first in the file; the unrated newest viewing does not count
    await importAndWait(server, person.token, [klugCsv('a.csv', 'Heat,2024-01-01,1995,4,,', 'Heat,2022-01-01,1995,2,,', 'Heat,2024-06-01,1995,,,')], {
      source: 'KLUG_CSV',
    });
    expect(await ratingOf('Heat')).toEqual([4, '2024-01-01T00:00:00.000Z']);
    // an older rated viewing imported later leaves the rating be
    await importAndWait(server, person.token, [klugCsv('b.csv', 'Heat,2023-01-01,1995,1,,')], { source: 'KLUG_CSV' });
    expect(await ratingOf('Heat')).toEqual([4, '2024-01-01T00:00:00.000Z']);
    // a newer one moves it, also beside a row already there (the batch then writes by ON CONFLICT)
    await importAndWait(server, person.token, [klugCsv('c.csv', 'Heat,2025-01-01,1995,5,,', 'Heat,2023-01-01,1995,3,,')], { source: 'KLUG_CSV' });
    expect(await ratingOf('Heat')).toEqual([5, '2025-01-01T00:00:00.000Z']);
    await importAndWait(server, person.token, [klugCsv('d.csv', 'Heat,2025-06-01,1995,3.5,,')], { source: 'KLUG_CSV' });
    expect(await ratingOf('Heat')).toEqual([3.5, '2025-06-01T00:00:00.000Z']);
  });
});

describe('UPSERT', () => {
  it('updates the rating, tags and review of events already present, adding none', async () => {
    const person = await server.newPerson();
    await importAndWait(
      server,
      person.token,
      [klugCsv('v1.csv', 'Heat,2023-01-01,1995,3,crime,Fine.', 'Alien,2023-01-02,1979,4,space,Tense.', 'Ran,2023-01-03,1985,5,epic,Vast.')],
      { source: 'KLUG_CSV' },
    );
    const before = await history(person.token);

    const upsert = await importAndWait(
      server,
      person.token,
      [
        klugCsv(
          'v2.csv',
          'Heat,2023-01-01,1995,4.5,"crime, la",Better the second time.',
          'Alien,2023-01-02,1979,4,space,Tense.',
          'Ran,2023-01-03,1985,5,epic,Vast and sad.',
        ),
      ],
      { source: 'KLUG_CSV', mode: 'UPSERT' },
    );
    expect(upsert).toMatchObject({ status: 'COMPLETED', mode: 'UPSERT', updatedCount: 2, insertedCount: 0, duplicateCount: 1 });

    const after = await history(person.token);
    expect(after.map((e) => e.id)).toEqual(before.map((e) => e.id));
    expect(after.map((e) => [e.media.title, e.rating, e.tags, e.review])).toEqual([
      ['Heat', 4.5, ['crime', 'la'], 'Better the second time.'],
      ['Alien', 4, ['space'], 'Tense.'],
      ['Ran', 5, ['epic'], 'Vast and sad.'],
    ]);
  });

  it("moves the item's rating to the re-imported one", async () => {
    const person = await server.newPerson();
    await importAndWait(server, person.token, [klugCsv('v1.csv', 'Heat,2023-01-01,1995,3,,')], { source: 'KLUG_CSV' });
    expect((await history(person.token))[0]!.media.rating).toBe(3);
    const upsert = await importAndWait(server, person.token, [klugCsv('v2.csv', 'Heat,2023-01-01,1995,4.5,,')], {
      source: 'KLUG_CSV',
      mode: 'UPSERT',
    });
    expect(upsert).toMatchObject({ status: 'COMPLETED', updatedCount: 1 });
    const [event] = await history(person.token);
    expect(event!.rating).toBe(4.5);
    // the person's current rating of the film is the one just imported, as it is after an APPEND
    expect(event!.media.rating).toBe(4.5);
  });

  it('adds the events that are new', async () => {
    const person = await server.newPerson();
    await importAndWait(server, person.token, [klugCsv('v1.csv', 'Heat,2023-01-01,1995,3,,')], { source: 'KLUG_CSV' });
    const upsert = await importAndWait(server, person.token, [klugCsv('v2.csv', 'Heat,2023-01-01,1995,3,,', 'Heat,2024-02-02,1995,4,,')], {
      source: 'KLUG_CSV',
      mode: 'UPSERT',
    });
    expect(upsert).toMatchObject({ insertedCount: 1, updatedCount: 0, duplicateCount: 1 });
    expect(await history(person.token)).toHaveLength(2);
  });
});

describe('REPLACE', () => {
  it("replaces the person's events of that source only, leaving other sources and people alone", async () => {
    const person = await server.newPerson();
    const other = await server.newPerson();
    const recorded = await server.gql(
      RECORD,
      { input: { media: { kind: 'MOVIE', title: 'Manual Movie', year: 2001 }, watchedAt: '2022-05-05T12:00:00Z' } },
      { token: person.token },
    );
    expect(recorded.recordWatch.__typename).toBe('RecordWatchSuccess');
    const json = await importAndWait(
      server,
      person.token,
      [{ name: 'j.json', content: JSON.stringify({ input_schema: 'klug/v1', events: [{ title: 'Json Movie', watched_at: '2022-06-06' }] }) }],
      { source: 'KLUG_JSON' },
    );
    expect(json).toMatchObject({ status: 'COMPLETED', insertedCount: 1 });
    const old = klugCsv('old.csv', 'Gone Movie,2023-01-01,2000,3,,', 'Kept Movie,2023-01-02,2000,4,,', 'Changed Movie,2023-01-03,2000,2,,');
    await importAndWait(server, person.token, [old], { source: 'KLUG_CSV' });
    await importAndWait(server, other.token, [old], { source: 'KLUG_CSV' });

    const replace = await importAndWait(
      server,
      person.token,
      [klugCsv('new.csv', 'Kept Movie,2023-01-02,2000,4,,', 'Changed Movie,2023-01-03,2000,5,,', 'New Movie,2023-01-04,2000,,,')],
      { source: 'KLUG_CSV', mode: 'REPLACE' },
    );
    expect(replace).toMatchObject({ status: 'COMPLETED', mode: 'REPLACE', insertedCount: 3, duplicateCount: 0, errorCount: 0 });

    const csvEvents = await history(person.token, ['KLUG_CSV']);
    expect(csvEvents.map((e) => [e.media.title, e.rating])).toEqual([
      ['Kept Movie', 4],
      ['Changed Movie', 5],
      ['New Movie', null],
    ]);
    expect((await history(person.token, ['MANUAL', 'KLUG_JSON'])).map((e) => [e.source, e.media.title])).toEqual([
      ['MANUAL', 'Manual Movie'],
      ['KLUG_JSON', 'Json Movie'],
    ]);
    expect((await history(other.token)).map((e) => e.media.title)).toEqual(['Gone Movie', 'Kept Movie', 'Changed Movie']);
    const prisma = server.app.db.prisma;
    expect(await prisma.watchEvent.count({ where: { userId: await userIdOf(server, person.email) } })).toBe(5);
  });

  it('counts an event another source holds at the same instant as a duplicate, and writes the rest', async () => {
    const person = await server.newPerson();
    const at = '2022-05-05T12:00:00.000Z';
    await server.gql(RECORD, { input: { media: { kind: 'MOVIE', title: 'Manual Movie', year: 2001 }, watchedAt: at } }, { token: person.token });
    // the chunk's COPY meets the manual event and is undone inside the batch's transaction; the chunk goes again by ON CONFLICT
    const replace = await importAndWait(
      server,
      person.token,
      [klugCsv('new.csv', `Manual Movie,${at},2001,4,,`, 'Other Movie,2022-05-06,2000,3,,')],
      { source: 'KLUG_CSV', mode: 'REPLACE' },
    );
    expect(replace).toMatchObject({ status: 'COMPLETED', insertedCount: 1, duplicateCount: 1, errorCount: 0 });
    expect((await history(person.token)).map((e) => [e.source, e.media.title, e.rating])).toEqual([
      ['MANUAL', 'Manual Movie', null],
      ['KLUG_CSV', 'Other Movie', 3],
    ]);
  });
});

describe('dryRun', () => {
  it('reports counts and errors but writes no media or events, only the batch and its errors', async () => {
    const person = await server.newPerson();
    const userId = await userIdOf(server, person.email);
    const batch = await importAndWait(
      server,
      person.token,
      [klugCsv('dry.csv', 'Heat,2023-01-01,1995,4,,', 'Alien,2023-01-02,1979,,,', 'Broken,not a date,2000,,,', 'Ran,2023-01-03,1985,9,,')],
      { source: 'KLUG_CSV', dryRun: true },
    );
    expect(batch).toMatchObject({ status: 'COMPLETED', dryRun: true, insertedCount: 2, duplicateCount: 0, errorCount: 2, processedRows: 4 });
    expect(batch.errors.edges.map((e) => [e.node.row, e.node.field, e.node.code])).toEqual([
      [4, 'watched_at', 'INVALID_DATE'],
      [5, 'rating', 'INVALID_RATING'],
    ]);

    const prisma = server.app.db.prisma;
    expect(await prisma.media.count({ where: { userId } })).toBe(0);
    expect(await prisma.watchEvent.count({ where: { userId } })).toBe(0);
    expect(await prisma.importBatch.count({ where: { userId, id: rawId(batch.id), dryRun: true, status: 'COMPLETED' } })).toBe(1);
    expect(await prisma.importError.count({ where: { batchId: rawId(batch.id) } })).toBe(2);
  });

  it('counts what is already there as duplicates', async () => {
    const person = await server.newPerson();
    await importAndWait(server, person.token, [klugCsv('real.csv', 'Heat,2023-01-01,1995,4,,', 'Alien,2023-01-02,1979,,,')], { source: 'KLUG_CSV' });
    const dry = await importAndWait(
      server,
      person.token,
      [klugCsv('dry.csv', 'Heat,2023-01-01,1995,4,,', 'Alien,2023-01-02,1979,,,', 'Ran,2023-01-03,1985,,,')],
      { source: 'KLUG_CSV', dryRun: true },
    );
    expect(dry).toMatchObject({ status: 'COMPLETED', insertedCount: 1, duplicateCount: 2 });
    expect(await history(person.token)).toHaveLength(2);
  });
});

describe('resumeFromLatest', () => {
  it("takes only events newer than the last batch's cursorAfter", async () => {
    const person = await server.newPerson();
    const rows = ['Heat,2023-01-01,1995,,,', 'Alien,2023-01-02T10:00:00Z,1979,,,', 'Ran,2023-01-03T08:30:00Z,1985,,,'];
    const first = await importAndWait(server, person.token, [klugCsv('2023-01.csv', ...rows)], { source: 'KLUG_CSV' });
    expect(first).toMatchObject({ status: 'COMPLETED', insertedCount: 3, cursorBefore: null, cursorAfter: '2023-01-03T08:30:00.000Z' });

    const longer = klugCsv('2023-02.csv', ...rows, 'Brazil,2023-01-05T22:00:00Z,1985,,,', 'Nope,2023-01-04,2000,,,');
    const second = await importAndWait(server, person.token, [longer], { source: 'KLUG_CSV', resumeFromLatest: true });
    expect(second).toMatchObject({
      status: 'COMPLETED',
      skippedCount: 3,
      insertedCount: 2,
      duplicateCount: 0,
      processedRows: 5,
      cursorBefore: first.cursorAfter,
      cursorAfter: '2023-01-05T22:00:00.000Z',
    });
    expect((await history(person.token)).map((e) => e.media.title)).toEqual(['Heat', 'Alien', 'Ran', 'Nope', 'Brazil']);
    const settings = await server.gql(SETTINGS, { id: second.id }, { token: person.token });
    expect(settings.node).toMatchObject({ resumeFromLatest: true });
  });

  it('ignores dry runs and other sources when choosing the cursor', async () => {
    const person = await server.newPerson();
    await importAndWait(server, person.token, [klugCsv('a.csv', 'Heat,2023-01-01,1995,,,')], { source: 'KLUG_CSV' });
    await importAndWait(server, person.token, [klugCsv('dry.csv', 'Alien,2023-06-01,1979,,,')], { source: 'KLUG_CSV', dryRun: true });
    await importAndWait(server, person.token, [{ name: 'j.json', content: '[{"title":"Json","watched_at":"2023-09-01"}]' }], {
      source: 'KLUG_JSON',
    });
    const resumed = await importAndWait(server, person.token, [klugCsv('b.csv', 'Heat,2023-01-01,1995,,,', 'Alien,2023-06-01,1979,,,')], {
      source: 'KLUG_CSV',
      resumeFromLatest: true,
    });
    expect(resumed).toMatchObject({ cursorBefore: '2023-01-01T00:00:00.000Z', skippedCount: 1, insertedCount: 1 });
  });
});

describe('reuseSettingsFrom', () => {
  it('copies source, mode and dryRun of an earlier batch where the input leaves them out', async () => {
    const person = await server.newPerson();
    const earlier = await importAndWait(server, person.token, [klugCsv('a.csv', 'Heat,2023-01-01,1995,,,')], {
      source: 'KLUG_CSV',
      mode: 'UPSERT',
      dryRun: true,
    });
    const copied = await startImport(server, person.token, [klugCsv('b.csv', 'Alien,2023-01-02,1979,,,')], { reuseSettingsFrom: earlier.id });
    expect(copied).toMatchObject({ __typename: 'StartImportSuccess', batch: { source: 'KLUG_CSV', mode: 'UPSERT', dryRun: true } });
    const overridden = await startImport(server, person.token, [klugCsv('c.csv', 'Alien,2023-01-02,1979,,,')], {
      reuseSettingsFrom: earlier.id,
      mode: 'APPEND',
    });
    expect(overridden).toMatchObject({ __typename: 'StartImportSuccess', batch: { source: 'KLUG_CSV', mode: 'APPEND', dryRun: true } });
    await server.app.runs.idle();
    expect(await history(person.token)).toEqual([]);
  });

  it("answers NotFoundError for another person's batch or a garbage id, creating nothing", async () => {
    const owner = await server.newPerson();
    const theirs = await importAndWait(server, owner.token, [klugCsv('a.csv', 'Heat,2023-01-01,1995,,,')], { source: 'KLUG_CSV' });
    const person = await server.newPerson();
    const file = klugCsv('b.csv', 'Alien,2023-01-02,1979,,,');
    for (const id of [theirs.id, 'garbage', globalId('ImportBatch', 'not-a-uuid'), globalId('Media', rawId(theirs.id))]) {
      const result = await startImport(server, person.token, [file], { reuseSettingsFrom: id });
      expect(result).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND', path: ['reuseSettingsFrom'] });
    }
    expect(await server.app.db.prisma.importBatch.count({ where: { userId: await userIdOf(server, person.email) } })).toBe(0);
  });
});

describe('cancelImport', () => {
  it('refuses a completed batch with a ValidationError', async () => {
    const person = await server.newPerson();
    const batch = await importAndWait(server, person.token, [klugCsv('a.csv', 'Heat,2023-01-01,1995,,,')], { source: 'KLUG_CSV' });
    const data = await server.gql(CANCEL, { id: batch.id }, { token: person.token });
    expect(data.cancelImport).toMatchObject({ __typename: 'ValidationError', code: 'VALIDATION_FAILED' });
    expect((await batchOf(person.token, batch.id)).status).toBe('COMPLETED');
    expect(await history(person.token)).toHaveLength(1);
  });

  it("answers NotFoundError for another person's batch and leaves it be", async () => {
    const owner = await server.newPerson();
    const batch = await importAndWait(server, owner.token, [klugCsv('a.csv', 'Heat,2023-01-01,1995,,,')], { source: 'KLUG_CSV' });
    const person = await server.newPerson();
    for (const id of [batch.id, 'garbage']) {
      const data = await server.gql(CANCEL, { id }, { token: person.token });
      expect(data.cancelImport).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    }
    expect((await batchOf(owner.token, batch.id)).status).toBe('COMPLETED');
  });

  it('cancels a queued batch, which then never runs; the one left queued runs after a restart', async () => {
    const database = await createTestDatabase();
    let own = await startTestServer({ database });
    try {
      // with the worker stopped, every batch started stays QUEUED until the next start
      await own.app.runs.stop();
      const person = await own.newPerson();
      const kept = startedId(await startImport(own, person.token, [klugCsv('kept.csv', 'Heat,2023-01-01,1995,,,')], { source: 'KLUG_CSV' }));
      const dropped = startedId(
        await startImport(own, person.token, [klugCsv('dropped.csv', 'Alien,2023-01-02,1979,,,', 'Ran,2023-01-03,1985,,,')], { source: 'KLUG_CSV' }),
      );
      const cancelled = await own.gql(CANCEL, { id: dropped }, { token: person.token });
      expect(cancelled.cancelImport).toMatchObject({ __typename: 'CancelImportSuccess', batch: { id: dropped, status: 'CANCELLED' } });
      expect(cancelled.cancelImport.__typename === 'CancelImportSuccess' && cancelled.cancelImport.batch.finishedAt).toBeTruthy();
      const again = await own.gql(CANCEL, { id: dropped }, { token: person.token });
      expect(again.cancelImport).toMatchObject({ __typename: 'ValidationError' });

      await own.stop();
      own = await startTestServer({ database });
      await own.app.runs.idle();
      const data = await own.gql(BATCHES, {}, { token: person.token });
      expect(data.importBatches.edges.map((e) => [e.node.id, e.node.status])).toEqual([
        [dropped, 'CANCELLED'],
        [kept, 'COMPLETED'],
      ]);
      const userId = await userIdOf(own, person.email);
      expect(await own.app.db.prisma.watchEvent.count({ where: { userId } })).toBe(1);
      expect(await own.app.db.prisma.watchEvent.count({ where: { userId, importBatchId: rawId(dropped) } })).toBe(0);
    } finally {
      await own.stop();
      await database.drop();
    }
  });
});

describe('importBatches', () => {
  it("lists the person's batches newest first, filtered by status, never another person's", async () => {
    const person = await server.newPerson();
    const other = await server.newPerson();
    const foreign = await importAndWait(server, other.token, [klugCsv('o.csv', 'Heat,2023-01-01,1995,,,')], { source: 'KLUG_CSV' });
    const first = await importAndWait(server, person.token, [klugCsv('a.csv', 'Heat,2023-01-01,1995,,,')], { source: 'KLUG_CSV' });
    const failed = await importAndWait(server, person.token, [{ name: 'b.zip', content: await damagedZip() }], { source: 'KLUG_CSV' });
    const third = await importAndWait(server, person.token, [klugCsv('c.csv', 'Alien,2023-01-02,1979,,,')], { source: 'KLUG_CSV' });
    expect([first.status, failed.status, third.status]).toEqual(['COMPLETED', 'FAILED', 'COMPLETED']);

    const ids = async (status?: ('COMPLETED' | 'FAILED' | 'QUEUED')[]) =>
      (await server.gql(BATCHES, { status }, { token: person.token })).importBatches.edges.map((e) => e.node.id);
    expect(await ids()).toEqual([third.id, failed.id, first.id]);
    expect(await ids(['FAILED'])).toEqual([failed.id]);
    expect(await ids(['COMPLETED'])).toEqual([third.id, first.id]);
    expect(await ids(['COMPLETED', 'FAILED'])).toEqual([third.id, failed.id, first.id]);
    expect(await ids(['QUEUED'])).toEqual([]);
    expect(await ids()).not.toContain(foreign.id);
    expect((await server.gql(BATCH, { id: foreign.id }, { token: person.token })).node).toBeNull();
  });
});

describe('importProgress over graphql-ws', () => {
  it('answers the current state first, then every change, and ends with COMPLETED and the final counts', async () => {
    const person = await server.newPerson();
    const userId = await userIdOf(server, person.email);
    const dir = await mkdtemp(join(tmpdir(), 'klug-progress-'));
    try {
      const path = join(dir, 'staged.csv');
      const content = `${HEADER}\nHeat,2023-01-01,1995,,,\nAlien,2023-01-02,1979,,,\nBad,never,2000,,,\n`;
      await writeFile(path, content);
      // a batch recorded but not yet handed to the worker, so the subscription is sure to see it start
      const row = await server.app.db.prisma.importBatch.create({
        data: {
          userId,
          source: 'KLUG_CSV',
          mode: 'APPEND',
          totalRows: 3,
          files: [{ name: 'staged.csv', kind: 'CSV', path, bytes: Buffer.byteLength(content), rows: 3 }],
        },
      });
      const id = globalId('ImportBatch', row.id);
      const results = subscribe(server.ws(person.token), PROGRESS, { batchId: id });
      const first = await results.next();
      expect(first.value?.errors).toBeUndefined();
      expect(first.value?.data?.importProgress).toMatchObject({ id, status: 'QUEUED', totalRows: 3, processedRows: 0, progress: 0 });

      await server.app.runs.enqueue({ kind: "import", userId, subjectId: row.id, node: server.app.runs.node });
      const seen = [first.value!.data!.importProgress];
      for await (const result of results) {
        expect(result.errors).toBeUndefined();
        seen.push(result.data!.importProgress);
      }
      const statuses = seen.map((b) => b.status);
      expect(statuses.at(-1)).toBe('COMPLETED');
      expect(statuses.slice(1, -1).every((s) => s === 'PROCESSING')).toBe(true);
      expect(statuses).toContain('PROCESSING');
      expect(seen.at(-1)).toMatchObject({ insertedCount: 2, errorCount: 1, processedRows: 3, totalRows: 3, progress: 1 });
      expect(await server.app.db.prisma.watchEvent.count({ where: { userId, importBatchId: row.id } })).toBe(2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('follows an import started over HTTP to its end', async () => {
    const person = await server.newPerson();
    const id = startedId(
      await startImport(server, person.token, [klugCsv('a.csv', 'Heat,2023-01-01,1995,,,', 'Alien,2023-01-02,1979,,,')], { source: 'KLUG_CSV' }),
    );
    const seen = [];
    for await (const result of subscribe(server.ws(person.token), PROGRESS, { batchId: id })) {
      expect(result.errors).toBeUndefined();
      seen.push(result.data!.importProgress);
    }
    expect(seen.at(-1)).toMatchObject({ id, status: 'COMPLETED', insertedCount: 2, duplicateCount: 0 });
    const final = await batchOf(person.token, id);
    expect(seen.at(-1)).toMatchObject({ insertedCount: final.insertedCount, processedRows: final.processedRows });
  });

  it("refuses another person's batch with NOT_FOUND", async () => {
    const owner = await server.newPerson();
    const batch = await importAndWait(server, owner.token, [klugCsv('a.csv', 'Heat,2023-01-01,1995,,,')], { source: 'KLUG_CSV' });
    const person = await server.newPerson();
    for (const batchId of [batch.id, 'garbage']) {
      const codes: unknown[] = [];
      const data: unknown[] = [];
      try {
        for await (const result of subscribe(server.ws(person.token), PROGRESS, { batchId })) {
          if (result.data?.importProgress) data.push(result.data.importProgress);
          codes.push(...(result.errors ?? []).map((e) => e.extensions?.code));
        }
      } catch (error) {
        // graphql-ws rejects with the GraphQL errors when the operation fails as a whole
        for (const e of Array.isArray(error) ? error : [error]) codes.push((e as { extensions?: { code?: unknown } }).extensions?.code);
      }
      expect(data).toEqual([]);
      expect(codes).toEqual(['NOT_FOUND']);
    }
  });
});

describe('restart recovery', () => {
  it('resumes a batch whose server died mid-way and fails one whose files are gone', async () => {
    const database = await createTestDatabase();
    const dir = await mkdtemp(join(tmpdir(), 'klug-recovery-'));
    let own = await startTestServer({ database });
    try {
      const person = await own.newPerson();
      const userId = await userIdOf(own, person.email);
      const prisma = own.app.db.prisma;
      const path = join(dir, 'history.csv');
      const content = `${HEADER}\nHeat,2023-01-01,1995,4,,\nAlien,2023-01-02,1979,,,\nRan,2023-01-03,1985,,,\n`;
      await writeFile(path, content);
      const stale = new Date(Date.now() - 10 * 60_000);
      // what a server that died mid-way leaves: the batch PROCESSING, its run held under a lease that ran out
      const heldByTheDead = { status: 'RUNNING' as const, attempts: 1, leaseOwner: 'gone/0', leaseUntil: stale, startedAt: stale };
      const resumable = await prisma.importBatch.create({
        data: {
          userId,
          source: 'KLUG_CSV',
          mode: 'APPEND',
          status: 'PROCESSING',
          startedAt: stale,
          totalRows: 3,
          processedRows: 1,
          insertedCount: 1,
          files: [{ name: 'history.csv', kind: 'CSV', path, bytes: Buffer.byteLength(content), rows: 3 }],
        },
      });
      await prisma.run.create({ data: { kind: 'import', userId, subjectId: resumable.id, ...heldByTheDead } });
      // what the dead server had written of it before stopping
      const heat = await prisma.media.create({ data: { userId, kind: 'MOVIE', title: 'Heat', normalizedTitle: 'heat', year: 1995 } });
      await prisma.watchEvent.create({
        data: { userId, mediaId: heat.id, watchedAt: new Date('2023-01-01T00:00:00Z'), source: 'KLUG_CSV', rating: 4, importBatchId: resumable.id },
      });
      const orphan = await prisma.importBatch.create({
        data: {
          userId,
          source: 'KLUG_CSV',
          mode: 'APPEND',
          status: 'PROCESSING',
          startedAt: stale,
          files: [{ name: 'lost.csv', kind: 'CSV', path: join(dir, 'lost.csv'), bytes: 100, rows: 2 }],
        },
      });
      await prisma.run.create({ data: { kind: 'import', userId, subjectId: orphan.id, ...heldByTheDead } });
      // and a batch recorded by a server that stopped before it queued it
      const unqueued = await prisma.importBatch.create({ data: { userId, source: 'KLUG_CSV', mode: 'APPEND', files: [] } });

      await own.stop();
      own = await startTestServer({ database });
      await own.app.runs.idle();

      const resumed = await own.gql(BATCH, { id: globalId('ImportBatch', resumable.id) }, { token: person.token });
      expect(resumed.node).toMatchObject({ status: 'COMPLETED', insertedCount: 3, duplicateCount: 0, errorCount: 0, errorMessage: null });
      const events = await own.gql(HISTORY, {}, { token: person.token });
      expect(events.watchEvents.edges.map((e) => e.node.media.title)).toEqual(['Heat', 'Alien', 'Ran']);
      expect(await own.app.db.prisma.watchEvent.count({ where: { userId, importBatchId: resumable.id } })).toBe(3);

      for (const [batch, reason] of [
        [orphan, /files are gone/],
        [unqueued, /before the import was queued/],
      ] as const) {
        const failed = await own.gql(BATCH, { id: globalId('ImportBatch', batch.id) }, { token: person.token });
        expect(failed.node).toMatchObject({ status: 'FAILED' });
        expect(failed.node && 'errorMessage' in failed.node && failed.node.errorMessage).toMatch(reason);
        expect(failed.node && 'finishedAt' in failed.node && failed.node.finishedAt).toBeTruthy();
      }
      expect(await own.app.db.prisma.run.count({ where: { userId, status: { in: ['QUEUED', 'RUNNING'] } } })).toBe(0);
    } finally {
      await own.stop();
      await database.drop();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
