import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { startTestServer, type TestServer } from './support/server.js';

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

const APP_ORIGIN = 'https://app.example.com';
const FOREIGN_ORIGIN = 'https://evil.example.net';

let server: TestServer;
let proxied: TestServer;
beforeAll(async () => {
  [server, proxied] = await Promise.all([
    startTestServer({ env: { KLUG_CORS_ORIGINS: `${APP_ORIGIN}, http://localhost:5173` } }),
    startTestServer({ env: { KLUG_TRUST_PROXY: 'true' } }),
  ]);
});
afterAll(() => Promise.all([server?.stop(), proxied?.stop()]));

const ownOrigin = (s: TestServer) => new URL(s.url).origin;

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
