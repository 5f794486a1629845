import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { startTestServer, type TestServer } from './support/server.js';

const SERVER_INFO = graphql(`
  query ServerInfo {
    serverInfo {
      authMode
      signUpOpen
      version
    }
  }
`);

const WHO = graphql(`
  query WhoAmI {
    me {
      email
      isOwner
    }
  }
`);

const NODES = graphql(`
  query SomeNodes($ids: [ID!]!) {
    nodes(ids: $ids) {
      id
    }
  }
`);

const MAKE_TOKEN = graphql(`
  mutation ModeToken {
    createApiToken(name: "dashboard", scope: READ) {
      __typename
    }
  }
`);

const SIGN_UP = graphql(`
  mutation ModeSignUp($email: String!) {
    signUp(email: $email, password: "a very reasonable passphrase") {
      __typename
      ... on Error {
        code
      }
    }
  }
`);

const servers: TestServer[] = [];
async function serverWith(env: Record<string, string>) {
  const server = await startTestServer({ env });
  servers.push(server);
  return server;
}
afterAll(() => Promise.all(servers.map((s) => s.stop())));

describe('KLUG_AUTH_MODE', () => {
  it('all: anonymous requests may only sign up, log in and ask who they are', async () => {
    const server = await serverWith({ KLUG_AUTH_MODE: 'all' });
    const info = await server.request(SERVER_INFO);
    expect(info.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    expect((await server.gql(WHO)).me).toBeNull();
    const nodes = await server.request(NODES, { ids: [] });
    expect(nodes.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const mutation = await server.request(MAKE_TOKEN);
    expect(mutation.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');

    const person = await server.newPerson();
    const withToken = await server.gql(SERVER_INFO, {}, { token: person.token });
    expect(withToken.serverInfo).toMatchObject({ authMode: 'ALL', signUpOpen: true });
  });

  it('write: anonymous requests may read public server information, nothing else', async () => {
    const server = await serverWith({ KLUG_AUTH_MODE: 'write' });
    const info = await server.gql(SERVER_INFO);
    expect(info.serverInfo.authMode).toBe('WRITE');
    expect(info.serverInfo.version).toMatch(/^\d+\.\d+\.\d+/);
    const nodes = await server.request(NODES, { ids: [] });
    expect(nodes.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    const mutation = await server.request(MAKE_TOKEN);
    expect(mutation.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('disabled: every request acts as the built-in owner', async () => {
    const server = await serverWith({ KLUG_AUTH_MODE: 'disabled' });
    const who = await server.gql(WHO);
    expect(who.me).toEqual({ email: 'owner@klug.local', isOwner: true });
    const made = await server.gql(MAKE_TOKEN);
    expect(made.createApiToken.__typename).toBe('CreateApiTokenSuccess');
    // the errors download finds its viewer the same way: the owner, whose batches this one is not among
    const download = await fetch(`${new URL(server.url).origin}/imports/${randomUUID()}/errors.csv`);
    expect(download.status).toBe(404);
  });

  it('KLUG_ALLOW_SIGNUP=false accepts the first account only', async () => {
    const server = await serverWith({ KLUG_ALLOW_SIGNUP: 'false' });
    const first = await server.gql(SIGN_UP, { email: 'first@example.com' });
    expect(first.signUp.__typename).toBe('AuthSuccess');
    const second = await server.gql(SIGN_UP, { email: 'second@example.com' });
    expect(second.signUp).toEqual({ __typename: 'SignUpClosedError', code: 'SIGN_UP_CLOSED' });
  });
});
