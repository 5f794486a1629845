import { existsSync } from 'node:fs';
import { mkdir, readdir, utimes, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger.js';
import { DiskArtworkStore } from '../src/services/artwork/store.js';
import { graphql } from './gql/index.js';
import { FakeTmdb } from './support/fake-tmdb.js';
import { importAndWait } from './support/imports.js';
import { uploadForm } from './support/multipart.js';
import { startTestServer, type TestServer } from './support/server.js';

const CREATE = graphql(`
  mutation ArtworkCreateMedia($input: MediaInput!) {
    createMedia(input: $input) {
      __typename
      ... on MediaSuccess {
        media {
          id
        }
      }
    }
  }
`);

const UPLOAD = graphql(`
  mutation UploadArtwork($mediaId: ID!, $kind: ArtworkKind!, $file: Upload!) {
    uploadArtwork(mediaId: $mediaId, kind: $kind, file: $file) {
      __typename
      ... on MediaSuccess {
        media {
          id
          poster
          poster342: poster(width: 342)
          backdrop
        }
      }
      ... on UnsupportedImageTypeError {
        detectedType
      }
      ... on TooManyPixelsError {
        maxPixels
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

const REMOVE = graphql(`
  mutation RemoveArtwork($mediaId: ID!, $kind: ArtworkKind!) {
    removeArtwork(mediaId: $mediaId, kind: $kind) {
      __typename
      ... on MediaSuccess {
        media {
          poster
          backdrop
        }
      }
      ... on Error {
        code
        path
      }
    }
  }
`);

const POSTERS = graphql(`
  query PostersOfEverything {
    mediaItems(first: 10) {
      edges {
        node {
          kind
          title
          poster(width: 92)
        }
      }
    }
  }
`);

const ARTWORK_OF = graphql(`
  query ArtworkOf($id: ID!, $width: Int) {
    node(id: $id) {
      ... on Media {
        poster(width: $width)
        backdrop(width: $width)
        posterUrl
      }
    }
  }
`);

const ENRICH = graphql(`
  mutation ArtworkEnrich($ids: [ID!]) {
    enrichMedia(ids: $ids, force: true) {
      __typename
    }
  }
`);

const RUN_JOB = graphql(`
  mutation ArtworkRunJob($name: String!) {
    runJob(name: $name) {
      __typename
    }
  }
`);

const JOB_RUNS = graphql(`
  query ArtworkJobRuns($name: String) {
    jobRuns(name: $name, first: 1) {
      edges {
        node {
          status
          result
        }
      }
    }
  }
`);

const MB = 1024 * 1024;

/** A picture with some noise, so each colour gives distinct bytes. */
function picture(width: number, height: number, colour: string) {
  return sharp({ create: { width, height, channels: 3, background: colour, noise: { type: 'gaussian', mean: 128, sigma: 20 } } });
}
const jpeg = (width: number, height: number, colour = '#336699') => picture(width, height, colour).jpeg({ quality: 80 }).toBuffer();

/** Every line the server logs. */
const lines: string[] = [];
const sink = new Writable({
  write(chunk: Buffer, _encoding, done) {
    lines.push(...chunk.toString().split('\n').filter(Boolean));
    done();
  },
});

/** A small image host on loopback, as TMDB's would answer. */
let imageHost: Server;
let hostUrl: string;
let hostImage: Buffer;
let hostHits = 0;

let server: TestServer;
let owner: { token: string };
let person: { token: string };
let origin: string;

beforeAll(async () => {
  hostImage = await jpeg(300, 450, '#aa3300');
  const gif = await picture(20, 20, '#00ff00').gif().toBuffer();
  imageHost = createServer((req, res) => {
    hostHits++;
    const path = new URL(req.url ?? '/', 'http://host').pathname;
    if (path === '/original/poster.jpg') return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(hostImage);
    if (path === '/original/page.jpg') return res.writeHead(200, { 'content-type': 'image/jpeg' }).end('<!doctype html><html><body>Not here</body></html>');
    if (path === '/original/anim.gif') return res.writeHead(200, { 'content-type': 'image/gif' }).end(gif);
    if (path === '/original/cut.jpg') return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(hostImage.subarray(0, hostImage.length / 2));
    if (path === '/original/slow.jpg') return void setTimeout(() => res.writeHead(200).end(hostImage), 3000);
    if (path === '/original/huge.jpg') return res.writeHead(200, { 'content-type': 'image/jpeg' }).end(Buffer.alloc(MB + 10, 0xff));
    res.writeHead(404, { 'content-type': 'application/json' }).end('{"status_code":34}');
  });
  await new Promise<void>((resolve) => imageHost.listen(0, '127.0.0.1', resolve));
  hostUrl = `http://127.0.0.1:${(imageHost.address() as AddressInfo).port}`;

  server = await startTestServer({
    env: { KLUG_ARTWORK_UPLOAD_MAX_MB: '1', KLUG_TMDB_IMAGE_URL: hostUrl },
    overrides: { artwork: { fetchTimeoutMs: 500, fetchMaxBytes: MB } },
    log: createLogger('info', sink),
  });
  origin = new URL(server.url).origin;
  owner = await server.newPerson(); // the first person owns the server (and its jobs)
  person = await server.newPerson();
});
afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => imageHost?.close(resolve));
});

