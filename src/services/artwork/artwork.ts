import { availableParallelism } from 'node:os';
import type { Readable } from 'node:stream';
import type { RawSql } from '../../db/database.js';
import type { PrismaClient } from '../../generated/prisma/client.js';
import type { Logger } from '../../logger.js';
import { NotAnImageError, NotFoundError, UploadTooLargeError } from '../errors.js';
import { openLimited, type IncomingFile } from '../uploads.js';
import {
  isThumbnailWidth,
  keepNoDecodedImages,
  makeThumbnail,
  MIME_TYPES,
  reencodeImage,
  verifyImage,
  type ThumbnailWidth,
} from './images.js';
import type { ArtworkStore } from './store.js';

export type ArtworkKind = 'POSTER' | 'BACKDROP';

export interface ArtworkSettings {
  /** an uploaded file, at most */
  uploadMaxBytes: number;
  /** width × height of any image, at most (decompression bombs) */
  maxPixels: number;
  /** an image fetched from a URL, at most */
  fetchMaxBytes: number;
  fetchTimeoutMs: number;
}

export interface ArtworkDeps {
  prisma: PrismaClient;
  sql: RawSql;
  store: ArtworkStore;
  settings: ArtworkSettings;
  log: Logger;
}

/** An image as the route serves it. */
export type ServedArtwork =
  | { kind: 'original'; mimeType: string; bytes: number; stream(): Readable }
  | { kind: 'thumbnail'; mimeType: 'image/webp'; body: Buffer };

const CUSTOM_COLUMN = { POSTER: 'customPosterHash', BACKDROP: 'customBackdropHash' } as const;

/**
 * Thumbnails made at once by this process: one per core (each is one sharp pipeline); more wait their turn,
 * so a burst neither holds every image decoded nor takes every libuv thread from file and DNS work.
 */
export const THUMBNAIL_CONCURRENCY = Math.max(1, availableParallelism());

/**
 * Posters and backdrops, stored once by content (sha256) whoever needs them: images fetched for TMDB
 * records, a person's own uploads, and the thumbnails served from them. Each stored image has an `Artwork`
 * row; items and TMDB records refer to images by hash, and `collectGarbage` removes what nothing refers to.
 */
export class ArtworkService {
  private thumbnailsRunning = 0;
  private readonly thumbnailQueue: (() => void)[] = [];

  constructor(private readonly deps: ArtworkDeps) {
    keepNoDecodedImages();
  }

  /**
   * Fetches an image (TMDB's image host), checks it by content and stores it once; answers its hash. Any
   * failure (a 404, not an image, too large, a timeout, the network) answers null and is logged without the
   * URL's query string: a missing picture is never an error of the work that asked for it.
   */
  async storeFromUrl(url: string): Promise<string | null> {
    const where = maskUrl(url);
    if (!where) {
      this.deps.log.warn('artwork not fetched: not an http(s) URL');
      return null;
    }
    try {
      const response = await fetch(url, {
        signal: AbortSignal.timeout(this.deps.settings.fetchTimeoutMs),
        headers: { accept: 'image/jpeg, image/png, image/webp' },
      });
      if (!response.ok) {
        await response.body?.cancel().catch(() => undefined);
        this.deps.log.warn({ url: where, status: response.status }, 'artwork not fetched');
        return null;
      }
      const bytes = await readBody(response, this.deps.settings.fetchMaxBytes);
      const image = await verifyImage(bytes, this.deps.settings);
      return await this.keep(bytes, { mimeType: MIME_TYPES[image.format], width: image.width, height: image.height });
    } catch (error) {
      this.deps.log.warn({ url: where, err: error }, 'artwork not fetched');
      return null;
    }
  }

  /**
   * A person's own poster or backdrop for one of their items: read within the upload limit, checked by
   * content (JPEG, PNG or WebP, within the pixel limit, whole), written again without its metadata, stored,
   * and set on the item, where it wins over TMDB's.
   */
  async upload(userId: string, mediaId: string, kind: ArtworkKind, file: IncomingFile): Promise<{ mediaId: string; hash: string }> {
    await this.requireMedia(userId, mediaId);
    const bytes = await readUpload(file, this.deps.settings.uploadMaxBytes, ['file']);
    const image = await reencodeImage(bytes, this.deps.settings, ['file']);
    const hash = await this.keep(image.bytes, { mimeType: image.mimeType, width: image.width, height: image.height });
    await this.deps.prisma.media.updateMany({ where: { id: mediaId, userId }, data: { [CUSTOM_COLUMN[kind]]: hash } });
    return { mediaId, hash };
  }

