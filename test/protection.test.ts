import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { startTestServer, type TestServer } from './support/server.js';

const NODES = graphql(`
  query ProtectionNodes($ids: [ID!]!) {
    nodes(ids: $ids) {
      id
    }
  }
`);

const MEDIA_OF_KINDS = graphql(`
  query ProtectionMediaOfKinds($filter: MediaFilter) {
    mediaItems(first: 1, filter: $filter) {
      pageInfo {
        hasNextPage
      }
    }
  }
`);

let server: TestServer;
let token: string;
let production: TestServer;
beforeAll(async () => {
  const limits = { maxDepth: 4, maxAliases: 5, maxCost: 300, maxListLength: 10 };
  server = await startTestServer({ overrides: { limits } });
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
const FILTERED = 'query ($f: MediaFilter) { mediaItems(first: 1, filter: $f) { pageInfo { hasNextPage } } }';

describe('limits that protect the server', () => {
  it('refuses a query nested deeper than the depth limit, running nothing', async () => {
    const atLimit = '{ me { apiTokens(first: 1) { pageInfo { hasNextPage } } } }';
    expect((await post(server, query(atLimit))).body.errors).toBeUndefined();
    const tooDeep = '{ me { apiTokens(first: 1) { edges { node { id } } } } }';
    const response = await post(server, query(tooDeep));
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors?.[0]?.message).toMatch(/depth/i);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
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

  it('refuses a 600,000-item list variable with LIST_TOO_LONG before coercing it', async () => {
    const ids = Array.from({ length: 600_000 }, () => 0);
    const response = await server.request(NODES, { ids }, { token });
    expect(response.status).toBe(200);
    expect(response.body.data ?? null).toBeNull();
    expect(response.body.errors).toHaveLength(1);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('LIST_TOO_LONG');
    expect(response.body.errors?.[0]?.message).toMatch(/"\$ids" holds a list of 600000 items; at most 10/);
  });

  it('caps lists nested inside input objects, and lets a list at the limit through', async () => {
    const kinds = (n: number) => Array.from({ length: n }, () => 'MOVIE' as const);
    const atLimit = await server.request(MEDIA_OF_KINDS, { filter: { kinds: kinds(10) } }, { token });
    expect(atLimit.body.errors).toBeUndefined();
    const over = await server.request(MEDIA_OF_KINDS, { filter: { kinds: kinds(11) } }, { token });
    expect(over.body.errors?.[0]?.extensions?.code).toBe('LIST_TOO_LONG');
    expect(over.body.errors?.[0]?.message).toMatch(/"\$filter" holds a list of 11 items/);
  });

  it('caps lists written inline in the query, nested ones too', async () => {
    const ofKinds = (n: number) =>
      query(`{ mediaItems(first: 1, filter: { kinds: [${Array(n).fill('MOVIE').join(', ')}] }) { pageInfo { hasNextPage } } }`);
    expect((await post(server, ofKinds(10))).body.errors).toBeUndefined();
    const inline = await post(server, ofKinds(11));
    expect(inline.body.errors?.map((e) => e.extensions?.code)).toEqual(['LIST_TOO_LONG']);
    const nested = await post(server, query(`{ nodes(ids: [[${Array(11).fill(1).join(', ')}]]) { id } }`));
    expect(nested.body.data ?? null).toBeNull();
    expect(nested.body.errors?.map((e) => e.extensions?.code)).toContain('LIST_TOO_LONG');
  });

  it('refuses a JSON body over 2 MB with 413 and a code', async () => {
    const padded = { query: '{ me { id } }', variables: { pad: 'x'.repeat(2_200_000) } };
    const response = await post(server, JSON.stringify(padded));
    expect(response.status).toBe(413);
    expect(response.body.errors?.[0]?.extensions?.code).toBe('REQUEST_ENTITY_TOO_LARGE');
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

  // each is answered with a suggestion in development, so hiding them is what production does
  const mistakes: [string, string, unknown, RegExp][] = [
    ['field', '{ mee { id } }', undefined, /Cannot query field "mee" on type "Query"/],
    ['argument', '{ mediaItems(frist: 1) { pageInfo { hasNextPage } } }', undefined, /Unknown argument "frist"/],
    ['type', 'query ($f: MediaFiltr) { mediaItems(filter: $f) { pageInfo { hasNextPage } } }', undefined, /"MediaFiltr"/],
    ['inline fragment', '{ node(id: "x") { title } }', undefined, /Cannot query field "title" on type "Node"/],
    ['enum value', '{ mediaItems(filter: { kinds: [MOVI] }) { pageInfo { hasNextPage } } }', undefined, /"MOVI"/],
    ['input field', '{ mediaItems(filter: { kind: [MOVIE] }) { pageInfo { hasNextPage } } }', undefined, /"kind"/],
    ['enum value in a variable', FILTERED, { f: { kinds: ['MOVI'] } }, /Variable "\$f" got invalid value "MOVI"/],
    ['input field in a variable', FILTERED, { f: { kind: ['MOVIE'] } }, /Variable "\$f" got invalid value/],
  ];
  it.each(mistakes)('hides the suggestion for a mistaken %s, anonymously or not', async (_, text, variables, kept) => {
    const body = JSON.stringify({ query: text, variables });
    const dev = await post(server, body);
    expect(dev.body.errors?.[0]?.message).toMatch(/Did you mean/);
    const person = await production.newPerson();
    const anonymous = { authorization: '' }; // an empty header is no token
    for (const headers of [anonymous, { authorization: `Bearer ${person.token}` }]) {
      const response = await post(production, body, headers);
      expect(response.body.data ?? null).toBeNull();
      expect(response.body.errors?.[0]?.message).toMatch(kept);
      expect(JSON.stringify(response.body)).not.toMatch(/Did you mean/);
    }
  });

  it('serves no GraphiQL page', async () => {
    const response = await fetch(production.url, { headers: { accept: 'text/html' } });
    expect(await response.text()).not.toMatch(/graphiql/i);
    const dev = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(await dev.text()).toMatch(/graphiql/i);
  });
});
