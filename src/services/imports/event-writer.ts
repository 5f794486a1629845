import { uuid7 } from '../../db/uuid7.js';
import type { RawSql } from '../../db/database.js';
import type { ImportMode, WatchSource } from '../../generated/prisma/client.js';
import type { MediaResolver } from '../library/media-resolver.js';
import type { ImportedEvent, ImportedMedia } from './records.js';

export interface WriteCounts {
  inserted: number;
  duplicates: number;
  updated: number;
}

const TAG_SEPARATOR = '\u001f';

/**
 * Writes a chunk of events in one statement: COPY while the batch meets no event already there, else
 * `INSERT … SELECT FROM unnest(…) ON CONFLICT`, where APPEND and REPLACE keep what is there and UPSERT
 * refreshes its rating, tags and review. A dry run only counts.
 */
export class EventWriter {
  /** items this batch wrote a rated event for (inserted or, in UPSERT, updated): their rating follows */
  private readonly rated = new Set<string>();
  /** whether the next chunk goes by COPY (see copy) */
  private tryCopy = true;

  constructor(
    private readonly userId: string,
    private readonly batchId: string,
    private readonly source: WatchSource,
    private readonly mode: ImportMode,
    private readonly dryRun: boolean,
    private readonly resolver: MediaResolver,
  ) {}

  /**
   * Finds (or makes) the items of a chunk's events and lays its distinct events out as the writes' columns.
   * Chunks are prepared one after another; a chunk may be prepared while the one before it is written.
   */
  async prepare(sql: RawSql, events: ImportedEvent[]): Promise<PreparedChunk> {
    const mediaIds = await this.resolver.idsOf(sql, events.map((e) => e.media));
    // one pass into the statement's columns: no object per row
    const seen = new Set<string>();
    const rows: Rows = { media: [], at: [], rating: [], rewatch: [], tags: [], review: [] };
    for (let i = 0; i < events.length; i++) {
      const event = events[i]!;
      const mediaId = mediaIds[i]!;
      const at = event.watchedAt.toISOString();
      const key = `${mediaId ?? JSON.stringify(event.media)}|${at}`;
      if (seen.has(key)) continue;
      seen.add(key);
      if (event.rating !== null && mediaId) this.rated.add(mediaId);
      rows.media.push(mediaId);
      rows.at.push(at);
      rows.rating.push(event.rating);
      rows.rewatch.push(event.rewatch);
      rows.tags.push(event.tags.length === 0 ? '' : event.tags.join(TAG_SEPARATOR));
      rows.review.push(event.review);
    }
    return { rows, inFileDuplicates: events.length - rows.media.length };
  }

  /** Writes a prepared chunk (a dry run only counts), in the order the chunks were prepared. */
  async write(sql: RawSql, { rows, inFileDuplicates }: PreparedChunk): Promise<WriteCounts> {
    const counts = this.dryRun ? await this.count(sql, rows) : await this.insert(sql, rows);
    return { ...counts, duplicates: counts.duplicates + inFileDuplicates };
  }

  /** REPLACE starts by removing the person's events from this source (inside the batch's transaction). */
  async clearSource(sql: RawSql): Promise<void> {
    if (this.dryRun) return;
    await sql.query(`DELETE FROM "WatchEvent" WHERE "userId" = $1::uuid AND source = $2::"WatchSource"`, [this.userId, this.source]);
  }

  /** Counts as rated by this batch the items of rated events written before an interruption. */
  async markRated(sql: RawSql, media: ImportedMedia[]): Promise<void> {
    if (media.length === 0 || this.dryRun) return;
    await this.resolver.resolve(sql, media);
    for (const m of media) {
      const id = this.resolver.idOf(m);
      if (id) this.rated.add(id);
    }
  }

