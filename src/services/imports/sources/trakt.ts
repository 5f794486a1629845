import { ImportFileError } from '../../errors.js';
import { MAX_EXTERNAL_ID_LENGTH, MAX_TITLE_LENGTH } from '../../library/limits.js';
import type { ExternalIds } from '../../library/types.js';
import type { Entry } from '../files.js';
import { readJson } from '../json.js';
import type { ImportedMedia, ImportItem } from '../records.js';
import { parseDate, parseRating, parseText, quote, type Parsed } from '../values.js';

interface TraktIds {
  trakt?: number | string | null;
  imdb?: string | null;
  tmdb?: number | string | null;
  tvdb?: number | string | null;
  slug?: string | null;
}
interface TraktItem {
  watched_at?: string;
  rated_at?: string;
  rating?: number;
  type?: string;
  movie?: { title?: string; year?: number | null; ids?: TraktIds };
  show?: { title?: string; year?: number | null; ids?: TraktIds };
  episode?: { season?: number; number?: number; title?: string | null; ids?: TraktIds };
}

export async function checkTrakt(entries: Entry[]): Promise<void> {
  const json = entries.filter((e) => e.kind === 'JSON');
  if (json.length === 0) {
    throw new ImportFileError('NOTHING_TO_IMPORT', entries.map((e) => e.name).join(', '), 'Trakt history and ratings are JSON files');
  }
  for (const entry of json) await readItems(entry);
}

/**
 * Trakt's history (`/sync/history` pages or an export's `history`) and ratings (1–10, halved to stars),
 * told apart per item by `watched_at` or `rated_at`. Later plays of the same item are rewatches.
 */
export async function* parseTrakt(entries: Entry[]): AsyncGenerator<ImportItem> {
  const all: { item: TraktItem; row: number; file: string }[] = [];
  for (const entry of entries.filter((e) => e.kind === 'JSON')) {
    (await readItems(entry)).forEach((item, index) => all.push({ item, row: index + 1, file: entry.name }));
  }
  // plays are counted across every file (history often comes as several pages), oldest first
  all.sort((a, b) => String(a.item.watched_at ?? '').localeCompare(String(b.item.watched_at ?? '')));
  const plays = new Map<string, number>();
  for (const { item, row, file } of all) {
    const raw = JSON.stringify(item);
    const fail = (field: string, code: string, message: string): ImportItem => ({
      type: 'error',
      error: { file, row, field, code, message, raw },
    });
    const tooLong = overLimit(item);
    if (tooLong) {
      yield fail(tooLong.field, tooLong.code, tooLong.message);
      continue;
    }
    const media = mediaOf(item);
    if (!media) {
      yield fail('type', 'UNSUPPORTED_ITEM', 'neither a movie nor an episode with its show');
      continue;
    }
    if (item.watched_at !== undefined) {
      const date = parseDate(String(item.watched_at));
      if (!date.ok) {
        yield fail('watched_at', date.code, date.message);
        continue;
      }
      const key = `${media.kind}:${media.externalIds.trakt ?? media.title}:${media.seasonNumber}:${media.episodeNumber}`;
      const seen = plays.get(key) ?? 0;
      plays.set(key, seen + 1);
      yield {
        type: 'event',
        event: { media, watchedAt: date.value, rating: null, rewatch: seen > 0, tags: [], review: null },
        at: { file, row, raw, dateField: 'watched_at' },
      };
    } else if (item.rated_at !== undefined) {
      const date = parseDate(String(item.rated_at));
      const rating = parseRating(item.rating, 10);
      if (!date.ok) yield fail('rated_at', date.code, date.message);
      else if (!rating.ok || rating.value === null) yield fail('rating', 'INVALID_RATING', `${quote(String(item.rating))} is not a 1–10 rating`);
      else yield { type: 'rating', media, rating: rating.value, ratedAt: date.value };
    } else {
      yield fail('watched_at', 'MISSING_VALUE', 'neither watched_at nor rated_at');
    }
  }
}

async function readItems(entry: Entry): Promise<TraktItem[]> {
  const parsed = await readJson(entry);
  const list = Array.isArray(parsed) ? parsed : (parsed as { history?: unknown; ratings?: unknown })?.history ?? (parsed as { ratings?: unknown })?.ratings;
  if (!Array.isArray(list)) throw new ImportFileError('UNKNOWN_SCHEMA', entry.name, 'expected a Trakt history or ratings array');
  return list as TraktItem[];
}

/** The first title or id longer than the library takes, named by its path in the item. */
function overLimit(item: TraktItem): { field: string; code: string; message: string } | null {
  for (const part of ['movie', 'show', 'episode'] as const) {
    const checks: [string, Parsed<unknown>][] = [
      [`${part}.title`, parseText(item[part]?.title, MAX_TITLE_LENGTH, 'title')],
      ...Object.entries(item[part]?.ids ?? {}).map(([provider, id]): [string, Parsed<unknown>] => [
        `${part}.ids.${provider}`,
        parseText(id, MAX_EXTERNAL_ID_LENGTH, `${provider} id`),
      ]),
    ];
    for (const [field, parsed] of checks) if (!parsed.ok) return { field, code: parsed.code, message: parsed.message };
  }
  return null;
}

const idsOf = (ids: TraktIds | undefined): ExternalIds => ({
  trakt: ids?.trakt != null ? String(ids.trakt) : null,
  imdb: ids?.imdb ?? null,
  tmdb: ids?.tmdb != null ? String(ids.tmdb) : null,
  tvdb: ids?.tvdb != null ? String(ids.tvdb) : null,
});

function mediaOf(item: TraktItem): ImportedMedia | null {
  if (item.movie?.title) {
    return { kind: 'MOVIE', title: item.movie.title, year: item.movie.year ?? null, externalIds: idsOf(item.movie.ids) };
  }
  if (item.episode && item.show?.title && item.episode.number != null) {
    const { season, number } = item.episode;
    return {
      kind: 'EPISODE',
      title: item.episode.title || `${item.show.title} ${season ?? 0}x${number}`,
      year: null,
      externalIds: idsOf(item.episode.ids),
      seriesTitle: item.show.title,
      seriesYear: item.show.year ?? null,
      seriesExternalIds: idsOf(item.show.ids),
      seasonNumber: season ?? null,
      episodeNumber: number,
    };
  }
  if (item.show?.title && !item.episode) {
    return { kind: 'SHOW', title: item.show.title, year: item.show.year ?? null, externalIds: idsOf(item.show.ids) };
  }
  return null;
}