  /** Drops the person's own poster or backdrop: TMDB's shows again. Nothing to drop is not an error. */
  async remove(userId: string, mediaId: string, kind: ArtworkKind): Promise<{ mediaId: string }> {
    await this.requireMedia(userId, mediaId);
    await this.deps.prisma.media.updateMany({ where: { id: mediaId, userId }, data: { [CUSTOM_COLUMN[kind]]: null } });
    return { mediaId };
  }

  /** The original or a WebP thumbnail of a stored image; null when no such image is stored. */
  async serve(hash: string, width: ThumbnailWidth | null): Promise<ServedArtwork | null> {
    const row = await this.deps.prisma.artwork.findUnique({ where: { hash }, select: { mimeType: true } });
    if (!row) return null;
    if (width === null) {
      const file = await this.deps.store.original(hash);
      return file && { kind: 'original', mimeType: row.mimeType, bytes: file.bytes, stream: file.stream };
    }
    if (!isThumbnailWidth(width)) return null;
    const body = await this.deps.store.thumbnail(hash, width, (original) =>
      this.thumbnailSlot(() => makeThumbnail(original, width, this.deps.settings)),
    );
    return body && { kind: 'thumbnail', mimeType: 'image/webp', body };
  }

  private async requireMedia(userId: string, mediaId: string): Promise<void> {
    const media = await this.deps.prisma.media.findFirst({ where: { id: mediaId, userId }, select: { id: true } });
    if (!media) throw new NotFoundError('No media with this id', ['mediaId']);
  }

