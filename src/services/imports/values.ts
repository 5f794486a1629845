import { MAX_TAG_LENGTH, MAX_TAGS } from '../library/limits.js';

/** Field parsers shared by every import source. Each returns a value or a reason it could not. */

export type Parsed<T> = { ok: true; value: T } | { ok: false; code: string; message: string };

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value });
const fail = (code: string, message: string): Parsed<never> => ({ ok: false, code, message });

/** A value quoted in a message, cut short: a message never repeats a whole oversized field. */
export const quote = (text: string) => `"${text.length > 60 ? `${text.slice(0, 60)}…` : text}"`;

const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

function utcDate(year: number, month: number, day: number): Date | null {
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day ? date : null;
}

const monthOf = (word: string) => {
  const index = MONTHS.indexOf(word.slice(0, 3).toLowerCase());
  return index < 0 ? null : index + 1;
};

/**
 * Dates as people and services write them: ISO (`2023-03-01`, with or without a time and zone), US
 * (`03/01/2023`), European (`01.03.2023`, `01/03/2023` when the day is over 12) and with the month in
 * words (`1 March 2023`, `March 1, 2023`, `01-Mar-2023`). Dates without a time are midnight UTC.
 */
export function parseDate(input: string): Parsed<Date> {
  const text = input.trim();
  if (!text) return fail('MISSING_VALUE', 'no date');
  let m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(text);
  if (m) return fromParts(+m[1]!, +m[2]!, +m[3]!, text);
  m = /^(\d{4})-(\d{2})-(\d{2})[T ]\d{2}:\d{2}/.exec(text);
  if (m) {
    if (!utcDate(+m[1]!, +m[2]!, +m[3]!)) return fail('INVALID_DATE', `${quote(text)} is not a real date`);
    const withZone = /(Z|[+-]\d{2}:?\d{2})$/i.test(text) ? text : `${text.replace(' ', 'T')}Z`;
    const date = new Date(withZone);
    return Number.isNaN(date.getTime()) ? fail('INVALID_DATE', `${quote(text)} is not a date`) : ok(date);
  }
  m = /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/.exec(text);
  if (m) {
    const [a, b] = [+m[1]!, +m[2]!];
    return a > 12 ? fromParts(+m[3]!, b, a, text) : fromParts(+m[3]!, a, b, text);
  }
  m = /^(\d{1,2})\.(\d{1,2})\.(\d{4})$/.exec(text);
  if (m) return fromParts(+m[3]!, +m[2]!, +m[1]!, text);
  m = /^(\d{1,2})[\s-]+([A-Za-z]+)\.?[\s-]+(\d{4})$/.exec(text);
  if (m && monthOf(m[2]!)) return fromParts(+m[3]!, monthOf(m[2]!)!, +m[1]!, text);
  m = /^([A-Za-z]+)\.?\s+(\d{1,2})(?:st|nd|rd|th)?,?\s+(\d{4})$/.exec(text);
  if (m && monthOf(m[1]!)) return fromParts(+m[3]!, monthOf(m[1]!)!, +m[2]!, text);
  return fail('INVALID_DATE', `${quote(text)} is not a date this importer reads (ISO, US, European or with a month name)`);
}

function fromParts(year: number, month: number, day: number, text: string): Parsed<Date> {
  const date = utcDate(year, month, day);
  return date ? ok(date) : fail('INVALID_DATE', `${quote(text)} is not a real date`);
}

/**
 * A rating out of five, as a number (`4.5`, `4,5`) or in stars (`★★★★½`), rounded to the nearest half
 * star. `outOf` 10 reads ten-point scales (Trakt). Empty means unrated.
 */
export function parseRating(input: string | number | null | undefined, outOf: 5 | 10 = 5): Parsed<number | null> {
  if (input == null) return ok(null);
  const text = String(input).trim();
  if (!text) return ok(null);
  let value: number;
  if (/^[★☆½\s]+$/.test(text)) {
    value = [...text].reduce((sum, c) => sum + (c === '★' ? 1 : c === '½' ? 0.5 : 0), 0);
  } else {
    value = Number(text.replace(',', '.'));
    if (!Number.isFinite(value)) return fail('INVALID_RATING', `${quote(text)} is not a rating`);
    if (outOf === 10) value /= 2;
  }
  const rounded = Math.round(value * 2) / 2;
  if (rounded < 0.5 || rounded > 5) return fail('INVALID_RATING', `${quote(text)} is outside 0.5 to 5 stars`);
  return ok(rounded);
}

export function parseYear(input: string | number | null | undefined): Parsed<number | null> {
  const text = String(input ?? '').trim();
  if (!text) return ok(null);
  const year = Number(text);
  if (!Number.isInteger(year) || year < 1870 || year > 2100) return fail('INVALID_YEAR', `${quote(text)} is not a year`);
  return ok(year);
}

export function parseCount(input: string | number | null | undefined, what: string): Parsed<number | null> {
  const text = String(input ?? '').trim();
  if (!text) return ok(null);
  const value = Number(text);
  if (!Number.isInteger(value) || value < 0) return fail('INVALID_NUMBER', `${quote(text)} is not a ${what}`);
  return ok(value);
}

export const parseBoolean = (input: string | boolean | null | undefined): boolean | null => {
  if (typeof input === 'boolean') return input;
  const text = String(input ?? '').trim().toLowerCase();
  if (!text) return null;
  return ['yes', 'true', '1', 'y'].includes(text);
};

/** Comma-separated tags (or a list), trimmed and without repeats, within the library's limits. */
export function parseTags(input: string | string[] | null | undefined): Parsed<string[]> {
  const tags = [...new Set((Array.isArray(input) ? input : String(input ?? '').split(',')).map((t) => t.trim()).filter(Boolean))];
  if (tags.length > MAX_TAGS) return fail('TOO_MANY_TAGS', `${tags.length} tags, over the ${MAX_TAGS} allowed`);
  const long = tags.find((t) => t.length > MAX_TAG_LENGTH);
  if (long) return fail('VALUE_TOO_LONG', `the tag ${quote(long)} is ${long.length} characters, over the ${MAX_TAG_LENGTH} allowed`);
  return ok(tags);
}

/** Free text (a title, a review, an id), trimmed, empty as null; longer than `max` characters is refused. */
export function parseText(input: string | number | null | undefined, max: number, what: string): Parsed<string | null> {
  const text = String(input ?? '').trim();
  if (text.length > max) return fail('VALUE_TOO_LONG', `the ${what} is ${text.length} characters, over the ${max} allowed`);
  return ok(text || null);
}
