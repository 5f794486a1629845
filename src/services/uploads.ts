import { createHash } from 'node:crypto';
import { Transform, type Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { UploadTooLargeError, ValidationError } from './errors.js';

/** A file as the transport hands it over: read it once, as a stream. */
export interface IncomingFile {
  filename: string;
  mimetype: string;
  createReadStream(): Readable;
}

export type FileKind = 'CSV' | 'JSON' | 'ZIP' | 'UNKNOWN';

/**
 * Passes bytes through until `maxBytes`, then fails with UploadTooLargeError: the limit holds while the
 * upload is still arriving, so an oversized file is never held or written whole.
 */
export function limitBytes(maxBytes: number, path: string[] = []): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done) {
      seen += chunk.length;
      if (seen > maxBytes) done(new UploadTooLargeError(maxBytes, path));
      else done(null, chunk);
    },
  });
}

/** The transport truncates at its own cap (set just above ours); a truncated stream also means too large. */
export function openLimited(file: IncomingFile, maxBytes: number, path: string[] = []): Readable {
  const source = file.createReadStream() as Readable & { truncated?: boolean };
  const limiter = limitBytes(maxBytes, path);
  const tooLarge = () => limiter.destroy(new UploadTooLargeError(maxBytes, path));
  // the transport stops feeding us at its cap ('limit'); a stream that still ends truncated is too large too
  source.on('limit', tooLarge);
  source.on('end', () => {
    if (source.truncated) tooLarge();
  });
  source.on('error', (error) => limiter.destroy(error));
  return source.pipe(limiter);
}

export interface UploadSummary {
  filename: string;
  mimetype: string;
  bytes: number;
  sha256: string;
  kind: FileKind;
}

/** Reads a whole upload within the limit and reports what it is, storing nothing. */
export async function inspectUpload(file: IncomingFile, maxBytes: number, path: string[] = []): Promise<UploadSummary> {
  const hash = createHash('sha256');
  let bytes = 0;
  let head = Buffer.alloc(0);
  await pipeline(openLimited(file, maxBytes, path), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) {
      if (head.length < 512) head = Buffer.concat([head, chunk.subarray(0, 512 - head.length)]);
      bytes += chunk.length;
      hash.update(chunk);
    }
  });
  if (bytes === 0) throw new ValidationError('The file is empty', path);
  return { filename: file.filename, mimetype: file.mimetype, bytes, sha256: hash.digest('hex'), kind: sniffKind(head) };
}

/** Decides by content, not by name: ZIP magic, a JSON opening, or text that looks like delimited rows. */
export function sniffKind(head: Buffer): FileKind {
  if (head.length >= 4 && head.readUInt32LE(0) === 0x04034b50) return 'ZIP';
  const text = head.toString('utf8').replace(/^\uFEFF/, '').trimStart();
  if (text.startsWith('{') || text.startsWith('[')) return 'JSON';
  if (/[\x00-\x08\x0e-\x1f]/.test(text)) return 'UNKNOWN';
  const firstLine = text.split(/\r?\n/, 1)[0] ?? '';
  return /[,;\t]/.test(firstLine) ? 'CSV' : 'UNKNOWN';
}
