import type { ImportSource, WatchSource } from '../../../generated/prisma/client.js';
import type { Entry } from '../files.js';
import type { ImportItem } from '../records.js';
import { checkKlugCsv, checkKlugJson, parseKlugCsv, parseKlugJson } from './klug.js';
import { checkLetterboxd, parseLetterboxd } from './letterboxd.js';
import { checkTrakt, parseTrakt } from './trakt.js';

export interface SourceReader {
  /** refuses an upload this source cannot read (missing files or columns) before anything is written */
  check(entries: Entry[]): Promise<void>;
  parse(entries: Entry[]): AsyncGenerator<ImportItem>;
  /** how the events are labelled */
  watchSource: WatchSource;
}

export const SOURCES: Record<ImportSource, SourceReader> = {
  LETTERBOXD: { check: checkLetterboxd, parse: parseLetterboxd, watchSource: 'LETTERBOXD' },
  TRAKT: { check: checkTrakt, parse: parseTrakt, watchSource: 'TRAKT' },
  KLUG_CSV: { check: checkKlugCsv, parse: parseKlugCsv, watchSource: 'KLUG_CSV' },
  KLUG_JSON: { check: checkKlugJson, parse: parseKlugJson, watchSource: 'KLUG_JSON' },
};
