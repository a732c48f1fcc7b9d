/**
 * Operations over WebSocket on /graphql (graphql-transport-ws, the graphql-ws library), with
 * what HTTP checks checked here too, in the protocol's terms:
 *
 * - the caller, once, at `connection_init` (connectionParams.Authorization, else the upgrade
 *   request's header): a token presented and rejected closes the socket 4403; none is an
 *   anonymous caller; the socket is closed 4403 when the token expires;
 * - frames over MAX_BODY_KB close the socket 1009 (ws's maxPayload);
 * - each `subscribe` passes the query limits (queryLimits.ts) before validation, and at most
 *   WS_MAX_OPERATIONS operations are open on one socket;
 * - every error sent has an `extensions.code`; an internal one's message is masked in production.
 *
 * graphql-ws itself closes 4401 on `subscribe` before `connection_ack`, 4408 without
 * `connection_init` in time, 4409 on an id already in use. A listener that falls behind is
 * ended by the feed (SUBSCRIBER_TOO_SLOW, invalidation/feed.ts).
 */
import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';
import { CloseCode } from 'graphql-ws';
import { useServer } from 'graphql-ws/use/ws';
import { GraphQLError, type GraphQLFormattedError, type GraphQLSchema } from 'graphql';
import { identifyCaller, type Caller } from '../auth/jwt.js';
import { codeOf } from '../errors.js';
import type { Config } from '../config.js';
import type { Context, ContextRequest } from './context.js';
import type { QueryLimits } from './queryLimits.js';
import { RequestError } from './requestError.js';
import { logger } from '../log.js';

const log = logger('server.subscriptions');
/** setTimeout's longest delay; a token living longer is checked again then. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

export interface SubscriptionServerOptions {
  httpServer: Server;
  schema: GraphQLSchema;
  contextFor: (request: ContextRequest) => Promise<Context>;
  limits: QueryLimits;
  jwtSecret: string;
  config: Pick<Config, 'env' | 'subscriptions'> & { limits: Pick<Config['limits'], 'bodyBytes'> };
  /** Hears each operation refused before it runs (metrics). */
  refused?: (code: string) => void;
}

/** What a socket learned at `connection_init`. */
interface Connection {
  caller: Caller;
  /** Closes the socket when the caller's token expires. */
  expiry?: NodeJS.Timeout;
}

export function startSubscriptionServer(options: SubscriptionServerOptions): { dispose(): void | Promise<void> } {
  const { httpServer, schema, contextFor, limits, jwtSecret, config, refused } = options;
  const wsServer = new WebSocketServer({ server: httpServer, path: '/graphql', maxPayload: config.limits.bodyBytes });
  const connections = new WeakMap<WebSocket, Connection>();
  const production = config.env === 'production';

  const refuse = (error: RequestError | GraphQLError): GraphQLError[] => {
    const code = error instanceof RequestError ? error.code : String(error.extensions.code);
    refused?.(code);
    return [error instanceof RequestError ? new GraphQLError(error.message, { extensions: { code, ...error.details } }) : error];
  };

  const server = useServer<Record<string, unknown> | undefined, Record<string, never>>(
    {
      schema,
      connectionInitWaitTimeout: config.subscriptions.initTimeoutMs,
      onConnect: async ({ connectionParams, extra }) => {
        const authorization = stringOrUndefined(connectionParams?.Authorization ?? connectionParams?.authorization) ?? extra.request.headers.authorization;
        const caller = await identifyCaller(authorization, jwtSecret);
        if (authorization && caller.kind === 'anonymous') {
          log.debug('a WebSocket presented a token that was rejected; closing 4403', { reason: caller.reason });
          refused?.('FORBIDDEN');
          return false;
        }
        const connection: Connection = { caller };
        if (caller.kind === 'user' && caller.expiresAt !== undefined) connection.expiry = closeAtExpiry(extra.socket, caller.expiresAt);
        extra.socket.once('close', () => clearTimeout(connection.expiry));
        connections.set(extra.socket, connection);
        return true;
      },
      onSubscribe: (ctx, _id, payload) => {
        // The id being subscribed is already among them.
        if (Object.keys(ctx.subscriptions).length > config.subscriptions.operationsPerSocket) {
          return refuse(
            new GraphQLError(`this socket already has ${config.subscriptions.operationsPerSocket} operations open (WS_MAX_OPERATIONS); complete one first, or open another socket`, {
              extensions: { code: 'TOO_MANY_OPERATIONS', limit: config.subscriptions.operationsPerSocket },
            }),
          );
        }
        if (typeof payload.query !== 'string') {
          return refuse(new GraphQLError('a subscribe message needs payload.query, the operation\'s text', { extensions: { code: 'BAD_REQUEST' } }));
        }
        try {
          limits.check(payload.query, payload.operationName ?? undefined, payload.variables ?? undefined);
        } catch (err) {
          if (err instanceof RequestError) return refuse(err);
          throw err;
        }
        return undefined;
      },
      context: ({ extra }) =>
        contextFor({
          requestId: randomUUID(),
          // Statements of a subscription's resolvers are not attributed to any HTTP request.
          scope: { sqlStatements: 0 },
          authorization: undefined,
          caller: connections.get(extra.socket)?.caller ?? { kind: 'anonymous', reason: 'the socket is not initialised' },
        }),
      onNext: (_ctx, _id, _payload, args, result) => {
        if (!result.errors) return undefined;
        const requestId = (args.contextValue as Context | undefined)?.requestId;
        return { ...result, errors: result.errors.map((error) => formatError(error, requestId, production)) };
      },
      onError: (_ctx, _id, _payload, errors) => errors.map((error) => formatError(error, undefined, production)),
    },
    wsServer,
  );
  // A socket's errors are what its client sent (a frame over maxPayload, bad framing), and ws
  // closes the socket with the matching code itself; graphql-ws would log them as internal errors.
  wsServer.on('connection', (socket) => {
    socket.removeAllListeners('error');
    socket.on('error', (err: Error & { code?: string }) => log.debug('a WebSocket was closed for what its client sent', { code: err.code, error: err.message }));
  });
  return server;
}

/** Closes `socket` 4403 when its token expires (re-armed past setTimeout's range). */
function closeAtExpiry(socket: WebSocket, expiresAt: number): NodeJS.Timeout {
  const left = expiresAt - Date.now();
  if (left > LONGEST_TIMER_MS) return setTimeout(() => closeAtExpiry(socket, expiresAt), LONGEST_TIMER_MS).unref();
  return setTimeout(() => socket.close(CloseCode.Forbidden, 'the token expired; reconnect with a fresh one'), Math.max(0, left)).unref();
}

/** Every error with its code; an internal one's message masked in production, with the request id to quote. */
function formatError(error: GraphQLError | GraphQLFormattedError, requestId: string | undefined, mask: boolean): GraphQLFormattedError {
  const formatted = error instanceof GraphQLError ? error.toJSON() : error;
  const code = error instanceof GraphQLError ? codeOf(error) : String(formatted.extensions?.code ?? 'INTERNAL_SERVER_ERROR');
  if (code !== 'INTERNAL_SERVER_ERROR') return { ...formatted, extensions: { ...formatted.extensions, code } };
  if (!mask) return { ...formatted, extensions: { ...formatted.extensions, code, ...(requestId ? { requestId } : {}) } };
  return {
    message: `internal error${requestId ? `; quote request id ${requestId} when reporting it` : ''}`,
    ...(formatted.path ? { path: formatted.path } : {}),
    extensions: { code, ...(requestId ? { requestId } : {}) },
  };
}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}
