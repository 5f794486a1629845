import { bareHost } from '../downloads/http-client.js';
import { maskUrl } from '../downloads/url-mask.js';
import { ValidationError } from '../errors.js';

const PATH = ['input', 'serverUrl'];
/** the files of the panel people paste along with its address */
const PANEL_FILE = /\/(player_api|get|xmltv|panel_api)\.php$/i;

/**
 * One spelling per panel: http(s) only, scheme and host lower-cased, no default port, no credentials, query
 * or fragment, no trailing slash, and no `player_api.php` / `get.php` at the end (a pasted M3U link works).
 * No scheme given: http (most panels serve plain HTTP on a port of their own).
 */
export function normalizeServerUrl(input: string): string {
  const raw = input.trim();
  if (!raw) throw new ValidationError('The server address is empty', PATH);
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new ValidationError('This is not an address such as http://provider.example:8080', PATH);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValidationError('The address must start with http:// or https://', PATH);
  if (url.username || url.password) throw new ValidationError('Leave credentials out of the address: give them as username and password', PATH);
  const pathname = url.pathname.replace(/\/+$/, '').replace(PANEL_FILE, '').replace(/\/+$/, '');
  return `${url.protocol}//${url.host}${pathname}`;
}

export type StreamKind = 'live' | 'movie' | 'series';

/**
 * Where a stream plays or downloads from: `{base}/{live|movie|series}/{user}/{password}/{id}.{ext}` (a series
 * episode by its episode id). It carries the password: built server-side only, shown through maskUrl.
 */
export function streamUrl(account: { serverUrl: string; username: string; password: string }, kind: StreamKind, id: string | number, ext: string): string {
  const user = encodeURIComponent(account.username);
  const pass = encodeURIComponent(account.password);
  return `${account.serverUrl}/${kind}/${user}/${pass}/${encodeURIComponent(String(id))}.${ext}`;
}

/** A stream URL as it may be shown: the account replaced by `***`. */
export const maskedStreamUrl = (url: string) => maskUrl(url);

/** The host a playlist's streams come from, keyed as the download engine keys its budgets (the bare host name). */
export const budgetHost = (serverUrl: string) => bareHost(new URL(serverUrl));
