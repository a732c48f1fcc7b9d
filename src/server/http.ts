/**
 * The HTTP surface, on node:http: /graphql (POST, GET, and graphql-ws WebSockets on the same
 * path), the sandbox's assets, /health, /ready and /metrics.
 */
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import { HeaderMap, type ApolloServer } from '@apollo/server';
import type { Context } from './context.js';
import type { Metrics } from '../metrics.js';
import { SANDBOX_ASSETS } from './plugins/sandbox.js';
import { inRequestScope, type RequestScope } from '../db/requestScope.js';
import { logger } from '../log.js';

const log = logger('server.http');
/** Largest request body accepted; larger ones get 413 before any parsing. */
export const MAX_BODY_BYTES = 1024 * 1024;

export interface HttpHandlerOptions {
  apollo: ApolloServer<Context>;
  metrics: Metrics;
  /** Builds the context of one GraphQL request. */
  context: (request: { requestId: string; authorization: string | undefined; scope: RequestScope }) => Promise<Context>;
  /** Each dependency's state, for /ready. */
  readiness: () => Promise<{ ready: boolean; dependencies: Record<string, unknown> }>;
  /** Awaited before each operation runs (the bus: invalidations already sent to this instance are applied first). */
  beforeOperation?: () => Promise<void>;
}

export function createHttpHandler(options: HttpHandlerOptions) {
  const { apollo, metrics, context, readiness, beforeOperation } = options;
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const requestId = headerValue(req, 'x-request-id') ?? randomUUID();
    res.setHeader('x-request-id', requestId);
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (url.pathname === '/graphql') {
        cors(res);
        if (req.method === 'OPTIONS') return void res.writeHead(204).end();
        return await graphql(req, res, url, requestId);
      }
      if (url.pathname.startsWith('/sandbox/')) return await sandboxAsset(res, url.pathname.slice('/sandbox/'.length));
      if (url.pathname === '/health') return json(res, 200, { status: 'ok' });
      if (url.pathname === '/ready') {
        const state = await readiness();
        return json(res, state.ready ? 200 : 503, { status: state.ready ? 'ready' : 'not ready', ...state.dependencies });
      }
      if (url.pathname === '/metrics') {
        res.writeHead(200, { 'content-type': metrics.registry.contentType });
        return void res.end(await metrics.registry.metrics());
      }
      json(res, 404, { error: `no route ${url.pathname}; GraphQL is served at /graphql` });
    } catch (err) {
      log.error('request failed', { requestId, path: url.pathname, err });
      if (!res.headersSent) graphqlError(res, 500, 'INTERNAL_SERVER_ERROR', `internal error; quote request id ${requestId}`);
      else res.end();
    }
  };

  async function graphql(req: IncomingMessage, res: ServerResponse, url: URL, requestId: string): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'POST') {
      res.setHeader('allow', 'GET, POST, OPTIONS');
      return graphqlError(res, 405, 'METHOD_NOT_ALLOWED', `${req.method} is not supported; send GraphQL as POST (JSON) or GET`);
    }
    const headers = new HeaderMap();
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
    }
    let body: unknown;
    if (req.method === 'POST') {
      const raw = await readBody(req);
      if (raw === 'too large') {
        return graphqlError(res, 413, 'PAYLOAD_TOO_LARGE', `the request body is over ${MAX_BODY_BYTES} bytes`);
      }
      if ((headers.get('content-type') ?? '').includes('json')) {
        try {
          body = raw.length === 0 ? undefined : JSON.parse(raw);
        } catch (err) {
          return graphqlError(res, 400, 'BAD_REQUEST', `the body is not valid JSON: ${(err as Error).message}`);
        }
      } else {
        body = raw;
      }
    }
    if (beforeOperation) await beforeOperation();
    const scope: RequestScope = { sqlStatements: 0 };
    const response = await inRequestScope(scope, () =>
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest: { method: req.method!, headers, search: url.search, body },
        context: () => context({ requestId, authorization: headers.get('authorization'), scope }),
      }),
    );
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      if (req.method === 'GET' && res.statusCode === 200) {
        // The ETag is the answer's hash: a client (or CDN) that holds it gets 304 and no body.
        const etag = `"${createHash('sha256').update(response.body.string).digest('base64url').slice(0, 27)}"`;
        res.setHeader('etag', etag);
        if (matchesEtag(headers.get('if-none-match'), etag)) {
          res.statusCode = 304;
          return void res.end();
        }
      }
      return void res.end(response.body.string);
    }
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }
}

async function sandboxAsset(res: ServerResponse, name: string): Promise<void> {
  const asset = SANDBOX_ASSETS[name];
  if (!asset) return json(res, 404, { error: `no sandbox asset ${name}` });
  res.writeHead(200, { 'content-type': `${asset.type}; charset=utf-8`, 'cache-control': 'public, max-age=86400' });
  res.end(await readFile(asset.file));
}

function readBody(req: IncomingMessage): Promise<string | 'too large'> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        resolve('too large');
        req.removeAllListeners('data');
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function cors(res: ServerResponse): void {
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-allow-methods', 'GET, POST, OPTIONS');
  res.setHeader('access-control-allow-headers', 'content-type, authorization, apollo-require-preflight, x-apollo-operation-name');
}

function json(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value));
}

/** An error the GraphQL way (errors[].extensions.code) for failures before Apollo runs. */
function graphqlError(res: ServerResponse, status: number, code: string, message: string): void {
  json(res, status, { errors: [{ message, extensions: { code } }] });
}

/** If-None-Match: a list of ETags (weak ones compare equal to strong ones), or *. */
function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}

function headerValue(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  const first = Array.isArray(value) ? value[0] : value;
  // Accept a caller's id only when it looks like one, so logs cannot be forged with newlines.
  return first && /^[\w.-]{1,128}$/.test(first) ? first : undefined;
}
