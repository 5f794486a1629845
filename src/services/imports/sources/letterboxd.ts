import { MAX_EXTERNAL_ID_LENGTH, MAX_REVIEW_LENGTH, MAX_TITLE_LENGTH } from '../../library/limits.js';
import { normalizeTitle } from '../../library/titles.js';
import { ImportFileError } from '../../errors.js';
import { csvHeader, csvRecords, oversizedError, requireColumns, type CsvRecord } from '../csv.js';
import type { Entry } from '../files.js';
import type { ImportedMedia, ImportItem, RowError } from '../records.js';
import { parseBoolean, parseDate, parseRating, parseTags, parseText, parseYear } from '../values.js';

const FILES = {
  'watched.csv': ['name', 'year', 'date', 'letterboxd uri'],
  'ratings.csv': ['name', 'year', 'date', 'letterboxd uri', 'rating'],
  'diary.csv': ['name', 'year', 'date', 'letterboxd uri', 'rating', 'rewatch', 'tags', 'watched date'],
  'reviews.csv': ['name', 'year', 'date', 'letterboxd uri', 'rating', 'rewatch', 'review', 'tags', 'watched date'],
} as const;
type FileName = keyof typeof FILES;

const isKnown = (entry: Entry): entry is Entry & { base: FileName } => entry.base in FILES;

interface Viewing {
  file: string;
  row: number;
  watchedAt: Date;
  rating: number | null;
  rewatch: boolean | null;
  tags: string[];
  review: string | null;
  entryUri: string;
}

interface Film {
  title: string;
  year: number | null;
  /** the film's own short link code, from watched or ratings (diary and review links name entries) */
  letterboxdId: string | null;
  watchedDate: Date | null;
  rating: number | null;
  ratedAt: Date | null;
  viewings: Viewing[];
}

export async function checkLetterboxd(entries: Entry[]): Promise<void> {
  const known = entries.filter(isKnown);
  if (known.length === 0) {
    throw new ImportFileError(
      'NOTHING_TO_IMPORT',
      entries.map((e) => e.name).join(', '),
      'no watched.csv, ratings.csv, diary.csv or reviews.csv in the upload',
    );
  }
  for (const entry of known) requireColumns(entry.name, await csvHeader(await entry.open()), [...FILES[entry.base]]);
}

/**
 * The export's files merged into one record per film (identified by name and year): diary over ratings
 * over watched. Each diary entry is its own viewing, rewatches included; reviews attach to their diary
 * entry by its link. A film watched or rated but never logged gets one viewing on the date it was marked.
 */
export async function* parseLetterboxd(entries: Entry[]): AsyncGenerator<ImportItem> {
  const films = new Map<string, Film>();
  const reviews = new Map<string, { review: string; record: Viewing }>();
  const order: FileName[] = ['watched.csv', 'ratings.csv', 'diary.csv', 'reviews.csv'];
  for (const base of order) {
    for (const entry of entries.filter((e) => e.base === base)) {
      for await (const record of csvRecords(await entry.open())) {
        if (record.oversizedBytes !== undefined) {
          yield { type: 'error', error: oversizedError(entry.name, record) };
          continue;
        }
        const errors: RowError[] = [];
        const film = filmOf(films, record, entry.name, errors);
        if (film) {
          if (base === 'watched.csv') readWatched(film, record, entry.name, errors);
          else if (base === 'ratings.csv') readRating(film, record, entry.name, errors);
          else {
            const viewing = readViewing(record, entry.name, errors);
            if (viewing && base === 'diary.csv') film.viewings.push(viewing);
            if (viewing && base === 'reviews.csv') reviews.set(viewing.entryUri || `${record.row}`, { review: viewing.review ?? '', record: viewing });
            if (viewing && base === 'reviews.csv' && !film.viewings.some((v) => v.entryUri && v.entryUri === viewing.entryUri)) {
              film.viewings.push(viewing);
            }
          }
        }
        for (const error of errors) yield { type: 'error', error };
      }
    }
  }
  for (const film of films.values()) {
    for (const viewing of film.viewings) {
      const review = viewing.entryUri ? reviews.get(viewing.entryUri) : undefined;
      if (review && !viewing.review) viewing.review = review.review || null;
    }
    yield* filmItems(film);
  }
}

