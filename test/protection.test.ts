import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './support/server.js';

let server: TestServer;
let token: string;
let production: TestServer;
beforeAll(async () => {
  server = await startTestServer({ overrides: { limits: { maxDepth: 4, maxAliases: 5, maxCost: 300 } } });
  production = await startTestServer({ env: { NODE_ENV: 'production' } });
  token = (await server.newPerson()).token;
});
afterAll(() => Promise.all([server?.stop(), production?.stop()]));

async function post(target: TestServer, body: string, headers: Record<string, string> = {}) {
  const response = await fetch(target.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, ...headers },
    body,
  });
  const parsed = (await response.json()) as { data?: unknown; errors?: { message: string; extensions?: { code?: string } }[] };
  return { status: response.status, body: parsed };
}
const query = (q: string) => JSON.stringify({ query: q });

describe('limits that protect the server', () => {
  it('refuses a query nested deeper than the depth limit, running nothing', async () => {
    const atLimit = '{ me { apiTokens(first: 1) { pageInfo { hasNextPage } } } }';
    expect((await post(server, query(atLimit))).body.errors).toBeUndefined();
    const tooDeep = '{ me { apiTokens(first: 1) { edges { node { id } } } } }';
    const response = await post(server, query(tooDeep));
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors?.[0]?.message).toMatch(/depth/i);
  });

  it('refuses too many aliases', async () => {
    const aliases = Array.from({ length: 6 }, (_, i) => `a${i}: me { id }`).join(' ');
    const response = await post(server, query(`{ ${aliases} }`));
    expect(response.body.errors?.[0]?.message).toMatch(/aliases/i);
  });

  it('refuses a query over the cost limit', async () => {
    const fields = Array.from({ length: 5 }, (_, i) => `t${i}: apiTokens(first: 100) { pageInfo { hasNextPage endCursor } }`);
    const response = await post(server, query(`{ me { ${fields.join(' ')} } }`));
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors?.[0]?.message).toMatch(/cost/i);
  });

  it('answers malformed JSON with 400 and a code', async () => {
    const response = await post(server, '{"query": ');
    expect(response.status).toBe(400);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('BAD_REQUEST');
  });

  it('does not accept batched operations', async () => {
    const response = await post(server, JSON.stringify([{ query: '{ me { id } }' }, { query: '{ me { id } }' }]));
    expect(response.status).toBeGreaterThanOrEqual(400);
    expect(response.body.errors?.length).toBeGreaterThan(0);
  });

  it('masks unexpected errors and never returns a stack trace', async () => {
    const response = await post(server, query('{ me { id } }'), { authorization: 'Bearer klug_s_x' });
    expect(JSON.stringify(response.body)).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('production settings', () => {
  it('turns introspection off', async () => {
    const response = await post(production, query('{ __schema { types { name } } }'));
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors?.[0]?.message).toMatch(/introspection/i);
  });

  it('does not suggest field names', async () => {
    const response = await post(production, query('{ mee { id } }'));
    expect(response.body.errors?.[0]?.message).not.toMatch(/Did you mean/);
    const dev = await post(server, query('{ mee { id } }'));
    expect(dev.body.errors?.[0]?.message).toMatch(/Did you mean "me"/);
  });

  it('serves no GraphiQL page', async () => {
    const response = await fetch(production.url, { headers: { accept: 'text/html' } });
    expect(await response.text()).not.toMatch(/graphiql/i);
    const dev = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(await dev.text()).toMatch(/graphiql/i);
  });
});
