import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { PubSub } from '@graphql-yoga/subscription';
import type { Config } from '../config.js';
import type { PrismaClient, User } from '../generated/prisma/client.js';
import type { Logger } from '../logger.js';
import { requestContext } from '../request-context.js';
import type { Context } from '../schema/context.js';
import type { Events } from '../services/events.js';
import type { StreamStats } from '../services/change-stream.js';
import type { Services } from '../services/index.js';
import type { Scheduler } from '../jobs/scheduler.js';
import type { Viewer } from '../services/viewer.js';
import { cookieValue } from './http.js';

export const SESSION_COOKIE = 'klug_session';

/** What the HTTP or WebSocket door hands to Yoga's context factory. */
export interface TransportContext {
  request?: Request;
  /** WebSocket only: the `connection_init` payload */
  connectionParams?: Record<string, unknown>;
  /** WebSocket only: the upgrade request's session cookie, given only when the page's origin may use it */
  sessionToken?: string | null;
  clientAddress: string;
  /** the origin the request came to, e.g. http://localhost:4000 */
  origin: string;
}

/** What finding the viewer needs: the same for GraphQL (HTTP and WebSocket) and the plain HTTP routes. */
export interface ViewerDeps {
  services: Services;
  /** the built-in owner, present only when KLUG_AUTH_MODE=disabled */
  owner: User | null;
}

export interface ContextDeps extends ViewerDeps {
  config: Config;
  prisma: PrismaClient;
  jobs: Scheduler;
  pubsub: PubSub<Events>;
  streams: StreamStats;
  log: Logger;
}

/** What a request carries to say who sends it. */
export interface Credentials {
  /** `Authorization: Bearer …` (over WebSocket: `authorization` in connection_init) */
  bearer: string | null;
  /** the session cookie; read only when no bearer token was sent */
  session: () => Promise<string | null | undefined> | string | null | undefined;
}

export function createContextFactory(deps: ContextDeps) {
  const noCookies: Context['sessionCookie'] = { set: async () => undefined, clear: async () => undefined };

  return async (transport: TransportContext): Promise<Context> => {
    const { request } = transport;
    const { viewer, credentialsRejected } = await resolveViewer(deps, transportCredentials(transport));
    return {
      requestId: requestContext.getStore()?.requestId ?? randomUUID(),
      log: deps.log,
      config: deps.config,
      prisma: deps.prisma,
      services: deps.services,
      jobs: deps.jobs,
      pubsub: deps.pubsub,
      streams: deps.streams,
      viewer,
      credentialsRejected,
      client: { address: transport.clientAddress },
      publicOrigin: deps.config.publicUrl ?? transport.origin,
      sessionCookie: request?.cookieStore ? cookieHandle(request, transport.origin) : noCookies,
    };
  };
}

/**
 * Who is asking, the one way every door finds it: the built-in owner when auth is disabled, else the
 * person of the bearer token (an unknown one is rejected), else the person of the session cookie.
 */
export async function resolveViewer(
  deps: ViewerDeps,
  credentials: Credentials,
): Promise<{ viewer: Viewer | null; credentialsRejected: boolean }> {
  if (deps.owner) {
    return { viewer: { user: deps.owner, scope: 'WRITE', via: 'owner', credentialId: null }, credentialsRejected: false };
  }
  if (credentials.bearer) {
    const viewer = await deps.services.accounts.authenticate(credentials.bearer);
    return { viewer, credentialsRejected: viewer === null };
  }
  const cookie = await credentials.session();
  // a stale cookie is simply ignored: the person is anonymous and may log in again
  const viewer = cookie ? await deps.services.accounts.authenticate(cookie) : null;
  return { viewer, credentialsRejected: false };
}

/** A GraphQL operation's credentials, over HTTP (through Yoga's cookie store) or WebSocket. */
function transportCredentials(transport: TransportContext): Credentials {
  return {
    bearer: bearerToken(transport),
    session: async () => transport.sessionToken ?? (await transport.request?.cookieStore?.get(SESSION_COOKIE))?.value,
  };
}

/** A plain HTTP request's credentials, for the routes outside Yoga (the import errors download). */
export function requestCredentials(req: IncomingMessage): Credentials {
  return {
    bearer: parseBearer(req.headers.authorization),
    session: () => cookieValue(req.headers.cookie, SESSION_COOKIE),
  };
}

export function bearerToken(transport: Pick<TransportContext, 'request' | 'connectionParams'>): string | null {
  return parseBearer(
    transport.request?.headers.get('authorization') ??
      transport.connectionParams?.authorization ??
      transport.connectionParams?.Authorization,
  );
}

function parseBearer(raw: unknown): string | null {
  if (typeof raw !== 'string') return null;
  const match = /^Bearer\s+(\S+)$/i.exec(raw.trim());
  return match ? match[1]! : raw.trim() || null;
}

/** `origin` is how the client reached us: a forwarded scheme counts only behind a trusted proxy */
function cookieHandle(request: Request, origin: string): Context['sessionCookie'] {
  const secure = origin.startsWith('https:');
  return {
    set: (token, expiresAt) =>
      request.cookieStore!.set({
        name: SESSION_COOKIE,
        value: token,
        expires: expiresAt,
        domain: null,
        path: '/',
        httpOnly: true,
        sameSite: 'lax',
        secure,
      }),
    clear: () => request.cookieStore!.delete(SESSION_COOKIE),
  };
}
