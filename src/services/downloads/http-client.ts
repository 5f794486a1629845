import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { Agent, request, type Dispatcher } from 'undici';
import { AddressRefusedError, DownloadError, ValidationError } from '../errors.js';
import type { AddressPolicy } from './address-policy.js';

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
export const MAX_REDIRECTS = 5;

export type ResponseBody = Dispatcher.ResponseData['body'];

export interface Opened {
  status: number;
  headers: Record<string, string | undefined>;
  body: ResponseBody;
  /** where the answer came from, after redirects */
  url: URL;
}

export interface HttpClientOptions {
  /** answers true for an address no connection may reach */
  refuses: AddressPolicy;
  /** headers or body bytes not coming for this long fail the request */
  idleTimeoutMs: number;
}

/**
 * GET over undici with every hop checked: http(s) only, at most MAX_REDIRECTS redirects followed by hand,
 * and each address the connection goes to (after DNS resolution, so a name cannot point inside either)
 * asked of the address policy. Credentials in the URL go as Basic authorization to its own origin only.
 */
export class HttpClient {
  private readonly agent: Agent;

  constructor(private readonly options: HttpClientOptions) {
    this.agent = new Agent({
      connect: { lookup: checkedLookup(options.refuses) },
      headersTimeout: options.idleTimeoutMs,
      bodyTimeout: options.idleTimeoutMs,
      keepAliveTimeout: 4_000,
    });
  }

  async get(url: string, headers: Record<string, string>, signal: AbortSignal): Promise<Opened> {
    const first = parseDownloadUrl(url);
    const authorization = basicAuthorization(first);
    let current = withoutCredentials(first);
    for (let hop = 0; ; hop++) {
      this.checkHost(current);
      const sameOrigin = current.origin === first.origin;
      const response = await request(current, {
        dispatcher: this.agent,
        method: 'GET',
        headers: { ...headers, ...(authorization && sameOrigin ? { authorization } : {}) },
        signal,
        maxRedirections: 0,
      });
      const location = header(response.headers, 'location');
      if (!REDIRECTS.has(response.statusCode) || !location) {
        return { status: response.statusCode, headers: flatten(response.headers), body: response.body, url: current };
      }
      await response.body.dump().catch(() => undefined);
      if (hop >= MAX_REDIRECTS) throw new DownloadError('TOO_MANY_REDIRECTS', `More than ${MAX_REDIRECTS} redirects`);
      current = withoutCredentials(parseDownloadUrl(new URL(location, current).href));
    }
  }

  /** Refuses an address written in the URL itself (a name is checked when it is resolved). */
  private checkHost(url: URL): void {
    const host = bareHost(url);
    if (isIP(host) && this.options.refuses(host)) throw new AddressRefusedError(host);
  }

  async close(): Promise<void> {
    await this.agent.close();
  }
}

/** Drops an answer's body unread: undici reports an abort as an error, which nobody needs to hear. */
export function discard(body: ResponseBody): void {
  body.on('error', () => undefined);
  body.destroy();
}

/** An http(s) URL, or a ValidationError. */
export function parseDownloadUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new ValidationError('This is not a URL', ['url']);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ValidationError('Only http and https URLs can be downloaded', ['url']);
  return url;
}

/** The host without IPv6 brackets. */
export const bareHost = (url: URL) => url.hostname.replace(/^\[|\]$/g, '');

/** Resolves like dns.lookup, keeping only the addresses the policy allows; none left is a refusal. */
export function checkedLookup(refuses: AddressPolicy): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (error, addresses: LookupAddress[]) => {
      if (error) return callback(error, '', 0);
      const allowed = addresses.filter((a) => !refuses(a.address));
      if (allowed.length === 0) return callback(Object.assign(new AddressRefusedError(hostname), { errno: 0 }) as never, '', 0);
      if (options.all) return (callback as unknown as (e: null, all: LookupAddress[]) => void)(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

/**
 * The host of a URL that only leads to refused addresses (itself one, or a name resolving to nothing else),
 * else null: enqueueDownload refuses early what every connection would refuse anyway.
 */
export async function refusedHost(url: URL, refuses: AddressPolicy): Promise<string | null> {
  const host = bareHost(url);
  if (isIP(host)) return refuses(host) ? host : null;
  const addresses = await new Promise<LookupAddress[]>((resolve) => dnsLookup(host, { all: true }, (error, all) => resolve(error ? [] : all)));
  // a name that does not resolve now may later: the run finds out
  return addresses.length > 0 && addresses.every((a) => refuses(a.address)) ? host : null;
}

function basicAuthorization(url: URL): string | null {
  if (!url.username && !url.password) return null;
  const pair = `${decodeURIComponent(url.username)}:${decodeURIComponent(url.password)}`;
  return `Basic ${Buffer.from(pair).toString('base64')}`;
}

function withoutCredentials(url: URL): URL {
  const copy = new URL(url.href);
  copy.username = '';
  copy.password = '';
  copy.hash = '';
  return copy;
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function flatten(headers: Record<string, string | string[] | undefined>): Record<string, string | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(', ') : v]));
}
