import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { PassThrough, Transform, type Readable } from 'node:stream';
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
  const where = ['files', String(index)];
  const damaged = (detail?: string) =>
    new ImportFileError('NOT_IMPORTABLE', file.name, detail ? `the archive is damaged: ${detail}` : 'the archive is damaged', where);
  const zip = await openZip(file.path).catch(() => {
    throw damaged();
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
      zip.on('error', () => reject(damaged()));
      zip.readEntry();
    });
    for (const { name, entry } of found) await checkLocalHeader(zip, entry, () => damaged(`the headers of ${name} disagree`));
  } finally {
    zip.close();
  }
  if (inflated > maxInflated) {
    throw new ImportFileError(
      'ZIP_TOO_LARGE',
      file.name,
      `the archive would inflate to ${Math.round(inflated / 1024 / 1024)} MB, over the ${Math.round(maxInflated / 1024 / 1024)} MB allowed`,
      where,
    );
  }
  return found.map(({ name, entry }) => ({
    name: `${file.name}/${name}`,
    base: basename(name).toLowerCase(),
    kind: name.toLowerCase().endsWith('.json') ? ('JSON' as const) : ('CSV' as const),
    open: () => openEntry(file.path, entry, () => damaged(`${name} does not match its headers`)),
  }));
}

/** ZIP64 keeps sizes in an extra field and writes this in the header instead. */
const ZIP64_SIZE = 0xffffffff;
/** bit 3: the sizes follow the data, the local header holds zeros */
const SIZES_AFTER_DATA = 0x8;

/**
 * The local header must point at data inside the file and, when it states sizes, agree with the central
 * directory (yauzl reads by the central directory alone; an archive whose two headers differ was forged or broken).
 */
async function checkLocalHeader(zip: yauzl.ZipFile, entry: yauzl.Entry, damaged: () => ImportFileError): Promise<void> {
  const local = await zip.readLocalFileHeaderPromise(entry).catch(() => {
    throw damaged();
  });
  const sized = (local.generalPurposeBitFlag & SIZES_AFTER_DATA) === 0;
  const agree = (stated: number, central: number) => !sized || stated === ZIP64_SIZE || stated === central;
  if (
    local.compressionMethod !== entry.compressionMethod ||
    !agree(local.compressedSize, entry.compressedSize) ||
    !agree(local.uncompressedSize, entry.uncompressedSize)
  ) {
    throw damaged();
  }
}

/**
 * An entry's inflated bytes. yauzl checks while inflating that the entry holds no more and no fewer bytes
 * than it declared; that, and any other failure to read it, comes out as the typed `damaged()` error.
 */
async function openEntry(path: string, entry: yauzl.Entry, damaged: () => ImportFileError): Promise<Readable> {
  const zip = await openZip(path).catch(() => {
    throw damaged();
  });
  const inflating = await new Promise<Readable>((resolve, reject) =>
    zip.openReadStream(entry, (error, stream) => (error ? reject(damaged()) : resolve(stream!))),
  ).catch((error: unknown) => {
    zip.close();
    throw error;
  });
  const out = new PassThrough();
  inflating.on('error', () => out.destroy(damaged()));
  out.on('close', () => {
    inflating.unpipe(out);
    inflating.destroy();
    zip.close();
  });
  return inflating.pipe(out);
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

