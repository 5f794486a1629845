import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What became of an imported row: written, already there, refreshed (UPSERT), before the cursor, or unusable. */
export type ImportRowOutcome = 'inserted' | 'duplicate' | 'updated' | 'skipped' | 'error';

/**
 * The counters Klug keeps for Prometheus, one set per app (never prom-client's global registry, so several
 * servers in one process keep apart). Jobs and services record through this; `server/` exposes `registry`.
 */
export interface Metrics {
  /** what `/metrics` prints; null when metrics are off */
  readonly registry: Registry | null;
  /** `route` is the route's pattern (`/share/:token`), never the raw path */
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  runStarted(kind: string): void;
  /** `status` is the run's terminal status (completed, failed, cancelled…) */
  runFinished(kind: string, status: string, seconds: number): void;
  importRows(source: string, outcome: ImportRowOutcome, n: number): void;
  /** gauges read when scraped: WebSocket clients and the subscriptions following runs */
  subscriptions(read: () => SubscriptionGauges): void;
}

export interface SubscriptionGauges {
  clients: number;
  bufferedBytes: number;
  streams: number;
  queued: number;
  superseded: number;
  /** identical subscriptions share an execution (see src/server/shared-subscriptions.ts): those running, their readers */
  sharedSources: number;
  subscribers: number;
}

const METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
/** runs last from seconds (a purge) to hours (a large import or download) */
const RUN_BUCKETS = [0.1, 1, 5, 15, 60, 300, 900, 3600, 10_800, 43_200];

export function createMetrics(enabled: boolean): Metrics {
  return enabled ? prometheusMetrics() : noMetrics;
}

const noMetrics: Metrics = {
  registry: null,
  httpRequest: () => undefined,
  runStarted: () => undefined,
  runFinished: () => undefined,
  importRows: () => undefined,
  subscriptions: () => undefined,
};

function prometheusMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const registers = [registry];

  const httpRequests = new Counter({
    name: 'klug_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const httpDuration = new Histogram({
    name: 'klug_http_request_duration_seconds',
    help: 'Time from an HTTP request to the end of its response, by method, route pattern and status',
    labelNames: ['method', 'route', 'status'] as const,
    registers,
  });
  const runsStarted = new Counter({
    name: 'klug_runs_started_total',
    help: 'Runs started (or taken over), by kind',
    labelNames: ['kind'] as const,
    registers,
  });
  const runsFinished = new Counter({
    name: 'klug_runs_finished_total',
    help: 'Runs that reached a terminal status, by kind and status',
    labelNames: ['kind', 'status'] as const,
    registers,
  });
  const runDuration = new Histogram({
    name: 'klug_run_duration_seconds',
    help: 'Time runs took until their terminal status, by kind and status',
    labelNames: ['kind', 'status'] as const,
    buckets: RUN_BUCKETS,
    registers,
  });
  const importRows = new Counter({
    name: 'klug_import_rows_total',
    help: 'Rows of finished imports (dry runs excluded), by source and outcome',
    labelNames: ['source', 'outcome'] as const,
    registers,
  });

  const gauge = (name: string, help: string, value: (g: SubscriptionGauges) => number, read: () => SubscriptionGauges) =>
    new Gauge({ name, help, registers, collect() { this.set(value(read())); } });
  return {
    subscriptions: (read) => {
      gauge('klug_websocket_clients', 'WebSocket connections open now', (g) => g.clients, read);
      gauge('klug_websocket_buffered_bytes', 'Bytes ws holds for its sockets, not yet written to them', (g) => g.bufferedBytes, read);
      gauge('klug_subscription_streams', 'Change streams following runs open now, one per shared subscription (one that outlives its sockets is a leak)', (g) => g.streams, read);
      gauge('klug_subscription_shared', 'Executions identical subscriptions share, running now', (g) => g.sharedSources, read);
      gauge('klug_subscription_subscribers', 'Subscriptions reading a shared execution now', (g) => g.subscribers, read);
      gauge('klug_subscription_queued_changes', 'Run changes waiting for a slow subscriber now', (g) => g.queued, read);
      gauge('klug_subscription_superseded_changes', 'Progress changes a newer one replaced before a slow subscriber read it, since start', (g) => g.superseded, read);
    },
    registry,
    httpRequest: (method, route, status, seconds) => {
      const labels = { method: METHODS.has(method) ? method : 'OTHER', route, status: String(status) };
      httpRequests.inc(labels);
      httpDuration.observe(labels, seconds);
    },
    runStarted: (kind) => runsStarted.inc({ kind }),
    runFinished: (kind, status, seconds) => {
      const labels = { kind, status: status.toLowerCase() };
      runsFinished.inc(labels);
      runDuration.observe(labels, seconds);
    },
    importRows: (source, outcome, n) => {
      if (n > 0) importRows.inc({ source: source.toLowerCase(), outcome }, n);
    },
  };
}
