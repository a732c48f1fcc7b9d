/**
 * The HTTP surface, on node:http: /graphql (POST, GET, and graphql-ws WebSockets on the same
 * path), the sandbox's assets, /health, /ready, /metrics, the live cache page (/cache); and
 * what node:http cannot parse.
 */
import { readFile } from 'node:fs/promises';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomUUID } from 'node:crypto';
import type { Metrics } from '../metrics.js';
import type { CacheDashboard } from './cacheDashboard.js';
import { SANDBOX_ASSETS } from './plugins/sandbox.js';
import { answerPreflight, graphqlHeaders, setHeaders } from './graphqlHeaders.js';
import { answeredByTier } from './responseTier.js';
import { RequestError } from './requestError.js';
import { logger } from '../log.js';

const log = logger('server.http');

export interface HttpHandlerOptions {
  /** POST and GET /graphql (graphqlHttp.ts); `search`: the query string, `?` included, or ''. */
  graphql: (req: IncomingMessage, res: ServerResponse, search: string, requestId: string) => Promise<void>;
  metrics: Metrics;
  /** The live cache page and its stream (/cache, /cache/stream). */
  cachePage: CacheDashboard;
  /** Each dependency's state, for /ready, and each view's last refresh (when Postgres answers). */
  readiness: () => Promise<{ ready: boolean; dependencies: Record<string, unknown>; views?: Record<string, { refreshedAt: string; durationMs: number }> }>;
}

export function createHttpHandler(options: HttpHandlerOptions) {
  const { graphql, metrics, readiness, cachePage } = options;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = headerValue(req, 'x-request-id') ?? randomUUID();
    if (log.enabled('debug')) logWhenSent(req, res, requestId);
    // The path and the query string, split by hand: a URL object costs more than a cached answer.
    const target = req.url ?? '/';
    const queryAt = target.indexOf('?');
    const pathname = queryAt < 0 ? target : target.slice(0, queryAt);
    try {
      // A /graphql answer's id and CORS headers are the GraphQL handler's to send (graphqlHeaders.ts).
      if (pathname === '/graphql') {
        if (req.method === 'OPTIONS') return answerPreflight(res, requestId);
        return await graphql(req, res, queryAt < 0 ? '' : target.slice(queryAt), requestId);
      }
      res.setHeader('x-request-id', requestId);
      if (pathname.startsWith('/sandbox/')) return await sandboxAsset(res, pathname.slice('/sandbox/'.length));
      if (pathname === '/health') return json(res, 200, { status: 'ok' });
      if (pathname === '/ready') {
        const state = await readiness();
        return json(res, state.ready ? 200 : 503, { status: state.ready ? 'ready' : 'not ready', ...state.dependencies, ...(state.views && { views: state.views }) });
      }
      if (pathname === '/cache') return cachePage.page(res);
      if (pathname === '/cache/stream') return cachePage.stream(req, res);
      if (pathname === '/metrics') {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        return void res.end(await metrics.registry.metrics());
      }
      json(res, 404, { error: `no route ${pathname}; GraphQL is served at /graphql` });
    } catch (err) {
      log.error('request failed', { requestId, path: pathname, err });
      if (res.headersSent) return void res.end();
      if (!res.hasHeader('x-request-id')) setHeaders(res, pathname === '/graphql' ? graphqlHeaders(requestId) : ['x-request-id', requestId]);
      new RequestError(500, 'INTERNAL_SERVER_ERROR', `internal error; quote request id ${requestId}`, { requestId }).send(res);
    }
  };
}

/**
 * Requests node:http cannot parse (headers over its limit, bad framing, not HTTP at all) never
 * reach the handler; node would answer them with a bare status. They get a GraphQL-shaped
 * answer with a code like every other refusal, then the connection is closed.
 */
export function answerUnparsable(err: Error & { code?: string }, socket: Duplex): void {
  if (!socket.writable || err.code === 'ECONNRESET') return void socket.destroy();
  const [status, code, message] =
    err.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'REQUEST_HEADER_FIELDS_TOO_LARGE', 'the request line and headers are over 16 KiB; send large queries and variables as a POST body, or as a persisted query']
      : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' || err.code === 'HPE_HEADER_TIMEOUT'
        ? [408, 'REQUEST_TIMEOUT', 'the request took too long to arrive']
        : [400, 'BAD_REQUEST', `the request is not valid HTTP/1.1 (${err.code ?? err.message})`];
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  const reason = STATUS_CODES[status];
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\ncontent-type: application/json; charset=utf-8\r\ncache-control: no-store\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\nconnection: close\r\n\r\n${body}`,
  );
  log.debug('an unparsable request was refused', { code: err.code, status });
}

async function sandboxAsset(res: ServerResponse, name: string): Promise<void> {
  const asset = SANDBOX_ASSETS[name];
  if (!asset) return json(res, 404, { error: `no sandbox asset ${name}` });
  res.writeHead(200, { 'content-type': `${asset.type}; charset=utf-8`, 'cache-control': 'public, max-age=86400' });
  res.end(await readFile(asset.file));
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value));
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  // Accept a caller's id only when it looks like one, so logs cannot be forged with newlines.
  return first && /^[\w.-]{1,128}$/.test(first) ? first : undefined;
}

/** At debug level: a line per HTTP request when its answer is sent (an operation's cache figures are plugins/requestLog.ts's). */
function logWhenSent(req: IncomingMessage, res: ServerResponse, requestId: string): void {
  const started = process.hrtime.bigint();
  res.once('finish', () =>
    log.debug('request', {
      requestId,
      method: req.method,
      path: req.url?.split('?')[0],
      status: res.statusCode,
      ms: Number(process.hrtime.bigint() - started) / 1e6,
      // Answered whole from the response tier, without running the operation.
      fromResponseTier: answeredByTier(res) || undefined,
    }),
  );
}
