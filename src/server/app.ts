import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { useCookies } from '@whatwg-node/server-plugin-cookies';
import { createYoga } from 'graphql-yoga';
import type { Config } from '../config.js';
import { openDatabase, type Database } from '../db/database.js';
import { migrate, pendingMigrations, readMigrations } from '../db/migrator.js';
import { createLogger, type Logger } from '../logger.js';
import { createMetrics } from '../metrics.js';
import { requestContext } from '../request-context.js';
import type { Context } from '../schema/context.js';
import { schema } from './schema.js';
import { createEventBus, type EventBus } from '../services/events.js';
import { createServices, type Services } from '../services/index.js';
import { createContextFactory, type TransportContext } from './context.js';
import { clientAddress, incomingRequestId, requestOrigin, sendGraphQLError, sendJson } from './http.js';
import { isMultipart, MultipartError, parseMultipart } from './multipart.js';
import { protectionPlugins } from './plugins/protection.js';
import { useCsrfProtection } from './plugins/csrf.js';
import { useReadOnlyTokens } from './plugins/read-only-tokens.js';
import { metricsPlugins } from './plugins/prometheus.js';
import { METRICS_PATH, observeHttp, sendMetrics } from './metrics-route.js';
import { attachWebSocket } from './websocket.js';
import { corsFor } from './origins.js';
import { GRAPHIQL_ASSETS_PATH, renderGraphiQL, sendGraphiQLAsset } from './graphiql.js';
import { maskUnexpected, yogaLogger } from './domain-errors.js';
import { sharedSummary } from './share-route.js';
import { sendImportErrors } from './import-errors-route.js';
import { ARTWORK_PATH, sendArtwork } from './artwork-route.js';
import { JELLYFIN_WEBHOOK_PATH, receiveJellyfinWebhook } from './webhook-route.js';
import { Scheduler } from '../jobs/scheduler.js';
import { RunWorker } from '../jobs/run-worker.js';
import { nodeId } from '../data-dir.js';
import { createDomains } from '../services/domains.js';

export const GRAPHQL_PATH = '/graphql';

export interface App {
  url: string;
  port: number;
  db: Database;
  services: Services;
  log: Logger;
  scheduler: Scheduler;
  /** the worker for long work (imports…); `runs.idle()` waits for it */
  runs: RunWorker;
  events: EventBus;
  /** WebSocket connections open now, the bytes waiting to be written to them, the shared subscriptions (see SharedSubscriptions) */
  websocketStats(): { clients: number; bufferedBytes: number; subscriptions: { sources: number; subscribers: number; opened: number } };
  stop(): Promise<void>;
}

