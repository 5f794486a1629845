import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import yauzl from 'yauzl';
import { ImportFileError } from '../errors.js';
import { openLimited, sniffKind, type IncomingFile } from '../uploads.js';
import type { StagedFile } from './records.js';

/** An inflated archive may be this many times the upload limit, no more: a guard against ZIP bombs. */
const MAX_INFLATE_FACTOR = 20;
const HEAD_BYTES = 64 * 1024;

export interface Entry {
  /** the file's name, or `archive.zip/diary.csv` inside an archive */
  name: string;
  /** base name in lower case, for sources that care which file is which */
  base: string;
  kind: 'CSV' | 'JSON';
  open(): Promise<Readable>;
}

/**
 * Streams an upload to the batch's staging directory within the size limit, noting its kind (by content),
 * size and line count. The upload is never held whole in memory.
 */
export async function stageUpload(file: IncomingFile, dir: string, index: number, maxBytes: number): Promise<StagedFile> {
  await mkdir(dir, { recursive: true });
  const name = basename(file.filename || `file-${index + 1}`);
  const path = join(dir, `${index}-${name.replace(/[^\w.-]+/g, '_')}`);
  const at = ['files', String(index)];
  let head = Buffer.alloc(0);
  let bytes = 0;
  let lines = 0;
  // the whole file is checked as UTF-8 while it streams in, not just its beginning
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let utf8 = true;
  const observe = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      if (head.length < HEAD_BYTES) head = Buffer.concat([head, chunk.subarray(0, HEAD_BYTES - head.length)]);
      bytes += chunk.length;
      for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) lines++;
      if (utf8) utf8 = decodes(() => decoder.decode(chunk, { stream: true }));
      done(null, chunk);
    },
    flush(done) {
      if (utf8) utf8 = decodes(() => decoder.decode());
      done();
    },
  });
  await pipeline(openLimited(file, maxBytes, at), observe, createWriteStream(path));
  if (bytes === 0) throw new ImportFileError('EMPTY_FILE', name, 'the file is empty', at);
  if ((head[0] === 0xff && head[1] === 0xfe) || (head[0] === 0xfe && head[1] === 0xff)) {
    throw new ImportFileError('UNSUPPORTED_ENCODING', name, 'the file is UTF-16; export it as UTF-8', at);
  }
  const kind = sniffKind(head);
  if (kind === 'UNKNOWN') {
    throw new ImportFileError('NOT_IMPORTABLE', name, 'this is not a CSV, JSON or ZIP file, whatever its name says', at);
  }
  if (kind !== 'ZIP' && !utf8) {
    throw new ImportFileError('UNSUPPORTED_ENCODING', name, 'the file is not UTF-8; export it as UTF-8', at);
  }
  const endsWithNewline = head.length === bytes ? head.at(-1) === 10 : true;
  return { name, kind, path, bytes, rows: kind === 'CSV' ? Math.max(0, lines + (endsWithNewline ? 0 : 1) - 1) : undefined };
}

function decodes(work: () => unknown): boolean {
  try {
    work();
    return true;
  } catch {
    return false;
  }
}

const IMPORTABLE = /\.(csv|json)$/i;
/** Letterboxd keeps deleted and orphaned entries, likes and lists in folders an importer should skip. */
const SKIPPED_FOLDERS = /^(?:[^/]+\/)?(deleted|orphaned|likes|lists)\//i;

/** Every importable file of the upload, with ZIP archives opened (root or one top-level folder). */
export async function listEntries(files: StagedFile[], maxBytes: number): Promise<Entry[]> {
  const entries: Entry[] = [];
  for (const [index, file] of files.entries()) {
    if (file.kind !== 'ZIP') {
      entries.push({ name: file.name, base: file.name.toLowerCase(), kind: file.kind, open: async () => createReadStream(file.path) });
      continue;
    }
    const inside = await zipEntries(file, maxBytes * MAX_INFLATE_FACTOR, index);
    if (inside.length === 0) {
      throw new ImportFileError('NOTHING_TO_IMPORT', file.name, 'the archive holds no CSV or JSON file to import', [
        'files',
        String(index),
      ]);
    }
    entries.push(...inside);
  }
  return entries;
}

async function zipEntries(file: StagedFile, maxInflated: number, index: number): Promise<Entry[]> {
  const zip = await openZip(file.path).catch(() => {
    throw new ImportFileError('NOT_IMPORTABLE', file.name, 'the archive is damaged', ['files', String(index)]);
  });
  const found: { name: string; entry: yauzl.Entry }[] = [];
  let inflated = 0;
  try {
    await new Promise<void>((resolve, reject) => {
      zip.on('entry', (entry: yauzl.Entry) => {
        const name = entry.fileName;
        if (!name.endsWith('/') && IMPORTABLE.test(name) && !SKIPPED_FOLDERS.test(name) && name.split('/').length <= 2) {
          inflated += entry.uncompressedSize;
          found.push({ name, entry });
        }
        zip.readEntry();
      });
      zip.on('end', resolve);
      zip.on('error', reject);
      zip.readEntry();
    });
  } finally {
    zip.close();
  }
  if (inflated > maxInflated) {
    throw new ImportFileError(
      'ZIP_TOO_LARGE',
      file.name,
      `the archive would inflate to ${Math.round(inflated / 1024 / 1024)} MB, over the ${Math.round(maxInflated / 1024 / 1024)} MB allowed`,
      ['files', String(index)],
    );
  }
  return found.map(({ name, entry }) => ({
    name: `${file.name}/${name}`,
    base: basename(name).toLowerCase(),
    kind: name.toLowerCase().endsWith('.json') ? ('JSON' as const) : ('CSV' as const),
    // yauzl checks while inflating that no entry exceeds the size it declared
    open: async () => {
      const reopened = await openZip(file.path);
      const stream = await new Promise<Readable>((resolve, reject) =>
        reopened.openReadStream(entry, (error, s) => (error ? reject(error) : resolve(s!))),
      );
      stream.on('close', () => reopened.close());
      return stream;
    },
  }));
}

function openZip(path: string): Promise<yauzl.ZipFile> {
  return new Promise((resolve, reject) =>
    yauzl.open(path, { lazyEntries: true, autoClose: false, validateEntrySizes: true }, (error, zip) =>
      error ? reject(error) : resolve(zip!),
    ),
  );
}

export const removeStaging = (dir: string) => rm(dir, { recursive: true, force: true });

export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks)).replace(/^\uFEFF/, '');
}

