import { print } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { startTestServer, type TestServer } from './support/server.js';
import { nextWhileTriggering, subscribe } from './support/subscriptions.js';

const ME = graphql(`
  query TransportMe {
    me {
      email
    }
  }
`);

const LOG_IN = graphql(`
  mutation TransportLogIn($email: String!, $password: String!) {
    logIn(email: $email, password: $password) {
      __typename
    }
  }
`);

const SHARE = graphql(`
  mutation TransportShare {
    createShareLink(expiresInDays: 1) {
      ... on CreateShareLinkSuccess {
        url
      }
    }
  }
`);

const MAKE_TOKEN = graphql(`
  mutation TransportMakeToken($name: String!) {
    createApiToken(name: $name, scope: READ) {
      __typename
    }
  }
`);

const TOKEN_NAMES = graphql(`
  query TransportTokenNames {
    me {
      apiTokens(first: 50) {
        edges {
          node {
            name
          }
        }
      }
    }
  }
`);

const ACCOUNT_EVENTS = graphql(`
  subscription TransportAccountEvents {
    accountEvents {
      kind
    }
  }
`);

const APP_ORIGIN = 'https://app.example.com';
const FOREIGN_ORIGIN = 'https://evil.example.net';

let server: TestServer;
let proxied: TestServer;
beforeAll(async () => {
  [server, proxied] = await Promise.all([
    startTestServer({ env: { KLUG_CORS_ORIGINS: `${APP_ORIGIN}, http://localhost:5173` } }),
    // a second setting: behind a trusted proxy, with GraphiQL off
    startTestServer({ env: { KLUG_TRUST_PROXY: 'true', KLUG_GRAPHIQL: 'false' } }),
  ]);
});
afterAll(() => Promise.all([server?.stop(), proxied?.stop()]));

const ownOrigin = (s: TestServer) => new URL(s.url).origin;

/** a new person signed in as GraphiQL is: by the cookie `logIn` sets */
async function sessionCookie(s: TestServer) {
  const person = await s.newPerson();
  const logIn = await s.request(LOG_IN, { email: person.email, password: person.password });
  return { person, cookie: (logIn.headers.get('set-cookie') ?? '').split(';')[0]! };
}

/** how the client's connection ends up: acknowledged, or closed with a code */
const connectionOutcome = (client: ReturnType<TestServer['ws']>) =>
  new Promise<number | 'acknowledged'>((resolve) => {
    client.on('connected', () => resolve('acknowledged'));
    client.on('closed', (event) => resolve((event as { code: number }).code));
  });

function preflight(s: TestServer, origin: string) {
  return fetch(s.url, {
    method: 'OPTIONS',
    headers: {
      origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'content-type, x-graphql-yoga-csrf',
    },
  });
}

