/**
 * The GraphQL-over-HTTP request parameters: `query`, `operationName`, `variables`,
 * `extensions`, from a POST's JSON body or a GET's query string
 * (https://graphql.github.io/graphql-over-http/draft/#sec-Request-Parameters). Anything
 * else is refused here with a 400 that says what was wrong, before any GraphQL work.
 */
import { RequestError } from './requestError.js';

export interface GraphQLParams {
  query?: string;
  operationName?: string;
  variables?: Record<string, unknown>;
  extensions?: Record<string, unknown>;
}

/** From a GET's query string (`variables` and `extensions` as JSON text). */
export function paramsFromSearch(search: URLSearchParams, maxVariablesBytes: number): GraphQLParams {
  const variablesText = search.get('variables');
  if (variablesText && variablesText.length > maxVariablesBytes) throw variablesTooLarge(maxVariablesBytes);
  return checked({
    query: search.get('query') ?? undefined,
    operationName: search.get('operationName') ?? undefined,
    variables: jsonParam(search, 'variables'),
    extensions: jsonParam(search, 'extensions'),
  });
}

/**
 * From a POST's body: `raw` as received, `contentType` its header. Only JSON is GraphQL here;
 * an array (a batch) is refused, since batching is off (one operation per request keeps each
 * request's limits meaningful).
 */
export function paramsFromBody(raw: string, contentType: string, maxVariablesBytes: number): GraphQLParams {
  if (!/^application\/(graphql-response\+)?json\b/i.test(contentType.trim())) {
    throw new RequestError(415, 'UNSUPPORTED_MEDIA_TYPE', `POST /graphql takes Content-Type: application/json; got "${contentType || 'none'}"`);
  }
  const charset = /;\s*charset\s*=\s*"?([^";\s]*)/i.exec(contentType)?.[1];
  if (charset !== undefined && !/^utf-?8$/i.test(charset)) {
    throw new RequestError(415, 'UNSUPPORTED_MEDIA_TYPE', `the body must be UTF-8 (charset=utf-8, or no charset); got charset "${charset}"`);
  }
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch (err) {
    throw new RequestError(400, 'BAD_REQUEST', `the body is not valid JSON: ${(err as Error).message}`);
  }
  if (Array.isArray(body)) {
    throw new RequestError(400, 'BATCHING_NOT_SUPPORTED', 'batched operations are not supported; send one operation per request');
  }
  if (typeof body !== 'object' || body === null) {
    throw new RequestError(400, 'BAD_REQUEST', 'the body must be a JSON object such as {"query": "{ genres }"}');
  }
  const fields = body as Record<string, unknown>;
  // The body bounds the variables; measure them only when it could hold more than their limit.
  if (raw.length > maxVariablesBytes && fields.variables != null && JSON.stringify(fields.variables).length > maxVariablesBytes) {
    throw variablesTooLarge(maxVariablesBytes);
  }
  return checked({
    query: fields.query as string | undefined,
    operationName: fields.operationName as string | undefined,
    variables: fields.variables as Record<string, unknown> | undefined,
    extensions: fields.extensions as Record<string, unknown> | undefined,
  });
}

/** Each parameter has its type (null counts as absent). */
function checked(params: { [K in keyof GraphQLParams]: unknown }): GraphQLParams {
  const out: GraphQLParams = {};
  for (const [name, value] of Object.entries(params)) {
    if (value === null || value === undefined) continue;
    const isObject = typeof value === 'object' && !Array.isArray(value);
    const ok = name === 'query' || name === 'operationName' ? typeof value === 'string' : isObject;
    if (!ok) {
      throw new RequestError(400, 'BAD_REQUEST', `"${name}" must be ${name === 'query' || name === 'operationName' ? 'a string' : 'a JSON object'}`);
    }
    (out as Record<string, unknown>)[name] = value;
  }
  return out;
}

function jsonParam(search: URLSearchParams, name: string): unknown {
  const text = search.get(name);
  if (!text) return undefined;
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new RequestError(400, 'BAD_REQUEST', `the "${name}" parameter is not valid JSON: ${(err as Error).message}`);
  }
}

function variablesTooLarge(max: number): RequestError {
  return new RequestError(413, 'VARIABLES_TOO_LARGE', `the variables are over ${Math.round(max / 1024)} KiB (MAX_VARIABLES_KB)`, { limit: max });
}
