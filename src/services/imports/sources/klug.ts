import type { MediaKind } from '../../../generated/prisma/client.js';
import { ImportFileError } from '../../errors.js';
import { MAX_EXTERNAL_ID_LENGTH, MAX_REVIEW_LENGTH, MAX_TITLE_LENGTH } from '../../library/limits.js';
import type { ExternalIds } from '../../library/types.js';
import { csvHeader, csvRecords, oversizedError, requireColumns } from '../csv.js';
import type { Entry } from '../files.js';
import { readJson } from '../json.js';
import type { ImportedMedia, ImportItem, RowError } from '../records.js';
import { parseBoolean, parseCount, parseDate, parseRating, parseTags, parseText, parseYear, quote, type Parsed } from '../values.js';

/** Our documented formats (README, "Import formats"). */
export const KLUG_CSV_REQUIRED = ['title', 'watched_at'];
export const KLUG_JSON_SCHEMA = 'klug/v1';
/** Letterboxd's own import CSV is read too: its header names the schema. */
const LETTERBOXD_IMPORT_REQUIRED = ['title', 'watcheddate'];

type Schema = 'klug/v1' | 'letterboxd-import';

const KINDS: MediaKind[] = ['MOVIE', 'SHOW', 'EPISODE'];

function schemaOf(header: string[]): Schema {
  return header.includes('watcheddate') || header.includes('letterboxduri') ? 'letterboxd-import' : 'klug/v1';
}

export async function checkKlugCsv(entries: Entry[]): Promise<void> {
  const csv = entries.filter((e) => e.kind === 'CSV');
  if (csv.length === 0) throw new ImportFileError('NOTHING_TO_IMPORT', entries.map((e) => e.name).join(', '), 'no CSV file in the upload');
  for (const entry of csv) {
    const header = await csvHeader(await entry.open());
    requireColumns(entry.name, header, schemaOf(header) === 'klug/v1' ? KLUG_CSV_REQUIRED : LETTERBOXD_IMPORT_REQUIRED);
  }
}

export async function checkKlugJson(entries: Entry[]): Promise<void> {
  const json = entries.filter((e) => e.kind === 'JSON');
  if (json.length === 0) throw new ImportFileError('NOTHING_TO_IMPORT', entries.map((e) => e.name).join(', '), 'no JSON file in the upload');
  for (const entry of json) await readKlugJson(entry);
}

/** The events of a KLUG_JSON file; the schema is checked before anything is written. */
async function readKlugJson(entry: Entry): Promise<unknown[]> {
  const parsed = await readJson(entry);
  const doc = parsed as { input_schema?: unknown; events?: unknown };
  if (!Array.isArray(parsed) && doc.input_schema !== KLUG_JSON_SCHEMA) {
    throw new ImportFileError('UNKNOWN_SCHEMA', entry.name, `input_schema must be "${KLUG_JSON_SCHEMA}" (got ${JSON.stringify(doc.input_schema ?? null)})`);
  }
  const events = Array.isArray(parsed) ? parsed : doc.events;
  if (!Array.isArray(events)) throw new ImportFileError('UNKNOWN_SCHEMA', entry.name, '"events" must be an array');
  return events;
}

export async function* parseKlugCsv(entries: Entry[]): AsyncGenerator<ImportItem> {
  for (const entry of entries.filter((e) => e.kind === 'CSV')) {
    let schema: Schema | null = null;
    for await (const record of csvRecords(await entry.open())) {
      if (record.oversizedBytes !== undefined) {
        yield { type: 'error', error: oversizedError(entry.name, record) };
        continue;
      }
      schema ??= schemaOf(Object.keys(record.values));
      const v = record.values;
      const row = schema === 'klug/v1' ? v : fromLetterboxdImport(v);
      yield itemOf(row, entry.name, record.row, record.raw);
    }
  }
}

