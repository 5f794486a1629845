import { existsSync, mkdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CANCEL, DOWNLOADS, ENQUEUE, PAUSE, RESUME, RETRY, enqueue, expectResumed, fileServers, follow, type DownloadView } from './support/downloads.js';
import { sha256 } from './support/fake-file-server.js';
import { startTestServer, type TestServer } from './support/server.js';
import { connected } from './support/subscriptions.js';
import { graphql } from './gql/index.js';

// The download engine end to end: the real server, a real HTTP file server on 127.0.0.1.
const MiB = 1024 * 1024;
/** the probe's one byte (Range: bytes=0-0), which the file server counts as sent */
const PROBE = 1;
let server: TestServer;
const files = fileServers();

beforeAll(async () => {
  server = await startTestServer({
    env: { KLUG_DOWNLOAD_ALLOW_PRIVATE: 'true', KLUG_DOWNLOAD_CHUNKS: '8' },
    overrides: { runs: { progressMs: 200 }, downloads: { retryBaseMs: 20, retryMaxMs: 200, checkpointMs: 300, rampMs: 300 } },
  });
});

afterAll(async () => {
  await files.closeAll();
  await server?.stop();
});

const fileServer = files.start;

const onDisk = (path: string) => readFileSync(join(server.config.downloads.dir, path));

/** Queues the URL and follows it to its end over a subscription opened first. */
async function downloadToEnd(token: string, input: Parameters<typeof enqueue>[2]) {
  const client = server.ws(token);
  const download = await enqueue(server, token, input);
  const seen = await follow(client, download.id);
  return { download, seen, end: seen.at(-1)! };
}

