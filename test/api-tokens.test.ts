import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { startTestServer, type TestServer } from './support/server.js';

const CREATE = graphql(`
  mutation CreateApiToken($name: String!, $scope: TokenScope!) {
    createApiToken(name: $name, scope: $scope) {
      __typename
      ... on CreateApiTokenSuccess {
        token
        apiToken {
          id
          name
          scope
          prefix
          revokedAt
        }
      }
      ... on Error {
        code
        path
      }
    }
  }
`);

const REVOKE = graphql(`
  mutation RevokeApiToken($id: ID!) {
    revokeApiToken(id: $id) {
      __typename
      ... on RevokeApiTokenSuccess {
        apiToken {
          id
          revokedAt
        }
      }
      ... on Error {
        code
        message
      }
    }
  }
`);

const MY_TOKENS = graphql(`
  query MyTokens {
    me {
      email
      apiTokens(first: 10) {
        edges {
          node {
            id
            name
            scope
          }
        }
      }
    }
  }
`);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

async function createToken(sessionToken: string, scope: 'READ' | 'WRITE', name = `${scope} token`) {
  const data = await server.gql(CREATE, { name, scope }, { token: sessionToken });
  if (data.createApiToken.__typename !== 'CreateApiTokenSuccess') throw new Error(JSON.stringify(data));
  return data.createApiToken;
}

describe('API tokens', () => {
  it('shows the token once and stores only its hash', async () => {
    const person = await server.newPerson();
    const created = await createToken(person.token, 'WRITE', 'backup script');
    expect(created.token).toMatch(/^klug_pat_[\w-]{43}$/);
    expect(created.apiToken).toMatchObject({ name: 'backup script', scope: 'WRITE', revokedAt: null });
    expect(created.token.startsWith(created.apiToken.prefix)).toBe(true);

    const rows = await server.app.db.sql.query<Record<string, unknown>>('SELECT * FROM "ApiToken"');
    expect(JSON.stringify(rows)).not.toContain(created.token);

    const listed = await server.gql(MY_TOKENS, {}, { token: person.token });
    expect(listed.me?.apiTokens.edges.map((e) => e.node.name)).toEqual(['backup script']);
    expect(JSON.stringify(listed)).not.toContain(created.token);
  });

  it('authenticates requests as the person who made it', async () => {
    const person = await server.newPerson();
    const created = await createToken(person.token, 'READ');
    const data = await server.gql(MY_TOKENS, {}, { token: created.token });
    expect(data.me?.email).toBe(person.email);
  });

  it('lets a WRITE token run mutations', async () => {
    const person = await server.newPerson();
    const writer = await createToken(person.token, 'WRITE');
    const made = await createToken(writer.token, 'READ', 'made by a token');
    expect(made.apiToken.name).toBe('made by a token');
  });

  it('refuses every mutation to a READ token, and writes nothing', async () => {
    const person = await server.newPerson();
    const reader = await createToken(person.token, 'READ');
    const response = await server.request(CREATE, { name: 'sneaky', scope: 'WRITE' }, { token: reader.token });
    expect(response.body.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    expect(response.body.data ?? null).toBeNull();
    const tokens = await server.gql(MY_TOKENS, {}, { token: person.token });
    expect(tokens.me?.apiTokens.edges.map((e) => e.node.name)).not.toContain('sneaky');
  });

  it('stops working once revoked', async () => {
    const person = await server.newPerson();
    const created = await createToken(person.token, 'WRITE');
    // used once first, so the server has it verified in its credential cache
    expect((await server.gql(MY_TOKENS, {}, { token: created.token })).me).not.toBeNull();
    const revoked = await server.gql(REVOKE, { id: created.apiToken.id }, { token: person.token });
    expect(revoked.revokeApiToken.__typename).toBe('RevokeApiTokenSuccess');
    const after = await server.request(MY_TOKENS, {}, { token: created.token });
    expect(after.body.data?.me).toBeNull();
    const mutation = await server.request(CREATE, { name: 'x', scope: 'READ' }, { token: created.token });
    expect(mutation.body.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it("answers NotFoundError for another person's token and for malformed ids, revoking nothing", async () => {
    const ann = await server.newPerson();
    const bob = await server.newPerson();
    const bobs = await createToken(bob.token, 'WRITE');
    for (const id of [bobs.apiToken.id, 'not-an-id', 'VXNlcjox']) {
      const data = await server.gql(REVOKE, { id }, { token: ann.token });
      expect(data.revokeApiToken).toMatchObject({ __typename: 'NotFoundError', code: 'NOT_FOUND' });
    }
    const stillWorks = await server.gql(MY_TOKENS, {}, { token: bobs.token });
    expect(stillWorks.me?.email).toBe(bob.email);
  });

  it('refuses an empty or overlong name', async () => {
    const person = await server.newPerson();
    for (const name of ['  ', 'n'.repeat(101)]) {
      const data = await server.gql(CREATE, { name, scope: 'READ' }, { token: person.token });
      expect(data.createApiToken).toMatchObject({ __typename: 'ValidationError', path: ['name'] });
    }
  });
});
