import { parse } from 'csv-parse';
import type { Readable } from 'node:stream';
import { ImportFileError } from '../errors.js';
import { MAX_RECORD_BYTES, RecordLimiter } from './csv-limit.js';

export interface CsvRecord {
  /** as in a spreadsheet: the header is row 1 */
  row: number;
  values: Record<string, string>;
  raw: string;
  /** a record over MAX_RECORD_BYTES: its size; it was skipped unread and its values are empty */
  oversizedBytes?: number;
}

/**
 * RFC 4180 records keyed by lower-cased header, streamed; quoted fields may hold commas, quotes and newlines.
 * A record over MAX_RECORD_BYTES comes back empty with its size, for the source to report.
 */
export async function* csvRecords(stream: Readable): AsyncGenerator<CsvRecord> {
  const limiter = new RecordLimiter();
  const parser = parse({
    bom: true,
    columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
    relax_column_count: true,
    skip_empty_lines: true,
    raw: true,
  });
  // pipe() does not pass a source's error on: a damaged archive entry would leave the parser waiting
  stream.on('error', (error) => parser.destroy(error));
  stream.pipe(limiter).pipe(parser);
  let row = 1;
  for await (const { record, raw } of parser as AsyncIterable<{ record: Record<string, string>; raw: string }>) {
    row += 1;
    const oversizedBytes = limiter.oversized(raw);
    if (oversizedBytes !== null) yield { row, values: {}, raw: '', oversizedBytes };
    else yield { row, values: record, raw: raw.replace(/\r?\n$/, '') };
  }
}

/** The row error for a record over MAX_RECORD_BYTES. */
export const oversizedError = (file: string, record: CsvRecord) => ({
  file,
  row: record.row,
  field: null,
  code: 'ROW_TOO_LARGE',
  message: `the row is ${Math.ceil((record.oversizedBytes ?? 0) / 1024)} KB, over the ${MAX_RECORD_BYTES / 1024} KB a row may be`,
  raw: null,
});

/** The header row of a CSV, lower-cased, read without the rest of the file (none when it is oversized). */
export async function csvHeader(stream: Readable): Promise<string[]> {
  const limiter = new RecordLimiter();
  const parser = parse({ bom: true, to_line: 1 });
  stream.on('error', (error) => parser.destroy(error));
  stream.pipe(limiter).pipe(parser);
  try {
    for await (const header of parser as AsyncIterable<string[]>) {
      return limiter.oversized(header[0] ?? '') === null ? header.map((h) => h.trim().toLowerCase()) : [];
    }
    return [];
  } finally {
    stream.destroy();
  }
}

export function requireColumns(file: string, header: string[], required: string[]): void {
  const missing = required.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    const found = header.join(', ');
    throw new ImportFileError(
      'MISSING_COLUMNS',
      file,
      `missing column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')} (found: ${found.length > 300 ? `${found.slice(0, 300)}…` : found || 'nothing'})`,
    );
  }
}
