import { normalizeTitle } from '../library/titles.js';
import { epoch, flag, integer, number, object, strings, text, type Wire } from './wire.js';

/** What each section's entries become; null from a parser means "skip and count it". */
export interface CategoryRecord {
  categoryId: string;
  name: string;
  parentId: number | null;
}

export interface LiveRecord {
  streamId: number;
  num: number | null;
  name: string;
  searchName: string;
  categoryId: string | null;
  streamType: string | null;
  icon: string | null;
  epgChannelId: string | null;
  tvArchive: boolean;
  tvArchiveDuration: number | null;
  added: Date | null;
}

export interface VodRecord {
  streamId: number;
  num: number | null;
  name: string;
  searchName: string;
  categoryId: string | null;
  icon: string | null;
  rating: number | null;
  rating5: number | null;
  containerExtension: string | null;
  added: Date | null;
}

export interface SeriesRecord {
  seriesId: number;
  num: number | null;
  name: string;
  searchName: string;
  categoryId: string | null;
  cover: string | null;
  plot: string | null;
  cast: string | null;
  castSearch: string | null;
  director: string | null;
  genre: string | null;
  releaseDate: string | null;
  rating: number | null;
  rating5: number | null;
  episodeRunTime: number | null;
  backdrops: string[];
  youtubeTrailer: string | null;
  lastModified: Date | null;
}

const NAME_MAX = 500;

/** A name search compares: the normalised title (accents, case and punctuation gone). */
export const searchable = (value: string) => normalizeTitle(value);

/** The cast as the actor filter reads it: `|name one|name two|`, each name normalised. */
export function castSearch(cast: string | null): string | null {
  if (!cast) return null;
  const names = cast.split(/[,;/|]+/).map((n) => normalizeTitle(n)).filter(Boolean);
  return names.length > 0 ? `|${names.join('|')}|` : null;
}

/** A stream or series id: a positive whole number, as a number or a string. */
const id = (value: unknown) => {
  const n = integer(value);
  return n !== null && n > 0 ? n : null;
};

export function parseCategory(value: unknown): CategoryRecord | null {
  const entry = object(value);
  if (!entry) return null;
  const categoryId = text(entry.category_id, 100);
  if (!categoryId) return null;
  return { categoryId, name: text(entry.category_name, NAME_MAX) ?? categoryId, parentId: integer(entry.parent_id) };
}

export function parseLive(value: unknown): LiveRecord | null {
  const entry = object(value);
  const streamId = entry && id(entry.stream_id);
  const name = entry && text(entry.name, NAME_MAX);
  if (!entry || !streamId || !name) return null;
  return {
    streamId,
    num: integer(entry.num),
    name,
    searchName: searchable(name),
    categoryId: text(entry.category_id, 100),
    streamType: text(entry.stream_type, 40),
    icon: text(entry.stream_icon),
    epgChannelId: text(entry.epg_channel_id, 200),
    tvArchive: flag(entry.tv_archive) ?? false,
    tvArchiveDuration: integer(entry.tv_archive_duration),
    added: epoch(entry.added),
  };
}

export function parseVod(value: unknown): VodRecord | null {
  const entry = object(value);
  const streamId = entry && id(entry.stream_id);
  const name = entry && text(entry.name, NAME_MAX);
  if (!entry || !streamId || !name) return null;
  return {
    streamId,
    num: integer(entry.num),
    name,
    searchName: searchable(name),
    categoryId: text(entry.category_id, 100),
    icon: text(entry.stream_icon),
    rating: number(entry.rating),
    rating5: number(entry.rating_5based),
    containerExtension: extension(entry.container_extension),
    added: epoch(entry.added),
  };
}

export function parseSeries(value: unknown): SeriesRecord | null {
  const entry = object(value);
  const seriesId = entry && id(entry.series_id);
  const name = entry && text(entry.name, NAME_MAX);
  if (!entry || !seriesId || !name) return null;
  return { seriesId, num: integer(entry.num), name, searchName: searchable(name), categoryId: text(entry.category_id, 100), ...seriesInfo(entry) };
}

/** The descriptive fields a series carries in get_series and in get_series_info's `info`. */
export function seriesInfo(entry: Wire) {
  const cast = text(entry.cast, 4000);
  return {
    cover: text(entry.cover),
    plot: text(entry.plot, 8000),
    cast,
    castSearch: castSearch(cast),
    director: text(entry.director, 1000),
    genre: text(entry.genre, 500),
    releaseDate: text(entry.releaseDate ?? entry.release_date ?? entry.releasedate, 40),
    rating: number(entry.rating),
    rating5: number(entry.rating_5based),
    episodeRunTime: integer(entry.episode_run_time),
    backdrops: strings(entry.backdrop_path),
    youtubeTrailer: text(entry.youtube_trailer, 200),
    lastModified: epoch(entry.last_modified),
  };
}

/** A file extension as a URL may carry it: letters and digits only. */
export function extension(value: unknown): string | null {
  const ext = text(value, 10)?.replace(/^\./, '').toLowerCase();
  return ext && /^[a-z0-9]+$/.test(ext) ? ext : null;
}
