import type { JanitorSettings, PrismaClient } from '../../generated/prisma/client.js';
import { ValidationError } from '../errors.js';
import { normalizeLanguage } from './languages.js';

export type Thresholds = Omit<JanitorSettings, 'userId' | 'updatedAt'>;
export type JanitorSettingsInput = { [K in keyof Thresholds]?: Thresholds[K] | null };

/** The seed's rules: English and French audio, French subtitles; 4 months unplayed, 3 months old, 13 GB. */
export const DEFAULT_SETTINGS: Thresholds = {
  oldContentMonths: 4,
  minAgeMonths: 3,
  largeMovieGb: 13,
  recentReleaseMonths: 3,
  recentDays: 7,
  excludeFutureReleases: true,
  excludeRecentReleases: true,
  audioLanguages: ['eng', 'fre'],
  subtitleLanguages: ['fre'],
};

const INTEGERS: [keyof Thresholds, number, number][] = [
  ['oldContentMonths', 1, 240],
  ['minAgeMonths', 0, 240],
  ['recentReleaseMonths', 0, 120],
  ['recentDays', 1, 365],
];
const MAX_LANGUAGES = 12;

/** A person's thresholds and required languages: the defaults until they change one. */
export class JanitorSettingsService {
  constructor(private readonly prisma: PrismaClient) {}

  async get(userId: string): Promise<Thresholds> {
    const row = await this.prisma.janitorSettings.findUnique({ where: { userId } });
    if (!row) return { ...DEFAULT_SETTINGS };
    const { userId: _user, updatedAt: _at, ...settings } = row;
    return settings;
  }

  /** Changes what is given (null or absent: unchanged); every value is checked before anything is saved. */
  async update(userId: string, input: JanitorSettingsInput): Promise<Thresholds> {
    const changes: Partial<Thresholds> = {};
    for (const [field, min, max] of INTEGERS) {
      const value = input[field];
      if (value == null) continue;
      if (!Number.isInteger(value) || (value as number) < min || (value as number) > max) {
        throw new ValidationError(`${field} must be a whole number from ${min} to ${max}`, ['input', field]);
      }
      Object.assign(changes, { [field]: value });
    }
    if (input.largeMovieGb != null) {
      if (!Number.isFinite(input.largeMovieGb) || input.largeMovieGb <= 0 || input.largeMovieGb > 10_000) {
        throw new ValidationError('largeMovieGb must be above 0 and at most 10000', ['input', 'largeMovieGb']);
      }
      changes.largeMovieGb = input.largeMovieGb;
    }
    for (const flag of ['excludeFutureReleases', 'excludeRecentReleases'] as const) if (input[flag] != null) changes[flag] = input[flag];
    for (const field of ['audioLanguages', 'subtitleLanguages'] as const) {
      const tags = input[field];
      if (tags == null) continue;
      if (tags.length > MAX_LANGUAGES) throw new ValidationError(`At most ${MAX_LANGUAGES} languages`, ['input', field]);
      const codes = tags.map((tag, i) => {
        const code = normalizeLanguage(tag);
        if (!code) throw new ValidationError(`"${tag.slice(0, 40)}" is not an ISO 639 language (e.g. fr, fre, fra or French)`, ['input', field, String(i)]);
        return code;
      });
      changes[field] = [...new Set(codes)];
    }
    const row = await this.prisma.janitorSettings.upsert({ where: { userId }, create: { userId, ...DEFAULT_SETTINGS, ...changes }, update: changes });
    const { userId: _user, updatedAt: _at, ...settings } = row;
    return settings;
  }
}