describe('a plain URL', () => {
  it('is fetched over several ranges and lands byte-identical under its own name', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 12 * MiB + 12345, seed: 7 });
    const { end, seen } = await downloadToEnd(token, { url: fake.url('/films/Big%20Buck%20Bunny.mkv') });
    expect(end).toMatchObject({ status: 'COMPLETED', path: 'Big Buck Bunny.mkv', fileName: 'Big Buck Bunny.mkv', bytesTotal: fake.bytes.length, bytesDone: fake.bytes.length, progress: 1, errorMessage: null });
    expect(seen.some((d) => d.status === 'DOWNLOADING')).toBe(true);
    expect(end.chunks.length).toBeGreaterThanOrEqual(8);
    expect(end.chunks.every((c) => c.done === c.end - c.start)).toBe(true);
    expect(sha256(onDisk(end.path!))).toBe(fake.sha256);
    // the first request probes one byte, every other asks for a range of the same version
    expect(fake.requests[0]!.range).toBe('bytes=0-0');
    expect(fake.requests.slice(1).every((r) => r.status === 206 && r.ifRange === fake.etag)).toBe(true);
    expect(existsSync(join(server.config.downloads.dir, `${end.path}.part`))).toBe(false);
  });

  it('takes a name from Content-Disposition, a file name, or a path template; a taken name gets a number', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 300_000, seed: 8, contentDisposition: `attachment; filename="ignored.bin"; filename*=UTF-8''%C3%89t%C3%A9%202020.mp4` });
    const first = await downloadToEnd(token, { url: fake.url('/x') });
    expect(first.end.path).toBe('Été 2020.mp4');
    const second = await downloadToEnd(token, { url: fake.url('/x') });
    expect(second.end.path).toBe('Été 2020 (2).mp4');
    const named = await downloadToEnd(token, { url: fake.url('/x'), fileName: 'Mine {1}.mp4' });
    expect(named.end.path).toBe('Mine {1}.mp4');
    const templated = await downloadToEnd(token, { url: fake.url('/x'), path: 'VOD/{language}/{title}/{title}.{ext}' });
    expect(templated.end.path).toBe('VOD/Unknown/Été 2020/Été 2020.mp4');
    for (const { end } of [first, second, named, templated]) expect(sha256(onDisk(end.path!))).toBe(fake.sha256);
  });

  it('masks credentials in the URL it answers with', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 1000, seed: 9 });
    const url = fake.url('/movie/alice/s3cret/123.mkv?token=abc&x=1').replace('http://', 'http://bob:hunter2@');
    const { end } = await downloadToEnd(token, { url });
    expect(end.status).toBe('COMPLETED');
    expect(end.url).toBe(fake.url('/movie/***/***/123.mkv?token=***&x=1').replace('http://', 'http://***:***@'));
    expect(end.url).not.toMatch(/alice|s3cret|abc|bob|hunter2/);
  });

  it('uses one stream when the server ignores Range, and when it gives no length', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 5 * MiB + 3, seed: 10, ranges: false });
    const { end } = await downloadToEnd(token, { url: fake.url('/whole.bin') });
    expect(end).toMatchObject({ status: 'COMPLETED', bytesTotal: fake.bytes.length, chunks: [{ start: 0, end: fake.bytes.length, done: fake.bytes.length }] });
    expect(fake.requests.map((r) => r.status)).toEqual([200, 200]);
    expect(sha256(onDisk(end.path!))).toBe(fake.sha256);

    const chunked = await fileServer({ size: 3 * MiB + 5, seed: 11, lengthKnown: false });
    const unknown = await downloadToEnd(token, { url: chunked.url('/stream.ts') });
    expect(unknown.end).toMatchObject({ status: 'COMPLETED', bytesTotal: chunked.bytes.length, bytesDone: chunked.bytes.length });
    expect(sha256(onDisk(unknown.end.path!))).toBe(chunked.sha256);
  });

  it('refuses other schemes and a path that climbs out of the download directory', async () => {
    const { token } = await server.newPerson();
    const refused = async (input: { url: string; path?: string; fileName?: string }) => (await server.gql(ENQUEUE, { input }, { token })).enqueueDownload;
    expect(await refused({ url: 'ftp://example.com/a.bin' })).toMatchObject({ __typename: 'ValidationError', path: ['url'] });
    expect(await refused({ url: 'file:///etc/passwd' })).toMatchObject({ __typename: 'ValidationError', path: ['url'] });
    for (const path of ['../outside/{title}.{ext}', 'a/../../{title}', '/etc/{title}', 'C:\\Windows\\{title}', '{title}/{nope}']) {
      expect(await refused({ url: 'http://127.0.0.1:9/a.bin', path })).toMatchObject({ __typename: 'ValidationError', path: ['path'] });
    }
    for (const fileName of ['../a.bin', 'a/b.bin', '..']) {
      expect(await refused({ url: 'http://127.0.0.1:9/a.bin', fileName })).toMatchObject({ __typename: 'ValidationError', path: ['fileName'] });
    }
    const { downloads } = await server.gql(DOWNLOADS, {}, { token });
    expect(downloads.edges).toEqual([]);
  });

  it("keeps a server's hostile name inside the download directory", async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 2000, seed: 12, contentDisposition: 'attachment; filename="../../../etc/cron.d/evil"' });
    const { end } = await downloadToEnd(token, { url: fake.url('/x'), path: 'in/{title}' });
    expect(end).toMatchObject({ status: 'COMPLETED', path: 'in/evil' });
    // a folder of the download directory that is a link to elsewhere is not followed out
    mkdirSync(server.config.downloads.dir, { recursive: true });
    symlinkSync('/tmp', join(server.config.downloads.dir, 'out'));
    const viaLink = await downloadToEnd(token, { url: fake.url('/y.bin'), path: 'out/{title}.{ext}' });
    expect(viaLink.end).toMatchObject({ status: 'FAILED' });
    expect(viaLink.end.errorMessage).toMatch(/leaves the download directory/);
  });
});

