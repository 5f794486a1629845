import { describe, expect, it } from 'vitest';
import { parseBoolean, parseCount, parseDate, parseRating, parseTags, parseText, parseYear } from '../src/services/imports/values.js';

const iso = (input: string) => {
  const parsed = parseDate(input);
  return parsed.ok ? parsed.value.toISOString() : parsed.code;
};

describe('parseDate', () => {
  it.each([
    ['2023-03-01', '2023-03-01T00:00:00.000Z'],
    ['2023-3-1', '2023-03-01T00:00:00.000Z'],
    ['  2023-03-01  ', '2023-03-01T00:00:00.000Z'],
    ['2024-02-29', '2024-02-29T00:00:00.000Z'],
    ['2023-03-01T20:15:00.000Z', '2023-03-01T20:15:00.000Z'],
    ['2023-03-01T20:15:00+02:00', '2023-03-01T18:15:00.000Z'],
    ['2023-03-01T20:15:00-0500', '2023-03-02T01:15:00.000Z'],
    ['2023-03-01T20:15', '2023-03-01T20:15:00.000Z'],
    ['2023-03-01 20:15:30.5', '2023-03-01T20:15:30.500Z'],
  ])('reads ISO %j', (input, expected) => expect(iso(input)).toBe(expected));

  it.each([
    ['03/01/2023', '2023-03-01T00:00:00.000Z'],
    ['3/1/2023', '2023-03-01T00:00:00.000Z'],
    ['12/13/2023', '2023-12-13T00:00:00.000Z'],
    ['01.03.2023', '2023-03-01T00:00:00.000Z'],
    ['25/12/2023', '2023-12-25T00:00:00.000Z'],
    ['13/01/2023', '2023-01-13T00:00:00.000Z'],
  ])('reads US and European %j', (input, expected) => expect(iso(input)).toBe(expected));

  it.each([
    ['1 March 2023', '2023-03-01T00:00:00.000Z'],
    ['01-Mar-2023', '2023-03-01T00:00:00.000Z'],
    ['1-mar-2023', '2023-03-01T00:00:00.000Z'],
    ['March 1, 2023', '2023-03-01T00:00:00.000Z'],
    ['Mar. 1, 2023', '2023-03-01T00:00:00.000Z'],
    ['September 30 2023', '2023-09-30T00:00:00.000Z'],
    ['Dec 25, 2023', '2023-12-25T00:00:00.000Z'],
  ])('reads a month in words %j', (input, expected) => expect(iso(input)).toBe(expected));

  it.each([
    ['', 'MISSING_VALUE'],
    ['   ', 'MISSING_VALUE'],
    ['yesterday', 'INVALID_DATE'],
    ['2023-02-29', 'INVALID_DATE'],
    ['2023-13-01', 'INVALID_DATE'],
    ['2023-04-31', 'INVALID_DATE'],
    ['31/02/2023', 'INVALID_DATE'],
    ['32.01.2023', 'INVALID_DATE'],
    ['01/03/23', 'INVALID_DATE'],
    ['1 Smarch 2023', 'INVALID_DATE'],
    ['2023-03-01T25:00', 'INVALID_DATE'],
    ['2023-13-01T10:00', 'INVALID_DATE'],
  ])('refuses %j with %s', (input, code) => expect(iso(input)).toBe(code));

  it.each([['2023-02-30T10:00:00Z'], ['2023-02-31 10:00'], ['2023-04-31T00:00:00.000Z']])(
    'refuses the impossible day of a date-time %j rather than rolling it into the next month',
    (input) => expect(iso(input)).toBe('INVALID_DATE'),
  );

  it('says what it could not read', () => {
    const parsed = parseDate('soon');
    expect(parsed).toMatchObject({ ok: false, code: 'INVALID_DATE' });
    expect(!parsed.ok && parsed.message).toMatch(/soon/);
  });
});

describe('parseRating', () => {
  it.each([
    ['4.5', 4.5],
    ['4,5', 4.5],
    ['3', 3],
    ['3.0', 3],
    [' 5 ', 5],
    ['0.5', 0.5],
    ['4.3', 4.5],
    ['4.2', 4],
    ['★★★★½', 4.5],
    ['★★★★★', 5],
    ['½', 0.5],
    ['★ ★ ½', 2.5],
  ])('reads %j as %d stars', (input, expected) => expect(parseRating(input)).toEqual({ ok: true, value: expected }));

  it.each([[''], ['  '], [null], [undefined]])('reads %j as unrated', (input) => expect(parseRating(input)).toEqual({ ok: true, value: null }));

  it.each([['7'], ['0'], ['5.5'], ['-1'], ['★★★★★★'], ['☆☆'], ['great'], ['4,5,6'], ['Infinity']])('refuses %j', (input) =>
    expect(parseRating(input)).toMatchObject({ ok: false, code: 'INVALID_RATING' }),
  );

  it('halves a ten-point scale', () => {
    expect(parseRating(9, 10)).toEqual({ ok: true, value: 4.5 });
    expect(parseRating('10', 10)).toEqual({ ok: true, value: 5 });
    expect(parseRating(1, 10)).toEqual({ ok: true, value: 0.5 });
    expect(parseRating(7, 10)).toEqual({ ok: true, value: 3.5 });
    expect(parseRating(0, 10)).toMatchObject({ ok: false, code: 'INVALID_RATING' });
    expect(parseRating(11, 10)).toMatchObject({ ok: false, code: 'INVALID_RATING' });
  });
});

