import type { RawSql } from '../../db/database.js';
import type { Download, PrismaClient, SeriesTrackMode, SeriesTracking } from '../../generated/prisma/client.js';
import type { Logger } from '../../logger.js';
import { DomainError, NotFoundError, ValidationError } from '../errors.js';
import type { SeriesDetailsService } from './series-details.js';
import { checkLanguage, type EpisodeWithSeries, type StreamDownloads } from './stream-downloads.js';

export interface TrackSeriesInput {
  mode?: SeriesTrackMode | null;
  /** with SEASONS: the season numbers to fetch */
  seasons?: number[] | null;
  language?: string | null;
}

const MAX_SEASONS = 200;

/**
 * Series that download themselves. Tracking reads the series' episodes at once (so NEW_ONLY knows what was
 * there before), queues what is due now, and the hourly check reads them again and queues what appeared.
 * An episode is claimed (`queuedAt`) in the same statement that picks it, so two checks at once — two
 * replicas, or a check and a person's own enqueue — never queue it twice.
 */
export class SeriesTrackingService {
  constructor(private readonly deps: { prisma: PrismaClient; sql: RawSql; details: SeriesDetailsService; streams: StreamDownloads; log: Logger }) {}

  async track(userId: string, seriesId: string, input: TrackSeriesInput = {}): Promise<{ tracking: SeriesTracking; queued: Download[] }> {
    const mode = input.mode ?? 'NEW_ONLY';
    const seasons = [...new Set(input.seasons ?? [])].sort((a, b) => a - b);
    if (mode === 'SEASONS' && seasons.length === 0) throw new ValidationError('Tracking chosen seasons needs at least one season', ['input', 'seasons']);
    if (mode !== 'SEASONS' && seasons.length > 0) throw new ValidationError('Seasons are chosen with the SEASONS mode only', ['input', 'seasons']);
    if (seasons.length > MAX_SEASONS || seasons.some((s) => !Number.isInteger(s) || s < 0 || s > 10_000)) throw new ValidationError('Seasons are whole numbers from 0', ['input', 'seasons']);
    const language = checkLanguage(input.language, ['input', 'language']);
    const series = await this.deps.prisma.iptvSeries.findFirst({ where: { id: seriesId, userId }, include: { playlist: true } });
    if (!series) throw new NotFoundError('No series with this id', ['seriesId']);
    // before the tracking exists: what the provider lists now is not new
    await this.deps.details.refresh(series);
    const tracking = await this.deps.prisma.seriesTracking.upsert({
      where: { seriesId: series.id },
      create: { userId, seriesId: series.id, mode, seasons, language, lastCheckedAt: new Date() },
      update: { mode, seasons, language, lastCheckedAt: new Date(), lastError: null },
    });
    return { tracking, queued: await this.queueDue(tracking) };
  }

  async untrack(userId: string, seriesId: string): Promise<string> {
    const { count } = await this.deps.prisma.seriesTracking.deleteMany({ where: { seriesId, userId } });
    if (count === 0) throw new NotFoundError('This series is not tracked', ['seriesId']);
    return seriesId;
  }

  /** The hourly job: every tracked series read again and its due episodes queued; one failing keeps its error and the others go on. */
  async checkAll(signal?: AbortSignal): Promise<{ checked: number; queued: number; failed: number }> {
    let checked = 0;
    let queued = 0;
    let failed = 0;
    const trackings = await this.deps.prisma.seriesTracking.findMany({ orderBy: { id: 'asc' }, include: { series: { include: { playlist: true } } } });
    for (const { series, ...tracking } of trackings) {
      signal?.throwIfAborted();
      checked++;
      try {
        await this.deps.details.refresh(series, signal);
        queued += (await this.queueDue(tracking)).length;
        await this.deps.prisma.seriesTracking.updateMany({ where: { id: tracking.id }, data: { lastCheckedAt: new Date(), lastError: null } });
      } catch (error) {
        if (signal?.aborted) throw error;
        failed++;
        const message = error instanceof DomainError ? error.message : 'the provider could not be read';
        if (!(error instanceof DomainError)) this.deps.log.warn({ err: error, trackingId: tracking.id }, 'checking a tracked series failed');
        await this.deps.prisma.seriesTracking.updateMany({ where: { id: tracking.id }, data: { lastCheckedAt: new Date(), lastError: message } });
      }
    }
    return { checked, queued, failed };
  }

  /** Claims the episodes due under the tracking and queues their downloads; one that cannot be queued is released for the next check. */
  private async queueDue(tracking: SeriesTracking): Promise<Download[]> {
    const claimed = await this.deps.sql.query<{ id: string }>(
      `UPDATE "IptvEpisode" e SET "queuedAt" = now()
       WHERE e."seriesId" = $1::uuid AND e."goneAt" IS NULL AND e."queuedAt" IS NULL AND e."downloadId" IS NULL
         AND CASE $2::text WHEN 'ALL' THEN true WHEN 'SEASONS' THEN e.season = ANY($3::int[]) ELSE e."firstSeenAt" > $4::timestamptz END
       RETURNING e.id`,
      [tracking.seriesId, tracking.mode, tracking.seasons, tracking.since.toISOString()],
    );
    if (claimed.length === 0) return [];
    const episodes = (await this.deps.prisma.iptvEpisode.findMany({
      where: { id: { in: claimed.map((c) => c.id) } },
      include: { series: { include: { playlist: true } } },
      orderBy: [{ season: 'asc' }, { episodeNum: 'asc' }, { episodeId: 'asc' }],
    })) as EpisodeWithSeries[];
    const queued: Download[] = [];
    for (const [i, episode] of episodes.entries()) {
      try {
        const download = await this.deps.streams.queueEpisode(episode, tracking.language);
        await this.deps.prisma.iptvEpisode.update({ where: { id: episode.id }, data: { downloadId: download.id } });
        queued.push(download);
      } catch (error) {
        // this one and those after it were claimed but not queued: the next check takes them again
        await this.deps.prisma.iptvEpisode.updateMany({ where: { id: { in: episodes.slice(i).map((e) => e.id) }, downloadId: null }, data: { queuedAt: null } });
        throw error;
      }
    }
    if (queued.length > 0) this.deps.log.info({ trackingId: tracking.id, queued: queued.length }, 'tracked series: episodes queued');
    return queued;
  }
}
