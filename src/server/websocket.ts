import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import { getOperationAST, Kind, type execute, type ExecutionArgs, type ExecutionResult, type GraphQLError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { requestContext } from '../request-context.js';
import type { Context } from '../schema/context.js';
import type { StreamStats } from '../services/change-stream.js';
import type { Services } from '../services/index.js';
import { bearerToken, SESSION_COOKIE, type TransportContext } from './context.js';
import { maskUnexpected } from './domain-errors.js';
import { clientAddress, cookieValue, requestOrigin } from './http.js';
import { foreignOrigin } from './origins.js';
import { SharedSubscriptions, type SharedState } from './shared-subscriptions.js';

type OperationResult = ReturnType<typeof execute>;
interface Enveloped {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
  /** what a subscription shares its execution by, and its results' status (see SharedSubscriptions); null: its own */
  share: { key: string; statusOf: (result: ExecutionResult) => unknown } | null;
}

/**
 * How to read the status of a subscription's results, when it may be shared: its field declares a shared state
 * (`extensions.sharedState`) and the argument that state needs is given. Null: it runs on its own.
 */
function statusOfShared(schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Record<string, unknown> | null | undefined) {
  const [node, ...others] = operation.selectionSet.selections;
  if (!node || others.length > 0 || node.kind !== Kind.FIELD) return null;
  const spec = schema.getSubscriptionType()?.getFields()[node.name.value]?.extensions?.sharedState as SharedState | undefined;
  if (!spec) return null;
  if (spec.requires) {
    const value = node.arguments?.find((argument) => argument.name.value === spec.requires)?.value;
    const given = value?.kind === Kind.VARIABLE ? variables?.[value.name.value] != null : value !== undefined && value.kind !== Kind.NULL;
    if (!given) return null;
  }
  const responseKey = node.alias?.value ?? node.name.value;
  return (result: ExecutionResult) => (result.data?.[responseKey] as Record<string, unknown> | null | undefined)?.[spec.status];
}

/**
 * Subscriptions that would answer alike share one: the same text, operation and variables, asked by the same
 * viewer (person, session or token, scope) of the same public origin (links in answers are built on it). Each
 * subscriber's own context was built (and its credentials checked) before it may join.
 */
function shareKey(context: Context, query: string, operationName: string | null | undefined, variables: unknown): string {
  const { viewer } = context;
  // nobody signed in: whether credentials were sent and refused changes the answer too
  const who = viewer ? [viewer.via, viewer.user.id, viewer.credentialId, viewer.scope] : ['anonymous', context.credentialsRejected];
  return JSON.stringify([who, context.publicOrigin, operationName ?? null, variables ?? null, query]);
}

/**
 * graphql-ws on the same path as HTTP. Every operation goes through Yoga's envelop, so it gets the
 * same context, auth, limits and error masking as a POST.
 */
export function attachWebSocket(options: {
  server: Server;
  yoga: YogaServerInstance<TransportContext, Context>;
  path: string;
  services: Services;
  streams: StreamStats;
  config: Config;
  log: Logger;
}) {
  const { server, yoga, path, services, streams, config, log } = options;
  const shared = new SharedSubscriptions(streams);
  const wss = new WebSocketServer({ server, path });
  const sessionCookie = (request: IncomingMessage) => cookieValue(request.headers.cookie, SESSION_COOKIE);
  const usableSessionCookie = (request: IncomingMessage) =>
    foreignOrigin(request, config) === null ? sessionCookie(request) : null;

  /**
   * An operation that fails before it runs answers errors for itself: a throw would reach graphql-ws, which closes
   * the socket (4500) and every subscription on it.
   */
  const refusal = (error: unknown): GraphQLError[] => {
    const masked = maskUnexpected(error);
    if (masked.extensions.code === 'INTERNAL_SERVER_ERROR') log.error({ err: error }, 'websocket operation failed');
    return [masked];
  };
  const settled = async (run: () => OperationResult): Promise<Awaited<OperationResult>> => {
    try {
      return await run();
    } catch (error) {
      return { errors: refusal(error) };
    }
  };

  const disposable = useServer(
    {
      execute: (args) => settled(() => (args.rootValue as Enveloped).execute(args)),
      subscribe: (args) => {
        const enveloped = args.rootValue as Enveloped;
        const own = () => settled(() => enveloped.subscribe(args));
        const { share } = enveloped;
        return share === null ? own() : (shared.subscribe(share.key, share.statusOf, own) as Promise<Awaited<OperationResult>>);
      },
      // refusals close the socket at once (4403), rather than failing each operation
      onConnect: async (ctx) => {
        const { request } = ctx.extra;
        // a page on another site can open this socket too, and the browser sends it our cookie (cross-site
        // WebSocket hijacking); with auth disabled the socket itself would act as the owner
        const foreign = foreignOrigin(request, config) !== null;
        if (config.authMode === 'disabled') return !foreign;
        const token = bearerToken({ connectionParams: ctx.connectionParams });
        if (token) return (await services.accounts.authenticate(token)) !== null;
        return !(foreign && sessionCookie(request));
      },
      onSubscribe: async (ctx, _id, payload) => {
        const requestId = randomUUID();
        return requestContext.run({ requestId }, async () => {
          const transport: TransportContext = {
            connectionParams: ctx.connectionParams,
            sessionToken: usableSessionCookie(ctx.extra.request),
            clientAddress: clientAddress(ctx.extra.request, config.trustProxy),
            origin: requestOrigin(ctx.extra.request, config.trustProxy),
          };
          const { schema, execute, subscribe, contextFactory, parse, validate } = yoga.getEnveloped({
            ...transport,
            params: payload,
          });
          let document;
          try {
            document = parse(payload.query);
          } catch (error) {
            return [error as never];
          }
          const errors = validate(schema, document);
          if (errors.length > 0) return errors;
          const contextValue = await contextFactory();
          const operation = getOperationAST(document, payload.operationName);
          const statusOf = operation?.operation === 'subscription' ? statusOfShared(schema, operation, payload.variables) : null;
          return {
            schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue,
            rootValue: {
              execute,
              subscribe,
              share: statusOf ? { key: shareKey(contextValue, payload.query, payload.operationName, payload.variables), statusOf } : null,
            } satisfies Enveloped,
          };
        }).catch((error: unknown) => requestContext.run({ requestId }, () => refusal(error)));
      },
      // codes only: messages of invalid operations may quote the values sent
      onError: (_ctx, _id, _payload, errors) =>
        void log.warn({ codes: errors.map((error) => error.extensions.code) }, 'websocket operation refused'),
    },
    wss,
  );

  return {
    /**
     * connections open now, the bytes `ws` holds for them not yet written to their sockets, and the shared
     * subscriptions: sources running, subscribers reading them, subscribers ever
     */
    stats: () => {
      let bufferedBytes = 0;
      for (const socket of wss.clients) bufferedBytes += socket.bufferedAmount;
      return { clients: wss.clients.size, bufferedBytes, subscriptions: shared.counts() };
    },
    /** closes every socket with 1001 (going away) and stops accepting new ones */
    close: () => disposable.dispose(),
  };
}
