import type { MediaInput } from '../services/library/types.js';
import { decodeId, MEDIA_TYPENAMES } from '../schema/ids.js';

interface GraphQLMediaInput {
  kind?: MediaInput['kind'] | null;
  title?: string | null;
  year?: number | null;
  externalIds?: MediaInput['externalIds'];
  showId?: string | number | null;
  seriesTitle?: string | null;
  seriesExternalIds?: MediaInput['seriesExternalIds'];
  seasonNumber?: number | null;
  episodeNumber?: number | null;
  genres?: string[] | null;
  runtime?: number | null;
  directors?: string[] | null;
  cast?: string[] | null;
  overview?: string | null;
  posterUrl?: string | null;
  releaseDate?: Date | null;
}

/** GraphQL's media input in the service's terms: global ids decoded, `runtime` in minutes. */
export function toMediaInput(input: GraphQLMediaInput, path = 'media'): Partial<MediaInput> {
  const { runtime, showId, ...rest } = input;
  return withoutUndefined({
    ...rest,
    runtimeMinutes: runtime,
    showId: showId == null ? showId : decodeId(String(showId), MEDIA_TYPENAMES, `${path}.showId`),
  }) as Partial<MediaInput>;
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
