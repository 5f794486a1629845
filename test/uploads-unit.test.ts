import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, expect, it } from 'vitest';
import { UploadTooLargeError } from '../src/services/errors.js';
import { limitBytes, sniffKind } from '../src/services/uploads.js';

describe('sniffKind', () => {
  it('recognises ZIP magic', () => {
    expect(sniffKind(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00]))).toBe('ZIP');
  });

  it('recognises a JSON object or array, also after a byte order mark and whitespace', () => {
    expect(sniffKind(Buffer.from('{"films":[]}'))).toBe('JSON');
    expect(sniffKind(Buffer.from('[{"title":"Alien"}]'))).toBe('JSON');
    expect(sniffKind(Buffer.from('\uFEFF  \n\t[1, 2]', 'utf8'))).toBe('JSON');
    expect(sniffKind(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('\r\n {"a":1}')]))).toBe('JSON');
  });

  it('recognises delimited rows as CSV', () => {
    expect(sniffKind(Buffer.from('title,year\nAlien,1979\n'))).toBe('CSV');
    expect(sniffKind(Buffer.from('title;year\r\nAlien;1979\r\n'))).toBe('CSV');
    expect(sniffKind(Buffer.from('title\tyear\nAlien\t1979\n'))).toBe('CSV');
  });

  it('calls binary junk UNKNOWN', () => {
    expect(sniffKind(Buffer.from([0x00, 0x01, 0x02, 0x2c, 0x03, 0xff, 0xfe, 0x2c]))).toBe('UNKNOWN');
    expect(sniffKind(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe('UNKNOWN');
  });

  it('calls a single word without a delimiter UNKNOWN', () => {
    expect(sniffKind(Buffer.from('hello'))).toBe('UNKNOWN');
    expect(sniffKind(Buffer.from('hello\nworld,with,commas'))).toBe('UNKNOWN');
  });

  it('calls an empty head UNKNOWN', () => {
    expect(sniffKind(Buffer.alloc(0))).toBe('UNKNOWN');
  });
});

async function pipeThrough(chunks: Buffer[], maxBytes: number): Promise<Buffer> {
  const received: Buffer[] = [];
  await pipeline(Readable.from(chunks), limitBytes(maxBytes, ['file']), async (source: AsyncIterable<Buffer>) => {
    for await (const chunk of source) received.push(chunk);
  });
  return Buffer.concat(received);
}

describe('limitBytes', () => {
  it('passes exactly the limit through unchanged', async () => {
    const bytes = Buffer.from('0123456789');
    expect(await pipeThrough([bytes.subarray(0, 4), bytes.subarray(4)], 10)).toEqual(bytes);
  });

  it('fails with UploadTooLargeError one byte over the limit', async () => {
    const error = await pipeThrough([Buffer.alloc(6), Buffer.alloc(5)], 10).then(
      () => undefined,
      (e: unknown) => e,
    );

    expect(error).toBeInstanceOf(UploadTooLargeError);
    expect((error as UploadTooLargeError).code).toBe('UPLOAD_TOO_LARGE');
    expect((error as UploadTooLargeError).maxBytes).toBe(10);
    expect((error as UploadTooLargeError).path).toEqual(['file']);
  });

  it('fails with UploadTooLargeError for a single oversized chunk', async () => {
    await expect(pipeThrough([Buffer.alloc(11)], 10)).rejects.toBeInstanceOf(UploadTooLargeError);
  });
});
