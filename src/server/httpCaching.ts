/**
 * HTTP caching of GraphQL answers, for browsers and CDNs. plugins/cachePolicy.ts has set
 * `Cache-Control` from the operation's policy, `public, max-age=N` or `private, max-age=N`
 * (plugins/noStore.ts and cacheDebug.ts make the rest `no-store`); here it gets:
 *
 * - `Vary`: the request headers that change the answer. `Accept` (the media type Apollo
 *   answers in) and `x-cache-debug` always; `Authorization` when the answer is PRIVATE (it is
 *   the caller's). A PUBLIC answer is the same for every caller, so a CDN keeps one copy.
 * - `ETag` on cacheable GET answers: the hash of the body. `If-None-Match` with it gets 304.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { setHeaders, type HeaderList } from './graphqlHeaders.js';

/** The Vary of an answer that is the same for every caller, and of one that is the caller's. */
const SHARED_VARY = 'accept, x-cache-debug';
const PRIVATE_VARY = 'accept, authorization, x-cache-debug';

/**
 * Sets the caching headers of an answer about to be sent (`body`: its text, undefined when it
 * streams; `knownEtag`: its ETag if already known, as for a stored answer). True when it was
 * answered 304 instead: nothing more to send.
 */
export function writeCachingHeaders(req: IncomingMessage, res: ServerResponse, body: string | undefined, knownEtag?: string): boolean {
  const scope = /^(public|private), max-age=\d+$/.exec(String(res.getHeader('cache-control') ?? ''))?.[1];
  const vary = scope === 'private' ? PRIVATE_VARY : SHARED_VARY;
  if (scope === undefined || body === undefined || res.statusCode !== 200) {
    res.setHeader('vary', vary);
    return false;
  }
  const caching = cachingHeaders(req, body, vary, knownEtag);
  setHeaders(res, caching.headers);
  if (caching.status === 200) return false;
  res.statusCode = 304;
  res.end();
  return true;
}

/** What writeCachingHeaders sets on a stored PUBLIC answer, as a list to send in one writeHead, and its status. */
export function storedCachingHeaders(req: IncomingMessage, body: string, knownEtag?: string): { status: 200 | 304; headers: HeaderList } {
  return cachingHeaders(req, body, SHARED_VARY, knownEtag);
}

/** A cacheable 200's Vary and, on a GET, its ETag (`knownEtag` if known); 304 when If-None-Match names it. */
function cachingHeaders(req: IncomingMessage, body: string, vary: string, knownEtag?: string): { status: 200 | 304; headers: HeaderList } {
  if (req.method !== 'GET') return { status: 200, headers: ['vary', vary] };
  const etag = knownEtag ?? etagOf(body);
  return { status: matchesEtag(req.headers['if-none-match'], etag) ? 304 : 200, headers: ['vary', vary, 'etag', etag] };
}

/** The ETag of an answer: a hash of its body. */
export function etagOf(body: string): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
}

/** If-None-Match: a list of ETags (weak ones compare equal to strong ones), or *. */
function matchesEtag(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t.replace(/^W\//, '') === etag;
  });
}
