import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { RecordLimiter } from '../src/services/imports/csv-limit.js';

/** The limiter's output for `input` fed in chunks of `size` bytes. */
async function through(input: string, maxBytes: number, size = 7): Promise<{ out: string; limiter: RecordLimiter }> {
  const bytes = Buffer.from(input);
  const chunks = Array.from({ length: Math.ceil(bytes.length / size) }, (_, i) => bytes.subarray(i * size, (i + 1) * size));
  const limiter = new RecordLimiter(maxBytes);
  const parts: Buffer[] = [];
  for await (const part of Readable.from(chunks).pipe(limiter)) parts.push(part as Buffer);
  return { out: Buffer.concat(parts).toString(), limiter };
}

describe('RecordLimiter', () => {
  it.each([
    ['plain rows', 'title,watched_at\nHeat,2023-01-01\nAlien,2023-01-02\n'],
    ['CRLF and a last row without a newline', 'title,watched_at\r\nHeat,2023-01-01\r\nAlien,2023-01-02'],
    ['CR only', 'title,watched_at\rHeat,2023-01-01\r'],
    ['a BOM and quoted fields with commas, quotes and newlines', '\uFEFF"title",review\n"Heat, again","a ""quote""\nand a line"\n'],
  ])('passes %s through unchanged, in chunks of any size', async (_case, input) => {
    for (const size of [1, 2, 3, 7, 1000]) expect((await through(input, 64, size)).out).toBe(input);
  });

  it('stands a placeholder with its size in for a record over the limit, quoted newlines and all', async () => {
    const big = `Big,"${'x'.repeat(40)}\n""y"",\r\n${'z'.repeat(40)}"`;
    const input = `title,review\nHeat,ok\n${big}\r\nAlien,ok\n${'w'.repeat(65)}`;
    for (const size of [1, 7, 1000]) {
      const { out, limiter } = await through(input, 64, size);
      const lines = out.split(/\r?\n/);
      expect(lines).toHaveLength(5);
      expect(lines.slice(0, 2)).toEqual(['title,review', 'Heat,ok']);
      expect(limiter.oversized(lines[2]!)).toBe(Buffer.byteLength(big));
      expect(lines[3]).toBe('Alien,ok');
      expect(limiter.oversized(lines[4]!)).toBe(65);
      expect(limiter.oversized('Alien,ok')).toBeNull();
    }
  });
});
