import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { execute, ExecutionArgs } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import type { YogaServerInstance } from 'graphql-yoga';
import { WebSocketServer } from 'ws';
import type { Config } from '../config.js';
import type { Logger } from '../logger.js';
import { requestContext } from '../request-context.js';
import type { Context } from '../schema/context.js';
import type { Services } from '../services/index.js';
import { bearerToken, SESSION_COOKIE, type TransportContext } from './context.js';
import { clientAddress, cookieValue, requestOrigin } from './http.js';
import { foreignOrigin } from './origins.js';

type OperationResult = ReturnType<typeof execute>;
interface Enveloped {
  execute: (args: ExecutionArgs) => OperationResult;
  subscribe: (args: ExecutionArgs) => OperationResult;
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
  config: Config;
  log: Logger;
}) {
  const { server, yoga, path, services, config, log } = options;
  const wss = new WebSocketServer({ server, path });
  const sessionCookie = (request: IncomingMessage) => cookieValue(request.headers.cookie, SESSION_COOKIE);
  const usableSessionCookie = (request: IncomingMessage) =>
    foreignOrigin(request, config) === null ? sessionCookie(request) : null;

  const disposable = useServer(
    {
      execute: (args) => (args.rootValue as Enveloped).execute(args),
      subscribe: (args) => (args.rootValue as Enveloped).subscribe(args),
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
          return {
            schema,
            document,
            operationName: payload.operationName,
            variableValues: payload.variables,
            contextValue: await contextFactory(),
            rootValue: { execute, subscribe } satisfies Enveloped,
          };
        });
      },
      onError: (_ctx, _id, _payload, errors) => void log.warn({ errors }, 'websocket operation failed'),
    },
    wss,
  );

  return {
    /** closes every socket with 1001 (going away) and stops accepting new ones */
    close: () => disposable.dispose(),
  };
}
