import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { link, open, rename, stat, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { InsufficientSpaceError } from '../errors.js';

/** The `.part` file a download writes into, beside where the finished file will be. */
export const partPathOf = (absolutePath: string) => `${absolutePath}.part`;

/**
 * Positional writes from any number of connections into one file (libuv's thread pool does the I/O,
 * off the event loop); synced to disk before a checkpoint says its bytes are there.
 */
export class PartFile {
  private constructor(
    readonly path: string,
    private readonly handle: FileHandle,
  ) {}

  /** Creates the file, failing when it exists (the name is taken), sized to `size` when known (sparse). */
  static async create(path: string, size: number | null): Promise<PartFile> {
    const handle = await open(path, 'wx');
    if (size !== null && size > 0) await handle.truncate(size);
    return new PartFile(path, handle);
  }

  /** Opens what an earlier run left, or null when it is gone or has another size. */
  static async reopen(path: string, size: number | null): Promise<PartFile | null> {
    const handle = await open(path, 'r+').catch(() => null);
    if (!handle) return null;
    if (size !== null && (await handle.stat()).size !== size) {
      await handle.close();
      return null;
    }
    return new PartFile(path, handle);
  }

  async write(buffers: Buffer[], position: number): Promise<void> {
    let at = position;
    let pending = buffers;
    // writev may write less than asked (a signal, a full disk's last bytes): go on from where it stopped
    while (pending.length > 0) {
      const { bytesWritten } = await this.handle.writev(pending, at);
      at += bytesWritten;
      pending = drop(pending, bytesWritten);
    }
  }

  /** Empties the file for a fresh start, sized again. */
  async reset(size: number | null): Promise<void> {
    await this.handle.truncate(0);
    if (size !== null && size > 0) await this.handle.truncate(size);
  }

  sync(): Promise<void> {
    return this.handle.datasync();
  }

  async size(): Promise<number> {
    return (await this.handle.stat()).size;
  }

  async close(): Promise<void> {
    await this.handle.close().catch(() => undefined);
  }
}

function drop(buffers: Buffer[], bytes: number): Buffer[] {
  let left = bytes;
  const out: Buffer[] = [];
  for (const buffer of buffers) {
    if (left >= buffer.length) {
      left -= buffer.length;
      continue;
    }
    out.push(left > 0 ? buffer.subarray(left) : buffer);
    left = 0;
  }
  return out;
}

/** Refuses to start a file of `bytes` where the disk has less room. */
export async function requireSpace(dir: string, bytes: number): Promise<void> {
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (free < bytes) throw new InsufficientSpaceError(bytes, free);
}

/** SHA-256 of a file, read as a stream. */
export async function sha256Of(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Moves the finished `.part` to the first free name of `candidates` without ever replacing a file:
 * a hard link fails when the name is taken; where links are not supported, a rename after a check.
 */
export async function moveIntoPlace(part: string, durable: boolean, candidates: () => AsyncIterable<{ relative: string; absolute: string }>): Promise<string> {
  for await (const { relative, absolute } of candidates()) {
    try {
      await link(part, absolute);
      await unlink(part);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (!['EPERM', 'ENOTSUP', 'EOPNOTSUPP', 'EXDEV', 'EMLINK'].includes(code ?? '')) throw error;
      if (await exists(absolute)) continue;
      await rename(part, absolute);
    }
    if (durable) await syncDir(dirname(absolute));
    return relative;
  }
  throw new Error('no free name for the finished download');
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

export async function removeFile(path: string): Promise<void> {
  await unlink(path).catch(() => undefined);
}

/** Makes a rename in the folder durable. */
async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => null);
  await handle?.sync().catch(() => undefined);
  await handle?.close();
}
