import { extname } from 'node:path';
import { DownloadError } from '../errors.js';
import { discard, drain, type HttpClient, type Opened } from './http-client.js';
import { FileChangedError, ServerBusyError, retryAfterMs } from './retry.js';

/** What the server says of the file: its size, whether it serves ranges, its validators and its name. */
export interface Probe {
  size: number | null;
  ranged: boolean;
  etag: string | null;
  lastModified: string | null;
  /** from Content-Disposition, else the URL's last segment */
  fileName: string;
}

/** Identifies one version of the file: sent as If-Range, compared with each answer. */
export interface Validators {
  etag: string | null;
  lastModified: string | null;
}

/** Asks for the first byte: a 206 says ranges work and (Content-Range) how large the file is. */
export async function probe(http: HttpClient, url: string, signal: AbortSignal): Promise<Probe> {
  const response = await http.get(url, { range: 'bytes=0-0', 'accept-encoding': 'identity' }, signal);
  const { status, headers } = response;
  try {
    if (status === 416) {
      // nothing to give even the first byte of: an empty file (bytes */0), or a server that refuses ranges
      const total = parseContentRange(headers['content-range'])?.total;
      return describe(response, total === 0 ? 0 : null, false);
    }
    failOnStatus(response);
    if (status === 206) {
      const range = parseContentRange(headers['content-range']);
      if (!range || range.start !== 0) throw new DownloadError('BAD_RESPONSE', 'The server answered the first byte with another range');
      return describe(response, range.total, range.total !== null);
    }
    const length = headers['content-encoding'] && headers['content-encoding'] !== 'identity' ? null : contentLength(headers);
    return describe(response, length, false);
  } finally {
    // a 200 would send the whole file: never read it here; a byte or an error page is read, so the
    // connection goes back to the pool instead of closing (a provider counts sockets against its limit)
    if (status === 200) discard(response.body);
    else await drain(response.body);
  }
}

function describe(response: Opened, size: number | null, ranged: boolean): Probe {
  const { headers } = response;
  return {
    size,
    ranged,
    etag: headers.etag ?? null,
    lastModified: headers['last-modified'] ?? null,
    fileName: fileNameFrom(headers['content-disposition']) ?? lastSegment(response.url) ?? 'download',
  };
}

/** Throws what an answer other than 200/206 means: try later (5xx, 429), changed (416, 412) or refused (4xx). */
export function failOnStatus(response: Opened): void {
  const { status, headers } = response;
  if (status === 200 || status === 206) return;
  if (status === 416 || status === 412) throw new FileChangedError(`the server answered ${status} to a range it had`);
  if (status === 429 || status >= 500) throw new ServerBusyError(status, retryAfterMs(headers['retry-after']));
  throw new DownloadError('UPSTREAM_REFUSED', `The server answered ${status}${status === 404 ? ' (not found)' : status === 401 || status === 403 ? ' (not allowed)' : ''}`);
}

/** The If-Range header: a strong ETag, else Last-Modified; weak validators cannot be used for ranges. */
export function ifRange(validators: Validators): Record<string, string> {
  if (validators.etag && !validators.etag.startsWith('W/')) return { 'if-range': validators.etag };
  if (validators.lastModified) return { 'if-range': validators.lastModified };
  return {};
}

/** Whether an answer is of another version of the file than the one being fetched. */
export function otherVersion(validators: Validators, headers: Record<string, string | undefined>): boolean {
  if (validators.etag && headers.etag && validators.etag !== headers.etag) return true;
  return !!validators.lastModified && !!headers['last-modified'] && validators.lastModified !== headers['last-modified'];
}

export function parseContentRange(value: string | undefined): { start: number; end: number; total: number | null } | null {
  const match = value ? /^bytes\s+(\d+)-(\d+)\/(\d+|\*)$/i.exec(value.trim()) : null;
  if (match) return { start: Number(match[1]), end: Number(match[2]), total: match[3] === '*' ? null : Number(match[3]) };
  const unsatisfied = value ? /^bytes\s+\*\/(\d+)$/i.exec(value.trim()) : null;
  return unsatisfied ? { start: 0, end: -1, total: Number(unsatisfied[1]) } : null;
}

function contentLength(headers: Record<string, string | undefined>): number | null {
  const value = headers['content-length'];
  return value && /^\d+$/.test(value) ? Number(value) : null;
}

/** RFC 6266: `filename*=UTF-8''…` first, else `filename="…"`. Only the last path part of it counts. */
export function fileNameFrom(disposition: string | undefined): string | null {
  if (!disposition) return null;
  const extended = /filename\*\s*=\s*([\w!#$&+.^`|~-]+)'[^']*'([^;]+)/i.exec(disposition);
  let name: string | null = null;
  if (extended) {
    try {
      name = decodeURIComponent(extended[2]!.trim());
    } catch {
      name = null;
    }
  }
  if (!name) {
    const plain = /filename\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;]+))/i.exec(disposition);
    name = plain ? (plain[1]?.replace(/\\(.)/g, '$1') ?? plain[2]!.trim()) : null;
  }
  return name ? lastPart(name) : null;
}

function lastSegment(url: URL): string | null {
  const segment = url.pathname.split('/').filter(Boolean).at(-1);
  if (!segment) return null;
  try {
    return lastPart(decodeURIComponent(segment));
  } catch {
    return lastPart(segment);
  }
}

const lastPart = (name: string) => name.split(/[/\\]/).filter(Boolean).at(-1) ?? null;

/** `Film.2020.mkv` → { title: 'Film.2020', ext: 'mkv' }. */
export function splitName(fileName: string): { title: string; ext: string } {
  const ext = extname(fileName);
  if (ext.length <= 1 || ext.length > 16 || ext === fileName) return { title: fileName, ext: '' };
  return { title: fileName.slice(0, -ext.length), ext: ext.slice(1) };
}
