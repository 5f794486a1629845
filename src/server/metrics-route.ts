import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Metrics } from '../metrics.js';
import { sendJson } from './http.js';

export const METRICS_PATH = '/metrics';

/**
 * The router's routes as patterns, so ids and tokens never become label values. A route missing here is
 * counted as `unmatched`: add new routes of app.ts here too.
 */
const ROUTES: [RegExp, string][] = [
  [/^\/graphql$/, '/graphql'],
  [/^\/health$/, '/health'],
  [/^\/ready$/, '/ready'],
  [/^\/metrics$/, METRICS_PATH],
  [/^\/share\/[^/]+$/, '/share/:token'],
  [/^\/imports\/[^/]+\/errors\.csv$/, '/imports/:id/errors.csv'],
  [/^\/imports\/[^/]+\/errors\.json$/, '/imports/:id/errors.json'],
  [/^\/artwork\/[^/]+$/, '/artwork/:hash'],
];

export function routePattern(path: string): string {
  return ROUTES.find(([pattern]) => pattern.test(path))?.[1] ?? 'unmatched';
}

/** Counts the request by method, route pattern and status once its response is over (sent or cut off). */
export function observeHttp(metrics: Metrics, req: IncomingMessage, res: ServerResponse, path: string): void {
  if (!metrics.registry) return;
  const started = process.hrtime.bigint();
  res.once('close', () => {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    metrics.httpRequest(req.method ?? 'GET', routePattern(path), res.statusCode, seconds);
  });
}

/** `GET /metrics`: 404 while metrics are off; with a token set, 401 unless the request carries it as a bearer token. */
export async function sendMetrics(req: IncomingMessage, res: ServerResponse, metrics: Metrics, token: string | undefined): Promise<void> {
  const { registry } = metrics;
  if (!registry) return sendJson(res, 404, { error: 'not found' });
  if (token !== undefined && !bearerMatches(req.headers.authorization, token)) {
    res.setHeader('www-authenticate', 'Bearer realm="metrics"');
    return sendJson(res, 401, { error: 'send Authorization: Bearer <KLUG_METRICS_TOKEN>' });
  }
  const text = await registry.metrics();
  res.writeHead(200, { 'content-type': registry.contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function bearerMatches(header: string | undefined, token: string): boolean {
  const sent = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? '';
  // digests have equal lengths, so the comparison takes the same time whatever was sent
  return timingSafeEqual(sha256(sent), sha256(token));
}

const sha256 = (text: string) => createHash('sha256').update(text).digest();
