import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serializeError } from '../src/log-safety.js';
import { graphql } from './gql/index.js';
import { importAndWait } from './support/imports.js';
import { capturedLogs } from './support/logs.js';
import { startTestServer, type TestServer } from './support/server.js';

const RECORD = graphql(`
  mutation LogRecordWatch($input: RecordWatchInput!) {
    recordWatch(input: $input) {
      __typename
      ... on Error {
        code
      }
    }
  }
`);

/** Every line the server logs, at the most verbose level. */
const { log, lines } = capturedLogs();

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer({ log });
  // the database refuses any review mentioning poison: a failure whose statement carries the person's rows
  await server.app.db.sql.exec(
    `ALTER TABLE "WatchEvent" ADD CONSTRAINT log_test_poison CHECK (review IS NULL OR review NOT LIKE '%poison%')`,
  );
});
afterAll(() => server?.stop());

/** A review of someone's, with a word no log line may ever show. */
const privateReview = () => {
  const word = `private-${randomBytes(6).toString('hex')}`;
  return { word, review: `${word} thoughts with poison in them. ${'A long paragraph of one person. '.repeat(400)}` };
};

/** The lines logged while `work` ran. */
async function logged(work: () => Promise<unknown>): Promise<string[]> {
  const before = lines.length;
  await work();
  return lines.slice(before);
}

describe('log lines never carry user content or SQL parameters', () => {
  it('an import that fails in the database logs the failure, short and without the rows it was writing', async () => {
    const person = await server.newPerson();
    const { word, review } = privateReview();
    let batch: Awaited<ReturnType<typeof importAndWait>> | undefined;
    const output = await logged(async () => {
      const content = `title,watched_at,review\n${word} title,2023-01-01,"${review}"\nHeat,2023-01-02,fine\n`;
      batch = await importAndWait(server, person.token, [{ name: 'history.csv', content }], { source: 'KLUG_CSV' });
    });
    expect(batch).toMatchObject({ status: 'FAILED', insertedCount: 0 });
    const failure = output.map((line) => JSON.parse(line) as { err?: { code?: string } }).find((line) => line.err?.code === '23514');
    expect(failure?.err).toMatchObject({ constraint: 'log_test_poison', message: expect.stringMatching(/check constraint/) });
    expect(output.filter((line) => line.includes(word))).toEqual([]);
    expect(output.filter((line) => /poison in them|A long paragraph/.test(line))).toEqual([]);
    for (const line of output) expect(line.length).toBeLessThan(4000);
  });

  it('a mutation that fails in the database is masked and logged without the values it was writing', async () => {
    const person = await server.newPerson();
    const { word, review } = privateReview();
    const output = await logged(async () => {
      const response = await server.request(
        RECORD,
        { input: { media: { kind: 'MOVIE', title: `${word} film` }, watchedAt: '2023-01-01T00:00:00Z', review } },
        { token: person.token },
      );
      expect(response.body.errors?.[0]?.message).toBe('Unexpected error.');
    });
    const failure = output.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line.msg === 'unexpected error');
    // the reason, not Prisma's call site, source lines and arguments
    expect(failure?.err).toMatchObject({ message: expect.stringMatching(/^Database error\. Code: `23514`.*check constraint "log_test_poison"/) });
    expect(String((failure?.err as { message: string }).message).length).toBeLessThanOrEqual(201);
    expect(output.filter((line) => line.includes(word))).toEqual([]);
    expect(output.filter((line) => /poison in them|A long paragraph/.test(line))).toEqual([]);
    for (const line of output) expect(line.length).toBeLessThan(4000);
  });

  it('reduces a driver error to its type, code, scrubbed message and place', () => {
    const error = Object.assign(new Error('invalid input syntax for type integer: "Amélie, seen with Ann"'), {
      code: '22P02',
      table: 'WatchEvent',
      detail: 'Failing row contains (Amélie, seen with Ann)',
      query: 'INSERT INTO "WatchEvent" …',
      params: ['Amélie, seen with Ann'],
      where: 'unnamed portal parameter $1 = \'Amélie, seen with Ann\'',
    });
    const serialized = serializeError(error);
    expect(serialized).toMatchObject({ type: 'Error', code: '22P02', table: 'WatchEvent', message: 'invalid input syntax for type integer: "…"' });
    expect(Object.keys(serialized).sort()).toEqual(['code', 'message', 'stack', 'table', 'type']);
    expect(JSON.stringify(serialized)).not.toMatch(/Amélie/);
    expect(serializeError(new Error(`bad "${'x'.repeat(10)} y" ${'z'.repeat(10_000)}`)).message).toHaveLength(201);
  });
});
