import { randomBytes, randomUUID } from 'node:crypto';
import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../src/config.js';
import { graphql } from './gql/index.js';
import { importAndWait, type UploadFile } from './support/imports.js';
import { startTestServer, type TestServer } from './support/server.js';

const ME = graphql(`
  query MetricsMe {
    me {
      email
    }
  }
`);

const HISTORY = graphql(`
  query MetricsHistory {
    watchEvents(first: 1) {
      edges {
        node {
          id
        }
      }
    }
  }
`);

const WS_ME = graphql(`
  query MetricsWsMe {
    me {
      email
    }
  }
`);

const TOKEN = 'metrics-token-of-some-length-0123456789';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** The samples of a Prometheus text exposition. */
function parse(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    const match = /^(\w+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!]));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return samples;
}

/** The value of the one sample with this name whose labels include these; 0 when there is none. */
function valueOf(samples: Sample[], name: string, labels: Record<string, string>): number {
  const found = samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  expect(found.length, `${name} ${JSON.stringify(labels)}: ${JSON.stringify(found)}`).toBeLessThanOrEqual(1);
  return found[0]?.value ?? 0;
}

function metricsUrl(server: TestServer): string {
  return new URL('/metrics', server.url).toString();
}

async function scrape(server: TestServer, headers: Record<string, string> = {}): Promise<Sample[]> {
  const response = await fetch(metricsUrl(server), { headers });
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return parse(await response.text());
}

describe('metrics off (the default)', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(() => server?.stop());

  it('answers /metrics with 404', async () => {
    await server.gql(ME);
    const response = await fetch(metricsUrl(server));
    expect(response.status).toBe(404);
    expect(await response.text()).not.toContain('graphql_envelop');
  });
});

