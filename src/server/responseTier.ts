/**
 * The response tier on the request path (the tier itself: cache/responses.ts). After CSRF,
 * the parameters, persisted queries, the limits and the bus have had their say, a request
 * whose answer is stored is answered here, from its bytes: no Apollo pipeline, no context, no
 * resolver. Otherwise it runs, and its answer is stored if it may be: a 200 whose policy is
 * PUBLIC, built by a query whose every root field was traced (plugins/responseTrace.ts).
 *
 * The key is what makes the answer: the query (its hash when persisted, else its text), the
 * operation name, the variables (keys sorted, so their order does not matter) and the
 * Accept header (the media type Apollo answers in). Not the caller: a PUBLIC answer is the
 * same for everyone, and PRIVATE answers are never kept here.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ResponseCache, ResponseTrace } from '../cache/responses.js';
import type { CacheObserver } from '../cache/index.js';
import type { GraphQLParams } from './params.js';
import type { ResolvedQuery } from './persisted/index.js';
import { etagOf, writeCachingHeaders } from './httpCaching.js';

const PUBLIC = /^public, max-age=(\d+)$/;

export class ResponseTier {
  /** `knownOperations`: the names that may appear as a metric label (the contract's); others count as "other". */
  constructor(
    private readonly cache: ResponseCache,
    private readonly observer: CacheObserver,
    private readonly knownOperations: ReadonlySet<string>,
  ) {}

  /** The key of a request's answer; undefined when it must run whatever is stored (x-cache-debug). */
  keyOf(req: IncomingMessage, params: GraphQLParams, resolved: ResolvedQuery): string | undefined {
    if (req.headers['x-cache-debug']) return undefined;
    const variables = params.variables === undefined ? '' : canonicalJson(params.variables);
    return `${req.headers.accept ?? ''}\n${params.operationName ?? ''}\n${variables}\n${resolved.hash ?? resolved.query}`;
  }

  /** Answers from the stored bytes of `key` if they are current; true when it did. */
  serve(req: IncomingMessage, res: ServerResponse, key: string, operationName: string | undefined): boolean {
    const now = Date.now();
    const stored = this.cache.get(key, now);
    const label = operationName && this.knownOperations.has(operationName) ? operationName : 'other';
    this.observer.lookup(stored ? 'hit' : 'miss', 'response', label, 1);
    if (!stored) return false;
    res.statusCode = 200;
    for (const name in stored.headers) res.setHeader(name, stored.headers[name]);
    res.setHeader('age', Math.floor((now - stored.storedAt) / 1000));
    if (!writeCachingHeaders(req, res, stored.body, stored.etag)) res.end(stored.body);
    return true;
  }

  /** Keeps the answer just sent, if it may be kept (`res` holds its status and headers). */
  store(res: ServerResponse, key: string, body: string, trace: ResponseTrace): void {
    if (res.statusCode !== 200) return;
    const cacheControl = String(res.getHeader('cache-control') ?? '');
    const maxAge = PUBLIC.exec(cacheControl)?.[1];
    if (maxAge === undefined) return;
    const headers = { 'content-type': String(res.getHeader('content-type')), 'cache-control': cacheControl };
    this.cache.set(key, { body, headers, etag: etagOf(body), storedAt: Date.now() }, trace, Number(maxAge) * 1000);
  }
}

/** JSON with every object's keys sorted: equal values, equal text. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
}