describe('parseYear', () => {
  it('reads a year, or nothing', () => {
    expect(parseYear('2001')).toEqual({ ok: true, value: 2001 });
    expect(parseYear(' 1954 ')).toEqual({ ok: true, value: 1954 });
    expect(parseYear(1870)).toEqual({ ok: true, value: 1870 });
    expect(parseYear(2100)).toEqual({ ok: true, value: 2100 });
    expect(parseYear('')).toEqual({ ok: true, value: null });
    expect(parseYear(null)).toEqual({ ok: true, value: null });
  });

  it.each([['1869'], ['2101'], ['2001.5'], ['MMI'], ['-2001']])('refuses %j', (input) =>
    expect(parseYear(input)).toMatchObject({ ok: false, code: 'INVALID_YEAR' }),
  );
});

describe('parseCount', () => {
  it('reads whole non-negative numbers, or nothing', () => {
    expect(parseCount('0', 'season number')).toEqual({ ok: true, value: 0 });
    expect(parseCount(' 12 ', 'season number')).toEqual({ ok: true, value: 12 });
    expect(parseCount(3, 'episode number')).toEqual({ ok: true, value: 3 });
    expect(parseCount('', 'episode number')).toEqual({ ok: true, value: null });
    expect(parseCount(undefined, 'episode number')).toEqual({ ok: true, value: null });
  });

  it.each([['-1'], ['1.5'], ['two']])('refuses %j, naming what it wanted', (input) => {
    const parsed = parseCount(input, 'episode number');
    expect(parsed).toMatchObject({ ok: false, code: 'INVALID_NUMBER' });
    expect(!parsed.ok && parsed.message).toMatch(/episode number/);
  });
});

describe('parseBoolean', () => {
  it.each([
    ['Yes', true],
    ['yes', true],
    ['TRUE', true],
    ['1', true],
    [' y ', true],
    [true, true],
    ['No', false],
    ['false', false],
    ['0', false],
    [false, false],
    ['', null],
    [null, null],
    [undefined, null],
  ] as const)('reads %j as %j', (input, expected) => expect(parseBoolean(input)).toBe(expected));
});

describe('parseTags', () => {
  const tags = (input: string | string[] | null) => {
    const parsed = parseTags(input);
    return parsed.ok ? parsed.value : parsed.code;
  };

  it('splits on commas, trims, drops empties and repeats, keeps order', () => {
    expect(tags('rewatch, imax')).toEqual(['rewatch', 'imax']);
    expect(tags(' b ,a,,b, ')).toEqual(['b', 'a']);
    expect(tags(['x', ' y ', 'x', ''])).toEqual(['x', 'y']);
    expect(tags('日本語, Ελληνικά')).toEqual(['日本語', 'Ελληνικά']);
    expect(tags('')).toEqual([]);
    expect(tags(null)).toEqual([]);
  });

  it('refuses more tags, or longer ones, than recordWatch accepts', () => {
    expect(tags(Array.from({ length: 50 }, (_, i) => `t${i}`).join(','))).toHaveLength(50);
    expect(tags(Array.from({ length: 51 }, (_, i) => `t${i}`).join(','))).toBe('TOO_MANY_TAGS');
    expect(tags(`ok,${'x'.repeat(100)}`)).toHaveLength(2);
    expect(tags(`ok,${'x'.repeat(101)}`)).toBe('VALUE_TOO_LONG');
  });
});

describe('parseText', () => {
  it('trims, reads empty as null and refuses text over the limit with a short message', () => {
    expect(parseText('  Heat ', 4, 'title')).toEqual({ ok: true, value: 'Heat' });
    expect(parseText('   ', 4, 'title')).toEqual({ ok: true, value: null });
    const long = parseText('x'.repeat(1_000_000), 500, 'title');
    expect(long).toMatchObject({ ok: false, code: 'VALUE_TOO_LONG' });
    expect(!long.ok && long.message).toMatch(/1000000 characters, over the 500 allowed/);
  });

  it('quotes at most the start of a huge value in any message', () => {
    const date = parseDate('9'.repeat(1_000_000));
    expect(date.ok).toBe(false);
    expect(!date.ok && date.message.length).toBeLessThan(200);
  });
});
