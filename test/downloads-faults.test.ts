import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENQUEUE, enqueue, fileServers, follow, type DownloadView } from './support/downloads.js';
import { sha256 } from './support/fake-file-server.js';
import { startTestServer, type TestServer } from './support/server.js';

// What goes wrong on the way, against a real file server on 127.0.0.1: every download still ends
// byte-identical to the file the server has (the newest one, when it changed).
const MiB = 1024 * 1024;
const PROBE = 1;
let server: TestServer;
const files = fileServers();

beforeAll(async () => {
  server = await startTestServer({
    env: { KLUG_DOWNLOAD_ALLOW_PRIVATE: 'true', KLUG_DOWNLOAD_CHUNKS: '4' },
    overrides: { runs: { progressMs: 200, retryBaseMs: 100, retryMaxMs: 500 }, downloads: { retryBaseMs: 100, retryMaxMs: 1000, checkpointMs: 300 } },
  });
});

afterAll(async () => {
  await files.closeAll();
  await server?.stop();
});

const fileServer = files.start;

const onDisk = (end: DownloadView) => readFileSync(join(server.config.downloads.dir, end.path!));

async function run(token: string, url: string, during?: (download: DownloadView) => Promise<void>) {
  const client = server.ws(token);
  const download = await enqueue(server, token, { url });
  await during?.(download);
  return (await follow(client, download.id)).at(-1)!;
}

describe('a download survives', () => {
  it('connections dropped in the middle of their ranges, going on from where each stopped', async () => {
    const { token } = await server.newPerson();
    // four ranges of 1.75 MiB: none is worth splitting (2 MiB at least), so no range is halved while its answer is
    // in flight, which on loopback sends the rest of the old answer into the socket's buffers before it is dropped
    const fake = await fileServer({ size: 7 * MiB, seed: 21 });
    fake.fault({ kind: 'drop', afterBytes: 300_000 }, { kind: 'drop', afterBytes: 10 }, { kind: 'drop', afterBytes: 700_000 });
    const end = await run(token, fake.url('/drop.bin'));
    expect(end).toMatchObject({ status: 'COMPLETED', bytesDone: 7 * MiB });
    expect(sha256(onDisk(end))).toBe(fake.sha256);
    // each dropped range was asked again from the byte it had reached: at most what the dropped answers
    // sent (some of it lost with their sockets) came twice, never a range from its start again
    expect(fake.bytesSent).toBeLessThanOrEqual(7 * MiB + PROBE + 300_000 + 10 + 700_000);
    expect(fake.requests.filter((r) => r.status === 206).length).toBeGreaterThanOrEqual(4 + 3);
  });

  it('500 answers, then 206', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 3 * MiB, seed: 22 });
    fake.fault({ kind: 'status', status: 500 }, { kind: 'status', status: 502 });
    const end = await run(token, fake.url('/500.bin'));
    expect(end.status).toBe('COMPLETED');
    expect(fake.requests.map((r) => r.status)).toEqual(expect.arrayContaining([500, 502, 206]));
    expect(sha256(onDisk(end))).toBe(fake.sha256);
  });

  it('503 with Retry-After, waiting as long as the server asked', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 1 * MiB, seed: 23 });
    fake.fault({ kind: 'status', status: 503, retryAfter: '2' });
    const end = await run(token, fake.url('/503.bin'));
    expect(end.status).toBe('COMPLETED');
    const busy = fake.requests.findIndex((r) => r.status === 503);
    const after = fake.requests[busy + 1]!;
    // the only request after the 503 is its retry (one range): it waited the 2 s asked
    expect(after.range).toBe(fake.requests[busy]!.range);
    expect(after.at - fake.requests[busy]!.at).toBeGreaterThanOrEqual(1_950);
    expect(sha256(onDisk(end))).toBe(fake.sha256);
  });

  it('416 for a range it had: the file is taken again from a fresh probe', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 4 * MiB, seed: 24 });
    fake.fault({ kind: 'status', status: 416 });
    const end = await run(token, fake.url('/416.bin'));
    expect(end.status).toBe('COMPLETED');
    expect(fake.requests.filter((r) => r.range === 'bytes=0-0')).toHaveLength(2);
    expect(sha256(onDisk(end))).toBe(fake.sha256);
  });

  it('an empty file (416 to the first byte)', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 0 });
    const end = await run(token, fake.url('/empty.txt'));
    expect(end).toMatchObject({ status: 'COMPLETED', bytesTotal: 0, bytesDone: 0, progress: 1 });
    expect(onDisk(end)).toHaveLength(0);
  });

  it('the file changing upstream: it starts again and ends as the new file, never a mix', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 8 * MiB, seed: 25 });
    const before = fake.sha256;
    const hold = fake.hold(3 * MiB);
    const end = await run(token, fake.url('/changing.bin'), async () => {
      await hold.reached;
      fake.change(26);
      hold.release();
    });
    expect(end.status).toBe('COMPLETED');
    expect(fake.sha256).not.toBe(before);
    expect(sha256(onDisk(end))).toBe(fake.sha256);
    // the first range asked after the change carried the old ETag in If-Range and got the whole new file
    expect(fake.requests.some((r) => r.status === 200 && r.ifRange === '"v1"')).toBe(true);
    expect(readdirSync(server.config.downloads.dir).filter((name) => name.endsWith('.part'))).toEqual([]);
  });

  it('the server gone for a few seconds', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 8 * MiB, seed: 27 });
    const hold = fake.hold(2 * MiB);
    const end = await run(token, fake.url('/gone.bin'), async () => {
      await hold.reached;
      await fake.goAway(1_500);
      hold.release();
    });
    expect(end.status).toBe('COMPLETED');
    expect(sha256(onDisk(end))).toBe(fake.sha256);
  });
});

describe('private addresses', () => {
  it('are refused unless KLUG_DOWNLOAD_ALLOW_PRIVATE is set, by address and by a name that resolves to one', async () => {
    const strict = await startTestServer({ env: { KLUG_DOWNLOAD_ALLOW_PRIVATE: 'false' } });
    try {
      const fake = await fileServer({ size: 100, seed: 28 });
      const { token } = await strict.newPerson();
      const port = new URL(fake.url()).port;
      for (const url of [fake.url('/a.bin'), `http://localhost:${port}/a.bin`, `http://[::1]:${port}/a.bin`, `http://0x7f000001:${port}/a.bin`, 'http://169.254.169.254/latest/meta-data/']) {
        const { enqueueDownload } = await strict.gql(ENQUEUE, { input: { url } }, { token });
        expect(enqueueDownload, url).toMatchObject({ __typename: 'AddressRefusedError', code: 'ADDRESS_REFUSED', path: ['url'] });
      }
      expect(fake.requests).toEqual([]);
    } finally {
      await strict.stop();
    }
  });
});
