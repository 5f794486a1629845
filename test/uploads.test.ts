import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { uploadForm } from './support/multipart.js';
import { startTestServer, type TestServer } from './support/server.js';

const INSPECT = graphql(`
  mutation InspectUpload($file: Upload!) {
    inspectUpload(file: $file) {
      __typename
      ... on InspectUploadSuccess {
        filename
        bytes
        sha256
        kind
      }
      ... on UploadTooLargeError {
        maxBytes
      }
      ... on Error {
        code
        message
        path
      }
    }
  }
`);

type InspectResponse = { data?: { inspectUpload: Record<string, unknown> }; errors?: { extensions?: { code?: string } }[] };

let server: TestServer;
let token: string;
beforeAll(async () => {
  // a JSON body limit below the upload limit: files stream past it, so the 1 MB uploads below prove it
  server = await startTestServer({
    env: { KLUG_IMPORT_UPLOAD_MAX_MB: '1' },
    overrides: { limits: { maxBodyBytes: 256 * 1024 } },
  });
  token = (await server.newPerson()).token;
});
afterAll(() => server?.stop());

async function upload(name: string, content: Buffer | string, headers: Record<string, string> = { 'x-graphql-yoga-csrf': '1' }) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, ...headers },
    body: uploadForm(INSPECT, { name, content }),
  });
  return { status: response.status, body: (await response.json()) as InspectResponse };
}

const MB = 1024 * 1024;

describe('uploads', () => {
  it('streams a file within the limit to the resolver and reports what it is by content', async () => {
    const csv = `title,year\n${'"Seven Samurai, The",1954\n'.repeat(30_000)}`;
    expect(csv.length).toBeGreaterThan(MB * 0.5);
    const { body } = await upload('history.txt', csv);
    expect(body.data?.inspectUpload).toEqual({
      __typename: 'InspectUploadSuccess',
      filename: 'history.txt',
      bytes: Buffer.byteLength(csv),
      sha256: createHash('sha256').update(csv).digest('hex'),
      kind: 'CSV',
    });
  });

  it('accepts a file of exactly the limit', async () => {
    const { body } = await upload('exact.json', `[${' '.repeat(MB - 2)}]`);
    expect(body.data?.inspectUpload).toMatchObject({ __typename: 'InspectUploadSuccess', bytes: MB, kind: 'JSON' });
  });

  it('answers UploadTooLargeError for a file over the limit', async () => {
    const { status, body } = await upload('huge.csv', Buffer.alloc(MB + 1, 'a'));
    expect(status).toBe(200);
    expect(body.data?.inspectUpload).toMatchObject({
      __typename: 'UploadTooLargeError',
      code: 'UPLOAD_TOO_LARGE',
      maxBytes: MB,
      path: ['file'],
    });
  });

  it('answers a ValidationError for an empty file', async () => {
    const { body } = await upload('empty.csv', '');
    expect(body.data?.inspectUpload).toMatchObject({ __typename: 'ValidationError', path: ['file'] });
  });

  it('refuses a multipart request without the CSRF header', async () => {
    const { status, body } = await upload('history.csv', 'title,year\n', {});
    expect(status).toBe(403);
    expect(body.errors?.[0]?.extensions?.code).toBe('CSRF_HEADER_REQUIRED');
  });

  it('refuses a malformed multipart request with a code', async () => {
    const form = new FormData();
    form.append('operations', '{not json');
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'x-graphql-yoga-csrf': '1' },
      body: form,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as InspectResponse;
    expect(body.errors?.[0]?.extensions?.code).toBe('BAD_MULTIPART_REQUEST');
  });

  it('needs a viewer, like every mutation', async () => {
    const { body } = await upload('history.csv', 'title,year\n', { 'x-graphql-yoga-csrf': '1', authorization: '' });
    expect(body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });
});
