import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { isThumbnailWidth, THUMBNAIL_WIDTHS, type ThumbnailWidth } from '../services/artwork/images.js';
import { HASH } from '../services/artwork/store.js';
import type { Services } from '../services/index.js';
import { sendJson } from './http.js';

export const ARTWORK_PATH = /^\/artwork\/([^/]+)$/;

const IMMUTABLE = 'public, max-age=31536000, immutable';

/** `width` absent or `original`: the stored image; one of THUMBNAIL_WIDTHS: its WebP thumbnail; else undefined. */
function widthOf(url: URL): ThumbnailWidth | null | undefined {
  const values = url.searchParams.getAll('width');
  if (values.length === 0) return null;
  if (values.length > 1) return undefined;
  const value = values[0]!;
  if (value === '' || value === 'original') return null;
  if (!/^\d{1,4}$/.test(value)) return undefined;
  const width = Number(value);
  return isThumbnailWidth(width) ? width : undefined;
}

/** One strong validator per image and width: the bytes behind a hash never change. */
const etagOf = (hash: string, width: ThumbnailWidth | null) => `"${hash}-${width ?? 'original'}"`;

function matches(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  return header.split(',').some((tag) => {
    const value = tag.trim();
    return value === '*' || value === etag || value === `W/${etag}`;
  });
}

/**
 * `GET /artwork/<hash>[?width=92|185|342|500|780|original]`: a stored image, or its WebP thumbnail made on
 * first request and kept. Anyone holding the URL may read it (an `<img>` sends no bearer token); a hash
 * cannot be guessed. Cached for a year by browsers and proxies: the bytes behind a URL never change.
 */
export async function sendArtwork(req: IncomingMessage, res: ServerResponse, rawHash: string, services: Services): Promise<void> {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.setHeader('allow', 'GET, HEAD');
    return sendJson(res, 405, { error: 'method not allowed' });
  }
  const url = new URL(req.url ?? '/', 'http://local');
  const hash = rawHash.toLowerCase();
  if (!HASH.test(hash)) return sendJson(res, 400, { error: 'not an artwork hash (64 hexadecimal characters)' });
  const width = widthOf(url);
  if (width === undefined) {
    return sendJson(res, 400, { error: `width must be one of ${THUMBNAIL_WIDTHS.join(', ')} or original` });
  }
  const etag = etagOf(hash, width);
  const cacheHeaders = { etag, 'cache-control': IMMUTABLE };
  if (matches(req.headers['if-none-match'], etag)) {
    res.writeHead(304, cacheHeaders);
    return void res.end();
  }
  const image = await services.artwork.serve(hash, width);
  if (!image) return sendJson(res, 404, { error: 'no such artwork' });
  const headers = {
    ...cacheHeaders,
    'content-type': image.mimeType,
    'content-length': image.kind === 'original' ? image.bytes : image.body.length,
    'x-content-type-options': 'nosniff',
    'content-security-policy': "default-src 'none'; sandbox",
  };
  res.writeHead(200, headers);
  if (req.method === 'HEAD') return void res.end();
  if (image.kind === 'thumbnail') return void res.end(image.body);
  // a client that goes away mid-image is not a failure of ours
  await pipeline(image.stream(), res).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') throw error;
  });
}