export async function* parseKlugJson(entries: Entry[]): AsyncGenerator<ImportItem> {
  for (const entry of entries.filter((e) => e.kind === 'JSON')) {
    const events = await readKlugJson(entry);
    for (const [index, event] of events.entries()) {
      const e = (event ?? {}) as Record<string, unknown>;
      const ids = (e.ids ?? {}) as Record<string, unknown>;
      const series = (e.series ?? {}) as { title?: unknown; year?: unknown; ids?: Record<string, unknown> };
      const flat: Record<string, string> = {
        title: str(e.title),
        watched_at: str(e.watched_at),
        kind: str(e.kind),
        year: str(e.year),
        rating: str(e.rating),
        rewatch: str(e.rewatch),
        tags: Array.isArray(e.tags) ? e.tags.map(String).join(',') : str(e.tags),
        review: str(e.review),
        series_title: str(series.title),
        season: str(e.season),
        episode: str(e.episode),
        ...Object.fromEntries(Object.entries(ids).map(([k, v]) => [`${k}_id`, str(v)])),
        ...Object.fromEntries(Object.entries(series.ids ?? {}).map(([k, v]) => [`series_${k}_id`, str(v)])),
      };
      yield itemOf(flat, entry.name, index + 1, JSON.stringify(event));
    }
  }
}

const str = (value: unknown) => (value == null ? '' : String(value));

function fromLetterboxdImport(v: Record<string, string>): Record<string, string> {
  return {
    title: v.title ?? '',
    year: v.year ?? '',
    watched_at: v.watcheddate ?? '',
    rating: v.rating || (v.rating10 ? String(Number(v.rating10) / 2) : ''),
    tags: v.tags ?? '',
    review: v.review ?? '',
    rewatch: v.rewatch ?? '',
    tmdb_id: v.tmdbid ?? '',
    imdb_id: v.imdbid ?? '',
    letterboxd_id: /boxd\.it\/([\w-]+)/.exec(v.letterboxduri ?? '')?.[1] ?? '',
  };
}

const PROVIDERS = ['tmdb', 'imdb', 'tvdb', 'trakt', 'letterboxd', 'jellyfin'] as const;

/** The longest value the library takes in a column of free text (titles, ids, the review); none for others. */
const limitOf = (column: string): number | null =>
  /^(series_)?title$/.test(column) ? MAX_TITLE_LENGTH : column.endsWith('_id') ? MAX_EXTERNAL_ID_LENGTH : column === 'review' ? MAX_REVIEW_LENGTH : null;

function itemOf(v: Record<string, string>, file: string, row: number, raw: string): ImportItem {
  const error = (field: string, parsed: { code: string; message: string }): ImportItem => ({
    type: 'error',
    error: { file, row, field, code: parsed.code, message: parsed.message, raw } satisfies RowError,
  });
  for (const [field, value] of Object.entries(v)) {
    const max = limitOf(field);
    const text = max === null ? null : parseText(value, max, field.replaceAll('_', ' '));
    if (text && !text.ok) return error(field, text);
  }
  const title = v.title?.trim();
  if (!title) return error('title', { code: 'MISSING_VALUE', message: 'no title' });
  const kind = (v.kind?.trim().toUpperCase() || 'MOVIE') as MediaKind;
  if (!KINDS.includes(kind)) return error('kind', { code: 'INVALID_KIND', message: `${quote(v.kind ?? '')} is not MOVIE, SHOW or EPISODE` });
  const tags = parseTags(v.tags);
  if (!tags.ok) return error('tags', tags);
  const checks: [string, Parsed<unknown>][] = [
    ['watched_at', parseDate(v.watched_at ?? '')],
    ['year', parseYear(v.year)],
    ['rating', parseRating(v.rating)],
    ['season', parseCount(v.season, 'season number')],
    ['episode', parseCount(v.episode, 'episode number')],
  ];
  for (const [field, parsed] of checks) if (!parsed.ok) return error(field, parsed);
  const [watchedAt, year, rating, season, episode] = checks.map(([, p]) => (p as { value: unknown }).value) as [
    Date,
    number | null,
    number | null,
    number | null,
    number | null,
  ];
  if (kind === 'EPISODE' && (!v.series_title?.trim() || episode === null)) {
    return error('series_title', { code: 'MISSING_VALUE', message: 'an episode needs series_title and episode' });
  }
  const ids = (prefix: string): ExternalIds =>
    Object.fromEntries(PROVIDERS.map((p) => [p, v[`${prefix}${p}_id`]?.trim() || null]));
  const media: ImportedMedia = {
    kind,
    title,
    year,
    externalIds: ids(''),
    seriesTitle: v.series_title?.trim() || null,
    seriesExternalIds: ids('series_'),
    seasonNumber: season,
    episodeNumber: episode,
  };
  return {
    type: 'event',
    event: { media, watchedAt, rating, rewatch: parseBoolean(v.rewatch), tags: tags.value, review: v.review?.trim() || null },
    at: { file, row, raw, dateField: 'watched_at' },
  };
}
