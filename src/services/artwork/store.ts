import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { THUMBNAIL_WIDTHS, type ThumbnailWidth } from './images.js';

export const HASH = /^[0-9a-f]{64}$/;

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** Bytes written but not yet visible under their hash: publish() makes them so, discard() forgets them. */
export interface StagedArtwork {
  hash: string;
  publish(): Promise<void>;
  discard(): Promise<void>;
}

export interface StoredFile {
  bytes: number;
  stream(): Readable;
}

/**
 * Where artwork bytes live, content-addressed by sha256: originals and the thumbnails made from them.
 * Which images exist is the database's `Artwork` table; this only holds bytes.
 */
export interface ArtworkStore {
  /** Writes the bytes aside; publishing puts them under their hash (a no-op when that hash is stored). */
  stage(bytes: Buffer): Promise<StagedArtwork>;
  /** stage() then publish() */
  put(bytes: Buffer): Promise<string>;
  original(hash: string): Promise<StoredFile | null>;
  readOriginal(hash: string): Promise<Buffer | null>;
  /**
   * The thumbnail of that width, made from the original by `make` the first time and kept; concurrent first
   * requests share one making. Null when the original is not stored.
   */
  thumbnail(hash: string, width: ThumbnailWidth, make: (original: Buffer) => Promise<Buffer>): Promise<Buffer | null>;
  /** The original and every thumbnail of it. */
  remove(hash: string): Promise<void>;
  /** Every hash with something stored, with the newest change among its files; and leftovers of interrupted writes. */
  list(): AsyncIterable<{ hash: string | null; path: string; modifiedAt: Date }>;
  /** Removes one entry list() gave. */
  removePath(path: string): Promise<void>;
}

const TEMP_SUFFIX = '.tmp';

/**
 * Artwork on the local disk under the data directory: `<root>/<first 2 hex>/<hash>` for the original and
 * `<hash>.w<width>.webp` beside it for thumbnails. Every file is written under a temporary name and renamed
 * into place, so a reader never sees half a file.
 */
export class DiskArtworkStore implements ArtworkStore {
  private readonly making = new Map<string, Promise<Buffer | null>>();

  constructor(private readonly root: string) {}

  private dir(hash: string): string {
    if (!HASH.test(hash)) throw new Error('not an artwork hash');
    return join(this.root, hash.slice(0, 2));
  }

  private originalPath(hash: string): string {
    return join(this.dir(hash), hash);
  }

  private thumbnailPath(hash: string, width: number): string {
    return join(this.dir(hash), `${hash}.w${width}.webp`);
  }

  /** Writes under a unique temporary name in the target's folder (same file system, so rename is atomic). */
  private async writeTemp(target: string, bytes: Buffer): Promise<string> {
    const temp = `${target}.${randomBytes(6).toString('hex')}${TEMP_SUFFIX}`;
    await mkdir(join(target, '..'), { recursive: true });
    await writeFile(temp, bytes, { flag: 'wx' });
    return temp;
  }

  async stage(bytes: Buffer): Promise<StagedArtwork> {
    const hash = sha256(bytes);
    const target = this.originalPath(hash);
    // an image stored already is not written again, unless it is gone by the time it is published
    let temp = (await exists(target)) ? null : await this.writeTemp(target, bytes);
    let done = false;
    return {
      hash,
      publish: async () => {
        if (done) return;
        done = true;
        if (await exists(target)) {
          if (temp) await unlink(temp).catch(() => undefined);
          return;
        }
        temp ??= await this.writeTemp(target, bytes);
        await rename(temp, target);
      },
      discard: async () => {
        if (done) return;
        done = true;
        if (temp) await unlink(temp).catch(() => undefined);
      },
    };
  }

  async put(bytes: Buffer): Promise<string> {
    const staged = await this.stage(bytes);
    await staged.publish();
    return staged.hash;
  }

  async original(hash: string): Promise<StoredFile | null> {
    const path = this.originalPath(hash);
    const info = await stat(path).catch(() => null);
    return info?.isFile() ? { bytes: info.size, stream: () => createReadStream(path) } : null;
  }

  async readOriginal(hash: string): Promise<Buffer | null> {
    return readFile(this.originalPath(hash)).catch(missingAsNull);
  }

  async thumbnail(hash: string, width: ThumbnailWidth, make: (original: Buffer) => Promise<Buffer>): Promise<Buffer | null> {
    const path = this.thumbnailPath(hash, width);
    const kept = await readFile(path).catch(missingAsNull);
    if (kept) return kept;
    const key = `${hash}/${width}`;
    let pending = this.making.get(key);
    if (!pending) {
      pending = (async () => {
        const original = await this.readOriginal(hash);
        if (!original) return null;
        const bytes = await make(original);
        await rename(await this.writeTemp(path, bytes), path);
        return bytes;
      })().finally(() => this.making.delete(key));
      this.making.set(key, pending);
    }
    return pending;
  }

  async remove(hash: string): Promise<void> {
    const paths = [this.originalPath(hash), ...THUMBNAIL_WIDTHS.map((w) => this.thumbnailPath(hash, w))];
    await Promise.all(paths.map((path) => rm(path, { force: true })));
  }

  async *list(): AsyncIterable<{ hash: string | null; path: string; modifiedAt: Date }> {
    const folders = await readdir(this.root, { withFileTypes: true }).catch(missingAsEmpty);
    for (const folder of folders) {
      if (!folder.isDirectory() || !/^[0-9a-f]{2}$/.test(folder.name)) continue;
      const dir = join(this.root, folder.name);
      for (const name of await readdir(dir).catch(missingAsEmpty)) {
        const path = join(dir, name);
        const info = await stat(path).catch(() => null);
        if (!info?.isFile()) continue;
        const hash = name.endsWith(TEMP_SUFFIX) ? null : name.slice(0, 64);
        yield { hash: hash && HASH.test(hash) ? hash : null, path, modifiedAt: info.mtime };
      }
    }
  }

  async removePath(path: string): Promise<void> {
    if (!path.startsWith(this.root)) throw new Error('not a path of this store');
    await rm(path, { force: true });
  }
}

const exists = (path: string) =>
  stat(path).then(
    () => true,
    () => false,
  );

function missingAsNull(error: NodeJS.ErrnoException): null {
  if (error.code === 'ENOENT') return null;
  throw error;
}

function missingAsEmpty(error: NodeJS.ErrnoException): never[] {
  if (error.code === 'ENOENT') return [];
  throw error;
}
