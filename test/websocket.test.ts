import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { graphql } from './gql/index.js';
import { startTestServer, type TestServer } from './support/server.js';
import { connected, nextWhileTriggering, subscribe } from './support/subscriptions.js';
import { print } from 'graphql';

const ACCOUNT_EVENTS = graphql(`
  subscription AccountEvents {
    accountEvents {
      kind
      at
      subjectId
    }
  }
`);

const CREATE = graphql(`
  mutation WsCreateToken($name: String!, $scope: TokenScope!) {
    createApiToken(name: $name, scope: $scope) {
      ... on CreateApiTokenSuccess {
        token
        apiToken {
          id
        }
      }
    }
  }
`);

const ME = graphql(`
  query WsMe {
    me {
      email
    }
  }
`);

let server: TestServer;
beforeAll(async () => {
  server = await startTestServer();
});
afterAll(() => server?.stop());

async function createToken(token: string, name: string, scope: 'READ' | 'WRITE' = 'READ') {
  const data = await server.gql(CREATE, { name, scope }, { token });
  if (!('apiToken' in data.createApiToken)) throw new Error('token not created');
  return data.createApiToken;
}

const rawIdOf = (globalId: string) => Buffer.from(globalId, 'base64').toString('utf8').split(':')[1];

describe('graphql-ws on /graphql', () => {
  it("streams the viewer's own account events, authenticated by connectionParams", async () => {
    const ann = await server.newPerson();
    const client = server.ws(ann.token);
    const events = subscribe(client, ACCOUNT_EVENTS);
    const made: string[] = [];
    const result = await nextWhileTriggering(events, async () => {
      made.push(rawIdOf((await createToken(ann.token, 'watched')).apiToken.id)!);
    });
    expect(result.errors).toBeUndefined();
    expect(result.data?.accountEvents.kind).toBe('API_TOKEN_CREATED');
    expect(made).toContain(result.data?.accountEvents.subjectId);
    expect(result.data?.accountEvents.at).toMatch(/Z$/);
    await events.return?.();
  });

  it("never delivers one person's events to another", async () => {
    const ann = await server.newPerson();
    const bob = await server.newPerson();
    const events = subscribe(server.ws(bob.token), ACCOUNT_EVENTS);
    const bobs: string[] = [];
    // each round publishes Ann's event before Bob's: had Bob heard Ann's, it would come first
    const trigger = async () => {
      await createToken(ann.token, 'ann');
      bobs.push(rawIdOf((await createToken(bob.token, 'bob')).apiToken.id)!);
    };
    const first = await nextWhileTriggering(events, trigger);
    const second = await nextWhileTriggering(events, trigger);
    expect(bobs).toContain(first.data?.accountEvents.subjectId);
    expect(bobs).toContain(second.data?.accountEvents.subjectId);
    await events.return?.();
  });

  it('runs queries over the socket with the same auth as HTTP', async () => {
    const ann = await server.newPerson();
    const result = await subscribe(server.ws(ann.token), ME).next();
    expect(result.value?.data?.me?.email).toBe(ann.email);
    const anonymous = await subscribe(server.ws(), ME).next();
    expect(anonymous.value?.data?.me).toBeNull();
  });

  it('refuses a subscription from an anonymous socket with UNAUTHENTICATED', async () => {
    const result = await subscribe(server.ws(), ACCOUNT_EVENTS).next();
    expect(result.value?.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
  });

  it('refuses mutations from a READ token over the socket too', async () => {
    const ann = await server.newPerson();
    const reader = await createToken(ann.token, 'reader', 'READ');
    const result = await subscribe(server.ws(reader.token), CREATE, { name: 'x', scope: 'READ' }).next();
    expect(result.value?.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });

  it('closes a connection whose token is invalid with 4403', async () => {
    const client = server.ws('klug_s_not-a-real-session-token');
    const closed = new Promise<{ code: number }>((resolve) => client.on('closed', (event) => resolve(event as never)));
    const attempt = client.iterate({ query: print(ME) }).next().catch((error: unknown) => error);
    expect((await closed).code).toBe(4403);
    await attempt;
  });

  it('answers a limit hit with an error for that operation alone; the socket and its subscriptions go on', async () => {
    const ann = await server.newPerson();
    const client = server.ws(ann.token);
    const closed: number[] = [];
    client.on('closed', (event) => void closed.push((event as { code: number }).code));
    const events = subscribe(client, ACCOUNT_EVENTS);
    const trigger = () => createToken(ann.token, 'kept alive');
    expect((await nextWhileTriggering(events, trigger)).data?.accountEvents.kind).toBe('API_TOKEN_CREATED');

    const { maxDepth, maxAliases, maxTokens, maxListLength } = server.config.limits;
    const tokenList = (i: number) => `t${i}: apiTokens(first: 100) { edges { node { id name scope createdAt } } }`;
    const ids = Array(maxListLength + 1).fill(0);
    const overLimit: [RegExp, string, Record<string, unknown>?][] = [
      [/depth limit/, `{ node(id: "x") { ... on Media { ${'show { '.repeat(maxDepth)}id${' }'.repeat(maxDepth)} } } }`],
      [/aliases limit/i, `{ ${Array.from({ length: maxAliases + 1 }, (_, i) => `a${i}: me { id }`).join(' ')} }`],
      [/token limit/i, `{ me { ${'id '.repeat(maxTokens)}} }`],
      [/cost limit/i, `{ me { ${Array.from({ length: 10 }, (_, i) => tokenList(i)).join(' ')} } }`],
      [/list of \d+ items/, 'query ($ids: [ID!]!) { nodes(ids: $ids) { id } }', { ids }],
    ];
    for (const [refused, query, variables] of overLimit) {
      // graphql-ws rejects with the operation's errors; a closed socket would reject with its close event
      const answer = await client
        .iterate({ query, variables })
        .next()
        .then(({ value }) => value?.errors, (reason: unknown) => reason);
      expect(answer).toEqual([expect.objectContaining({ message: expect.stringMatching(refused) })]);
    }

    expect((await nextWhileTriggering(events, trigger)).data?.accountEvents.kind).toBe('API_TOKEN_CREATED');
    expect(closed).toEqual([]);
    await events.return?.();
  });

  it('acknowledges a connection without a token', async () => {
    const client = server.ws();
    const acknowledged = connected(client);
    const query = subscribe(client, ME).next();
    await expect(acknowledged).resolves.toBeUndefined();
    await query;
  });
});
