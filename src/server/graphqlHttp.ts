/**
 * POST and GET /graphql: the request path up to Apollo's pipeline, in order. Every step may
 * refuse the request with a RequestError (a GraphQL-shaped error with its code and status):
 *
 * 1. method: GET or POST;
 * 2. CSRF prevention (csrf.ts);
 * 3. the parameters, from the query string or a JSON body, within their size limits (params.ts);
 * 4. the text to run, through persisted queries (persisted/);
 * 5. the query limits (queryLimits.ts), before any validation or execution; subscriptions
 *    are for the WebSocket on the same path;
 * 6. invalidations other instances have sent applied (the bus);
 * 7. the response tier (responseTier.ts): a stored, current answer is sent as it is, or put
 *    together from its skeleton and the entities it shows (entityPieces.ts), or, when the same
 *    request is running already, the one it keeps is waited for and sent; a list by ids
 *    (listByIds.ts) is put together from its items' stored pieces, running the missing; not
 *    for a persisted-query registration, which runs so that Apollo validates its text;
 * 8. Apollo: validation, execution, the plugins (apollo.ts);
 * 9. a registration's text stored, if Apollo validated it (persisted/);
 * 10. the caching headers (httpCaching.ts), the answer, and the response tier keeps it if it may.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { HeaderMap, type ApolloServer, type HTTPGraphQLRequest } from '@apollo/server';
import type { Config } from '../config.js';
import type { Context, ContextRequest } from './context.js';
import type { ResponseTier } from './responseTier.js';
import type { PieceSite } from './entityPieces.js';
import { ResponseTrace } from '../cache/responses.js';
import { inRequestScope, type RequestScope } from '../db/requestScope.js';
import { requestLogged } from './plugins/requestLog.js';
import { preventCsrf } from './csrf.js';
import { paramsFromBody, paramsFromSearch, type GraphQLParams } from './params.js';
import type { PersistedQueries, ResolvedQuery } from './persisted/index.js';
import type { QueryLimits } from './queryLimits.js';
import { RequestError } from './requestError.js';
import { writeCachingHeaders } from './httpCaching.js';
import { graphqlHeaders, setHeaders } from './graphqlHeaders.js';
import { logger } from '../log.js';

const log = logger('server.graphql');

export interface GraphQLHandlerOptions {
  apollo: ApolloServer<Context>;
  /** Builds the context of one GraphQL request. */
  context: (request: ContextRequest) => Promise<Context>;
  persisted: PersistedQueries;
  /** Undefined with CACHE=off or CACHE_RESPONSE_MB=0. */
  responses?: ResponseTier;
  limits: QueryLimits;
  sizes: Pick<Config['limits'], 'bodyBytes' | 'variablesBytes'>;
  /** Awaited before each operation runs (the bus: invalidations already sent to this instance are applied first). */
  beforeOperation?: () => Promise<void>;
  /** Hears each request refused before Apollo (metrics). */
  refused?: (error: RequestError) => void;
}

