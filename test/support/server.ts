import { randomBytes } from 'node:crypto';
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print, type ExecutionResult } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import WebSocket from 'ws';
import { loadConfig, type Config, type ConfigOverrides } from '../../src/config.js';
import { createLogger, type Logger } from '../../src/logger.js';
import { startApp, type App } from '../../src/server/app.js';
import { createTestDatabase, type TestDatabase } from './database.js';

export interface RequestOptions {
  token?: string;
  headers?: Record<string, string>;
}

export interface RawResponse<T> {
  status: number;
  headers: Headers;
  body: ExecutionResult<T>;
  requestId: string | null;
}

export interface TestServer {
  app: App;
  config: Config;
  url: string;
  /** the response as it came, errors included */
  request<T, V>(document: TypedDocumentNode<T, V>, variables?: V, options?: RequestOptions): Promise<RawResponse<T>>;
  /** the data; fails with the query, the response and the request id when any GraphQL error came back */
  gql<T, V>(document: TypedDocumentNode<T, V>, variables?: V, options?: RequestOptions): Promise<T>;
  /** a graphql-ws client on the same /graphql path; `headers` go on the upgrade request (cookie, origin) */
  ws(token?: string, headers?: Record<string, string>): Client;
  /** a new person with a session token: tests isolate by person, not by truncating */
  newPerson(): Promise<{ email: string; password: string; token: string }>;
  stop(): Promise<void>;
}

export interface TestServerOptions {
  env?: Record<string, string>;
  overrides?: ConfigOverrides;
  /** reuse a database made by the caller instead of a fresh one */
  database?: TestDatabase;
  /** the server's logger, e.g. one writing to a stream the test reads */
  log?: Logger;
}

export async function startTestServer(options: TestServerOptions = {}): Promise<TestServer> {
  const database = options.database ?? (await createTestDatabase());
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      HOST: '127.0.0.1',
      PORT: '0',
      KLUG_SECRET_KEY: 'test-secret-key-of-at-least-thirty-two-characters',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
      ...database.env,
      ...options.env,
    },
    { ...options.overrides, loginThrottle: { baseDelayMs: 1, maxDelayMs: 5, ...options.overrides?.loginThrottle } },
  );
  const app = await startApp(config, options.log ?? createLogger(config.logLevel));
  const clients: Client[] = [];

  const request: TestServer['request'] = async (document, variables, requestOptions = {}) => {
    const response = await fetch(app.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(requestOptions.token ? { authorization: `Bearer ${requestOptions.token}` } : {}),
        ...requestOptions.headers,
      },
      body: JSON.stringify({ query: print(document), variables }),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: (await response.json()) as ExecutionResult<never>,
      requestId: response.headers.get('x-request-id'),
    };
  };

  const gql: TestServer['gql'] = async (document, variables, requestOptions) => {
    const response = await request(document, variables, requestOptions);
    if (response.body.errors?.length || !response.body.data) {
      throw new Error(
        `GraphQL request failed (request id ${response.requestId}, status ${response.status})\n` +
          `${print(document)}\nvariables: ${JSON.stringify(variables)}\n` +
          `response: ${JSON.stringify(response.body, null, 2)}`,
      );
    }
    return response.body.data;
  };

  const server: TestServer = {
    app,
    config,
    url: app.url,
    request,
    gql,
    ws: (token, headers) => {
      const client = createClient({
        url: app.url.replace(/^http/, 'ws'),
        webSocketImpl: headers ? socketWith(headers) : WebSocket,
        retryAttempts: 0,
        lazy: true,
        connectionParams: token ? { authorization: `Bearer ${token}` } : {},
      });
      clients.push(client);
      return client;
    },
    newPerson: async () => {
      const email = `person-${randomBytes(5).toString('hex')}@example.com`;
      const password = `a long and quiet river ${randomBytes(3).toString('hex')}`;
      const data = await gql(SIGN_UP, { email, password });
      if (data.signUp.__typename !== 'AuthSuccess') throw new Error(`sign-up failed: ${JSON.stringify(data)}`);
      return { email, password, token: data.signUp.token };
    },
    stop: async () => {
      await Promise.all(clients.map((client) => client.dispose()));
      await app.stop();
      if (!options.database) await database.drop();
    },
  };
  return server;
}

import { graphql } from '../gql/index.js';

const SIGN_UP = graphql(`
  mutation HarnessSignUp($email: String!, $password: String!) {
    signUp(email: $email, password: $password) {
      __typename
      ... on AuthSuccess {
        token
      }
    }
  }
`);

/** graphql-ws builds its socket as `new impl(url, protocol)`: this one adds headers to the upgrade */
function socketWith(headers: Record<string, string>) {
  return class extends WebSocket {
    constructor(url: string, protocols?: string | string[]) {
      super(url, protocols, { headers });
    }
  };
}