describe('pause, resume, cancel, retry', () => {
  it('pauses where it is and resumes from there to a byte-identical file', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 16 * MiB, seed: 13 });
    const hold = fake.hold(6 * MiB + PROBE);
    const client = server.ws(token);
    const download = await enqueue(server, token, { url: fake.url('/p.bin') });
    await hold.reached;
    await follow(client, download.id, (d) => d.bytesDone === 6 * MiB);
    const paused = await server.gql(PAUSE, { id: download.id }, { token });
    expect(paused.pauseDownload).toMatchObject({ __typename: 'DownloadSuccess', download: { status: 'PAUSED', bytesDone: 6 * MiB, speedBps: null } });
    const atPause = paused.pauseDownload.__typename === 'DownloadSuccess' ? (paused.pauseDownload.download as DownloadView) : null;
    const before = fake.requests.length;
    hold.release();
    const resumed = await server.gql(RESUME, { id: download.id }, { token });
    expect(resumed.resumeDownload).toMatchObject({ __typename: 'DownloadSuccess' });
    const [end] = (await follow(client, download.id)).slice(-1);
    expect(end).toMatchObject({ status: 'COMPLETED', bytesDone: 16 * MiB });
    expect(sha256(onDisk(end!.path!))).toBe(fake.sha256);
    expectResumed(fake.requests.slice(before), atPause!.chunks, 16 * MiB);
  });

  it('after a crash of the machine (another boot) resumes only from what was synced to disk', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 6 * MiB, seed: 19 });
    const hold = fake.hold(3 * MiB + PROBE);
    const client = server.ws(token);
    const download = await enqueue(server, token, { url: fake.url('/boot.bin') });
    await hold.reached;
    await follow(client, download.id, (d) => d.bytesDone === 3 * MiB);
    await server.gql(PAUSE, { id: download.id }, { token });
    // as if the machine had restarted since: its page cache, and any byte not synced, are gone
    const id = Buffer.from(download.id, 'base64').toString('utf8').split(':')[1];
    await server.app.db.sql.query(
      `UPDATE "Run" SET checkpoint = jsonb_set(jsonb_set(checkpoint, '{boot}', '"another-boot"'), '{synced}', 'null') WHERE "subjectId" = $1::uuid`,
      [id],
    );
    const before = fake.requests.length;
    hold.release();
    await server.gql(RESUME, { id: download.id }, { token });
    const end = (await follow(client, download.id)).at(-1)!;
    expect(end.status).toBe('COMPLETED');
    expect(sha256(onDisk(end.path!))).toBe(fake.sha256);
    // nothing was sure to be on disk: every byte was asked again
    expect(fake.requests.slice(before).reduce((sum, r) => sum + r.bytes, 0)).toBeGreaterThanOrEqual(6 * MiB);
  });

  it('cancel stops it for good and removes the .part file', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 8 * MiB, seed: 14 });
    const hold = fake.hold(2 * MiB + PROBE);
    const client = server.ws(token);
    const download = await enqueue(server, token, { url: fake.url('/c.bin') });
    await hold.reached;
    const [going] = (await follow(client, download.id, (d) => d.bytesDone === 2 * MiB)).slice(-1);
    expect(existsSync(join(server.config.downloads.dir, `${going!.path}.part`))).toBe(true);
    const cancelled = await server.gql(CANCEL, { id: download.id }, { token });
    expect(cancelled.cancelDownload).toMatchObject({ __typename: 'DownloadSuccess', download: { status: 'CANCELLED' } });
    hold.release();
    expect(existsSync(join(server.config.downloads.dir, `${going!.path}.part`))).toBe(false);
    expect(existsSync(join(server.config.downloads.dir, going!.path!))).toBe(false);
    expect((await server.gql(PAUSE, { id: download.id }, { token })).pauseDownload).toMatchObject({ __typename: 'ValidationError' });
  });

  it('retries a failed download', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 3 * MiB, seed: 15 });
    fake.fault({ kind: 'status', status: 404 });
    const { download, end } = await downloadToEnd(token, { url: fake.url('/r.bin') });
    expect(end).toMatchObject({ status: 'FAILED', errorMessage: 'The server answered 404 (not found)' });
    const client = server.ws(token);
    const retried = await server.gql(RETRY, { id: download.id }, { token });
    expect(retried.retryDownload).toMatchObject({ __typename: 'DownloadSuccess' });
    const [last] = (await follow(client, download.id)).slice(-1);
    expect(last).toMatchObject({ status: 'COMPLETED', errorMessage: null });
    expect(sha256(onDisk(last!.path!))).toBe(fake.sha256);
    expect((await server.gql(RETRY, { id: download.id }, { token })).retryDownload).toMatchObject({ __typename: 'ValidationError' });
  });
});