export function createGraphQLHandler(options: GraphQLHandlerOptions) {
  const { apollo, context, persisted, limits, sizes, responses, beforeOperation, refused } = options;
  return async (req: IncomingMessage, res: ServerResponse, search: string, requestId: string): Promise<void> => {
    try {
      if (req.method !== 'GET' && req.method !== 'POST') {
        throw new RequestError(405, 'METHOD_NOT_ALLOWED', `${req.method} is not supported; send GraphQL as POST (JSON) or GET`, {}, { allow: 'GET, POST, OPTIONS' });
      }
      // A GET seen before, whose answer is stored: what its parameters led to is known.
      const seen = req.method === 'GET' ? responses?.seenGet(req, search) : undefined;
      if (seen) {
        preventCsrf(req.headers);
        if (beforeOperation) await beforeOperation();
        // Sent with every header in one writeHead.
        if (responses!.serveSeen(req, res, seen, graphqlHeaders(requestId))) return;
      }
      // Any other answer is sent with them, and with its own set along the way.
      setHeaders(res, graphqlHeaders(requestId));
      const searchParams = req.method === 'GET' ? new URLSearchParams(search) : undefined;
      if (searchParams && wantsSandbox(req, searchParams)) {
        // A browser opening the URL: Apollo serves the sandbox page (plugins/sandbox.ts).
        return await execute(req, res, { method: 'GET', headers: headerMap(req), search, body: undefined }, requestId);
      }
      preventCsrf(req.headers);
      const params =
        searchParams
          ? paramsFromSearch(searchParams, sizes.variablesBytes)
          : paramsFromBody(await readBody(req, sizes.bodyBytes), req.headers['content-type'] ?? '', sizes.variablesBytes);
      const resolved = await persisted.resolve(params);
      const kind = limits.check(resolved.query, params.operationName, params.variables);
      if (kind === 'subscription') {
        throw new RequestError(400, 'BAD_REQUEST', 'subscriptions are served over WebSocket at this URL (graphql-transport-ws protocol, e.g. the graphql-ws client), not over HTTP');
      }
      if (beforeOperation) await beforeOperation();
      // Only queries have answers the response tier may keep; a list by ids, item by item. A
      // registration runs whatever is stored, so that its text is validated before it is kept.
      const tiered = kind === 'query' && !resolved.register;
      const list = tiered ? responses?.listPlan(resolved.query, params.operationName) : undefined;
      const key = tiered ? responses?.keyOf(req, params, resolved, list?.idsVariable) : undefined;
      /** Set when this request runs an answer identical requests wait for (responseTier.ts follow). */
      let finished: (() => void) | undefined;
      if (key !== undefined && list) {
        const served = await responses!.serveList(req, res, key, list, params.variables ?? {}, params.operationName, (variables) =>
          run(req, apolloRequest(req, { ...params, variables }, resolved), requestId, new ResponseTrace()),
        );
        if (served) return;
      } else if (key !== undefined) {
        const seenAs = searchParams && search;
        if (responses!.serve(req, res, key, params.operationName, seenAs)) return;
        const followed = await responses!.follow(req, res, key, params.operationName, seenAs);
        if (followed === true) return;
        finished = followed;
      }
      // Where the answer shows entities as pieces, looked up only now that it runs; a mutation's
      // answer shows them as they are after its write, and its pieces are kept.
      const sites = (key !== undefined && !list) || (kind === 'mutation' && responses) ? responses!.pieceSites(resolved.query, params.operationName) : undefined;
      const kept = list || (key === undefined && !sites) ? undefined : { key, sites };
      try {
        await execute(req, res, apolloRequest(req, params, resolved), requestId, kept, resolved.register ? resolved : undefined);
      } finally {
        finished?.();
      }
    } catch (err) {
      if (!(err instanceof RequestError)) throw err;
      if (!res.hasHeader('x-request-id')) setHeaders(res, graphqlHeaders(requestId));
      refused?.(err);
      log.debug('request refused', { requestId, code: err.code, status: err.status });
      err.send(res);
    }
  };

  /**
   * Runs the request through Apollo; `kept`: where the response tier keeps the answer, if it
   * may, and where it shows entities as pieces (a mutation's are kept alone); `registration`: a persisted query to store if
   * Apollo validates its text.
   */
  async function execute(
    req: IncomingMessage,
    res: ServerResponse,
    httpGraphQLRequest: HTTPGraphQLRequest,
    requestId: string,
    kept?: { key: string | undefined; sites: PieceSite[] | undefined },
    registration?: ResolvedQuery,
  ): Promise<void> {
    let validated = false;
    const documentResolved = registration ? () => void (validated = true) : undefined;
    // With piece sites, the trace tells the reads of the entities shown as pieces from the others.
    const traced = kept && new ResponseTrace(kept.sites !== undefined);
    const { response, trace } = await run(req, httpGraphQLRequest, requestId, traced, documentResolved);
    if (registration && validated) await persisted.register(registration);
    for (const [name, value] of response.headers) res.setHeader(name, value);
    res.statusCode = response.status ?? 200;
    if (response.body.kind === 'complete') {
      const body = response.body.string;
      const notModified = writeCachingHeaders(req, res, body);
      if (trace && kept!.key !== undefined) responses!.store(req, res, kept!.key, body, trace, kept!.sites);
      else if (trace) responses!.keepPieces(res, body, trace, kept!.sites!);
      if (!notModified) res.end(body);
      return;
    }
    writeCachingHeaders(req, res, undefined);
    for await (const chunk of response.body.asyncIterator) res.write(chunk);
    res.end();
  }

  /** Apollo's answer to the request; `trace`, when given, records the versions it was built from. */
  async function run<T extends ResponseTrace | undefined>(req: IncomingMessage, httpGraphQLRequest: HTTPGraphQLRequest, requestId: string, trace: T, documentResolved?: () => void) {
    const scope: RequestScope = { sqlStatements: 0 };
    const answer = () =>
      apollo.executeHTTPGraphQLRequest({
        httpGraphQLRequest,
        context: () => context({ requestId, authorization: httpGraphQLRequest.headers.get('authorization'), scope, trace, documentResolved }),
      });
    // Statements are counted per request only where x-cache-debug or a debug log line reports them (requestScope.ts).
    const response = await (req.headers['x-cache-debug'] || requestLogged() ? inRequestScope(scope, answer) : answer());
    return { response, trace };
  }
}

/**
 * The request Apollo runs: the resolved text in place of any persisted-query hash (Apollo's
 * own APQ is off; persisted/ did that work). A GET stays a GET, so Apollo still refuses
 * mutations over GET.
 */
function apolloRequest(req: IncomingMessage, params: GraphQLParams, resolved: ResolvedQuery): HTTPGraphQLRequest {
  const headers = headerMap(req);
  // Apollo refuses a parameter that is present but undefined: only those given are set.
  const request: Record<string, unknown> = { query: resolved.query };
  if (params.operationName !== undefined) request.operationName = params.operationName;
  if (params.variables !== undefined) request.variables = params.variables;
  if (resolved.extensions !== undefined) request.extensions = resolved.extensions;
  if (req.method === 'POST') return { method: 'POST', headers, search: '', body: request };
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(request)) search.set(name, typeof value === 'string' ? value : JSON.stringify(value));
  return { method: 'GET', headers, search: `?${search}`, body: undefined };
}

function headerMap(req: IncomingMessage): HeaderMap {
  const headers = new HeaderMap();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers.set(name, Array.isArray(value) ? value.join(', ') : value);
  }
  return headers;
}

/** A page load, not an operation: no GraphQL parameters, and HTML accepted. */
function wantsSandbox(req: IncomingMessage, search: URLSearchParams): boolean {
  return !search.has('query') && !search.has('extensions') && (req.headers.accept ?? '').includes('text/html');
}

function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.removeAllListeners('data');
        req.resume();
        reject(new RequestError(413, 'PAYLOAD_TOO_LARGE', `the request body is over ${Math.round(maxBytes / 1024)} KiB (MAX_BODY_KB)`, { limit: maxBytes }));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    // The client went away mid-body: nobody reads the answer, but it is its doing, not ours.
    req.on('error', (err) => reject(new RequestError(400, 'BAD_REQUEST', `the request body was cut off (${err.message})`)));
  });
}