function* filmItems(film: Film): Generator<ImportItem> {
  const media: ImportedMedia = {
    kind: 'MOVIE',
    title: film.title,
    year: film.year,
    externalIds: film.letterboxdId ? { letterboxd: film.letterboxdId } : {},
  };
  const viewings = [...film.viewings].sort((a, b) => a.watchedAt.getTime() - b.watchedAt.getTime() || a.row - b.row);
  const perDay = new Map<number, number>();
  for (const viewing of viewings) {
    // two viewings logged for one day stay two events: a second apart, in the order they were logged
    const day = viewing.watchedAt.getTime();
    const nth = perDay.get(day) ?? 0;
    perDay.set(day, nth + 1);
    yield {
      type: 'event',
      event: {
        media,
        watchedAt: new Date(day + nth * 1000),
        rating: viewing.rating,
        rewatch: viewing.rewatch,
        tags: viewing.tags,
        review: viewing.review,
      },
      at: { file: viewing.file, row: viewing.row, dateField: 'Watched Date' },
    };
  }
  if (viewings.length === 0 && (film.watchedDate || film.ratedAt)) {
    const watchedAt = (film.watchedDate ?? film.ratedAt)!;
    yield { type: 'event', event: { media, watchedAt, rating: film.rating, rewatch: false, tags: [], review: null } };
  }
  const latestRated = viewings.filter((v) => v.rating !== null).at(-1);
  const rating = latestRated?.rating ?? film.rating;
  const ratedAt = latestRated?.watchedAt ?? film.ratedAt;
  if (rating !== null && ratedAt) yield { type: 'rating', media, rating, ratedAt };
}

function filmOf(films: Map<string, Film>, record: CsvRecord, file: string, errors: RowError[]): Film | null {
  const name = parseText(record.values.name, MAX_TITLE_LENGTH, 'name');
  if (!name.ok) {
    errors.push({ file, row: record.row, field: 'Name', code: name.code, message: name.message, raw: record.raw });
    return null;
  }
  const title = name.value;
  if (!title) {
    errors.push({ file, row: record.row, field: 'Name', code: 'MISSING_VALUE', message: 'the film has no name', raw: record.raw });
    return null;
  }
  const uri = parseText(record.values['letterboxd uri'], MAX_EXTERNAL_ID_LENGTH, 'Letterboxd URI');
  if (!uri.ok) {
    errors.push({ file, row: record.row, field: 'Letterboxd URI', code: uri.code, message: uri.message, raw: record.raw });
    return null;
  }
  const year = parseYear(record.values.year);
  if (!year.ok) {
    errors.push({ file, row: record.row, field: 'Year', code: year.code, message: year.message, raw: record.raw });
    return null;
  }
  const key = `${normalizeTitle(title)}|${year.value ?? ''}`;
  let film = films.get(key);
  if (!film) {
    film = { title, year: year.value, letterboxdId: null, watchedDate: null, rating: null, ratedAt: null, viewings: [] };
    films.set(key, film);
  }
  return film;
}

const filmCode = (uri: string | undefined) => /boxd\.it\/([\w-]+)/.exec(uri ?? '')?.[1] ?? null;

function readWatched(film: Film, record: CsvRecord, file: string, errors: RowError[]) {
  const date = parseDate(record.values.date ?? '');
  if (!date.ok) return void errors.push({ file, row: record.row, field: 'Date', code: date.code, message: date.message, raw: record.raw });
  film.watchedDate = date.value;
  film.letterboxdId ??= filmCode(record.values['letterboxd uri']);
}

function readRating(film: Film, record: CsvRecord, file: string, errors: RowError[]) {
  const rating = parseRating(record.values.rating);
  const date = parseDate(record.values.date ?? '');
  if (!rating.ok) return void errors.push({ file, row: record.row, field: 'Rating', code: rating.code, message: rating.message, raw: record.raw });
  if (!date.ok) return void errors.push({ file, row: record.row, field: 'Date', code: date.code, message: date.message, raw: record.raw });
  film.rating = rating.value;
  film.ratedAt = date.value;
  film.letterboxdId ??= filmCode(record.values['letterboxd uri']);
}

function readViewing(record: CsvRecord, file: string, errors: RowError[]): Viewing | null {
  const when = record.values['watched date']?.trim() || record.values.date || '';
  const date = parseDate(when);
  if (!date.ok) {
    errors.push({ file, row: record.row, field: 'Watched Date', code: date.code, message: date.message, raw: record.raw });
    return null;
  }
  const rating = parseRating(record.values.rating);
  if (!rating.ok) {
    errors.push({ file, row: record.row, field: 'Rating', code: rating.code, message: rating.message, raw: record.raw });
    return null;
  }
  const tags = parseTags(record.values.tags);
  if (!tags.ok) {
    errors.push({ file, row: record.row, field: 'Tags', code: tags.code, message: tags.message, raw: record.raw });
    return null;
  }
  const review = parseText(record.values.review, MAX_REVIEW_LENGTH, 'review');
  if (!review.ok) {
    errors.push({ file, row: record.row, field: 'Review', code: review.code, message: review.message, raw: record.raw });
    return null;
  }
  return {
    file,
    row: record.row,
    watchedAt: date.value,
    rating: rating.value,
    rewatch: parseBoolean(record.values.rewatch) ?? false,
    tags: tags.value,
    review: review.value,
    entryUri: record.values['letterboxd uri']?.trim() ?? '',
  };
}