async function newMedia(token: string, title = 'Paprika') {
  const data = await server.gql(CREATE, { input: { kind: 'MOVIE', title, year: 2006 } }, { token });
  if (data.createMedia.__typename !== 'MediaSuccess') throw new Error(JSON.stringify(data));
  return data.createMedia.media.id;
}

type UploadResult = Record<string, unknown> & { __typename: string; media?: { poster: string | null; poster342: string | null; backdrop: string | null } };

async function upload(mediaId: string, content: Buffer | string, kind: 'POSTER' | 'BACKDROP' = 'POSTER', token = person.token) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'x-graphql-yoga-csrf': '1' },
    body: uploadForm(UPLOAD, { name: 'poster.jpg', content }, { mediaId, kind }),
  });
  const body = (await response.json()) as { data?: { uploadArtwork: UploadResult }; errors?: unknown[] };
  if (!body.data) throw new Error(`upload failed (${response.status}): ${JSON.stringify(body)}`);
  return body.data.uploadArtwork;
}

/** The row's id behind a global id (`Media:<uuid>`, base64). */
const rawId = (globalId: string) => Buffer.from(globalId, 'base64').toString().split(':')[1]!;
const hashOf = (url: string) => /\/artwork\/([0-9a-f]{64})/.exec(url)![1]!;
const artworkDir = () => server.config.artwork.dir;
const originalPath = (hash: string) => join(artworkDir(), hash.slice(0, 2), hash);
const thumbnailPath = (hash: string, width: number) => join(artworkDir(), hash.slice(0, 2), `${hash}.w${width}.webp`);

