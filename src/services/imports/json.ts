import { ImportFileError } from '../errors.js';
import { readAll, type Entry } from './files.js';

/**
 * Far deeper than any export we read (a Klug event nests 4 levels): parsing is fine at any depth, but
 * everything that walks the result recursively (stringify, String()) overflows the stack near 10,000.
 */
export const MAX_JSON_DEPTH = 64;

/** A JSON entry parsed, refused as a whole when it is not UTF-8 JSON or nests deeper than MAX_JSON_DEPTH. */
export async function readJson(entry: Entry): Promise<unknown> {
  let text: string;
  try {
    text = await readAll(await entry.open());
  } catch (error) {
    if (error instanceof ImportFileError) throw error;
    throw new ImportFileError('NOT_IMPORTABLE', entry.name, 'the file is not valid UTF-8 JSON');
  }
  if (nestsDeeperThan(text, MAX_JSON_DEPTH)) {
    throw new ImportFileError('NESTED_TOO_DEEP', entry.name, `arrays and objects nest more than ${MAX_JSON_DEPTH} levels deep`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ImportFileError('NOT_IMPORTABLE', entry.name, 'the file is not valid UTF-8 JSON');
  }
}

const QUOTE = 34;
const BACKSLASH = 92;

/** Whether brackets and braces outside strings open more than `limit` levels at some point. */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === QUOTE) {
      // jump to the quote that ends the string: one not escaped by an odd run of backslashes
      let end = text.indexOf('"', i + 1);
      while (end !== -1 && escaped(text, end)) end = text.indexOf('"', end + 1);
      if (end === -1) return false;
      i = end;
    } else if (c === 91 || c === 123) {
      if (++depth > limit) return true;
    } else if (c === 93 || c === 125) {
      depth--;
    }
  }
  return false;
}

function escaped(text: string, quote: number): boolean {
  let backslashes = 0;
  for (let i = quote - 1; i >= 0 && text.charCodeAt(i) === BACKSLASH; i--) backslashes++;
  return backslashes % 2 === 1;
}
