import { extension, seriesInfo } from './parse.js';
import { epoch, integer, object, text, type Wire } from './wire.js';

export interface SeasonRecord {
  seasonNumber: number;
  name: string | null;
  airDate: string | null;
  episodeCount: number | null;
  cover: string | null;
  overview: string | null;
}

export interface EpisodeRecord {
  episodeId: string;
  season: number;
  episodeNum: number | null;
  title: string | null;
  containerExtension: string | null;
  durationSecs: number | null;
  plot: string | null;
  image: string | null;
  added: Date | null;
}

export interface SeriesDetails {
  info: ReturnType<typeof seriesInfo> | null;
  seasons: SeasonRecord[];
  episodes: EpisodeRecord[];
  skipped: number;
}

/**
 * get_series_info as it may come: `episodes` keyed by season numbers as strings, or `[]` when there are none
 * (or, on some panels, a plain list); `info` an object or `[]`; numbers as strings; episodes whose id is
 * missing are skipped and counted.
 */
export function parseSeriesInfo(body: unknown): SeriesDetails {
  const root = object(body);
  const infoObject = object(root?.info);
  const seasons: SeasonRecord[] = [];
  const seen = new Set<number>();
  for (const raw of Array.isArray(root?.seasons) ? root.seasons : Object.values(object(root?.seasons) ?? {})) {
    const season = object(raw);
    const seasonNumber = season && integer(season.season_number);
    if (!season || seasonNumber === null || seen.has(seasonNumber)) continue;
    seen.add(seasonNumber);
    seasons.push({
      seasonNumber,
      name: text(season.name, 200),
      airDate: text(season.air_date, 40),
      episodeCount: integer(season.episode_count),
      cover: text(season.cover_big) ?? text(season.cover),
      overview: text(season.overview, 8000),
    });
  }
  const episodes: EpisodeRecord[] = [];
  const ids = new Set<string>();
  let skipped = 0;
  const groups: [string | null, unknown][] = Array.isArray(root?.episodes)
    ? (root.episodes as unknown[]).map((group) => [null, group])
    : Object.entries(object(root?.episodes) ?? {});
  for (const [key, group] of groups) {
    const list = Array.isArray(group) ? group : object(group) ? [group] : [];
    for (const raw of list) {
      const episode = parseEpisode(raw, key);
      if (!episode || ids.has(episode.episodeId)) skipped++;
      else {
        ids.add(episode.episodeId);
        episodes.push(episode);
      }
    }
  }
  return { info: infoObject ? seriesInfo(infoObject) : null, seasons, episodes, skipped };
}

function parseEpisode(value: unknown, seasonKey: string | null): EpisodeRecord | null {
  const entry = object(value);
  if (!entry) return null;
  const episodeId = text(entry.id, 100);
  const season = integer(entry.season) ?? integer(seasonKey);
  if (!episodeId || season === null) return null;
  const info: Wire = object(entry.info) ?? {};
  return {
    episodeId,
    season,
    episodeNum: integer(entry.episode_num),
    title: text(entry.title, 500),
    containerExtension: extension(entry.container_extension),
    durationSecs: integer(info.duration_secs) ?? duration(info.duration),
    plot: text(info.plot, 8000),
    image: text(info.movie_image),
    added: epoch(entry.added),
  };
}

/** "00:44:12" → 2652 */
function duration(value: unknown): number | null {
  const match = /^(\d+):(\d\d):(\d\d)$/.exec(text(value, 20) ?? '');
  return match ? Number(match[1]) * 3600 + Number(match[2]) * 60 + Number(match[3]) : null;
}