describe('uploadArtwork', () => {
  it('stores a poster and answers the item with URLs Klug serves', async () => {
    const mediaId = await newMedia(person.token);
    const result = await upload(mediaId, await jpeg(600, 900));
    expect(result.__typename).toBe('MediaSuccess');
    const { poster, poster342, backdrop } = result.media!;
    expect(poster).toMatch(new RegExp(`^${origin}/artwork/[0-9a-f]{64}$`));
    expect(poster342).toBe(`${poster}?width=342`);
    expect(backdrop).toBeNull();

    const original = await fetch(poster!);
    expect(original.status).toBe(200);
    expect(original.headers.get('content-type')).toBe('image/jpeg');
    const meta = await sharp(Buffer.from(await original.arrayBuffer())).metadata();
    expect(meta).toMatchObject({ format: 'jpeg', width: 600, height: 900 });
  });

  it('strips EXIF and GPS, and turns the picture upright first', async () => {
    const mediaId = await newMedia(person.token);
    // 200 wide, 100 high, but the camera says: rotate 90° to view
    const withExif = await picture(200, 100, '#884422')
      .jpeg()
      .withExif({ IFD0: { Make: 'KlugTestCamera', Copyright: 'someone' }, IFD3: { GPSLatitudeRef: 'N', GPSLongitudeRef: 'E' } })
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const sent = await sharp(withExif).metadata();
    expect(sent.exif).toBeDefined();
    expect(withExif.includes('KlugTestCamera')).toBe(true);

    const result = await upload(mediaId, withExif);
    const stored = Buffer.from(await (await fetch(result.media!.poster!)).arrayBuffer());
    const meta = await sharp(stored).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.icc).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
    expect(stored.includes('KlugTestCamera')).toBe(false);
    expect(stored.includes('Exif\0\0')).toBe(false);
    expect({ width: meta.width, height: meta.height }).toEqual({ width: 100, height: 200 });
  });

  it('keeps PNG and WebP as they are, re-encoded', async () => {
    const mediaId = await newMedia(person.token);
    const png = await upload(mediaId, await picture(40, 60, '#112233').png().toBuffer());
    expect((await fetch(png.media!.poster!)).headers.get('content-type')).toBe('image/png');
    const webp = await upload(mediaId, await picture(40, 60, '#445566').webp().toBuffer(), 'BACKDROP');
    expect((await fetch(webp.media!.backdrop!)).headers.get('content-type')).toBe('image/webp');
  });

  it('answers a typed error for every bad file, storing nothing', async () => {
    const mediaId = await newMedia(person.token);
    const before = await server.app.db.prisma.artwork.count();
    const whole = await jpeg(400, 600);
    const cases: [string, Buffer | string, Record<string, unknown>][] = [
      ['too big', Buffer.concat([whole, Buffer.alloc(MB, 1)]), { __typename: 'UploadTooLargeError', code: 'UPLOAD_TOO_LARGE', maxBytes: MB, path: ['file'] }],
      ['text', 'title,year\nPaprika,2006\n', { __typename: 'NotAnImageError', code: 'NOT_AN_IMAGE', path: ['file'] }],
      ['HTML', '<!doctype html><html><body>hello</body></html>', { __typename: 'NotAnImageError', code: 'NOT_AN_IMAGE' }],
      ['empty', '', { __typename: 'NotAnImageError', code: 'NOT_AN_IMAGE' }],
      ['GIF', await picture(30, 30, '#00ff00').gif().toBuffer(), { __typename: 'UnsupportedImageTypeError', code: 'UNSUPPORTED_IMAGE_TYPE', detectedType: 'gif' }],
      [
        'SVG',
        '<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script></svg>',
        { __typename: 'UnsupportedImageTypeError', detectedType: 'svg' },
      ],
      ['TIFF', await picture(30, 30, '#0000ff').tiff().toBuffer(), { __typename: 'UnsupportedImageTypeError', detectedType: 'tiff' }],
      [
        '52 megapixels',
        await sharp({ create: { width: 8000, height: 6500, channels: 3, background: 'black' } }).png({ compressionLevel: 9 }).toBuffer(),
        { __typename: 'TooManyPixelsError', code: 'TOO_MANY_PIXELS', maxPixels: 50_000_000 },
      ],
      ['a JPEG cut in half', whole.subarray(0, Math.floor(whole.length / 2)), { __typename: 'TruncatedImageError', code: 'TRUNCATED_IMAGE', path: ['file'] }],
      [
        'a PNG without its end',
        (await picture(100, 100, '#ff0000').png().toBuffer()).subarray(0, -30),
        { __typename: 'TruncatedImageError', code: 'TRUNCATED_IMAGE' },
      ],
      [
        'a WebP cut short',
        (await picture(100, 100, '#ff0000').webp().toBuffer()).subarray(0, 300),
        { __typename: 'TruncatedImageError', code: 'TRUNCATED_IMAGE' },
      ],
      ['JPEG magic, then nothing of a JPEG', Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7), Buffer.from([0xff, 0xd9])]), { __typename: 'NotAnImageError' }],
    ];
    for (const [name, content, expected] of cases) {
      expect(await upload(mediaId, content), name).toMatchObject(expected);
    }
    expect(await server.app.db.prisma.artwork.count()).toBe(before);
  });

  it("is NotFound on someone else's item, and an unknown one", async () => {
    const theirs = await newMedia(owner.token);
    expect(await upload(theirs, await jpeg(20, 30))).toMatchObject({ __typename: 'NotFoundError', path: ['mediaId'] });
    const unknown = Buffer.from(`Media:${'0'.repeat(8)}-0000-0000-0000-${'0'.repeat(12)}`).toString('base64');
    expect(await upload(unknown, await jpeg(20, 30))).toMatchObject({ __typename: 'NotFoundError', path: ['mediaId'] });
    const removed = await server.gql(REMOVE, { mediaId: theirs, kind: 'POSTER' }, { token: person.token });
    expect(removed.removeArtwork).toMatchObject({ __typename: 'NotFoundError', path: ['mediaId'] });
  });

  it('refuses a multipart request without the CSRF header', async () => {
    const mediaId = await newMedia(person.token);
    const response = await fetch(server.url, {
      method: 'POST',
      headers: { authorization: `Bearer ${person.token}` },
      body: uploadForm(UPLOAD, { name: 'p.jpg', content: await jpeg(20, 30) }, { mediaId, kind: 'POSTER' }),
    });
    expect(response.status).toBe(403);
  });

  it("wins over TMDB's poster; removeArtwork brings TMDB's back", async () => {
    const mediaId = await newMedia(person.token);
    const tmdbHash = await server.app.services.artwork.storeFromUrl(`${hostUrl}/original/poster.jpg`);
    expect(tmdbHash).toMatch(/^[0-9a-f]{64}$/);
    await server.app.db.prisma.media.update({ where: { id: rawId(mediaId) }, data: { posterHash: tmdbHash, backdropHash: tmdbHash, posterUrl: 'https://example.com/p.jpg' } });

    const tmdb = await server.gql(ARTWORK_OF, { id: mediaId }, { token: person.token });
    expect(tmdb.node).toEqual({
      poster: `${origin}/artwork/${tmdbHash}`,
      backdrop: `${origin}/artwork/${tmdbHash}`,
      posterUrl: 'https://example.com/p.jpg',
    });

    const custom = await upload(mediaId, await jpeg(60, 90, '#00aa00'));
    const customHash = hashOf(custom.media!.poster!);
    expect(customHash).not.toBe(tmdbHash);
    expect(custom.media!.backdrop).toBe(`${origin}/artwork/${tmdbHash}`);
    const rounded = await server.gql(ARTWORK_OF, { id: mediaId, width: 300 }, { token: person.token });
    expect(rounded.node).toMatchObject({ poster: `${origin}/artwork/${customHash}?width=342`, backdrop: `${origin}/artwork/${tmdbHash}?width=342` });
    const widest = await server.gql(ARTWORK_OF, { id: mediaId, width: 2000 }, { token: person.token });
    expect(widest.node).toMatchObject({ poster: `${origin}/artwork/${customHash}` });

    const removed = await server.gql(REMOVE, { mediaId, kind: 'POSTER' }, { token: person.token });
    expect(removed.removeArtwork).toEqual({
      __typename: 'MediaSuccess',
      media: { poster: `${origin}/artwork/${tmdbHash}`, backdrop: `${origin}/artwork/${tmdbHash}` },
    });
    const again = await server.gql(REMOVE, { mediaId, kind: 'POSTER' }, { token: person.token });
    expect(again.removeArtwork.__typename).toBe('MediaSuccess');
  });

  it('answers null without artwork, and a coded error for a width below 1', async () => {
    const mediaId = await newMedia(person.token);
    expect((await server.gql(ARTWORK_OF, { id: mediaId }, { token: person.token })).node).toEqual({ poster: null, backdrop: null, posterUrl: null });
    const bad = await server.request(ARTWORK_OF, { id: mediaId, width: 0 }, { token: person.token });
    // without artwork there is no URL to make, so no complaint either; with one, the width is checked
    expect(bad.body.errors).toBeUndefined();
    await upload(mediaId, await jpeg(20, 30, '#123456'));
    const refused = await server.request(ARTWORK_OF, { id: mediaId, width: 0 }, { token: person.token });
    expect(refused.body.errors?.[0]?.extensions).toMatchObject({ code: 'VALIDATION_FAILED' });
  });
});

