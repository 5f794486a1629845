import type { MediaKind } from '../../generated/prisma/client.js';
import type { ExternalIds } from '../library/types.js';

/** What every source parser yields, in one shape, so one writer serves them all. */
export interface ImportedMedia {
  kind: MediaKind;
  title: string;
  year: number | null;
  externalIds: ExternalIds;
  seriesTitle?: string | null;
  seriesYear?: number | null;
  seriesExternalIds?: ExternalIds | null;
  seasonNumber?: number | null;
  episodeNumber?: number | null;
}

export interface ImportedEvent {
  media: ImportedMedia;
  watchedAt: Date;
  rating: number | null;
  rewatch: boolean | null;
  tags: string[];
  review: string | null;
}

export interface RowError {
  file: string;
  row: number;
  field?: string | null;
  code: string;
  message: string;
  raw?: string | null;
}

export type ImportItem =
  | { type: 'event'; event: ImportedEvent; at?: { file: string; row: number; raw?: string; dateField: string } }
  /** a rating without a viewing (e.g. Trakt's ratings file): sets the item's rating */
  | { type: 'rating'; media: ImportedMedia; rating: number; ratedAt: Date }
  | { type: 'error'; error: RowError };

export interface StagedFile {
  name: string;
  kind: 'CSV' | 'JSON' | 'ZIP';
  path: string;
  bytes: number;
  rows?: number;
}

/** A batch's counters, as the batch row, its progress events, the CLI and the benchmark show them. */
export interface ImportCounters {
  totalRows: number;
  processedRows: number;
  insertedCount: number;
  duplicateCount: number;
  updatedCount: number;
  skippedCount: number;
  errorCount: number;
  cursorAfter: Date | null;
}
