import { parse } from 'csv-parse';
import type { Readable } from 'node:stream';
import { ImportFileError } from '../errors.js';

export interface CsvRecord {
  /** as in a spreadsheet: the header is row 1 */
  row: number;
  values: Record<string, string>;
  raw: string;
}

/** RFC 4180 records keyed by lower-cased header, streamed; quoted fields may hold commas, quotes and newlines. */
export async function* csvRecords(stream: Readable): AsyncGenerator<CsvRecord> {
  const parser = parse({
    bom: true,
    columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
    relax_column_count: true,
    skip_empty_lines: true,
    raw: true,
  });
  // pipe() does not pass a source's error on: a damaged archive entry would leave the parser waiting
  stream.on('error', (error) => parser.destroy(error));
  stream.pipe(parser);
  let row = 1;
  for await (const { record, raw } of parser as AsyncIterable<{ record: Record<string, string>; raw: string }>) {
    row += 1;
    yield { row, values: record, raw: raw.replace(/\r?\n$/, '') };
  }
}

/** The header row of a CSV, lower-cased, read without the rest of the file. */
export async function csvHeader(stream: Readable): Promise<string[]> {
  const parser = parse({ bom: true, to_line: 1 });
  stream.on('error', (error) => parser.destroy(error));
  stream.pipe(parser);
  try {
    for await (const header of parser as AsyncIterable<string[]>) return header.map((h) => h.trim().toLowerCase());
    return [];
  } finally {
    stream.destroy();
  }
}

export function requireColumns(file: string, header: string[], required: string[]): void {
  const missing = required.filter((column) => !header.includes(column));
  if (missing.length > 0) {
    throw new ImportFileError(
      'MISSING_COLUMNS',
      file,
      `missing column${missing.length > 1 ? 's' : ''} ${missing.map((c) => `"${c}"`).join(', ')} (found: ${header.join(', ') || 'nothing'})`,
    );
  }
}