describe('CORS', () => {
  it('gives a foreign Origin no CORS headers, neither on the preflight nor on the request', async () => {
    const person = await server.newPerson();
    const options = await preflight(server, FOREIGN_ORIGIN);
    expect(options.headers.get('access-control-allow-origin')).toBeNull();
    expect(options.headers.get('access-control-allow-credentials')).toBeNull();

    const answer = await server.request(ME, {}, { token: person.token, headers: { origin: FOREIGN_ORIGIN } });
    expect(answer.headers.get('access-control-allow-origin')).toBeNull();
    expect(answer.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('lets an origin listed in KLUG_CORS_ORIGINS in, with credentials', async () => {
    const options = await preflight(server, APP_ORIGIN);
    expect(options.headers.get('access-control-allow-origin')).toBe(APP_ORIGIN);
    expect(options.headers.get('access-control-allow-credentials')).toBe('true');
    expect(options.headers.get('access-control-allow-headers')).toContain('x-graphql-yoga-csrf');

    const person = await server.newPerson();
    const answer = await server.request(ME, {}, { token: person.token, headers: { origin: 'http://localhost:5173' } });
    expect(answer.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(answer.body.data?.me?.email).toBe(person.email);
  });

  it("never lets in an origin that only resembles an allowed one", async () => {
    for (const origin of [`${APP_ORIGIN}.evil.example.net`, 'http://app.example.com', 'null']) {
      const options = await preflight(server, origin);
      expect(options.headers.get('access-control-allow-origin'), origin).toBeNull();
    }
  });

  it("answers the server's own origin", async () => {
    const options = await preflight(server, ownOrigin(server));
    expect(options.headers.get('access-control-allow-origin')).toBe(ownOrigin(server));
  });
});

describe('forwarded headers', () => {
  async function logInAndShare(s: TestServer) {
    const person = await s.newPerson();
    const headers = { 'x-forwarded-proto': 'https' };
    const logIn = await s.request(LOG_IN, { email: person.email, password: person.password }, { headers });
    const share = await s.gql(SHARE, {}, { token: person.token, headers });
    return { cookie: logIn.headers.get('set-cookie') ?? '', url: 'url' in share.createShareLink ? share.createShareLink.url : '' };
  }

  it('ignores X-Forwarded-Proto unless KLUG_TRUST_PROXY is on: no Secure cookie, http links', async () => {
    const { cookie, url } = await logInAndShare(server);
    expect(cookie).toMatch(/^klug_session=/);
    expect(cookie).not.toMatch(/;\s*Secure/i);
    expect(url.startsWith(`${ownOrigin(server)}/share/`)).toBe(true);
  });

  it('takes the scheme from a trusted proxy', async () => {
    const { cookie, url } = await logInAndShare(proxied);
    expect(cookie).toMatch(/;\s*Secure/i);
    expect(url.startsWith(`https://${new URL(proxied.url).host}/share/`)).toBe(true);
  });
});

describe('CSRF', () => {
  const JSON_ACCEPT = 'application/graphql-response+json, application/json';
  const CSRF = { 'x-graphql-yoga-csrf': '1' };

  function getQuery(s: TestServer, query: string, headers: Record<string, string> = {}) {
    const url = new URL(s.url);
    url.searchParams.set('query', query);
    return fetch(url, { headers: { accept: JSON_ACCEPT, ...headers } });
  }

  const tokenNames = async (s: TestServer, token: string) =>
    (await s.gql(TOKEN_NAMES, {}, { token })).me?.apiTokens.edges.map((edge) => edge.node.name);

  it('answers a GET query with a bearer token and no CSRF header (as urql sends it)', async () => {
    const person = await server.newPerson();
    const response = await getQuery(server, print(ME), { authorization: `Bearer ${person.token}` });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ data: { me: { email: person.email } } });
  });

  it('answers an anonymous GET query without the header, and still runs no mutation over GET', async () => {
    const query = await getQuery(server, print(ME));
    expect(query.status).toBe(200);
    expect(await query.json()).toEqual({ data: { me: null } });

    const mutation = await getQuery(server, 'mutation { logOut }');
    expect(mutation.status).toBe(405);
  });

  it('refuses a mutation signed in only by the session cookie without the header, and runs it with the header', async () => {
    const { person, cookie } = await sessionCookie(server);
    const refused = await server.request(MAKE_TOKEN, { name: 'forged' }, { headers: { cookie } });
    expect(refused.status).toBe(403);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors?.[0]?.extensions?.code).toBe('CSRF_HEADER_REQUIRED');

    const made = await server.gql(MAKE_TOKEN, { name: 'meant' }, { headers: { cookie, ...CSRF } });
    expect(made.createApiToken.__typename).toBe('CreateApiTokenSuccess');
    expect(await tokenNames(server, person.token)).toEqual(['meant']);
  });

  it('asks a GET query signed in by the session cookie for the header too', async () => {
    const { person, cookie } = await sessionCookie(server);
    const refused = await getQuery(server, print(ME), { cookie });
    expect(refused.status).toBe(403);
    const answered = await getQuery(server, print(ME), { cookie, ...CSRF });
    expect(await answered.json()).toEqual({ data: { me: { email: person.email } } });
  });

  it('refuses a form post without the header even without a cookie (log-in CSRF)', async () => {
    const person = await server.newPerson();
    const body = new URLSearchParams({
      query: print(LOG_IN),
      variables: JSON.stringify({ email: person.email, password: person.password }),
    });
    const response = await fetch(server.url, { method: 'POST', body, headers: { accept: JSON_ACCEPT } });
    expect(response.status).toBe(403);
    expect(response.headers.get('set-cookie')).toBeNull();
  });
});

describe('WebSocket', () => {
  it("signs a subscription in by the session cookie when the page is on the server's own origin", async () => {
    const { person, cookie } = await sessionCookie(server);
    const events = subscribe(server.ws(undefined, { cookie, origin: ownOrigin(server) }), ACCOUNT_EVENTS);
    const event = await nextWhileTriggering(events, () => server.gql(MAKE_TOKEN, { name: 'seen' }, { token: person.token }));
    expect(event.errors).toBeUndefined();
    expect(event.data?.accountEvents.kind).toBe('API_TOKEN_CREATED');
    await events.return?.();
  });

  it('signs in by the cookie from an origin listed in KLUG_CORS_ORIGINS', async () => {
    const { person, cookie } = await sessionCookie(server);
    const me = await subscribe(server.ws(undefined, { cookie, origin: APP_ORIGIN }), ME).next();
    expect(me.value?.data?.me?.email).toBe(person.email);
  });

  it('refuses cookie sign-in from a foreign Origin (cross-site WebSocket hijacking) with 4403', async () => {
    const { cookie } = await sessionCookie(server);
    const client = server.ws(undefined, { cookie, origin: FOREIGN_ORIGIN });
    const outcome = connectionOutcome(client);
    const attempt = subscribe(client, ACCOUNT_EVENTS).next().catch((error: unknown) => error);
    expect(await outcome).toBe(4403);
    expect(await attempt).not.toHaveProperty('value');
  });

  it('keeps a bearer token in connectionParams working from any origin', async () => {
    const person = await server.newPerson();
    const me = await subscribe(server.ws(person.token, { origin: FOREIGN_ORIGIN }), ME).next();
    expect(me.value?.data?.me?.email).toBe(person.email);
  });
});

describe('KLUG_AUTH_MODE=disabled', () => {
  let owned: TestServer;
  beforeAll(async () => {
    owned = await startTestServer({ env: { KLUG_AUTH_MODE: 'disabled' } });
  });
  afterAll(() => owned?.stop());

  it('refuses a form post without the CSRF header: every request acts as the owner', async () => {
    const body = new URLSearchParams({ query: 'mutation { createApiToken(name: "forged", scope: WRITE) { __typename } }' });
    const response = await fetch(owned.url, { method: 'POST', body, headers: { accept: 'application/json' } });
    expect(response.status).toBe(403);

    const made = await owned.gql(MAKE_TOKEN, { name: 'meant' });
    expect(made.createApiToken.__typename).toBe('CreateApiTokenSuccess');
    const names = (await owned.gql(TOKEN_NAMES, {})).me?.apiTokens.edges.map((edge) => edge.node.name);
    expect(names).toEqual(['meant']);
  });

  it('refuses a WebSocket from a foreign Origin, which would act as the owner', async () => {
    const client = owned.ws(undefined, { origin: FOREIGN_ORIGIN });
    const outcome = connectionOutcome(client);
    const attempt = subscribe(client, ME).next().catch((error: unknown) => error);
    expect(await outcome).toBe(4403);
    await attempt;

    const own = await subscribe(owned.ws(undefined, { origin: ownOrigin(owned) }), ME).next();
    expect(own.value?.data?.me).not.toBeNull();
  });
});

describe('GraphiQL', () => {
  /** every URL the page names: src/href attributes and quoted paths or URLs in its inline scripts */
  function referencedUrls(html: string) {
    const attributes = [...html.matchAll(/\b(?:src|href)="([^"]+)"/g)].map((match) => match[1]!);
    const quoted = [...html.matchAll(/"((?:https?:)?\/[^"]*)"/g)].map((match) => match[1]!);
    return [...new Set([...attributes, ...quoted])];
  }

  it('serves every script, stylesheet and worker of its page from the server itself', async () => {
    const page = await fetch(server.url, { headers: { accept: 'text/html' } });
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('YogaGraphiQL.renderYogaGraphiQL');
    expect(html).not.toMatch(/https?:\/\/|unpkg|jsdelivr/);

    const urls = referencedUrls(html).map((reference) => new URL(reference, server.url));
    const scripts = [...html.matchAll(/<script src="([^"]+)"/g)].map((match) => match[1]!);
    const stylesheets = [...html.matchAll(/<link rel="stylesheet" href="([^"]+)"/g)].map((match) => match[1]!);
    expect(scripts).toHaveLength(1);
    expect(stylesheets).toHaveLength(1);
    expect(urls.filter((url) => url.pathname.endsWith('.worker.js'))).toHaveLength(3);

    for (const url of urls) {
      expect(url.origin, url.href).toBe(ownOrigin(server));
      const asset = await fetch(url);
      expect(asset.status, url.href).toBe(200);
      const body = Buffer.from(await asset.arrayBuffer());
      expect(body.length, url.href).toBeGreaterThan(100);
      if (url.pathname.endsWith('.js')) expect(asset.headers.get('content-type')).toMatch(/^text\/javascript/);
      if (url.pathname.endsWith('.css')) expect(asset.headers.get('content-type')).toMatch(/^text\/css/);
    }
    const script = await (await fetch(new URL(scripts[0]!, server.url))).text();
    expect(script).toContain('renderYogaGraphiQL');
  });

  it('answers 404 for a file it does not have, and serves nothing when GraphiQL is off', async () => {
    const page = await (await fetch(server.url, { headers: { accept: 'text/html' } })).text();
    const script = new URL(/<script src="([^"]+)"/.exec(page)![1]!, server.url);
    expect((await fetch(new URL('/graphiql/0000/graphiql.js', server.url))).status).toBe(404);
    expect((await fetch(new URL(script.pathname.replace('graphiql.js', 'package.json'), server.url))).status).toBe(404);
    expect((await fetch(new URL(script.pathname, proxied.url))).status).toBe(404);
  });
});