describe('GET /artwork/<hash>', () => {
  let hash: string;
  beforeAll(async () => {
    const mediaId = await newMedia(person.token);
    hash = hashOf((await upload(mediaId, await jpeg(1000, 1500, '#663399'))).media!.poster!);
  });

  it('serves the original with a strong ETag and a year of immutable caching, then 304 on If-None-Match', async () => {
    const first = await fetch(`${origin}/artwork/${hash}`);
    expect(first.status).toBe(200);
    const etag = first.headers.get('etag')!;
    expect(etag).toMatch(/^"[^"]+"$/);
    expect(etag).toContain(hash);
    expect(first.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(first.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Number(first.headers.get('content-length'))).toBe((await first.arrayBuffer()).byteLength);

    const again = await fetch(`${origin}/artwork/${hash}`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    expect(again.headers.get('etag')).toBe(etag);
    expect((await again.arrayBuffer()).byteLength).toBe(0);
    const listed = await fetch(`${origin}/artwork/${hash}`, { headers: { 'if-none-match': `"other", ${etag}` } });
    expect(listed.status).toBe(304);
    const stale = await fetch(`${origin}/artwork/${hash}`, { headers: { 'if-none-match': '"other"' } });
    expect(stale.status).toBe(200);
    const original = await fetch(`${origin}/artwork/${hash}?width=original`);
    expect(original.headers.get('etag')).toBe(etag);
  });

  it('serves WebP thumbnails of each offered width, made once and kept', async () => {
    for (const width of [92, 185, 342, 500, 780]) {
      const response = await fetch(`${origin}/artwork/${hash}?width=${width}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/webp');
      expect(response.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
      const meta = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
      expect(meta).toMatchObject({ format: 'webp', width, height: Math.round(width * 1.5) });
      expect(existsSync(thumbnailPath(hash, width))).toBe(true);
      const etag = response.headers.get('etag')!;
      expect(etag).toContain(String(width));
      expect((await fetch(`${origin}/artwork/${hash}?width=${width}`, { headers: { 'if-none-match': etag } })).status).toBe(304);
    }
    const etags = await Promise.all([92, 185].map(async (w) => (await fetch(`${origin}/artwork/${hash}?width=${w}`)).headers.get('etag')));
    expect(new Set(etags).size).toBe(2);
  });

  it('never makes a picture wider than its original', async () => {
    const mediaId = await newMedia(person.token);
    const small = hashOf((await upload(mediaId, await jpeg(120, 180, '#999900'))).media!.poster!);
    const response = await fetch(`${origin}/artwork/${small}?width=500`);
    expect(await sharp(Buffer.from(await response.arrayBuffer())).metadata()).toMatchObject({ format: 'webp', width: 120 });
  });

  it('answers 404 for an unknown hash and 400 for a malformed hash or width', async () => {
    expect((await fetch(`${origin}/artwork/${'0'.repeat(64)}`)).status).toBe(404);
    expect((await fetch(`${origin}/artwork/${'0'.repeat(64)}?width=342`)).status).toBe(404);
    expect((await fetch(`${origin}/artwork/not-a-hash`)).status).toBe(400);
    expect((await fetch(`${origin}/artwork/${hash.slice(0, 63)}`)).status).toBe(400);
    expect((await fetch(`${origin}/artwork/..%2F..%2Fsecret.key`)).status).toBe(400);
    for (const width of ['100', '0', '-92', 'abc', '342.0', '1e3']) {
      expect((await fetch(`${origin}/artwork/${hash}?width=${width}`)).status, width).toBe(400);
    }
    expect((await fetch(`${origin}/artwork/${hash}?width=92&width=185`)).status).toBe(400);
  });

  it('answers HEAD with the headers alone', async () => {
    const response = await fetch(`${origin}/artwork/${hash}?width=185`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/webp');
    expect(Number(response.headers.get('content-length'))).toBeGreaterThan(0);
  });

  it('makes a thumbnail once when many ask for it at the same time', async () => {
    const mediaId = await newMedia(person.token);
    const fresh = hashOf((await upload(mediaId, await jpeg(800, 1200, '#0099cc'))).media!.poster!);
    const bodies = await Promise.all(
      Array.from({ length: 8 }, async () => {
        const response = await fetch(`${origin}/artwork/${fresh}?width=500`);
        expect(response.status).toBe(200);
        return Buffer.from(await response.arrayBuffer());
      }),
    );
    expect(new Set(bodies.map((b) => b.toString('base64'))).size).toBe(1);
    const files = (await readdir(join(artworkDir(), fresh.slice(0, 2)))).filter((name) => name.startsWith(fresh));
    expect(files.sort()).toEqual([fresh, `${fresh}.w500.webp`]);
  });
});

describe('DiskArtworkStore', () => {
  it('shares one making among concurrent first requests of a thumbnail', async () => {
    const store = new DiskArtworkStore(join(server.config.dataDir, 'store-test'));
    const hash = await store.put(await jpeg(100, 150));
    expect(await store.put(await store.readOriginal(hash).then((b) => b!))).toBe(hash);
    let made = 0;
    const make = async (original: Buffer) => {
      made++;
      await new Promise((resolve) => setTimeout(resolve, 50));
      return sharp(original).resize({ width: 92 }).webp().toBuffer();
    };
    const results = await Promise.all(Array.from({ length: 10 }, () => store.thumbnail(hash, 92, make)));
    expect(made).toBe(1);
    expect(results.every((r) => r?.equals(results[0]!))).toBe(true);
    expect(await store.thumbnail(hash, 92, make)).toEqual(results[0]);
    expect(made).toBe(1);
    expect(await store.thumbnail('f'.repeat(64), 92, make)).toBeNull();
  });
});

describe('storeFromUrl', () => {
  const storeFromUrl = (path: string) => server.app.services.artwork.storeFromUrl(`${hostUrl}${path}`);

  it('stores an image once and answers its hash', async () => {
    const first = await storeFromUrl('/original/poster.jpg?api_key=secret-key-123');
    const second = await storeFromUrl('/original/poster.jpg');
    expect(first).toMatch(/^[0-9a-f]{64}$/);
    expect(second).toBe(first);
    expect(await server.app.db.prisma.artwork.findUnique({ where: { hash: first! } })).toMatchObject({
      mimeType: 'image/jpeg',
      width: 300,
      height: 450,
      bytes: hostImage.length,
    });
    const served = Buffer.from(await (await fetch(`${origin}/artwork/${first}`)).arrayBuffer());
    expect(served.equals(hostImage)).toBe(true);
  });

  it('answers null for a 404, a page that is not an image, a GIF, a cut image, one too large, a timeout, a dead host', async () => {
    const before = await server.app.db.prisma.artwork.count();
    lines.length = 0;
    expect(await storeFromUrl('/original/missing.jpg?api_key=secret-key-123')).toBeNull();
    expect(await storeFromUrl('/original/page.jpg')).toBeNull();
    expect(await storeFromUrl('/original/anim.gif')).toBeNull();
    expect(await storeFromUrl('/original/cut.jpg')).toBeNull();
    expect(await storeFromUrl('/original/huge.jpg')).toBeNull();
    const started = Date.now();
    expect(await storeFromUrl('/original/slow.jpg')).toBeNull();
    expect(Date.now() - started).toBeLessThan(2500);
    expect(await server.app.services.artwork.storeFromUrl('http://127.0.0.1:1/original/x.jpg')).toBeNull();
    expect(await server.app.services.artwork.storeFromUrl('not a url')).toBeNull();
    expect(await server.app.db.prisma.artwork.count()).toBe(before);

    const logged = lines.join('\n');
    expect(logged).toContain('/original/missing.jpg');
    expect(logged).not.toContain('secret-key-123');
    expect(logged).not.toContain('api_key');
  });
});

describe('artwork-gc', () => {
  async function runGc() {
    const started = await server.gql(RUN_JOB, { name: 'artwork-gc' }, { token: owner.token });
    expect(started.runJob.__typename).toBe('RunJobSuccess');
    await server.app.runs.idle();
    const runs = await server.gql(JOB_RUNS, { name: 'artwork-gc' }, { token: owner.token });
    const run = runs.jobRuns.edges[0]!.node;
    expect(run.status).toBe('COMPLETED');
    return run.result as { images: number; files: number; bytes: number };
  }
  const age = (hash: string, hours: number) =>
    server.app.db.sql.query(`UPDATE "Artwork" SET "createdAt" = now() - $2::int * interval '1 minute' WHERE hash = $1`, [hash, hours * 60]);

  it('removes only images nothing refers to, with their thumbnails, once they are an hour old', async () => {
    const { prisma } = server.app.db;
    // one image per way of being referred to, one referred to by nothing, one fresh and unreferenced
    const hashes: Record<string, string> = {};
    const images: Record<string, Buffer> = {};
    for (const [name, colour] of Object.entries({
      poster: '#010101',
      backdrop: '#020202',
      customPoster: '#030303',
      customBackdrop: '#040404',
      tmdbPoster: '#050505',
      tmdbBackdrop: '#060606',
      orphan: '#070707',
      fresh: '#080808',
    })) {
      hostImage = images[name] = await jpeg(60, 90, colour);
      hashes[name] = (await storeFromHost())!;
    }
    const media = { id: rawId(await newMedia(person.token, 'Referring')) };
    await prisma.media.update({
      where: { id: media.id },
      data: {
        posterHash: hashes.poster!,
        backdropHash: hashes.backdrop!,
        customPosterHash: hashes.customPoster!,
        customBackdropHash: hashes.customBackdrop!,
      },
    });
    await server.app.db.sql.query(
      `INSERT INTO "TmdbRecord" (kind, key, data, "posterHash", "backdropHash") VALUES ('movie', 'gc-test', '{}', $1, $2)`,
      [hashes.tmdbPoster, hashes.tmdbBackdrop],
    );
    for (const [name, hash] of Object.entries(hashes)) if (name !== 'fresh') await age(hash, 2);
    await age(hashes.fresh!, 0.5);
    // thumbnails of the orphan, and a stray file an interrupted write left two hours ago
    await fetch(`${origin}/artwork/${hashes.orphan}?width=92`);
    await fetch(`${origin}/artwork/${hashes.orphan}?width=185`);
    expect(existsSync(thumbnailPath(hashes.orphan!, 92))).toBe(true);
    const stray = join(artworkDir(), 'ab', `${'ab'.repeat(32)}.0123456789ab.tmp`);
    await mkdir(join(artworkDir(), 'ab'), { recursive: true });
    await writeFile(stray, 'half a file');
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    await utimes(stray, twoHoursAgo, twoHoursAgo);

    const result = await runGc();
    expect(result.images).toBeGreaterThanOrEqual(1);
    expect(result.files).toBeGreaterThanOrEqual(1);
    expect(await prisma.artwork.findUnique({ where: { hash: hashes.orphan! } })).toBeNull();
    expect(existsSync(originalPath(hashes.orphan!))).toBe(false);
    expect(existsSync(thumbnailPath(hashes.orphan!, 92))).toBe(false);
    expect(existsSync(thumbnailPath(hashes.orphan!, 185))).toBe(false);
    expect(existsSync(stray)).toBe(false);
    expect((await fetch(`${origin}/artwork/${hashes.orphan}`)).status).toBe(404);
    for (const [name, hash] of Object.entries(hashes)) {
      if (name === 'orphan') continue;
      expect(await prisma.artwork.findUnique({ where: { hash } }), name).not.toBeNull();
      expect(existsSync(originalPath(hash)), name).toBe(true);
    }

    // storing an image again renews it: an enrichment about to refer to it keeps it
    await age(hashes.fresh!, 2);
    hostImage = images.fresh!;
    expect(await storeFromHost()).toBe(hashes.fresh);
    await runGc();
    expect(existsSync(originalPath(hashes.fresh!))).toBe(true);
    // and once the reference is gone and the hour has passed, it goes too
    await age(hashes.fresh!, 2);
    await prisma.media.update({ where: { id: media.id }, data: { customPosterHash: null } });
    await runGc();
    expect(existsSync(originalPath(hashes.fresh!))).toBe(false);
    expect(existsSync(originalPath(hashes.customPoster!))).toBe(false);
    expect(existsSync(originalPath(hashes.poster!))).toBe(true);
  });

  const storeFromHost = () => server.app.services.artwork.storeFromUrl(`${hostUrl}/original/poster.jpg`);
});

describe("TMDB's artwork through enrichment", () => {
  it('is fetched once for the whole server, stored, and served by Klug; a missing one is null', async () => {
    const image = await picture(500, 750, '#204060').png().toBuffer();
    const tmdb = await new FakeTmdb({ image })
      .addMovie({ id: 27205, title: 'Inception', release_date: '2010-07-15', poster_path: '/inception.jpg', backdrop_path: '/inception-wide.jpg' })
      .addMovie({ id: 949, title: 'Heat', release_date: '1995-12-15' })
      .start();
    const own = await startTestServer({
      env: { KLUG_TMDB_API_KEY: 'test-key', KLUG_TMDB_URL: tmdb.url, KLUG_TMDB_IMAGE_URL: tmdb.imageUrl, KLUG_TMDB_RPS: '200' },
    });
    try {
      const posterOf = async (token: string, tmdbId: string, title: string) => {
        const created = await own.gql(CREATE, { input: { kind: 'MOVIE', title, externalIds: { tmdb: tmdbId } } }, { token });
        if (created.createMedia.__typename !== 'MediaSuccess') throw new Error(JSON.stringify(created));
        const id = created.createMedia.media.id;
        expect((await own.gql(ENRICH, { ids: [id] }, { token })).enrichMedia.__typename).toBe('EnrichMediaSuccess');
        await own.app.runs.idle();
        return (await own.gql(ARTWORK_OF, { id, width: 185 }, { token })).node as { poster: string | null; backdrop: string | null };
      };
      const first = await own.newPerson();
      const inception = await posterOf(first.token, '27205', 'Inception');
      expect(inception.poster).toMatch(/\/artwork\/[0-9a-f]{64}\?width=185$/);
      expect(inception.backdrop).toBe(inception.poster); // the fake serves the same bytes for every path: stored once
      const thumbnail = await fetch(inception.poster!);
      expect(await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata()).toMatchObject({ format: 'webp', width: 185 });
      const original = await fetch(inception.poster!.replace(/\?width=185$/, ''));
      expect(Buffer.from(await original.arrayBuffer()).equals(image)).toBe(true);
      const fetched = tmdb.imageRequests;
      expect(fetched).toBe(2);

      const second = await own.newPerson();
      expect((await posterOf(second.token, '27205', 'Inception')).poster).toBe(inception.poster);
      expect(tmdb.imageRequests).toBe(fetched);
      expect(await posterOf(second.token, '949', 'Heat')).toMatchObject({ poster: null, backdrop: null });
    } finally {
      await own.stop();
      await tmdb.stop();
    }
  });

  it("gives a season or an episode without its own poster its show's", async () => {
    const tmdb = await new FakeTmdb({ image: await picture(300, 450, '#602040').png().toBuffer() })
      .addShow({ id: 1396, name: 'Breaking Bad', first_air_date: '2008-01-20', poster_path: '/bb.jpg', seasons: { 1: [{ episode_number: 1, name: 'Pilot', air_date: '2008-01-20', runtime: 58 }] } })
      .start();
    const own = await startTestServer({
      env: { KLUG_TMDB_API_KEY: 'test-key', KLUG_TMDB_URL: tmdb.url, KLUG_TMDB_IMAGE_URL: tmdb.imageUrl, KLUG_TMDB_RPS: '200' },
    });
    try {
      const person = await own.newPerson();
      const csv = 'title,kind,watched_at,series_title,series_tmdb_id,season,episode\nEpisode 1,EPISODE,2024-03-05T20:00:00Z,Breaking Bad,1396,1,1\n';
      await importAndWait(own, person.token, [{ name: 'bb.csv', content: csv }], { source: 'KLUG_CSV' });
      const items = (await own.gql(POSTERS, {}, { token: person.token })).mediaItems.edges.map((e) => e.node);
      const show = items.find((i) => i.kind === 'SHOW')!;
      expect(show.poster).toMatch(/\/artwork\/[0-9a-f]{64}\?width=92$/);
      expect(items.find((i) => i.kind === 'EPISODE')).toMatchObject({ title: 'Pilot', poster: show.poster });
    } finally {
      await own.stop();
      await tmdb.stop();
    }
  });
});