  /** Items rated by this batch's events take their latest rated event's; items rated without a viewing take that. */
  async applyRatings(sql: RawSql, ratings: { media: ImportedMedia; rating: number; ratedAt: Date }[]): Promise<void> {
    if (this.dryRun) return;
    await sql.query(
      `UPDATE "Media" m SET rating = e.rating, "ratedAt" = e."watchedAt"
       FROM unnest($1::uuid[]) AS i(id)
       -- each item's latest rated event: a backward walk of the unique key from its newest event, never a scan
       -- of the item's whole history (a sort of every rated event of the batch's items took seconds)
       CROSS JOIN LATERAL (SELECT rating, "watchedAt" FROM "WatchEvent"
             WHERE "userId" = $2::uuid AND "mediaId" = i.id AND rating IS NOT NULL ORDER BY "watchedAt" DESC LIMIT 1) e
       WHERE m."userId" = $2::uuid AND m.id = i.id AND (m."ratedAt" IS NULL OR m."ratedAt" <= e."watchedAt")`,
      [[...this.rated], this.userId],
    );
    if (ratings.length === 0) return;
    await this.resolver.resolve(sql, ratings.map((r) => r.media));
    const latest = new Map<string, { rating: number; ratedAt: Date }>();
    for (const r of ratings) {
      const id = this.resolver.idOf(r.media);
      const current = id ? latest.get(id) : undefined;
      if (id && (!current || current.ratedAt <= r.ratedAt)) latest.set(id, r);
    }
    await sql.query(
      `UPDATE "Media" m SET rating = i.rating, "ratedAt" = i.at
       FROM unnest($1::uuid[], $2::float8[], $3::timestamptz[]) AS i(id, rating, at)
       WHERE m.id = i.id AND m."userId" = $4::uuid`,
      [[...latest.keys()], [...latest.values()].map((r) => r.rating), [...latest.values()].map((r) => r.ratedAt.toISOString()), this.userId],
    );
  }

  private async insert(sql: RawSql, rows: Rows): Promise<WriteCounts> {
    if (this.tryCopy) {
      const copied = await this.copy(sql, rows);
      if (copied !== null) return { inserted: copied, updated: 0, duplicates: 0 };
      this.tryCopy = false;
    }
    const counts = await this.insertOrSkip(sql, rows);
    // a chunk without a conflict suggests the next has none either: it tries COPY again
    this.tryCopy = counts.inserted === rows.media.length;
    return counts;
  }

  /**
   * COPY of the chunk straight into "WatchEvent", as long as it meets no event already there (a fresh
   * history, the common case): about twice the rate of `INSERT … ON CONFLICT`, which checks and inserts row
   * by row. A conflict (unique_violation) undoes the whole COPY and answers null: the chunk then goes the
   * way of ON CONFLICT, and so do the next until one finds no conflict. In REPLACE's transaction a savepoint
   * keeps the undoing to the COPY.
   */
  private async copy(sql: RawSql, rows: Rows): Promise<number | null> {
    const saved = this.mode === 'REPLACE';
    const fixed = `\t${this.userId}\t`;
    const tail = `\t${this.batchId}\n`;
    const data: string[] = [];
    let piece = '';
    for (let i = 0; i < rows.media.length; i++) {
      const media = rows.media[i];
      if (!media) return null; // not-null: ON CONFLICT's insert fails on it with the error it always gave
      const rating = rows.rating[i];
      const review = rows.review[i];
      piece +=
        uuid7() + fixed + media + '\t' + rows.at[i] + '\t' + this.source + '\t' + (rating === null || rating === undefined ? '\\N' : String(rating)) +
        '\t' + (rows.rewatch[i] ? 't' : 'f') + '\t' + copyText(tagsLiteral(rows.tags[i]!)) + '\t' + (review === null || review === undefined ? '\\N' : copyText(review)) + tail;
      if (i % COPY_PIECE === COPY_PIECE - 1) {
        data.push(piece);
        piece = '';
      }
    }
    if (piece) data.push(piece);
    if (saved) await sql.exec('SAVEPOINT event_copy');
    try {
      const copied = await sql.copyFrom(`"WatchEvent" (id, "userId", "mediaId", "watchedAt", source, rating, rewatch, tags, review, "importBatchId")`, data);
      if (saved) await sql.exec('RELEASE SAVEPOINT event_copy');
      return copied;
    } catch (error) {
      if ((error as { code?: string }).code !== '23505') throw error;
      if (saved) await sql.exec('ROLLBACK TO SAVEPOINT event_copy');
      return null;
    }
  }

