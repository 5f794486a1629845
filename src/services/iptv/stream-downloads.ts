import type { Download, IptvEpisode, IptvSeries, Playlist, PrismaClient } from '../../generated/prisma/client.js';
import type { DownloadService, EnqueueDownloadInput } from '../downloads/downloads.js';
import type { PathVars } from '../downloads/paths.js';
import { NotFoundError, ValidationError } from '../errors.js';
import type { PlaylistService } from './playlists.js';
import { streamUrl } from './urls.js';

/** Where IPTV files land under the download directory; the language folder only when one is given. */
export const SERIES_PATH = 'Series/{language}/{series}/Season {season}/{title}.{ext}';
const SERIES_PATH_NO_LANGUAGE = 'Series/{series}/Season {season}/{title}.{ext}';
export const VOD_PATH = 'VOD/{language}/{title}/{title}.{ext}';
const VOD_PATH_NO_LANGUAGE = 'VOD/{title}/{title}.{ext}';

/** Of the episode, what a download needs; the series with its playlist for the account. */
export type EpisodeWithSeries = IptvEpisode & { series: IptvSeries & { playlist: Playlist } };

/**
 * Queues the downloads of a person's VOD streams and episodes: the stream URL built here with the playlist's
 * password (the Download keeps it to fetch, and masks it in every answer), the file placed by the IPTV path
 * templates. An episode remembers its download, so tracking never queues it a second time.
 */
export class StreamDownloads {
  constructor(private readonly deps: { prisma: PrismaClient; playlists: PlaylistService; downloads: DownloadService }) {}

  /** enqueueDownload: a plain URL goes to the download engine as it is; a VOD stream or an episode is placed by its template. */
  async enqueue(
    userId: string,
    input: Omit<EnqueueDownloadInput, 'url' | 'vars'> & { url?: string | null; vodStreamId?: string | null; episodeId?: string | null; language?: string | null },
  ): Promise<Download> {
    const { url, vodStreamId, episodeId } = input;
    if ([url, vodStreamId, episodeId].filter((given) => given != null).length !== 1) throw new ValidationError('Give one of url, vodStreamId and episodeId', ['input']);
    if (url != null) return this.deps.downloads.enqueue(userId, { url, fileName: input.fileName, path: input.path, sha256: input.sha256 });
    if (input.fileName || input.path || input.sha256) {
      throw new ValidationError('A VOD stream or an episode is placed by its own path: leave fileName, path and sha256 out', ['input']);
    }
    const language = checkLanguage(input.language, ['input', 'language']);
    return vodStreamId != null ? this.enqueueVod(userId, vodStreamId, language) : this.enqueueEpisode(userId, episodeId!, language);
  }

  async enqueueVod(userId: string, vodStreamId: string, language: string | null = null): Promise<Download> {
    const vod = await this.deps.prisma.vodStream.findFirst({ where: { id: vodStreamId, userId }, include: { playlist: true } });
    if (!vod) throw new NotFoundError('No VOD stream with this id', ['input', 'vodStreamId']);
    const ext = vod.containerExtension || 'mp4';
    const url = streamUrl(this.deps.playlists.credentials(vod.playlist), 'movie', vod.streamId, ext);
    const vars: PathVars = { title: vod.name, ext, language };
    return this.deps.downloads.enqueue(userId, { url, path: language ? VOD_PATH : VOD_PATH_NO_LANGUAGE, vars });
  }

  /** A person's own download of one episode; it counts as queued for tracking too. */
  async enqueueEpisode(userId: string, episodeId: string, language: string | null = null): Promise<Download> {
    const episode = await this.deps.prisma.iptvEpisode.findFirst({ where: { id: episodeId, userId }, include: { series: { include: { playlist: true } } } });
    if (!episode) throw new NotFoundError('No episode with this id', ['input', 'episodeId']);
    const download = await this.queueEpisode(episode, language);
    await this.deps.prisma.iptvEpisode.updateMany({ where: { id: episode.id, downloadId: null }, data: { downloadId: download.id, queuedAt: episode.queuedAt ?? new Date() } });
    return download;
  }

  /** The download of one episode, as tracking and enqueueDownload queue it. */
  queueEpisode(episode: EpisodeWithSeries, language: string | null): Promise<Download> {
    const ext = episode.containerExtension || 'mp4';
    const url = streamUrl(this.deps.playlists.credentials(episode.series.playlist), 'series', episode.episodeId, ext);
    const title = episode.title?.trim() || `${episode.series.name} S${pad(episode.season)}E${pad(episode.episodeNum ?? 0)}`;
    const vars: PathVars = { series: episode.series.name, season: pad(episode.season), episode: episode.episodeNum, title, ext, language };
    return this.deps.downloads.enqueue(episode.userId, { url, path: language ? SERIES_PATH : SERIES_PATH_NO_LANGUAGE, vars });
  }
}

const pad = (n: number) => String(n).padStart(2, '0');

/** A language as a folder name: short, no separators (the path's own sanitising does the rest). */
export function checkLanguage(raw: string | null | undefined, path: string[]): string | null {
  const language = raw?.trim() || null;
  if (language && (language.length > 40 || /[/\\]/.test(language))) throw new ValidationError('A language is a short name without slashes, such as "English" or "fr"', path);
  return language;
}