  /**
   * Puts the bytes in the store and records them, under a lock on the hash that the garbage collector
   * takes too: storing an image it is removing waits for it and stores the image again. A stored image's
   * `createdAt` is renewed, so the reference its caller is about to write is never collected in between.
   */
  private async keep(bytes: Buffer, meta: { mimeType: string; width: number; height: number }): Promise<string> {
    const staged = await this.deps.store.stage(bytes);
    try {
      await this.deps.sql.transaction(async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(${ARTWORK_LOCK_CLASS}, $1)`, [hashLockKey(staged.hash)]);
        await tx.query(
          `INSERT INTO "Artwork" (hash, "mimeType", width, height, bytes, "createdAt") VALUES ($1, $2, $3, $4, $5, now())
           ON CONFLICT (hash) DO UPDATE SET "createdAt" = now()`,
          [staged.hash, meta.mimeType, meta.width, meta.height, bytes.length],
        );
        await staged.publish();
      });
      return staged.hash;
    } finally {
      await staged.discard();
    }
  }

  private async thumbnailSlot<T>(work: () => Promise<T>): Promise<T> {
    if (this.thumbnailsRunning >= THUMBNAIL_CONCURRENCY) await new Promise<void>((resolve) => this.thumbnailQueue.push(resolve));
    this.thumbnailsRunning++;
    try {
      return await work();
    } finally {
      this.thumbnailsRunning--;
      this.thumbnailQueue.shift()?.();
    }
  }

  /**
   * Removes the images no item (either hash of its own, either custom one) and no TMDB record refers to
   * any more, with their thumbnails; then files on disk no row records (an interrupted write, a thumbnail
   * made while its image was being removed). Only what is older than `graceMs` goes, so an image stored for
   * a reference that is still being written stays.
   */
  async collectGarbage(options: { graceMs?: number; now?: Date } = {}): Promise<{ images: number; files: number; bytes: number }> {
    const cutoff = new Date((options.now ?? new Date()).getTime() - (options.graceMs ?? GC_GRACE_MS));
    const { sql, store } = this.deps;
    let images = 0;
    let bytes = 0;
    let after = '';
    for (;;) {
      const candidates = await sql.query<{ hash: string }>(
        `SELECT a.hash FROM "Artwork" a
          WHERE a."createdAt" < $1 AND a.hash > $2 AND NOT EXISTS (SELECT 1 FROM (${references()}) used WHERE used.hash = a.hash)
          ORDER BY a.hash LIMIT ${GC_BATCH}`,
        [cutoff, after],
      );
      if (candidates.length === 0) break;
      const hashes = candidates.map((c) => c.hash);
      after = hashes.at(-1)!;
      await sql.transaction(async (tx) => {
        // in hash order, as keep() takes one at a time: no deadlock
        await tx.query(
          `SELECT pg_advisory_xact_lock(${ARTWORK_LOCK_CLASS}, l.k) FROM unnest($1::int[]) WITH ORDINALITY AS l(k, n) ORDER BY l.n`,
          [hashes.map(hashLockKey)],
        );
        // checked again under the locks: an image stored or referred to since the candidates were read stays
        const removed = await tx.query<{ hash: string; bytes: number }>(
          `DELETE FROM "Artwork" a
            WHERE a.hash = ANY($2::text[]) AND a."createdAt" < $1
              AND NOT EXISTS (SELECT 1 FROM (${references('$2::text[]')}) used WHERE used.hash = a.hash)
          RETURNING a.hash, a.bytes`,
          [cutoff, hashes],
        );
        for (const row of removed) await store.remove(row.hash);
        images += removed.length;
        bytes += removed.reduce((sum, row) => sum + row.bytes, 0);
      });
    }
    const files = await this.sweepFiles(cutoff);
    return { images, files, bytes };
  }

  /** Files older than the cutoff whose image has no row, and leftovers of interrupted writes. */
  private async sweepFiles(cutoff: Date): Promise<number> {
    const { sql, store } = this.deps;
    let removed = 0;
    let batch: { hash: string | null; path: string }[] = [];
    const flush = async () => {
      const hashes = [...new Set(batch.flatMap((f) => (f.hash ? [f.hash] : [])))];
      const known = new Set(
        (await sql.query<{ hash: string }>(`SELECT hash FROM "Artwork" WHERE hash = ANY($1::text[])`, [hashes])).map((r) => r.hash),
      );
      for (const file of batch) {
        if (file.hash && known.has(file.hash)) continue;
        await store.removePath(file.path);
        removed++;
      }
      batch = [];
    };
    for await (const file of store.list()) {
      if (file.modifiedAt >= cutoff) continue;
      batch.push(file);
      if (batch.length >= GC_BATCH) await flush();
    }
    if (batch.length > 0) await flush();
    return removed;
  }
}

export const GC_GRACE_MS = 60 * 60 * 1000;
const GC_BATCH = 500;

/** Every column that refers to an image by hash. */
const REFERENCING = [
  ['Media', 'posterHash'],
  ['Media', 'backdropHash'],
  ['Media', 'customPosterHash'],
  ['Media', 'customBackdropHash'],
  ['TmdbRecord', 'posterHash'],
  ['TmdbRecord', 'backdropHash'],
] as const;

/**
 * Every hash something refers to, only those in `among` (an array parameter) when given. One branch per
 * column, so each table is scanned once per batch (or an index used, where one exists).
 */
const references = (among?: string) =>
  REFERENCING.map(
    ([table, column]) => `SELECT "${column}" AS hash FROM "${table}" WHERE "${column}" ${among ? `= ANY(${among})` : 'IS NOT NULL'}`,
  ).join(' UNION ALL ');

/** Advisory locks on artwork hashes: their own class (two-key locks never meet the one-key locks jobs take). */
const ARTWORK_LOCK_CLASS = 0x4b4c4157; // "KLAW"
const hashLockKey = (hash: string) => Number.parseInt(hash.slice(0, 8), 16) | 0;

/** An http(s) URL as logs may show it: no credentials, no query string (keys travel there), no fragment. */
export function maskUrl(url: string): string | null {
  try {
    const parsed = new URL(url);
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
    return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
  } catch {
    return null;
  }
}

/** The response's body, refused beyond `maxBytes` whether or not it declared its length. */
async function readBody(response: Response, maxBytes: number): Promise<Buffer> {
  const declared = Number(response.headers.get('content-length'));
  if (declared > maxBytes) {
    await response.body?.cancel().catch(() => undefined);
    throw new UploadTooLargeError(maxBytes);
  }
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of response.body ?? []) {
    total += chunk.length;
    if (total > maxBytes) throw new UploadTooLargeError(maxBytes);
    chunks.push(Buffer.from(chunk));
  }
  return Buffer.concat(chunks, total);
}

/** An upload, whole, within the limit (the limit holds while it arrives). */
async function readUpload(file: IncomingFile, maxBytes: number, path: string[]): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of openLimited(file, maxBytes, path)) {
    chunks.push(chunk as Buffer);
    total += (chunk as Buffer).length;
  }
  if (total === 0) throw new NotAnImageError('The file is empty', path);
  return Buffer.concat(chunks, total);
}
