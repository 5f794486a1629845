import { languageList } from './languages.js';

/** `months` calendar months before `date` (UTC), the day clamped to the month's end: 31 March − 1 → 28/29 February. */
export function monthsBefore(date: Date, months: number): Date {
  const d = new Date(date);
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() - months);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
}

export const daysBefore = (date: Date, days: number) => new Date(date.getTime() - days * 86_400_000);

const day = (date: Date) => date.toISOString().slice(0, 10);

/** "3 days", "5 months", "2 years": roughly how long ago, for people. */
export function ago(date: Date, now: Date): string {
  const days = Math.floor((now.getTime() - date.getTime()) / 86_400_000);
  if (days < 0) return 'in the future';
  if (days < 1) return 'today';
  if (days < 60) return `${days} day${days === 1 ? '' : 's'} ago`;
  const months = Math.floor(days / 30.44);
  if (months < 24) return `${months} months ago`;
  return `${Math.floor(days / 365.25)} years ago`;
}

export const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export interface ItemFacts {
  kind: string;
  addedAt: Date | null;
  played: boolean;
  lastPlayedAt: Date | null;
  playedBy: string[];
  sizeBytes: number;
  versions: number;
  episodeCount: number;
  audioLanguages: string[];
  subtitleLanguages: string[];
  unknownAudioTracks: number;
  unknownSubtitleTracks: number;
}

function playedReason(item: ItemFacts, now: Date): string {
  if (!item.lastPlayedAt) return item.kind === 'SERIES' ? 'no episode ever played' : 'never played';
  const by = item.playedBy.length ? ` by ${item.playedBy.join(', ')}` : '';
  return `last played ${day(item.lastPlayedAt)}${by} (${ago(item.lastPlayedAt, now)})`;
}

export function oldUnwatchedReasons(item: ItemFacts, settings: { oldContentMonths: number; minAgeMonths: number }, now: Date): string[] {
  const reasons = [
    `${playedReason(item, now)}: not played in the last ${plural(settings.oldContentMonths, 'month')}`,
    `added ${day(item.addedAt!)} (${ago(item.addedAt!, now)}), more than ${plural(settings.minAgeMonths, 'month')} ago`,
  ];
  if (item.kind === 'SERIES') reasons.push(`${plural(item.episodeCount, 'episode')}, ${gb(item.sizeBytes)} on disk`);
  else if (item.sizeBytes > 0) reasons.push(`${gb(item.sizeBytes)} on disk`);
  return reasons;
}

export function largeMovieReasons(item: ItemFacts, settings: { largeMovieGb: number }, now: Date): string[] {
  const reasons = [`${gb(item.sizeBytes)} on disk, above the ${settings.largeMovieGb} GB threshold`];
  if (item.versions > 1) reasons.push(`${item.versions} versions (files) counted together`);
  reasons.push(playedReason(item, now));
  return reasons;
}

export interface LanguageRule {
  audio: string[];
  subtitles: string[];
  /** the allowlist kind that changed the rule for this item, if any */
  because: 'FRENCH_ONLY' | 'FRENCH_SUBS_ONLY' | null;
}

export function languageReasons(item: ItemFacts, rule: LanguageRule): string[] {
  const reasons: string[] = [];
  const missingAudio = rule.audio.filter((l) => !item.audioLanguages.includes(l));
  const missingSubs = rule.subtitles.filter((l) => !item.subtitleLanguages.includes(l));
  const present = (codes: string[]) => (codes.length ? languageList(codes) : 'none');
  if (missingAudio.length) reasons.push(`missing ${languageList(missingAudio)} audio (audio present: ${present(item.audioLanguages)})`);
  if (missingSubs.length) reasons.push(`missing ${languageList(missingSubs)} subtitles (subtitles present: ${present(item.subtitleLanguages)})`);
  if (item.unknownAudioTracks) reasons.push(`${plural(item.unknownAudioTracks, 'audio track')} without a language tag (or und)`);
  if (item.unknownSubtitleTracks) reasons.push(`${plural(item.unknownSubtitleTracks, 'subtitle track')} without a language tag (or und)`);
  if (rule.because === 'FRENCH_ONLY') reasons.push('allowlisted FRENCH_ONLY: English audio is not required');
  if (rule.because === 'FRENCH_SUBS_ONLY') reasons.push('allowlisted FRENCH_SUBS_ONLY: only subtitles are required');
  return reasons;
}

export interface RequestFacts {
  status: number;
  mediaStatus: number | null;
  requestedBy: string | null;
  requestedAt: Date;
  availableAt: Date | null;
  releaseDate: Date | null;
  is4k: boolean;
}

const REQUEST_STATUS: Record<number, string> = { 1: 'pending approval', 2: 'approved', 4: 'failed in Jellyseerr', 5: 'completed' };
const MEDIA_STATUS: Record<number, string> = { 1: 'not on the server yet', 2: 'waiting to be processed', 3: 'being processed (downloading)', 4: 'partially available' };

export function unavailableReasons(request: RequestFacts, now: Date): string[] {
  const by = request.requestedBy ? ` by ${request.requestedBy}` : '';
  const reasons = [`requested${by} on ${day(request.requestedAt)} (${ago(request.requestedAt, now)})${request.is4k ? ' in 4K' : ''}`];
  const state = [REQUEST_STATUS[request.status], request.mediaStatus ? MEDIA_STATUS[request.mediaStatus] : 'not on the server yet'].filter(Boolean).join(', ');
  reasons.push(`not available: ${state}`);
  reasons.push(request.releaseDate ? `released ${day(request.releaseDate)}` : 'release date unknown');
  return reasons;
}

export function recentlyAvailableReasons(request: RequestFacts, recentDays: number, now: Date): string[] {
  const by = request.requestedBy ? ` by ${request.requestedBy}` : '';
  return [
    `available since ${day(request.availableAt!)} (${ago(request.availableAt!, now)}), within the last ${plural(recentDays, 'day')}`,
    `requested${by} on ${day(request.requestedAt)}`,
  ];
}