/** Starts the whole server: database, migrations, services, HTTP and WebSocket. `stop()` drains and closes. */
export async function startApp(config: Config, log: Logger = createLogger(config.logLevel)): Promise<App> {
  const db = await openDatabase(config.database);
  const migrations = await readMigrations();
  const applied = await migrate(db.sql, migrations).catch(async (error: unknown) => {
    await db.close();
    throw error;
  });
  if (applied.length > 0) log.info({ applied }, 'migrations applied');

  const events = createEventBus(config.redisUrl);
  const metrics = createMetrics(config.metrics.enabled);
  const runs = new RunWorker({
    sql: db.sql,
    events,
    log,
    settings: config.runs,
    node: nodeId(config.dataDir),
    exclusive: db.kind === 'pglite',
    observer: { started: (kind) => metrics.runStarted(kind), finished: (kind, status, seconds) => metrics.runFinished(kind, status.toLowerCase(), seconds) },
  });
  const services = createServices(db, config, events, runs, metrics, log);
  const domains = createDomains(db, config, services, log);
  for (const kind of domains.flatMap((d) => d.kinds ?? [])) runs.register(kind);
  let scheduler: Scheduler;
  try {
    scheduler = new Scheduler(domains.flatMap((d) => d.jobs ?? []), runs, db.sql, log, config.jobSchedules);
  } catch (error) {
    await events.close();
    await db.close();
    throw error;
  }
  const owner = config.authMode === 'disabled' ? await services.accounts.ensureOwner() : null;
  const buildContext = createContextFactory({ config, prisma: db.prisma, services, jobs: scheduler, pubsub: events.pubsub, streams: events.streams, log, owner });

  const yoga = createYoga<TransportContext, Context>({
    schema,
    graphqlEndpoint: GRAPHQL_PATH,
    graphiql: config.graphiql
      ? { subscriptionsProtocol: 'WS', title: 'Klug', additionalHeaders: { 'x-graphql-yoga-csrf': '1' } }
      : false,
    renderGraphiQL,
    landingPage: false,
    cors: corsFor(config),
    batching: false,
    multipart: false, // parsed by graphql-upload-minimal first, so uploads stay streams
    maxRequestBodySize: config.limits.maxBodyBytes,
    logging: yogaLogger(log),
    maskedErrors: {
      maskError: (error, message) => maskUnexpected(error, message),
    },
    context: (initial) => buildContext(initial),
    plugins: [
      useCookies(),
      useCsrfProtection(config.authMode),
      ...protectionPlugins(config),
      useReadOnlyTokens(),
      ...metricsPlugins(metrics),
    ],
  });

  let draining = false;
  const ready = async (): Promise<{ ok: boolean; reason?: string }> => {
    if (draining) return { ok: false, reason: 'shutting down' };
    try {
      const pending = await pendingMigrations(db.sql, migrations);
      return pending.length ? { ok: false, reason: `migrations pending: ${pending.join(', ')}` } : { ok: true };
    } catch {
      return { ok: false, reason: 'database unreachable' };
    }
  };

  const handleGraphQL = async (req: IncomingMessage, res: ServerResponse, transport: TransportContext) => {
    if (req.method === 'POST' && isMultipart(req)) {
      try {
        // each mutation holds its files to its own limit (imports, artwork); the transport stops past the larger
        const maxFileBytes = Math.max(config.uploadMaxBytes, config.artwork.uploadMaxBytes);
        (req as IncomingMessage & { body?: unknown }).body = await parseMultipart(req, res, maxFileBytes);
        // Yoga now reads the parsed operations, not the upload: its own body-size check must not count the files
        delete req.headers['content-length'];
      } catch (error) {
        if (!(error instanceof MultipartError)) throw error;
        return sendGraphQLError(res, error.status, error.message, error.code);
      }
    }
    await yoga(req, res, transport);
  };

  const server = createServer((req, res) => {
    const requestId = incomingRequestId(req) ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    requestContext.run({ requestId }, async () => {
      const path = new URL(req.url ?? '/', 'http://local').pathname;
      observeHttp(metrics, req, res, path);
      try {
        if (path === METRICS_PATH) return await sendMetrics(req, res, metrics, config.metrics.token);
        if (path === '/health') return sendJson(res, 200, { status: 'ok' });
        if (path === '/ready') {
          const state = await ready();
          return sendJson(res, state.ok ? 200 : 503, { status: state.ok ? 'ready' : 'unavailable', reason: state.reason });
        }
        const share = /^\/share\/([\w-]+)$/.exec(path);
        if (share && req.method === 'GET') {
          const summary = await sharedSummary(share[1]!, services);
          return summary ? sendJson(res, 200, summary) : sendJson(res, 404, { error: 'this link does not exist or has expired' });
        }
        const artwork = ARTWORK_PATH.exec(path);
        if (artwork) return await sendArtwork(req, res, artwork[1]!, services);
        const webhook = JELLYFIN_WEBHOOK_PATH.exec(path);
        if (webhook) return await receiveJellyfinWebhook(req, res, webhook[1]!, { services, sql: db.sql, log });
        const errors = /^\/imports\/([\w-]+)\/errors\.(csv|json)$/.exec(path);
        if (errors && req.method === 'GET') {
          const params = { batchId: errors[1]!, format: errors[2] as 'csv' | 'json' };
          return await sendImportErrors(req, res, params, { services, owner });
        }
        if (config.graphiql && req.method === 'GET' && path.startsWith(GRAPHIQL_ASSETS_PATH)) {
          return await sendGraphiQLAsset(res, path);
        }
        if (path === GRAPHQL_PATH) {
          return await handleGraphQL(req, res, {
            clientAddress: clientAddress(req, config.trustProxy),
            origin: requestOrigin(req, config.trustProxy),
          });
        }
        sendJson(res, 404, { error: 'not found' });
      } catch (error) {
        log.error({ err: error }, 'request failed');
        if (!res.headersSent) sendGraphQLError(res, 500, 'Unexpected error.', 'INTERNAL_SERVER_ERROR');
        else res.destroy();
      }
    });
  });

  const ws = attachWebSocket({ server, yoga, path: GRAPHQL_PATH, services, streams: events.streams, config, log });
  metrics.subscriptions(() => {
    const { clients, bufferedBytes, subscriptions } = ws.stats();
    return {
      clients,
      bufferedBytes,
      sharedSources: subscriptions.sources,
      subscribers: subscriptions.subscribers,
      streams: events.streams.active,
      queued: events.streams.queued,
      superseded: events.streams.superseded,
    };
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://${config.host === '0.0.0.0' ? 'localhost' : config.host}:${port}${GRAPHQL_PATH}`;
  for (const domain of domains) await domain.recover?.();
  await runs.start();
  scheduler.start();

  const stop = async () => {
    if (draining) return;
    draining = true;
    await scheduler.stop();
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    // keep-alive sockets turn idle as their last responses finish; close them as they do
    const sweeper = setInterval(() => server.closeIdleConnections(), 100);
    server.closeIdleConnections();
    await ws.close();
    await runs.stop();
    for (const domain of domains) await domain.stop?.();
    const forced = setTimeout(() => server.closeAllConnections(), config.shutdownTimeoutMs);
    await closed;
    clearInterval(sweeper);
    clearTimeout(forced);
    await events.close();
    await db.close();
  };

  return { url, port, db, services, log, scheduler, runs, events, websocketStats: ws.stats, stop };
}