describe('metrics on', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { KLUG_METRICS: 'true' } });
  });
  afterAll(() => server?.stop());

  it('counts GraphQL operations by name and outcome, with their durations', async () => {
    const person = await server.newPerson();
    const success = { operationName: 'MetricsMe', operationType: 'query', outcome: 'success' };
    const failure = { operationName: 'MetricsHistory', operationType: 'query', outcome: 'error' };
    const before = await scrape(server);

    await server.gql(ME, undefined, { token: person.token });
    await server.gql(ME, undefined, { token: person.token });
    const anonymous = await server.request(HISTORY); // anonymous: refused with a GraphQL error
    expect(anonymous.body.errors?.length).toBeGreaterThan(0);
    for (const query of ['query MetricsInvalid { nothingHere }', 'query MetricsInvalid { nothingHere }', '{ broken']) {
      const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query }) });
      expect(((await response.json()) as { errors?: unknown[] }).errors?.length).toBe(1);
    }

    const after = await scrape(server);
    expect(valueOf(after, 'graphql_envelop_request', success) - valueOf(before, 'graphql_envelop_request', success)).toBe(2);
    expect(valueOf(after, 'graphql_envelop_request_duration_count', success) - valueOf(before, 'graphql_envelop_request_duration_count', success)).toBe(2);
    expect(valueOf(after, 'graphql_envelop_request_duration_bucket', { ...success, le: '+Inf' })).toBeGreaterThanOrEqual(2);
    expect(valueOf(after, 'graphql_envelop_request', failure) - valueOf(before, 'graphql_envelop_request', failure)).toBe(1);
    expect(valueOf(after, 'graphql_envelop_request', { operationName: 'MetricsHistory', outcome: 'success' })).toBe(0);
    // refused before running: counted as rejected, by name where the document names one
    const invalid = { operationName: 'MetricsInvalid', operationType: 'query', outcome: 'rejected' };
    const unparsable = { operationName: 'Anonymous', operationType: 'unknown', outcome: 'rejected' };
    expect(valueOf(after, 'graphql_envelop_request', invalid) - valueOf(before, 'graphql_envelop_request', invalid)).toBe(2);
    expect(valueOf(after, 'graphql_envelop_request', unparsable) - valueOf(before, 'graphql_envelop_request', unparsable)).toBe(1);
  });

  it('counts operations sent over WebSocket too', async () => {
    const person = await server.newPerson();
    const client = server.ws(person.token);
    const result = await new Promise((resolve, reject) => {
      client.subscribe({ query: print(WS_ME) }, { next: resolve, error: reject, complete: () => undefined });
    });
    expect(result).toEqual({ data: { me: { email: person.email } } });
    const after = await scrape(server);
    expect(valueOf(after, 'graphql_envelop_request', { operationName: 'MetricsWsMe', outcome: 'success' })).toBe(1);
  });

  it('counts HTTP requests by method, route pattern and status, never by raw path', async () => {
    const shareToken = `kls_${randomBytes(12).toString('hex')}`;
    const batchId = randomUUID();
    const unknown = `/nothing-${randomBytes(6).toString('hex')}`;
    const before = await scrape(server);
    const base = new URL(server.url).origin;

    expect((await fetch(`${base}/share/${shareToken}`)).status).toBe(404);
    expect((await fetch(`${base}/imports/${batchId}/errors.csv`)).status).toBe(401);
    expect((await fetch(`${base}/health`)).status).toBe(200);
    expect((await fetch(`${base}${unknown}`)).status).toBe(404);
    await server.gql(ME);

    const response = await fetch(metricsUrl(server));
    const text = await response.text();
    const after = parse(text);
    const delta = (labels: Record<string, string>) =>
      valueOf(after, 'klug_http_requests_total', labels) - valueOf(before, 'klug_http_requests_total', labels);
    expect(delta({ method: 'GET', route: '/share/:token', status: '404' })).toBe(1);
    expect(delta({ method: 'GET', route: '/imports/:id/errors.csv', status: '401' })).toBe(1);
    expect(delta({ method: 'GET', route: '/health', status: '200' })).toBe(1);
    expect(delta({ method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(delta({ method: 'POST', route: '/graphql', status: '200' })).toBe(1);
    expect(valueOf(after, 'klug_http_request_duration_seconds_count', { method: 'GET', route: '/share/:token', status: '404' })).toBeGreaterThanOrEqual(1);
    for (const raw of [shareToken, batchId, unknown]) expect(text).not.toContain(raw);
    const routes = new Set(after.filter((s) => s.name === 'klug_http_requests_total').map((s) => s.labels.route));
    expect([...routes].every((route) => route === 'unmatched' || route!.startsWith('/'))).toBe(true);
  });

  it('counts the rows of a finished import by source and outcome', async () => {
    const person = await server.newPerson();
    const file: UploadFile = {
      name: 'history.csv',
      content: 'title,watched_at,year\nHeat,2023-01-01,1995\nHeat,2023-01-01,1995\nAlien,2023-01-02,1979\nRan,not a date,1985\n',
    };
    const before = await scrape(server);
    const batch = await importAndWait(server, person.token, [file], { source: 'KLUG_CSV' });
    expect(batch).toMatchObject({ status: 'COMPLETED', insertedCount: 2, duplicateCount: 1, errorCount: 1 });

    const after = await scrape(server);
    const delta = (outcome: string) =>
      valueOf(after, 'klug_import_rows_total', { source: 'klug_csv', outcome }) - valueOf(before, 'klug_import_rows_total', { source: 'klug_csv', outcome });
    expect(delta('inserted')).toBe(2);
    expect(delta('duplicate')).toBe(1);
    expect(delta('error')).toBe(1);
  });

  it('records runs started and finished by kind, with durations', async () => {
    const { metrics } = server.app.services;
    metrics.runStarted('metrics-test');
    metrics.runFinished('metrics-test', 'FAILED', 2.5);
    const after = await scrape(server);
    expect(valueOf(after, 'klug_runs_started_total', { kind: 'metrics-test' })).toBe(1);
    expect(valueOf(after, 'klug_runs_finished_total', { kind: 'metrics-test', status: 'failed' })).toBe(1);
    expect(valueOf(after, 'klug_run_duration_seconds_sum', { kind: 'metrics-test', status: 'failed' })).toBe(2.5);
    expect(valueOf(after, 'klug_run_duration_seconds_bucket', { kind: 'metrics-test', status: 'failed', le: '1' })).toBe(0);
    expect(valueOf(after, 'klug_run_duration_seconds_bucket', { kind: 'metrics-test', status: 'failed', le: '5' })).toBe(1);
  });

  it('includes the process metrics', async () => {
    const samples = await scrape(server);
    expect(samples.some((s) => s.name === 'process_resident_memory_bytes')).toBe(true);
  });
});

describe('metrics with a token', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ env: { KLUG_METRICS: 'true', KLUG_METRICS_TOKEN: TOKEN } });
  });
  afterAll(() => server?.stop());

  it('answers 401 without the bearer token or with another, 200 with it', async () => {
    const none = await fetch(metricsUrl(server));
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Bearer/);
    expect(await none.text()).not.toContain('klug_');
    expect((await fetch(metricsUrl(server), { headers: { authorization: `Bearer ${TOKEN}x` } })).status).toBe(401);
    expect((await fetch(metricsUrl(server), { headers: { authorization: `Bearer ${TOKEN.slice(1)}` } })).status).toBe(401);
    expect((await fetch(metricsUrl(server), { headers: { authorization: TOKEN } })).status).toBe(401);

    await server.gql(ME);
    const samples = await scrape(server, { authorization: `Bearer ${TOKEN}` });
    // this server's registry, not the other test server's: its own operation only
    expect(valueOf(samples, 'graphql_envelop_request', { operationName: 'MetricsMe', outcome: 'success' })).toBe(1);
  });
});

describe('metrics settings', () => {
  it('are off by default and refuse a short token, naming the variable', () => {
    const env = { KLUG_SECRET_KEY: 'k'.repeat(32), KLUG_DATA_DIR: '/tmp/klug-metrics-config' };
    expect(loadConfig(env).metrics).toEqual({ enabled: false, token: undefined });
    expect(loadConfig({ ...env, KLUG_METRICS: 'true', KLUG_METRICS_TOKEN: TOKEN }).metrics).toEqual({ enabled: true, token: TOKEN });
    expect(() => loadConfig({ ...env, KLUG_METRICS_TOKEN: 'short' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, KLUG_METRICS_TOKEN: 'short' })).toThrow(/KLUG_METRICS_TOKEN: must be at least 16 characters/);
  });
});
