/**
 * CSRF prevention, as Apollo Server's `csrfPrevention` does it, checked here too because the
 * gateway answers some requests (persisted-query misses, limits) before Apollo runs. A browser
 * sends a cross-site request without a CORS preflight only when it is "simple": no custom
 * header, and a Content-Type a form could send. GraphQL never needs such a request, so one is
 * refused: a GET from a form or an <img> cannot run a query with the victim's cookies.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { RequestError } from './requestError.js';

const SIMPLE_CONTENT_TYPES = new Set(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data']);
/** Either one, with any value, proves a preflight happened. */
export const PREFLIGHT_HEADERS = ['x-apollo-operation-name', 'apollo-require-preflight'];

/** Throws unless the request could only have been sent after a CORS preflight. */
export function preventCsrf(headers: IncomingHttpHeaders): void {
  const contentType = headers['content-type'];
  if (contentType) {
    const essence = contentType.split(';')[0].trim().toLowerCase();
    if (!SIMPLE_CONTENT_TYPES.has(essence)) return;
  }
  if (PREFLIGHT_HEADERS.some((name) => headers[name])) return;
  throw new RequestError(
    400,
    'BAD_REQUEST',
    'This request has been blocked as a potential Cross-Site Request Forgery (CSRF). ' +
      `Send a Content-Type other than ${[...SIMPLE_CONTENT_TYPES].join(', ')} (e.g. application/json), ` +
      `or a non-empty ${PREFLIGHT_HEADERS.join(' or ')} header.`,
  );
}
