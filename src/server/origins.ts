import type { IncomingMessage } from 'node:http';
import type { Config } from '../config.js';
import type { TransportContext } from './context.js';
import { requestOrigin } from './http.js';

type OriginSettings = Pick<Config, 'publicUrl' | 'corsOrigins' | 'trustProxy'>;

/**
 * Which web pages may use the API with the visitor's session cookie: the server's own origin (as the request
 * reached it, or KLUG_PUBLIC_URL) and those listed in KLUG_CORS_ORIGINS. Anything else is a foreign page.
 */
export function isAllowedOrigin(origin: string, ownOrigin: string, config: OriginSettings): boolean {
  const candidate = normalised(origin);
  if (!candidate) return false;
  if (candidate === normalised(ownOrigin)) return true;
  if (config.publicUrl && candidate === normalised(config.publicUrl)) return true;
  return config.corsOrigins.includes(candidate);
}

/** The Origin header of a request from a page this server does not trust; null when absent or allowed. */
export function foreignOrigin(req: IncomingMessage, config: OriginSettings): string | null {
  const origin = req.headers.origin;
  if (typeof origin !== 'string') return null;
  return isAllowedOrigin(origin, requestOrigin(req, config.trustProxy), config) ? null : origin;
}

/** Yoga's `cors` option: allowed origins get CORS with credentials, every other origin no CORS headers at all. */
export function corsFor(config: OriginSettings) {
  // Yoga types the server context as unknown here; ours is always the TransportContext the HTTP door passes
  return (request: Request, serverContext?: unknown) => {
    const own = (serverContext as TransportContext | undefined)?.origin;
    const origin = request.headers.get('origin');
    if (!origin || !own || !isAllowedOrigin(origin, own, config)) return false as const;
    return { origin: [origin], credentials: true, exposedHeaders: ['x-request-id'] };
  };
}

function normalised(origin: string): string | null {
  try {
    return new URL(origin).origin;
  } catch {
    return null;
  }
}