describe('people', () => {
  it('see and control only their own downloads', async () => {
    const alice = await server.newPerson();
    const bob = await server.newPerson();
    const fake = await fileServer({ size: 1000, seed: 16 });
    const { download } = await downloadToEnd(alice.token, { url: fake.url('/mine.bin') });
    const bobs = await server.gql(DOWNLOADS, {}, { token: bob.token });
    expect(bobs.downloads.edges).toEqual([]);
    const asBob = { token: bob.token };
    const answers = [
      (await server.gql(PAUSE, { id: download.id }, asBob)).pauseDownload,
      (await server.gql(RESUME, { id: download.id }, asBob)).resumeDownload,
      (await server.gql(CANCEL, { id: download.id }, asBob)).cancelDownload,
      (await server.gql(RETRY, { id: download.id }, asBob)).retryDownload,
    ];
    expect(answers.map((a) => a.__typename)).toEqual(['NotFoundError', 'NotFoundError', 'NotFoundError', 'NotFoundError']);
    const node = await server.gql(graphql(`query DownloadNode($id: ID!) { node(id: $id) { id } }`), { id: download.id }, { token: bob.token });
    expect(node.node).toBeNull();
    const client = server.ws(bob.token);
    await expect(follow(client, download.id)).rejects.toThrow(/No download with this id/);
    const alices = await server.gql(DOWNLOADS, { status: ['COMPLETED'] }, { token: alice.token });
    expect(alices.downloads.edges.map((e) => e.node.id)).toEqual([download.id]);
  });

  it('downloadProgress without an id follows every download of the viewer, and only theirs', async () => {
    const alice = await server.newPerson();
    const bob = await server.newPerson();
    const fake = await fileServer({ size: 2 * MiB, seed: 17 });
    const client = server.ws(alice.token);
    const { subscribe } = await import('./support/subscriptions.js');
    const { PROGRESS } = await import('./support/downloads.js');
    const stream = subscribe(client, PROGRESS, {});
    const first = stream.next();
    await connected(client);
    const a1 = await enqueue(server, alice.token, { url: fake.url('/a1.bin') });
    await enqueue(server, bob.token, { url: fake.url('/b1.bin') });
    const a2 = await enqueue(server, alice.token, { url: fake.url('/a2.bin') });
    const completed = new Set<string>();
    const ids = new Set<string>();
    for (let next = await first; !next.done; next = await stream.next()) {
      const d = next.value.data!.downloadProgress as DownloadView;
      ids.add(d.id);
      if (d.status === 'COMPLETED') completed.add(d.id);
      if (completed.size === 2) break;
    }
    await stream.return?.();
    expect([...ids].sort()).toEqual([a1.id, a2.id].sort());
  });
});

describe('connections', () => {
  it('start few and double while that raises the rate: a server capping each connection gets them all', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 8 * MiB, seed: 19, bytesPerSecond: MiB / 2 });
    const { end } = await downloadToEnd(token, { url: fake.url('/capped.bin') });
    expect(end.status).toBe('COMPLETED');
    expect(sha256(onDisk(end.path!))).toBe(fake.sha256);
    // KLUG_DOWNLOAD_CHUNKS is 8 here: four connections first; the next four only once the rate of the
    // first four was measured (two windows of 300 ms at 4 × 0.5 MiB/s), where all eight at once would
    // have asked before 8 × 64 KiB were sent
    const ranged = fake.requests.filter((r) => r.range !== 'bytes=0-0');
    expect(ranged.slice(0, 4).every((r) => r.sentBefore < 4 * 64 * 1024 + 1)).toBe(true);
    expect(ranged[4]!.sentBefore).toBeGreaterThan(MiB);
    expect(fake.maxOpen).toBe(8);
  });
});

describe('the per-host connection budget', () => {
  it('is never exceeded, whatever the number of downloads and chunks', async () => {
    const { token } = await server.newPerson();
    const fake = await fileServer({ size: 6 * MiB, seed: 18, bytesPerSecond: 8 * MiB });
    server.app.services.downloads.setHostLimit('127.0.0.1', 3);
    try {
      const client = server.ws(token);
      const downloads = await Promise.all([1, 2, 3].map((n) => enqueue(server, token, { url: fake.url(`/budget-${n}.bin`) })));
      const ends = await Promise.all(downloads.map(async (d) => (await follow(client, d.id)).at(-1)!));
      expect(ends.map((e) => e.status)).toEqual(['COMPLETED', 'COMPLETED', 'COMPLETED']);
      for (const end of ends) expect(sha256(onDisk(end.path!))).toBe(fake.sha256);
      expect(fake.maxOpen).toBeLessThanOrEqual(3);
      expect(fake.maxOpen).toBeGreaterThanOrEqual(2);
    } finally {
      server.app.services.downloads.setHostLimit('127.0.0.1', null);
    }
  });
});
