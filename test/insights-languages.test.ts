import { describe, expect, it } from 'vitest';
import { languageList, normalizeLanguage } from '../src/services/janitor/languages.js';
import { monthsBefore } from '../src/services/janitor/reasons.js';

describe('language tags in every form media servers write them', () => {
  it('brings ISO 639-1, 639-2/B, 639-2/T, regions and names to one code', () => {
    for (const tag of ['fre', 'fra', 'fr', 'FR', 'fr-CA', 'fr_FR', 'French', 'français']) expect(normalizeLanguage(tag), tag).toBe('fre');
    for (const tag of ['eng', 'en', 'EN-us', 'English']) expect(normalizeLanguage(tag), tag).toBe('eng');
    for (const tag of ['ger', 'deu', 'de', 'German']) expect(normalizeLanguage(tag), tag).toBe('ger');
    expect(normalizeLanguage('nld')).toBe('dut');
    expect(normalizeLanguage('jpn')).toBe('jpn');
  });

  it('treats und, mul, zxx, empty and unknown tags as saying nothing', () => {
    for (const tag of ['und', 'UND', 'mul', 'zxx', 'mis', '', '  ', null, undefined, 'xx', 'qq-ZZ', 'Elvish']) expect(normalizeLanguage(tag), String(tag)).toBeNull();
  });

  it('names languages for people', () => {
    expect(languageList(['eng', 'fre', 'jpn'])).toBe('English, French and Japanese');
    expect(languageList(['dut'])).toBe('Dutch');
  });
});

describe('calendar months back', () => {
  it('keeps the time of day and clamps the day to the month', () => {
    expect(monthsBefore(new Date('2025-06-15T12:00:00.000Z'), 4).toISOString()).toBe('2025-02-15T12:00:00.000Z');
    expect(monthsBefore(new Date('2025-03-31T08:30:00.000Z'), 1).toISOString()).toBe('2025-02-28T08:30:00.000Z');
    expect(monthsBefore(new Date('2024-03-31T00:00:00.000Z'), 1).toISOString()).toBe('2024-02-29T00:00:00.000Z');
    expect(monthsBefore(new Date('2025-01-10T00:00:00.000Z'), 3).toISOString()).toBe('2024-10-10T00:00:00.000Z');
  });
});
