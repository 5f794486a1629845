import type { MediaServerKind } from '../../generated/prisma/client.js';
import { ValidationError } from '../errors.js';

/**
 * One spelling per server, so the same server is not connected twice and every request is built alike:
 * http(s) only, scheme and host lower-cased, no default port, no credentials, query or fragment, no trailing
 * slash; a base path (a reverse proxy's `/jellyfin`) is kept, Jellyseerr's `/api/v1` and Jellyfin's `/web`
 * are dropped. No scheme given: http.
 */
export function normalizeServerUrl(input: string, kind: MediaServerKind): string {
  const raw = input.trim();
  const path = ['input', 'url'];
  if (!raw) throw new ValidationError('The server address is empty', path);
  let url: URL;
  try {
    url = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    throw new ValidationError(`"${raw.slice(0, 100)}" is not an address such as http://jellyfin.lan:8096`, path);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValidationError('The address must start with http:// or https://', path);
  if (url.username || url.password) throw new ValidationError('Leave credentials out of the address: give the API key as apiKey', path);
  let pathname = url.pathname.replace(/\/+$/, '');
  pathname = kind === 'JELLYSEERR' ? pathname.replace(/\/api\/v1$/i, '') : pathname.replace(/\/web(\/index\.html)?$/i, '');
  return `${url.protocol}//${url.host}${pathname.replace(/\/+$/, '')}`;
}
