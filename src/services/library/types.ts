import type { MediaKind, WatchSource } from '../../generated/prisma/client.js';

export const EXTERNAL_PROVIDERS = ['tmdb', 'imdb', 'tvdb', 'jellyfin', 'letterboxd', 'trakt'] as const;
export type ExternalProvider = (typeof EXTERNAL_PROVIDERS)[number];
export type ExternalIds = Partial<Record<ExternalProvider, string | null>>;

/** The column each provider's id lives in. */
export const externalIdColumn = (provider: ExternalProvider) => `${provider}Id` as const;

export interface MediaInput {
  kind: MediaKind;
  title: string;
  year?: number | null;
  externalIds?: ExternalIds | null;
  /** episodes and seasons: the show they belong to, by id or by title */
  showId?: string | null;
  seriesTitle?: string | null;
  /** episodes imported without their show: the show's ids, for linking it later */
  seriesExternalIds?: ExternalIds | null;
  seasonNumber?: number | null;
  episodeNumber?: number | null;
  genres?: string[] | null;
  runtimeMinutes?: number | null;
  directors?: string[] | null;
  cast?: string[] | null;
  overview?: string | null;
  posterUrl?: string | null;
  releaseDate?: Date | null;
}

export interface WatchEventFilter {
  kinds?: MediaKind[] | null;
  from?: Date | null;
  to?: Date | null;
  sources?: WatchSource[] | null;
  ratingMin?: number | null;
  ratingMax?: number | null;
  genre?: string | null;
  search?: string | null;
  rewatch?: boolean | null;
  mediaId?: string | null;
}

export interface MediaFilter {
  kinds?: MediaKind[] | null;
  search?: string | null;
  genre?: string | null;
  yearFrom?: number | null;
  yearTo?: number | null;
  ratingMin?: number | null;
  ratingMax?: number | null;
  watched?: boolean | null;
  showId?: string | null;
}