  private async insertOrSkip(sql: RawSql, rows: Rows): Promise<WriteCounts> {
    const upsert = this.mode === 'UPSERT';
    const conflict = upsert
      ? `DO UPDATE SET rating = EXCLUDED.rating, tags = EXCLUDED.tags, review = EXCLUDED.review
         WHERE ("WatchEvent".rating, "WatchEvent".tags, "WatchEvent".review) IS DISTINCT FROM (EXCLUDED.rating, EXCLUDED.tags, EXCLUDED.review)`
      : 'DO NOTHING';
    const [result] = await sql.query<{ inserted: number; updated: number }>(
      `WITH written AS (
         INSERT INTO "WatchEvent" (id, "userId", "mediaId", "watchedAt", source, rating, rewatch, tags, review, "importBatchId")
         SELECT i.id, $1::uuid, i.media, i.at, $2::"WatchSource", i.rating, coalesce(i.rewatch, false),
                CASE WHEN i.tags = '' THEN '{}'::text[] ELSE string_to_array(i.tags, chr(31)) END, i.review, $3::uuid
         FROM unnest($4::uuid[], $5::uuid[], $6::timestamptz[], $7::float8[], $8::bool[], $9::text[], $10::text[])
           AS i(id, media, at, rating, rewatch, tags, review)
         ON CONFLICT ("userId", "mediaId", "watchedAt") ${conflict}
         RETURNING (xmax = 0) AS fresh
       )
       SELECT (count(*) FILTER (WHERE fresh))::int AS inserted, (count(*) FILTER (WHERE NOT fresh))::int AS updated FROM written`,
      [
        this.userId,
        this.source,
        this.batchId,
        rows.media.map(() => uuid7()),
        rows.media,
        rows.at,
        rows.rating,
        rows.rewatch,
        rows.tags,
        rows.review,
      ],
    );
    const inserted = result?.inserted ?? 0;
    const updated = result?.updated ?? 0;
    return { inserted, updated, duplicates: rows.media.length - inserted - updated };
  }

  private async count(sql: RawSql, rows: Rows): Promise<WriteCounts> {
    const total = rows.media.length;
    const media: string[] = [];
    const at: string[] = [];
    rows.media.forEach((id, i) => id && (media.push(id), at.push(rows.at[i]!)));
    if (this.mode === 'REPLACE' || media.length === 0) return { inserted: total, duplicates: 0, updated: 0 };
    const [result] = await sql.query<{ existing: number }>(
      `SELECT count(e.id)::int AS existing
       FROM unnest($1::uuid[], $2::timestamptz[]) AS i(media, at)
       JOIN "WatchEvent" e ON e."userId" = $3::uuid AND e."mediaId" = i.media AND e."watchedAt" = i.at`,
      [media, at, this.userId],
    );
    const existing = result?.existing ?? 0;
    return this.mode === 'UPSERT'
      ? { inserted: total - existing, duplicates: 0, updated: existing }
      : { inserted: total - existing, duplicates: existing, updated: 0 };
  }
}

/** A text[] literal of tags joined by TAG_SEPARATOR, each element quoted. */
function tagsLiteral(joined: string): string {
  if (joined === '') return '{}';
  return `{${joined
    .split(TAG_SEPARATOR)
    .map((tag) => `"${tag.replace(/["\\]/g, '\\$&')}"`)
    .join(',')}}`;
}

/** rows per piece of a COPY's data: ~40 kB, well inside V8's young generation */
const COPY_PIECE = 256;

const COPY_ESCAPES: Record<string, string> = { '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' };
/** A value as COPY's text format spells it: backslash, tab, newline and carriage return escaped. */
const copyText = (value: string) => value.replace(/[\\\t\n\r]/g, (c) => COPY_ESCAPES[c]!);

/** A chunk ready to write: its distinct events, and how many of its events repeated one of them. */
export interface PreparedChunk {
  rows: Rows;
  inFileDuplicates: number;
}

/** A chunk's distinct events as the insert's columns; `at` in ISO 8601, tags joined by TAG_SEPARATOR. */
interface Rows {
  media: (string | null)[];
  at: string[];
  rating: (number | null)[];
  rewatch: (boolean | null)[];
  tags: string[];
  review: (string | null)[];
}
